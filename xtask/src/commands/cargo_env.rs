//! The environment of a cargo started from a program that cargo itself runs.
//!
//! `cargo run` and `cargo test` give the process they start the variables of its package
//! (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, ...). A cargo started from that process inherits
//! them, and build scripts that watch one of them (`ring`'s watches `CARGO_MANIFEST_DIR` and
//! `CARGO_PKG_NAME`) then count as changed against a build started from a shell: the build
//! script runs again and everything above it is rebuilt (ring, rustls, reqwest, the runtime and
//! every generated crate: 13 to 22 s each time `cargo xtask` and a plain `cargo` took turns).
//! Every cargo the xtask and its launcher start goes without them.
//!
//! Standard library only: the launcher, which has no dependencies, includes this file.

use std::ffi::OsStr;
use std::process::Command;

/// Whether cargo sets `name` for the programs it runs (`cargo run`, `cargo test`), as opposed
/// to a variable that configures cargo (`CARGO_TARGET_DIR`, `CARGO_HOME`, `CARGO` ...).
///
/// ```
/// use xtask::commands::cargo_env::set_by_cargo_run;
///
/// assert!(set_by_cargo_run("CARGO_MANIFEST_DIR".as_ref()));
/// assert!(set_by_cargo_run("CARGO_PKG_VERSION_MAJOR".as_ref()));
/// assert!(!set_by_cargo_run("CARGO_TARGET_DIR".as_ref()));
/// assert!(!set_by_cargo_run("CARGO".as_ref()));
/// ```
pub fn set_by_cargo_run(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    const NAMES: &[&str] = &[
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    const PREFIXES: &[&str] = &["CARGO_PKG_", "CARGO_BIN_EXE_"];
    NAMES.contains(&name) || PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

/// `cargo` (the one that runs this program, from `CARGO`, else the one on `PATH`), without the
/// variables [`set_by_cargo_run`] names.
///
/// ```
/// let command = xtask::commands::cargo_env::cargo();
/// assert!(command.get_program().to_string_lossy().contains("cargo"));
/// ```
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    without_cargo_run_env(&mut command);
    command
}

/// Removes from `command`'s environment every variable of this process that
/// [`set_by_cargo_run`] names, so that the cargo it is, or that it starts, sees the environment
/// of a shell.
///
/// ```
/// let mut command = std::process::Command::new("xtask");
/// xtask::commands::cargo_env::without_cargo_run_env(&mut command);
/// ```
pub fn without_cargo_run_env(command: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if set_by_cargo_run(&name) {
            command.env_remove(name);
        }
    }
    command
}
