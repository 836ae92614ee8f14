//! billfold's generator, run as `cargo xtask`.
//!
//! `cargo xtask regen` turns each provider's spec under `specs/` into a client crate under
//! `crates/`; `cargo xtask regen --check` fails when the checked-in crates differ;
//! `cargo xtask ingest <provider> <docs-page>` refreshes a spec from a saved docs page;
//! `cargo xtask conformance` checks specs and clients with Redocly and Prism;
//! `cargo xtask bench` measures generation, request overhead, fan-out and footprint.
//! The library half exists so tests can run the same pipeline.

//!
//! The modules show its shape, and import one way: [`commands`] use [`derived`] and
//! [`pipeline`]; [`derived`] reads what the [`pipeline`] made; the [`pipeline`] knows neither.
//! [`error`] is shared by all.

pub mod commands;
pub mod derived;
pub mod error;
pub mod pipeline;

use std::path::PathBuf;

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
