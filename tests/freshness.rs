//! The checked-in crates are exactly what the generator makes, and `regen` is all-or-nothing.

use std::fs;
use std::path::Path;

use billfold_tests::{generated, workspace_root};

#[test]
fn checked_in_crates_match_the_generator() {
    let outcome =
        xtask::commands::regen::regen(&workspace_root(), true).expect("regen --check runs");
    assert!(
        outcome.changed.is_empty(),
        "run `cargo xtask regen`:\n{}",
        outcome.diff
    );
    assert_eq!(outcome.unchanged.len(), generated().len());
}

/// A scratch workspace holding copies of specs/ and the generated crates.
fn scratch_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = workspace_root();
    copy_dir(&root.join("specs"), &dir.path().join("specs"));
    for g in generated() {
        let id = &g.provider.id;
        copy_dir(
            &root.join(xtask::pipeline::crate_dir(id)),
            &dir.path().join(xtask::pipeline::crate_dir(id)),
        );
    }
    // The files regen derives from all providers.
    for (relative, _) in xtask::derived::workspace_files(&root, generated()).unwrap() {
        let target = dir.path().join(&relative);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(root.join(&relative), target).unwrap();
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn snapshot_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.display().to_string(), fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn a_hand_edit_is_detected_and_regen_repairs_it() {
    let scratch = scratch_copy();
    let lib = scratch.path().join("crates/generated/olostep/src/lib.rs");
    let edited = fs::read_to_string(&lib)
        .unwrap()
        .replace("pub struct Client", "pub struct Klient");
    fs::write(&lib, edited).unwrap();
    fs::write(
        scratch.path().join("crates/generated/olostep/src/extra.rs"),
        "// hand-written\n",
    )
    .unwrap();

    let outcome = xtask::commands::regen::regen(scratch.path(), true).unwrap();
    assert_eq!(outcome.changed, ["olostep"]);
    assert!(
        outcome.diff.contains("-    pub struct Klient"),
        "{}",
        outcome.diff
    );
    assert!(
        outcome
            .diff
            .contains("crates/generated/olostep/src/extra.rs: not generated"),
        "{}",
        outcome.diff
    );

    let fixed = xtask::commands::regen::regen(scratch.path(), false).unwrap();
    assert_eq!(fixed.changed, ["olostep"]);
    let again = xtask::commands::regen::regen(scratch.path(), true).unwrap();
    assert!(again.changed.is_empty(), "{}", again.diff);
    assert!(
        !scratch
            .path()
            .join("crates/generated/olostep/src/extra.rs")
            .exists()
    );
}

#[test]
fn a_broken_spec_changes_no_file_of_any_provider() {
    let scratch = scratch_copy();
    // Make one crate stale, so a partial write would show.
    let stale = scratch.path().join("crates/generated/anchor/README.md");
    fs::write(&stale, "stale\n").unwrap();
    let spec = scratch.path().join("specs/giga/openapi.yaml");
    let broken = fs::read_to_string(&spec)
        .unwrap()
        .replace("      operationId: list_plans\n", "");
    fs::write(&spec, broken).unwrap();
    let before = snapshot_of(&scratch.path().join("crates"));

    let err = xtask::commands::regen::regen(scratch.path(), false).unwrap_err();
    assert!(
        err.contains("giga: specs/giga/openapi.yaml:57: at #/paths/~1api~1billing~1plans/get: GET /api/billing/plans has no operationId"),
        "{err}"
    );
    assert!(err.contains("nothing under crates/ was changed"), "{err}");
    assert_eq!(snapshot_of(&scratch.path().join("crates")), before);
}

#[test]
fn a_stale_overlay_is_an_error_naming_the_overlay() {
    let scratch = scratch_copy();
    let overlay = scratch.path().join("specs/olostep/overlay.yaml");
    let stale = fs::read_to_string(&overlay)
        .unwrap()
        .replace("/user/credits/info", "/user/credits");
    fs::write(&overlay, stale).unwrap();
    let err = xtask::commands::regen::regen(scratch.path(), true).unwrap_err();
    assert!(
        err.contains("olostep: specs/olostep/overlay.yaml:6: at #/actions/0/target: target"),
        "{err}"
    );
    assert!(err.contains("matches nothing"), "{err}");
}

#[test]
fn provider_crates_compile_none_of_the_generator_side() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    for g in generated() {
        let output = std::process::Command::new(&cargo)
            .args([
                "tree",
                "--frozen",
                "-e",
                "normal,build",
                "--prefix",
                "none",
                "--format",
                "{p}",
                "-p",
            ])
            .arg(&g.provider.crate_name)
            .current_dir(workspace_root())
            .output()
            .expect("cargo tree runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tree = String::from_utf8_lossy(&output.stdout);
        assert!(tree.contains("billfold-runtime"), "{tree}");
        for generator_crate in [
            "progenitor-impl",
            "typify",
            "openapiv3",
            "prettyplease",
            "serde_yaml",
            "heck",
        ] {
            assert!(
                !tree.lines().any(|line| line.starts_with(generator_crate)),
                "{} depends on {generator_crate}:\n{tree}",
                g.provider.crate_name
            );
        }
    }
}

#[test]
fn an_interrupted_regen_is_finished_by_the_next_one() {
    let scratch = scratch_copy();
    for id in ["anchor", "olostep"] {
        fs::write(
            scratch
                .path()
                .join(xtask::pipeline::crate_dir(id))
                .join("README.md"),
            "stale\n",
        )
        .unwrap();
    }
    // Run the write steps by hand and stop after the first swap, as a crash would.
    let fresh = xtask::pipeline::generate_all(scratch.path()).unwrap();
    let ids = vec!["anchor".to_owned(), "olostep".to_owned()];
    for g in fresh.iter().filter(|g| ids.contains(&g.provider.id)) {
        xtask::commands::regen::stage(scratch.path(), g).unwrap();
    }
    xtask::commands::regen::write_plan(scratch.path(), &ids).unwrap();
    xtask::commands::regen::finish_swap(scratch.path(), "anchor").unwrap();

    let err = xtask::commands::regen::regen(scratch.path(), true).unwrap_err();
    assert!(err.contains("was interrupted"), "{err}");

    xtask::commands::regen::regen(scratch.path(), false).unwrap();
    let check = xtask::commands::regen::regen(scratch.path(), true).unwrap();
    assert!(check.changed.is_empty(), "{}", check.diff);
    assert_eq!(check.unchanged.len(), generated().len());
}

/// The README, the runtime's `RetryPolicy` docs and every generated method say the same thing
/// about retries, word for word.
#[test]
fn retry_rules_are_one_text_everywhere() {
    let root = workspace_root();
    let rules = fs::read_to_string(root.join("crates/runtime/doc/retry-rules.md")).unwrap();
    let lines: Vec<&str> = rules.lines().collect();
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let indented: String = lines.iter().map(|l| format!("  {l}\n")).collect();
    assert!(
        readme.contains(&indented),
        "README.md lacks the retry rules"
    );
    assert_eq!(
        readme.matches("408, 429").count(),
        1,
        "README.md lists statuses twice"
    );
    let retry_rs = fs::read_to_string(root.join("crates/runtime/src/retry.rs")).unwrap();
    assert!(retry_rs.contains("include_str!(\"../doc/retry-rules.md\")"));
    for g in generated() {
        let lib = &g
            .files
            .iter()
            .find(|(p, _)| p.ends_with("lib.rs"))
            .unwrap()
            .1;
        let methods = g.code.methods.len();
        assert_eq!(
            lib.matches(lines[0]).count(),
            methods,
            "{}: every method carries the rules",
            g.provider.id
        );
        assert!(!lib.contains("408/429/5xx"), "{}", g.provider.id);
    }
}

/// Regen says what a spec change means for the users of the crate: an added field is an
/// addition, a removed operation breaks them.
#[test]
fn regen_says_what_changed_for_users() {
    let scratch = scratch_copy();
    let spec = scratch.path().join("specs/giga/openapi.yaml");
    let text = fs::read_to_string(&spec).unwrap();
    // A new optional field in the checkout response.
    let added = text.replacen(
        "            checkoutUrl:\n              type: string\n",
        "            expiresAt:\n              type: string\n            checkoutUrl:\n              type: string\n",
        1,
    );
    assert_ne!(added, text, "the spec's layout changed; update this test");
    fs::write(&spec, &added).unwrap();
    let outcome = xtask::commands::regen::regen(scratch.path(), true).unwrap();
    let giga: Vec<&String> = outcome
        .api_changes
        .iter()
        .filter(|c| c.starts_with("giga: "))
        .collect();
    assert_eq!(giga.len(), 1, "{:?}", outcome.api_changes);
    assert!(giga[0].starts_with("giga: additions only"), "{}", giga[0]);
    assert!(giga[0].contains("(members added)"), "{}", giga[0]);

    // Skipping an operation removes a method: breaking.
    fs::write(&spec, &text).unwrap();
    let overlay = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: \"$.paths['/api/billing/recharge'].post\"\n    update: {x-billfold-skip: \"not needed\"}\n";
    fs::write(scratch.path().join("specs/giga/overlay.yaml"), overlay).unwrap();
    let outcome = xtask::commands::regen::regen(scratch.path(), true).unwrap();
    let giga = outcome
        .api_changes
        .iter()
        .find(|c| c.starts_with("giga: "))
        .unwrap();
    assert!(giga.starts_with("giga: BREAKING for users"), "{giga}");
    assert!(giga.contains("operations removed: recharge"), "{giga}");
    assert!(
        outcome
            .skipped
            .iter()
            .any(|s| s.contains("POST /api/billing/recharge: not needed"))
    );
}
