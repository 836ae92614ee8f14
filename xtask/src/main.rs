//! `cargo xtask`: see `cargo xtask help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xtask::{ingest, pipeline, regen, workspace_root};

const USAGE: &str = "\
usage: cargo xtask [--root <workspace>] <command>

commands:
  regen            regenerate crates/generated/<provider>/ from specs/ (writes nothing unless every provider succeeds)
  regen --check    regenerate in memory; exit 1 with a diff when crates/ is out of date
  ingest <provider> <docs-page>
                   extract the spec from a saved docs page (first ```yaml/```json fence, or a raw
                   YAML/JSON spec) into specs/<provider>/openapi.yaml, byte for byte
  conformance      lint the effective specs with Redocly and run every client against Prism mock
                   servers (installs the pinned npm tools in xtask/conformance with `npm ci`)
  bench [--footprint]
                   measure generation, request overhead against hand-written reqwest, fan-out,
                   and (--footprint, slower) build time, crates and binary size; writes
                   target/bench/report.json
  help             show this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = match args.as_slice() {
        ["--root", dir, ..] => {
            let root = PathBuf::from(dir);
            args.drain(..2);
            root
        }
        _ => workspace_root(),
    };
    let result = match args.as_slice() {
        ["regen"] => run_regen(&root, false),
        ["regen", "--check"] => run_regen(&root, true),
        ["ingest", provider, page] => run_ingest(&root, provider, Path::new(page)),
        ["bench"] => xtask::bench::run(&root, false).map(|table| print!("{table}")),
        ["bench", "--footprint"] => xtask::bench::run(&root, true).map(|table| print!("{table}")),
        ["conformance"] => xtask::conformance::run(&root).map(|table| print!("{table}")),
        ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(format!(
            "unknown or incomplete command: {:?}\n\n{USAGE}",
            args.join(" ")
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run_regen(root: &Path, check: bool) -> Result<(), String> {
    let start = std::time::Instant::now();
    let outcome = regen::regen(root, check)?;
    let elapsed = start.elapsed().as_millis();
    if check {
        if outcome.changed.is_empty() {
            println!(
                "generated crates are up to date ({}) [{elapsed} ms]",
                outcome.unchanged.join(", ")
            );
            Ok(())
        } else {
            Err(format!(
                "{}\ngenerated crates are out of date: {}\nrun `cargo xtask regen` locally and commit the result",
                outcome.diff,
                outcome.changed.join(", ")
            ))
        }
    } else {
        if outcome.changed.is_empty() {
            println!("nothing to do: every crate is up to date [{elapsed} ms]");
        } else {
            println!(
                "regenerated {} (unchanged: {}) [{elapsed} ms]",
                outcome.changed.join(", "),
                if outcome.unchanged.is_empty() {
                    "none".to_owned()
                } else {
                    outcome.unchanged.join(", ")
                }
            );
        }
        Ok(())
    }
}

fn run_ingest(root: &Path, provider: &str, page: &Path) -> Result<(), String> {
    if !xtask::providers::is_valid_id(provider) {
        return Err(format!(
            "provider id {provider:?} must be lower-case ASCII letters, digits and `_`"
        ));
    }
    let text = std::fs::read_to_string(page)
        .map_err(|e| format!("cannot read docs page {}: {e}", page.display()))?;
    let spec = ingest::extract_spec(&text)
        .map_err(|e| format!("{provider}: {}: {e}; nothing was written", page.display()))?;
    let target: PathBuf = root.join(pipeline::spec_path(provider));
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(&target, &spec).map_err(|e| format!("writing {}: {e}", target.display()))?;
    println!(
        "wrote {} ({} bytes) from {}\nnext: check specs/providers.toml has a [{provider}] entry, then run `cargo xtask regen`",
        pipeline::spec_path(provider).display(),
        spec.len(),
        page.display()
    );
    Ok(())
}
