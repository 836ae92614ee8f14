//! billfold's generator, run as `cargo xtask`.
//!
//! `cargo xtask regen` turns each provider's spec under `specs/` into a client crate under
//! `crates/`; `cargo xtask regen --check` fails when the checked-in crates differ;
//! `cargo xtask ingest <provider> <docs-page>` refreshes a spec from a saved docs page;
//! `cargo xtask conformance` checks specs and clients with Redocly and Prism;
//! `cargo xtask bench` measures generation, request overhead, fan-out and footprint.
//! The library half exists so tests can run the same pipeline.

pub mod api_changes;
pub mod balance_check;
pub mod bench;
pub mod bundle;
pub mod cargo_build;
pub mod client_code;
pub mod conformance;
pub mod conformance_code;
pub mod corpus;
pub mod crate_files;
pub mod degrade;
pub mod document;
pub mod error;
pub mod event_streams;
pub mod example_tests;
pub mod facade_code;
pub mod header_credentials;
pub mod ingest;
pub mod lower;
pub mod open_enum_tests;
pub mod open_types;
pub mod operations;
pub mod overlay;
pub mod pipeline;
pub mod progenitor_run;
pub mod providers;
pub mod regen;
pub mod request_bodies;
pub mod rustfmt;
pub mod samples;
pub mod servers;
pub mod surface;
pub mod type_names;
pub mod validate;

use std::path::PathBuf;

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
