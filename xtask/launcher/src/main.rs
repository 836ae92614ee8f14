//! `cargo xtask ...` (see `.cargo/config.toml`): builds the xtask and runs it, after making sure
//! cargo can load the workspace.
//!
//! The xtask is built with `--workspace --examples --bin xtask`: its dependencies' features are
//! then resolved as `cargo test --workspace` resolves them (asking for examples brings the
//! dev-dependencies in; the workspace has none to build), so the tests reuse what `cargo xtask`
//! built instead of compiling typify, progenitor and the rest again with other features.
//!
//! A generated crate (`crates/generated/<id>/`) that is missing, or whose `Cargo.toml` is broken
//! or hand-edited into something cargo refuses, makes the whole workspace unloadable, and with it
//! the xtask that would write that crate again. So when `cargo metadata` fails on such a crate,
//! the launcher writes a placeholder manifest there (the folder belongs to the xtask anyway),
//! builds the xtask (adding to a placeholder each feature cargo says another crate asks of it),
//! puts `Cargo.lock` back as it was, and runs it; `cargo xtask regen` then
//! replaces the placeholders with the real crates, or removes them when no provider names them.
//! A failure that names no generated crate is reported as cargo reported it.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The environment of the cargo and the xtask this starts: without the variables `cargo run`
/// gave the launcher (shared with the xtask, which starts cargo the same way).
#[path = "../../src/commands/cargo_env.rs"]
mod cargo_env;

/// At most this many placeholders (one per failing crate) before giving up.
const MAX_REPAIRS: usize = 256;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let lock = std::fs::read(root.join("Cargo.lock")).ok();
    let mut repaired = Vec::new();
    loop {
        let output = cargo_env::cargo()
            .args(["metadata", "--no-deps", "--format-version", "1", "--quiet"])
            .current_dir(&root)
            .output();
        let output = match output {
            Ok(output) => output,
            Err(e) => {
                eprintln!("xtask launcher: cannot run {cargo}: {e}");
                return ExitCode::FAILURE;
            }
        };
        if output.status.success() {
            break;
        }
        let error = String::from_utf8_lossy(&output.stderr);
        let Some(id) = failing_crate(&error).filter(|_| repaired.len() < MAX_REPAIRS) else {
            eprint!("{error}");
            return ExitCode::FAILURE;
        };
        if repaired.contains(&id) {
            eprint!("{error}");
            eprintln!("xtask launcher: a placeholder for crates/generated/{id} did not help");
            return ExitCode::FAILURE;
        }
        if let Err(e) = placeholder(&root, &id, &[]) {
            eprintln!("xtask launcher: writing a placeholder for crates/generated/{id}: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!(
            "xtask launcher: crates/generated/{id} kept cargo from loading the workspace; a \
             placeholder manifest stands in until regen writes the crate"
        );
        repaired.push(id);
    }
    // With placeholders, Cargo.lock is put back after the build (cargo pruned what the
    // placeholders do not use) before the xtask runs, so the real crates keep their locked
    // versions. A feature another crate asks of a placeholder (the facade takes each provider
    // crate's balance feature) is added to it, and the build tried again.
    let mut features: Vec<(String, String)> = Vec::new();
    let built = loop {
        let built = build(&root, repaired.is_empty());
        let wanted = match &built {
            Ok(output) if !output.status.success() => {
                missing_feature(&String::from_utf8_lossy(&output.stderr))
                    .filter(|(id, _)| repaired.contains(id))
                    .filter(|wanted| !features.contains(wanted))
            }
            _ => None,
        };
        let Some(wanted) = wanted.filter(|_| features.len() < MAX_REPAIRS) else {
            break built;
        };
        let id = wanted.0.clone();
        features.push(wanted);
        let asked: Vec<&str> = features
            .iter()
            .filter(|(of, _)| *of == id)
            .map(|(_, feature)| feature.as_str())
            .collect();
        if let Err(e) = placeholder(&root, &id, &asked) {
            eprintln!("xtask launcher: writing a placeholder for crates/generated/{id}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !repaired.is_empty()
        && let Some(lock) = &lock
    {
        let _ = std::fs::write(root.join("Cargo.lock"), lock);
    }
    let binary = match built {
        Ok(output) if output.status.success() => {
            match executable(&String::from_utf8_lossy(&output.stdout), "xtask") {
                Some(binary) => binary,
                None => {
                    eprintln!("xtask launcher: cargo built the xtask but did not say where");
                    return ExitCode::FAILURE;
                }
            }
        }
        Ok(output) => {
            // Captured only while repairing: shown now.
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("xtask launcher: cannot run {cargo}: {e}");
            return ExitCode::FAILURE;
        }
    };
    run(cargo_env::without_cargo_run_env(&mut Command::new(binary))
        .args(&args)
        .current_dir(&root))
}

/// `cargo build` of the xtask, with the feature resolution of `cargo test --workspace` (see the
/// module's documentation). Compiler errors go to the terminal as they come, unless the
/// workspace holds placeholders (`show_errors` false): then they are captured, to be read.
fn build(root: &Path, show_errors: bool) -> std::io::Result<std::process::Output> {
    cargo_env::cargo()
        .args([
            "build",
            "--quiet",
            "--workspace",
            "--examples",
            "--bin",
            "xtask",
            // Compiler errors rendered to stderr as usual; the rest as JSON, to find the binary.
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root)
        .stderr(if show_errors {
            std::process::Stdio::inherit()
        } else {
            std::process::Stdio::piped()
        })
        .output()
}

/// The generated crate and the feature that cargo's error says a crate asks of it and it does
/// not have ("depends on `billfold-<id>` with feature `<f>` but `billfold-<id>` does not have
/// that feature").
fn missing_feature(error: &str) -> Option<(String, String)> {
    let line = error
        .lines()
        .find(|line| line.contains("does not have that feature"))?;
    let (_, rest) = line.split_once("depends on `billfold-")?;
    let (id, rest) = rest.split_once('`')?;
    let (_, rest) = rest.split_once("with feature `")?;
    let (feature, _) = rest.split_once('`')?;
    Some((id.to_owned(), feature.to_owned()))
}

/// The path of binary `bin`'s executable in cargo's JSON messages (`--message-format=json`).
fn executable(messages: &str, bin: &str) -> Option<PathBuf> {
    let name = format!("\"name\":\"{bin}\"");
    messages
        .lines()
        .filter(|line| line.contains(&name) && line.contains("\"kind\":[\"bin\"]"))
        .find_map(|line| {
            let start = line.find("\"executable\":\"")? + "\"executable\":\"".len();
            let rest = &line[start..];
            // A JSON string: ends at the first quote not escaped; `\\` and `\"` unescaped.
            let mut path = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => return Some(PathBuf::from(path)),
                    '\\' => path.push(chars.next()?),
                    other => path.push(other),
                }
            }
            None
        })
}

fn run(command: &mut Command) -> ExitCode {
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(1, 255) as u8),
        Err(e) => {
            eprintln!(
                "xtask launcher: cannot run {:?}: {e}",
                command.get_program()
            );
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the nearest folder, from the current one up, that holds this launcher
/// (`cargo xtask` runs in the folder it was typed in); else two folders above the manifest
/// this binary was built from. Not the manifest first: with a target directory shared by two
/// checkouts, the binary may have been built from the other one.
fn workspace_root() -> PathBuf {
    let here = std::env::current_dir().ok();
    here.iter()
        .flat_map(|dir| dir.ancestors())
        .find(|dir| dir.join("xtask/launcher/Cargo.toml").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .nth(2)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."))
        })
}

/// The id of the generated crate cargo's error names (`crates/generated/<id>/...`), if any.
fn failing_crate(error: &str) -> Option<String> {
    let marker = "crates/generated/";
    let start = error.find(marker)? + marker.len();
    let id: String = error[start..]
        .chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// A minimal crate cargo can load in place of `crates/generated/<id>`, with `features` (empty
/// ones) for the crates that ask for them.
fn placeholder(root: &Path, id: &str, features: &[&str]) -> std::io::Result<()> {
    let dir = root.join("crates").join("generated").join(id);
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "# placeholder written by the xtask launcher so the workspace loads; \
             `cargo xtask regen` replaces it.\n[package]\nname = \"billfold-{id}\"\n\
             version = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[features]\n{}",
            features
                .iter()
                .map(|feature| format!("{feature:?} = []\n"))
                .collect::<String>()
        ),
    )?;
    std::fs::write(
        dir.join("src").join("lib.rs"),
        "//! Placeholder written by the xtask launcher; `cargo xtask regen` replaces it.\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failing_crate_is_found_in_cargo_errors() {
        let missing = "error: failed to load manifest for workspace member `/w/crates/billfold`\n\
                       Caused by:\n  failed to read `/w/crates/generated/tavily/Cargo.toml`";
        assert_eq!(failing_crate(missing).as_deref(), Some("tavily"));
        assert_eq!(failing_crate("error: could not find `Cargo.toml`"), None);
    }

    #[test]
    fn a_feature_asked_of_a_placeholder_is_found_in_cargo_errors() {
        let error = "error: failed to select a version for `billfold-tavily`.\n    ... required by \
                     package `billfold v0.1.0 (/w/crates/billfold)`\n\npackage `billfold` depends \
                     on `billfold-tavily` with feature `billing` but `billfold-tavily` does not \
                     have that feature.\n";
        assert_eq!(
            missing_feature(error),
            Some(("tavily".to_owned(), "billing".to_owned()))
        );
        assert_eq!(missing_feature("error: could not compile `xtask`"), None);
    }

    #[test]
    fn the_executable_is_read_from_cargo_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"xtask"},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"xtask"},"executable":"/w/target/debug/x\"y\\xtask"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            executable(messages, "xtask"),
            Some(PathBuf::from(r#"/w/target/debug/x"y\xtask"#))
        );
        assert_eq!(executable(messages, "other"), None);
    }
}
