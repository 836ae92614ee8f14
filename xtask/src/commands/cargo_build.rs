//! Building one of the workspace's binaries from within the xtask.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Builds binary `bin` of `package` (in release when `release`) and returns its path, as cargo
/// reports it.
pub fn binary(root: &Path, package: &str, bin: &str, release: bool) -> Result<PathBuf, String> {
    binary_in(root, package, bin, release, None)
}

/// [`binary`], built in `target_dir` when given (a copy of this workspace must not share
/// `target/` with it: cargo names members' artifacts by their path inside the workspace).
pub fn binary_in(
    root: &Path,
    package: &str,
    bin: &str,
    release: bool,
    target_dir: Option<&Path>,
) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    if let Some(dir) = target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    command.args([
        "build",
        "--quiet",
        "-p",
        package,
        "--bin",
        bin,
        "--message-format=json",
    ]);
    if release {
        command.arg("--release");
    }
    let output = command
        .current_dir(root)
        .output()
        .map_err(|e| format!("building {bin}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "building {bin} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find_map(|message| {
            (message["target"]["name"] == bin)
                .then(|| message["executable"].as_str().map(PathBuf::from))
                .flatten()
        })
        .ok_or_else(|| format!("cargo did not report the {bin} executable"))
}
