//! `cargo xtask bench --footprint`, one row: how long a crate billfold generates takes to build
//! against progenitor's own output for the same effective spec, side by side in one run.
//!
//! The spec is [`BUILD_SPEC`], a corpus spec of about 100 operations. It is staged as `cargo
//! xtask corpus` stages it (in `target/corpus/workspace`, which this replaces); progenitor's
//! output for the crate's `effective-spec.json` (the same settings, none of billfold's
//! rewrites, progenitor's default settings) becomes a crate `progenitor-own` beside it, depending on `progenitor-client` as
//! progenitor's users do. Both crates' dependencies are built first; then each crate alone is
//! rebuilt from scratch (no incremental state), alternately, three times in debug and three in
//! release, and the medians are compared.

use std::fs;
use std::path::Path;
use std::time::Instant;

use serde_json::{Value, json};

use crate::pipeline::progenitor_run;

/// The corpus spec built: 99 operations, OpenAPI 3.1, JSON bodies and server-sent events.
pub const BUILD_SPEC: &str = "together-api";

/// Builds of each crate per profile; the median counts.
const ROUNDS: usize = 3;

/// Measures both crates' builds; returns `{"spec", "operations", "debug": {...}, "release": {...}}`.
pub fn measure(root: &Path) -> Result<Value, String> {
    let specs = root.join("target/bench/build-specs");
    if specs.exists() {
        fs::remove_dir_all(&specs).map_err(|e| format!("clearing {}: {e}", specs.display()))?;
    }
    fs::create_dir_all(&specs).map_err(|e| e.to_string())?;
    let source = root
        .join(crate::commands::corpus::CORPUS_DIR)
        .join(BUILD_SPEC);
    crate::commands::corpus::copy_tree(&source, &specs.join(BUILD_SPEC))
        .map_err(|e| format!("copying {}: {e}", source.display()))?;
    let (staging, outcomes) = crate::commands::corpus::stage(root, &specs)?;
    let outcome = outcomes
        .first()
        .filter(|o| o.failed.is_none())
        .ok_or_else(|| format!("{BUILD_SPEC} did not generate"))?;
    let ours = format!("billfold-{}", outcome.id);
    let crate_dir = staging.join(crate::pipeline::crate_dir(&outcome.id));
    write_progenitor_crate(&staging, &crate_dir.join("effective-spec.json"))?;
    crate::commands::corpus::write_workspace(root, &staging, &["crates/progenitor-own"])?;

    let mut profiles = serde_json::Map::new();
    for release in [false, true] {
        // Dependencies first, so that only the two crates are timed.
        build(&staging, root, &[&ours, "progenitor-own"], release)?;
        let mut times = [Vec::new(), Vec::new()];
        for _ in 0..ROUNDS {
            for (index, (package, dir)) in [
                (ours.as_str(), crate_dir.clone()),
                ("progenitor-own", staging.join("crates/progenitor-own")),
            ]
            .iter()
            .enumerate()
            {
                touch(&dir.join("src/lib.rs"))?;
                let started = Instant::now();
                build(&staging, root, &[package], release)?;
                times[index].push(started.elapsed().as_secs_f64());
            }
        }
        let [ours_s, theirs_s] = times.map(|mut t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        });
        profiles.insert(
            if release { "release" } else { "debug" }.to_owned(),
            json!({"billfold_s": ours_s, "progenitor_s": theirs_s, "ratio": ours_s / theirs_s}),
        );
    }
    Ok(json!({
        "spec": BUILD_SPEC,
        "operations": outcome.generated,
        "debug": profiles["debug"],
        "release": profiles["release"],
    }))
}

/// progenitor's own crate for `spec`: its code, and the dependencies its code names.
pub(crate) fn write_progenitor_crate(staging: &Path, spec: &Path) -> Result<(), String> {
    let text = fs::read_to_string(spec).map_err(|e| format!("{}: {e}", spec.display()))?;
    let openapi: openapiv3::OpenAPI =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", spec.display()))?;
    let output = progenitor_run::generate_as_progenitor_would(&openapi)?;
    let code = prettyplease::unparse(&output.file);
    let mut dependencies = String::from(
        "progenitor-client.workspace = true\nreqwest.workspace = true\nserde.workspace = true\nserde_json.workspace = true\nbytes.workspace = true\n",
    );
    for dependency in output.usage.crates() {
        dependencies.push_str(&format!("{dependency}.workspace = true\n"));
    }
    let dir = staging.join("crates/progenitor-own");
    fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"progenitor-own\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[lints.rust]\nwarnings = \"allow\"\n\n[dependencies]\n{dependencies}"
        ),
    )
    .map_err(|e| e.to_string())?;
    fs::write(dir.join("src/lib.rs"), code).map_err(|e| e.to_string())
}

fn build(staging: &Path, root: &Path, packages: &[&str], release: bool) -> Result<(), String> {
    build_with(staging, root, packages, release, &[])
}

/// [`build`] with more arguments for cargo (`--no-default-features`, `--features ...`).
pub(crate) fn build_with(
    staging: &Path,
    root: &Path,
    packages: &[&str],
    release: bool,
    extra: &[&str],
) -> Result<(), String> {
    let mut command = crate::commands::cargo_env::cargo();
    command
        .args(["build", "--quiet", "--lib"])
        .current_dir(staging)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env("CARGO_INCREMENTAL", "0");
    if release {
        command.arg("--release");
    }
    for package in packages {
        command.args(["--package", package]);
    }
    command.args(extra);
    let status = command
        .status()
        .map_err(|e| format!("building {packages:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("building {packages:?} failed ({status})"))
    }
}

/// Marks a file changed, so that cargo rebuilds its crate.
pub(crate) fn touch(file: &Path) -> Result<(), String> {
    let text = fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    fs::write(file, text).map_err(|e| format!("{}: {e}", file.display()))
}
