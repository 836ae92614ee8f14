//! Shared helpers for the cross-crate tests.

use std::path::PathBuf;
use std::sync::OnceLock;

use xtask::pipeline::Generated;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    xtask::workspace_root()
}

/// Every provider's generated crate, in memory (generated once per test binary).
pub fn generated() -> &'static [Generated] {
    static GENERATED: OnceLock<Vec<Generated>> = OnceLock::new();
    GENERATED.get_or_init(|| match xtask::pipeline::generate_all(&workspace_root()) {
        Ok(generated) => generated,
        Err(errors) => panic!("generation failed: {errors:#?}"),
    })
}

/// One provider's generated crate.
pub fn provider(id: &str) -> &'static Generated {
    generated()
        .iter()
        .find(|g| g.provider.id == id)
        .unwrap_or_else(|| panic!("no provider {id} in specs/providers.toml"))
}
