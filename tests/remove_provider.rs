//! "Removing a provider works": in a copy of the workspace, delete one provider's spec and
//! manifest entry and run regen: its crate and every derived trace of it (workspace and facade
//! dependencies, features, the facade's module, derived tests, the README table, Cargo.lock)
//! are gone, and `--check` is clean. A crate folder no manifest entry names is reported by
//! `--check` as orphaned; a generated crate that is missing or hand-edited is written again.

use std::fs;
use std::path::Path;

use billfold_tests::workspace_root;

/// Copies the workspace's sources (not `target/`, `.git/` or npm's `node_modules/`).
fn copy_sources(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if ["target", ".git", "node_modules"].contains(&name.to_str().unwrap_or_default()) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_sources(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `manifest` without the `[id]` table and its sub-tables (`[id.credentials]`, ...).
fn without_entry(manifest: &str, id: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in manifest.split_inclusive('\n') {
        let header = line.trim();
        if header.starts_with('[') {
            let name = header.trim_matches(|c| c == '[' || c == ']');
            skipping = name == id || name.starts_with(&format!("{id}."));
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out
}

const DERIVED: [&str; 8] = [
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "crates/billfold/Cargo.toml",
    "crates/billfold/src/providers.rs",
    "crates/billfold/tests/open_enums.rs",
    "tests/example_types.rs",
    "tests/conformance_dispatch.rs",
];

#[test]
fn a_removed_provider_leaves_no_trace() {
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path();
    copy_sources(&workspace_root(), copy);
    let id = "crustdata";
    assert!(
        fs::read_to_string(copy.join("Cargo.lock"))
            .unwrap()
            .contains("billfold-crustdata")
    );

    fs::remove_dir_all(copy.join("specs").join(id)).unwrap();
    let manifest = fs::read_to_string(copy.join("specs/providers.toml")).unwrap();
    fs::write(
        copy.join("specs/providers.toml"),
        without_entry(&manifest, id),
    )
    .unwrap();

    // Before regen, --check names the orphan.
    let check = xtask::commands::regen::regen(copy, true).unwrap();
    assert_eq!(check.orphaned, vec![id.to_owned()]);
    assert!(
        check.diff.contains("crates/generated/crustdata: orphaned"),
        "{}",
        check.diff
    );

    let outcome = xtask::commands::regen::regen(copy, false).expect("regen succeeds");
    assert_eq!(outcome.orphaned, vec![id.to_owned()]);
    assert!(!copy.join("crates/generated").join(id).exists());
    for file in DERIVED {
        let text = fs::read_to_string(copy.join(file)).unwrap();
        assert!(!text.to_lowercase().contains(id), "{file} still names {id}");
    }
    let check = xtask::commands::regen::regen(copy, true).unwrap();
    assert!(check.changed.is_empty(), "{}", check.diff);

    // A stray folder (a crate left by hand, say) is reported, then removed.
    fs::create_dir_all(copy.join("crates/generated/stray/src")).unwrap();
    fs::write(
        copy.join("crates/generated/stray/Cargo.toml"),
        "[package]\n",
    )
    .unwrap();
    let check = xtask::commands::regen::regen(copy, true).unwrap();
    assert_eq!(check.orphaned, vec!["stray".to_owned()]);
    xtask::commands::regen::regen(copy, false).unwrap();
    assert!(!copy.join("crates/generated/stray").exists());
}

#[test]
fn a_missing_or_hand_edited_crate_is_written_again() {
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path();
    copy_sources(&workspace_root(), copy);
    let lib = copy.join("crates/generated/vercel/src/lib.rs");
    let original = fs::read_to_string(&lib).unwrap();
    fs::remove_dir_all(copy.join("crates/generated/tavily")).unwrap();
    fs::write(&lib, "this is not Rust").unwrap();
    fs::write(
        copy.join("crates/generated/novita/Cargo.toml"),
        "[package\nbroken",
    )
    .unwrap();

    let outcome = xtask::commands::regen::regen(copy, false).expect("regen succeeds");
    for id in ["tavily", "vercel", "novita"] {
        assert!(outcome.changed.contains(&id.to_owned()), "{outcome:?}");
    }
    assert_eq!(fs::read_to_string(&lib).unwrap(), original);
    assert!(copy.join("crates/generated/tavily/src/lib.rs").exists());
    let check = xtask::commands::regen::regen(copy, true).unwrap();
    assert!(check.changed.is_empty(), "{}", check.diff);
}
