//! `cargo xtask features`: every generated crate checked with no feature, and each crate of
//! several features checked with each one alone, failing on any error or warning.
//!
//! A crate with one feature is that feature alone whenever it is built at all (the workspace
//! checks it with every feature); its `--no-default-features` build is checked here. Checks
//! share the workspace's target directory and run as few cargo invocations as the features
//! allow: all crates at once without features, then, round by round, the next feature of every
//! crate that has one left.

use std::path::Path;

use serde_json::Value;

use crate::pipeline;

/// One crate's features, from its generated `Cargo.toml` (`default` aside).
fn features_of(root: &Path, id: &str) -> Result<Vec<String>, String> {
    let path = root.join(pipeline::crate_dir(id)).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let manifest: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(manifest
        .get("features")
        .and_then(|f| f.as_table())
        .map(|t| t.keys().filter(|k| *k != "default").cloned().collect())
        .unwrap_or_default())
}

/// Runs the checks; returns a summary, or every problem found.
pub fn run(root: &Path) -> Result<String, String> {
    let providers = pipeline::load_providers(root).map_err(|e| e.to_string())?;
    let mut crates = Vec::new();
    for provider in &providers {
        crates.push((
            provider.crate_name.clone(),
            features_of(root, &provider.id)?,
        ));
    }
    let mut problems = Vec::new();
    let mut checks = 0;
    // No feature: every crate in one invocation.
    let mut args: Vec<String> = vec!["--no-default-features".into()];
    for (name, _) in &crates {
        args.extend(["--package".into(), name.clone()]);
    }
    problems.extend(check(root, &args)?);
    checks += crates.len();
    // Each feature alone, for crates of several: round `i` checks every such crate's i-th.
    let rounds = crates
        .iter()
        .filter(|(_, f)| f.len() > 1)
        .map(|(_, f)| f.len())
        .max()
        .unwrap_or(0);
    for round in 0..rounds {
        let mut args: Vec<String> = vec!["--no-default-features".into()];
        for (name, features) in crates.iter().filter(|(_, f)| f.len() > 1) {
            if let Some(feature) = features.get(round) {
                args.extend([
                    "--package".into(),
                    name.clone(),
                    "--features".into(),
                    format!("{name}/{feature}"),
                ]);
                checks += 1;
            }
        }
        problems.extend(check(root, &args)?);
    }
    if problems.is_empty() {
        Ok(format!(
            "{checks} feature set(s) of {} crate(s) check without warnings ({} crate(s) with several features, each alone)\n",
            crates.len(),
            crates.iter().filter(|(_, f)| f.len() > 1).count()
        ))
    } else {
        Err(problems.join("\n"))
    }
}

/// `cargo check <args>` with JSON messages; the warnings and errors of workspace crates, each
/// with the feature set that raised it.
fn check(root: &Path, args: &[String]) -> Result<Vec<String>, String> {
    let output = crate::commands::cargo_env::cargo()
        .arg("check")
        .args(args)
        .args(["--message-format", "json"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("running cargo check: {e}"))?;
    let mut problems = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-message" {
            continue;
        }
        let level = message["message"]["level"].as_str().unwrap_or("");
        if level == "warning" || level == "error" {
            problems.push(format!(
                "cargo check {}: {}",
                args.join(" "),
                message["message"]["rendered"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .take(6)
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
    }
    if !output.status.success() && problems.is_empty() {
        problems.push(format!(
            "cargo check {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        ));
    }
    Ok(problems)
}
