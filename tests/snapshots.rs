//! Every provider of `specs/providers.toml` is generated. Each generated crate carries its API
//! surface (`API.md`) and the effective spec it was generated from (`effective-spec.json`),
//! written by `cargo xtask regen` and checked by `regen --check` (`freshness.rs`), so a spec
//! change is a small reviewable diff.

use billfold_tests::{generated, workspace_root};

/// Every provider of `specs/providers.toml` generates and has its crate checked in, with its
/// API surface and effective spec.
#[test]
fn every_provider_is_generated() {
    let root = workspace_root();
    let manifest = xtask::pipeline::load_providers(&root).unwrap();
    let ids: Vec<&str> = generated().iter().map(|g| g.provider.id.as_str()).collect();
    let listed: Vec<&str> = manifest.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, listed);
    for g in generated() {
        let dir = root.join(xtask::pipeline::crate_dir(&g.provider.id));
        for file in ["Cargo.toml", "API.md", "effective-spec.json"] {
            assert!(dir.join(file).exists(), "{}: {file}", g.provider.id);
        }
        let surface = std::fs::read_to_string(dir.join("API.md")).unwrap();
        assert!(surface.contains(&g.surface), "{}", g.provider.id);
    }
}
