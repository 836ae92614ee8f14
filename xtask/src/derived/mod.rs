//! Files derived from every provider's generated crate, outside the crates themselves: the
//! facade's provider list and features, the workspace's dependency list and README table, and
//! the derived tests (open enums, examples, the conformance dispatch). They read the
//! pipeline's output ([`Generated`]) and never feed the pipeline.

pub mod api_changes;
pub mod conformance_code;
pub mod example_tests;
pub mod facade_code;
pub mod open_enum_tests;

use std::path::{Path, PathBuf};

use crate::pipeline::Generated;

/// Renders one derived Rust file from every provider's generated crate.
type Render = fn(&[Generated]) -> String;

/// Files outside the generated crates that regen derives from all providers: (path relative to
/// the workspace root, contents). Hand-written files keep everything outside their markers.
pub fn workspace_files(
    root: &Path,
    generated: &[Generated],
) -> Result<Vec<(PathBuf, String)>, String> {
    let rustfmt = |path: &str, text: String| {
        crate::pipeline::rustfmt::format(&text).map_err(|e| format!("{path}: {e}"))
    };
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).map_err(|e| format!("{path}: cannot read it: {e}"))
    };
    let facade_toml = "crates/billfold/Cargo.toml";
    let facade = facade_code::splice(
        &read(facade_toml)?,
        "features",
        &facade_code::facade_features(generated),
        facade_toml,
    )?;
    let facade = facade_code::splice(
        &facade,
        "provider crates",
        &facade_code::facade_dependencies(generated),
        facade_toml,
    )?;
    let workspace = facade_code::splice(
        &read("Cargo.toml")?,
        "provider crates",
        &facade_code::workspace_dependencies(generated),
        "Cargo.toml",
    )?;
    let readme = facade_code::splice(
        &read("README.md")?,
        "provider table",
        &facade_code::readme_table(generated),
        "README.md",
    )?;
    // Derived Rust files, each formatted by rustfmt as `cargo fmt --check` expects.
    let rust_files: [(&str, Render); 4] = [
        (open_enum_tests::PATH, open_enum_tests::render),
        (facade_code::PROVIDERS_RS, facade_code::providers_rs),
        (example_tests::PATH, example_tests::render),
        (conformance_code::PATH, conformance_code::render),
    ];
    let mut files = Vec::new();
    for (path, render) in rust_files {
        files.push((PathBuf::from(path), rustfmt(path, render(generated))?));
    }
    files.extend([
        (PathBuf::from(facade_toml), facade),
        (PathBuf::from("Cargo.toml"), workspace),
        (PathBuf::from("README.md"), readme),
    ]);
    Ok(files)
}
