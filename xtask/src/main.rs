//! `cargo xtask`: billfold's generator and maintenance tasks (`cargo xtask --help`).
//!
//! Every command returns a message with its context (provider, file, JSON pointer, what to do);
//! this is the one place it is printed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::commands::{ingest, regen};
use xtask::{pipeline, workspace_root};

/// billfold's generator: turns specs/ into typed client crates, and checks and measures them.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    /// The workspace to work on (default: the one this xtask belongs to).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate crates/generated/<provider>/ and the files derived from specs/providers.toml.
    ///
    /// Writes nothing unless every provider generates; an interrupted regen is finished by the
    /// next one.
    Regen {
        /// Regenerate in memory only; exit 1 with a diff when anything is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Extract a provider's spec from a docs page, a spec file or a URL into
    /// specs/<provider>/openapi.yaml.
    ///
    /// Takes the first ```yaml/```json fence (or a raw YAML/JSON spec), byte for byte. With
    /// `--all`, refreshes every provider that has a `spec_url` in specs/providers.toml and says
    /// which specs changed.
    Ingest {
        /// The provider id (lower-case ASCII letters, digits and `_`).
        #[arg(required_unless_present = "all")]
        provider: Option<String>,
        /// A saved docs page, a spec file, or an http(s) URL of either.
        #[arg(required_unless_present = "all")]
        source: Option<String>,
        /// Refresh every provider with a `spec_url` from that URL.
        #[arg(long, conflicts_with_all = ["provider", "source"])]
        all: bool,
    },
    /// Check every generated crate with no feature, and each feature of a crate of several
    /// alone, failing on any warning.
    Features,
    /// Lint the effective specs with Redocly and run every client against Prism mock servers.
    ///
    /// Installs the pinned npm tools in xtask/conformance with `npm ci` when missing.
    Conformance {
        /// Instead of the providers, call every generated operation of the corpus specs (or of
        /// `--dir`) against Prism; prints how many were sent and decoded ok.
        #[arg(long)]
        corpus: bool,
        /// With `--corpus`: another folder of specs laid out as xtask/tests/real-specs/.
        #[arg(long, requires = "corpus")]
        dir: Option<PathBuf>,
    },
    /// Generate every real published spec of xtask/tests/real-specs/ and `cargo check` it.
    ///
    /// Prints a table (operations, generated, skipped with reasons, compiles, generation time)
    /// beside progenitor 0.15.1 as-is on the same bytes; writes target/corpus/report.json.
    Corpus {
        /// Another folder of specs laid out the same way (one folder per spec with its
        /// PROVENANCE.toml), such as a hold-out set the generator was not tuned on.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Measure generation, request overhead against hand-written reqwest, and fan-out.
    ///
    /// Writes target/bench/report.json.
    Bench {
        /// Also clean-build two scratch crates (build time, crates, binary size; slower).
        #[arg(long)]
        footprint: bool,
        /// Only the generated crate's build beside progenitor's own output (a few minutes).
        #[arg(long, conflicts_with = "footprint")]
        generated_build: bool,
        /// Only the compile budget of whole APIs: the CLI's clean release build against an
        /// earlier commit's, and billfold-anchor's features against its one-operation crate
        /// and progenitor's output (about 15 minutes).
        #[arg(long, conflicts_with_all = ["footprint", "generated_build"])]
        compile_budget: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.unwrap_or_else(workspace_root);
    let result = match cli.command {
        Command::Regen { check } => run_regen(&root, check),
        Command::Ingest { all: true, .. } => run_ingest_all(&root),
        Command::Ingest {
            provider: Some(provider),
            source: Some(source),
            ..
        } => run_ingest(&root, &provider, &source),
        Command::Ingest { .. } => Err("give a provider and a source, or --all".to_owned()),
        Command::Bench {
            generated_build: true,
            ..
        } => xtask::commands::bench::run_generated_build(&root).map(|table| print!("{table}")),
        Command::Bench {
            compile_budget: true,
            ..
        } => xtask::commands::bench::run_compile_budget(&root).map(|table| print!("{table}")),
        Command::Bench { footprint, .. } => {
            xtask::commands::bench::run(&root, footprint).map(|table| print!("{table}"))
        }
        Command::Features => {
            xtask::commands::features::run(&root).map(|summary| print!("{summary}"))
        }
        Command::Conformance { corpus: false, .. } => {
            xtask::commands::conformance::run(&root).map(|table| print!("{table}"))
        }
        Command::Conformance { corpus: true, dir } => {
            xtask::commands::conformance::run_corpus(&root, dir.as_deref())
                .map(|table| print!("{table}"))
        }
        Command::Corpus { dir } => {
            xtask::commands::corpus::run(&root, dir.as_deref()).map(|table| print!("{table}"))
        }
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
    if !outcome.api_changes.is_empty() {
        println!("API changes for users of the generated crates:");
        for line in &outcome.api_changes {
            println!("  {line}");
        }
    }
    let sections = [
        (
            "operation(s) left out (README: Skipped operations)",
            &outcome.skipped,
        ),
        (
            "schema(s) typed as serde_json::Value (README: Untyped schemas)",
            &outcome.fallbacks,
        ),
        ("warning(s)", &outcome.warnings),
    ];
    for (title, lines) in sections {
        if !lines.is_empty() {
            println!("{} {title}:", lines.len());
            for line in lines {
                println!("  {line}");
            }
        }
    }
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

/// The text of a docs page or spec: a local file, or an http(s) URL.
fn read_source(source: &str) -> Result<String, String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        xtask::commands::ingest::download(source)
    } else {
        std::fs::read_to_string(source).map_err(|e| format!("cannot read {source}: {e}"))
    }
}

fn run_ingest(root: &Path, provider: &str, source: &str) -> Result<(), String> {
    if !xtask::pipeline::providers::is_valid_id(provider) {
        return Err(format!(
            "provider id {provider:?} must be lower-case ASCII letters, digits and `_`"
        ));
    }
    let text = read_source(source)?;
    let spec = ingest::extract_spec(&text)
        .map_err(|e| format!("{provider}: {source}: {e}; nothing was written"))?;
    let target: PathBuf = root.join(pipeline::spec_path(provider));
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    std::fs::write(&target, &spec).map_err(|e| format!("writing {}: {e}", target.display()))?;
    println!(
        "wrote {} ({} bytes) from {source}\nnext: check specs/providers.toml has a [{provider}] entry, then run `cargo xtask regen`",
        pipeline::spec_path(provider).display(),
        spec.len(),
    );
    Ok(())
}

/// Refreshes every provider with a `spec_url`; all are fetched before any is written.
fn run_ingest_all(root: &Path) -> Result<(), String> {
    let providers = pipeline::load_providers(root).map_err(|e| e.to_string())?;
    let mut fetched = Vec::new();
    for provider in &providers {
        for (url, file) in provider.spec_url.iter().zip(pipeline::spec_files(provider)) {
            if url.is_empty() {
                continue;
            }
            let text = read_source(url)
                .map_err(|e| format!("{}: {e}; nothing was written", provider.id))?;
            let spec = ingest::extract_spec(&text)
                .map_err(|e| format!("{}: {url}: {e}; nothing was written", provider.id))?;
            fetched.push((provider.id.clone(), url.to_owned(), file, spec));
        }
    }
    if fetched.is_empty() {
        println!("no provider has a spec_url in specs/providers.toml: nothing to refresh");
        return Ok(());
    }
    let mut changed = Vec::new();
    for (id, url, file, spec) in &fetched {
        let target = root.join(file);
        let current = std::fs::read_to_string(&target).unwrap_or_default();
        if current == *spec {
            println!("unchanged: {id} ({url})");
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        std::fs::write(&target, spec).map_err(|e| format!("writing {}: {e}", target.display()))?;
        println!("changed: {id} ({} bytes from {url})", spec.len());
        changed.push(id.clone());
    }
    if !changed.is_empty() {
        println!("next: run `cargo xtask regen` and review what it says changed for users");
    }
    Ok(())
}
