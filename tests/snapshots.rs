//! Snapshots of each provider's effective spec (after overlay and lowering) and of the public
//! API surface of its generated crate, so a spec change is a small reviewable diff.
//! In CI (`CI` set) insta never writes snapshots: a changed one fails the run.

use billfold_tests::{generated, workspace_root};

/// Every provider of `specs/providers.toml` generates and has its crate checked in.
#[test]
fn every_provider_is_generated() {
    let root = workspace_root();
    let manifest = xtask::pipeline::load_providers(&root).unwrap();
    let ids: Vec<&str> = generated().iter().map(|g| g.provider.id.as_str()).collect();
    let listed: Vec<&str> = manifest.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, listed);
    for id in ids {
        assert!(
            root.join(xtask::pipeline::crate_dir(id))
                .join("Cargo.toml")
                .exists(),
            "{id}"
        );
    }
}

#[test]
fn effective_specs() {
    for g in generated() {
        insta::assert_yaml_snapshot!(format!("{}_effective_spec", g.provider.id), g.effective);
    }
}

#[test]
fn api_surfaces() {
    for g in generated() {
        insta::assert_snapshot!(format!("{}_api_surface", g.provider.id), g.surface);
    }
}
