//! Building one of the workspace's binaries from within the xtask.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::commands::cargo_env;

/// For which packages cargo resolves the features of a binary's dependencies.
///
/// Cargo enables a dependency's features for the packages a command selects, so the same
/// dependency built for `-p billfold-tests` and for `cargo test --workspace` can differ by a
/// feature (tokio's `rt-multi-thread`, say) and is then compiled twice, with everything above
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The binary's package alone (`-p <package>`): what a user building that package gets.
    Package,
    /// The whole workspace with its dev-dependencies, as `cargo test --workspace` resolves it
    /// (`--workspace --examples`: asking for examples is what brings the dev-dependencies in;
    /// the workspace has none, so nothing more is built). A binary built this way reuses every
    /// dependency the tests built.
    Workspace,
}

impl Resolution {
    /// The cargo arguments that select `bin` of `package` this way.
    ///
    /// ```
    /// use xtask::commands::cargo_build::Resolution;
    /// assert_eq!(
    ///     Resolution::Workspace.selection("billfold-tests", "conformance-client"),
    ///     ["--workspace", "--examples", "--bin", "conformance-client"]
    /// );
    /// ```
    pub fn selection(self, package: &str, bin: &str) -> Vec<String> {
        let packages = match self {
            Resolution::Package => vec!["-p".to_owned(), package.to_owned()],
            Resolution::Workspace => vec!["--workspace".to_owned(), "--examples".to_owned()],
        };
        packages
            .into_iter()
            .chain(["--bin".to_owned(), bin.to_owned()])
            .collect()
    }
}

/// Builds binary `bin` of `package` (in release when `release`) with the features `cargo test
/// --workspace` gives its dependencies ([`Resolution::Workspace`]), and returns its path, as
/// cargo reports it. The workspace's binaries have names of their own, so `bin` alone selects
/// it.
pub fn binary(root: &Path, package: &str, bin: &str, release: bool) -> Result<PathBuf, String> {
    build(
        cargo_env::cargo(),
        root,
        Resolution::Workspace,
        package,
        bin,
        release,
    )
}

/// Builds `bin` of `package` alone ([`Resolution::Package`]), in `target_dir` when given (a
/// copy of this workspace must not share `target/` with it: cargo names members' artifacts by
/// their path inside the workspace).
pub fn binary_in(
    root: &Path,
    package: &str,
    bin: &str,
    release: bool,
    target_dir: Option<&Path>,
) -> Result<PathBuf, String> {
    let mut command = cargo_env::cargo();
    if let Some(dir) = target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    build(command, root, Resolution::Package, package, bin, release)
}

/// [`binary`] for a copy of this workspace at `copy`, reusing the dependencies this workspace
/// has already built in `build_dir` (its `target/`): cargo's intermediate artifacts go to
/// `build_dir`, the copy's binaries to `target_dir`.
///
/// Cargo names a member's artifacts by its path inside the workspace, so the copy's members
/// would take the place of this workspace's own in `build_dir`; each of them is therefore built
/// with a profile setting of its own (`codegen-units = 255`), which gives its artifacts other
/// names. Dependencies keep theirs and are shared: a test that builds the copy's `billfold`
/// command then compiles the copy's own crates only, not the whole dependency tree again (with
/// [`Resolution::Workspace`], so the dependencies have the features the tests built them with).
///
/// ```no_run
/// # use std::path::Path;
/// let billfold = xtask::commands::cargo_build::binary_beside(
///     Path::new("/tmp/copy"), "billfold-cli", "billfold",
///     Path::new("target"), Path::new("target/add-provider"),
/// )?;
/// # Ok::<(), String>(())
/// ```
pub fn binary_beside(
    copy: &Path,
    package: &str,
    bin: &str,
    build_dir: &Path,
    target_dir: &Path,
) -> Result<PathBuf, String> {
    let metadata = cargo_env::cargo()
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(copy)
        .output()
        .map_err(|e| format!("running cargo metadata in {}: {e}", copy.display()))?;
    if !metadata.status.success() {
        return Err(format!(
            "cargo metadata in {} failed:\n{}",
            copy.display(),
            String::from_utf8_lossy(&metadata.stderr)
        ));
    }
    let metadata: Value = serde_json::from_slice(&metadata.stdout)
        .map_err(|e| format!("reading cargo metadata of {}: {e}", copy.display()))?;
    let mut command = cargo_env::cargo();
    command
        .env("CARGO_BUILD_BUILD_DIR", build_dir)
        .env("CARGO_TARGET_DIR", target_dir);
    for member in metadata["packages"].as_array().into_iter().flatten() {
        let name = member["name"].as_str().unwrap_or_default();
        command
            .arg("--config")
            .arg(format!("profile.dev.package.\"{name}\".codegen-units=255"));
    }
    build(command, copy, Resolution::Workspace, package, bin, false)
}

/// Runs `cargo build` of `bin` (selected as `resolution` says) with `command`'s environment;
/// returns the path of its executable.
fn build(
    mut command: Command,
    root: &Path,
    resolution: Resolution,
    package: &str,
    bin: &str,
    release: bool,
) -> Result<PathBuf, String> {
    command
        .args([
            "build",
            "--quiet",
            "--message-format=json-render-diagnostics",
        ])
        .args(resolution.selection(package, bin));
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
