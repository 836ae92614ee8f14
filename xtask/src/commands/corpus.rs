//! `cargo xtask corpus`: the generator on real published specs (`xtask/tests/real-specs/`, or
//! another folder laid out the same way with `--dir`), beside progenitor 0.15.1 as-is on the
//! same bytes.
//!
//! Each spec becomes a provider of a staging workspace (`target/corpus/workspace`): its folder
//! copied whole under `specs/<id>/` (a spec split over files keeps its layout), and a manifest
//! entry derived from the spec as a maintainer would write it (every declared security scheme
//! as a credential, `operation_names = "from-path"`, `spec` naming the root file). The pipeline
//! runs and degrades locally on its own. The derived files are staged too (a `billfold`
//! crate re-exporting every corpus crate, and the conformance client with its generated
//! dispatch). Then `cargo check` checks the whole staging workspace (in the workspace's own
//! target directory), and a table reports, per spec: operations, generated, left out, untyped
//! schemas, whether the crate compiles, generation time, and what progenitor as-is makes of
//! the same file, with whether the derived files compile.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::Value;

use crate::pipeline;
use crate::pipeline::operations::METHODS;
use crate::pipeline::{document, progenitor_run, providers};

/// Where the corpus lives, relative to the workspace root.
pub const CORPUS_DIR: &str = "xtask/tests/real-specs";
/// Where the staging workspace is made, relative to the workspace root.
const STAGING: &str = "target/corpus/workspace";
/// The conformance client's harness, a module of the client here and a crate of the staging
/// workspace.
const HARNESS: &str = "tests/conformance_harness.rs";
/// Where the staging workspace keeps each spec's conformance dispatch crate.
const DISPATCH_DIR: &str = "crates/conformance-dispatch";
/// Its target directory: the workspace's own, so dependencies already checked (by clippy, say)
/// are not checked again.
const TARGET: &str = "target";

/// One spec of the corpus and what became of it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Folder name.
    pub folder: String,
    /// Provider id in the staging workspace.
    pub id: String,
    /// The `openapi` version.
    pub version: String,
    /// Operations in the spec.
    pub operations: usize,
    /// Operations generated.
    pub generated: usize,
    /// Skipped operations: (METHOD path, reason).
    pub skipped: Vec<(String, String)>,
    /// Schemas typed as `serde_json::Value` because the generator could not type them.
    pub fallbacks: usize,
    /// Why nothing was generated, when the spec failed as a whole.
    pub failed: Option<String>,
    /// Generation time of the final run, in milliseconds.
    pub generation_ms: f64,
    /// `cargo check` errors in its crate (`None` when not checked).
    pub compile_errors: Option<usize>,
    /// `cargo check` warnings in its crate.
    pub compile_warnings: usize,
    /// progenitor 0.15.1 with default settings on the same bytes.
    pub progenitor: String,
}

/// Runs the corpus (or the specs of `dir`, laid out the same way) and returns the table (and
/// writes `target/corpus/report.json`).
pub fn run(root: &Path, dir: Option<&Path>) -> Result<String, String> {
    let dir = dir.map_or_else(|| root.join(CORPUS_DIR), Path::to_path_buf);
    let started = Instant::now();
    let (staging, mut outcomes) = stage(root, &dir)?;
    let staged = started.elapsed();
    let derived_counts = check_crates(root, &staging, &mut outcomes)?;
    let checked = started.elapsed() - staged;
    let report = serde_json::to_string_pretty(&report_json(&outcomes)).unwrap_or_default();
    let _ = fs::write(root.join("target/corpus/report.json"), report);
    let derived = match derived_counts {
        Some((0, 0)) => "compile without a warning".to_owned(),
        Some((0, warnings)) => format!("compile, with {warnings} warning(s)"),
        Some((errors, _)) => format!("do NOT compile ({errors} errors)"),
        None => "were not checked (a crate they depend on does not compile)".to_owned(),
    };
    Ok(format!(
        "{}\nDerived files (the conformance client and its dispatch over every generated \
         operation): {derived}.\nGenerating (with progenitor as-is beside it) took {:.0} s, \
         `cargo check` {:.0} s.\n",
        table(&outcomes),
        staged.as_secs_f64(),
        checked.as_secs_f64()
    ))
}

/// Makes the staging workspace and generates every spec into it (skipping what fails, as
/// recorded in its overlay); returns the staging root and the outcomes, not yet compiled.
pub fn stage(root: &Path, specs_dir: &Path) -> Result<(PathBuf, Vec<Outcome>), String> {
    let specs = corpus_specs(specs_dir)?;
    let staging = root.join(STAGING);
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| format!("clearing {STAGING}: {e}"))?;
    }
    fs::create_dir_all(staging.join("specs")).map_err(|e| format!("creating {STAGING}: {e}"))?;
    let mut manifest = String::new();
    let mut prepared = Vec::new();
    for (folder, file) in &specs {
        let bytes = fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut doc =
            document::parse(&bytes).map_err(|e| format!("{}: {}", file.display(), e.message))?;
        let id = folder.replace(['-', '.'], "_");
        let dir = staging.join("specs").join(&id);
        // The whole folder, so that a spec split over files keeps its layout.
        let source = specs_dir.join(folder);
        // Operations are counted in the bundled document (path items may be `$ref`s).
        crate::pipeline::bundle::bundle(&mut doc, file, &source);
        copy_tree(&source, &dir).map_err(|e| format!("{id}: copying {}: {e}", source.display()))?;
        let _ = fs::remove_file(dir.join("PROVENANCE.toml"));
        let relative = file
            .strip_prefix(&source)
            .map_err(|_| format!("{id}: the spec file is outside its folder"))?;
        manifest.push_str(&manifest_entry(&id, &doc, &relative.to_string_lossy()));
        prepared.push((folder.clone(), id, doc));
    }
    fs::write(staging.join(providers::PROVIDERS_FILE), &manifest)
        .map_err(|e| format!("writing the staging manifest: {e}"))?;
    let entries = pipeline::load_providers(&staging).map_err(|e| e.to_string())?;

    // The specs are independent: each worker takes the next one until none is left.
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let done: Mutex<Vec<(usize, GenerateResult)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(prepared.len()) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(spec) = prepared.get(index) else {
                        break;
                    };
                    let result = generate_one(&staging, &entries, spec);
                    done.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((index, result));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(index, _)| *index);
    let mut outcomes = Vec::new();
    let mut generated = Vec::new();
    for (_, result) in done {
        let (outcome, made) = result?;
        generated.extend(made);
        outcomes.push(outcome);
    }
    write_derived(root, &staging, &generated)?;
    Ok((staging, outcomes))
}

/// A spec's outcome, and its generated crate when there is one.
type GenerateResult = Result<(Outcome, Option<pipeline::Generated>), String>;

/// Generates one staged spec (`(folder, id, bundled document)`) and records what came out.
fn generate_one(
    staging: &Path,
    entries: &[providers::ProviderEntry],
    (folder, id, doc): &(String, String, Value),
) -> GenerateResult {
    let provider = entries
        .iter()
        .find(|p| &p.id == id)
        .ok_or_else(|| format!("{id}: not in the staging manifest"))?;
    let mut outcome = Outcome {
        folder: folder.clone(),
        id: id.clone(),
        version: doc["openapi"].as_str().unwrap_or("?").to_owned(),
        operations: count_operations(doc),
        generated: 0,
        skipped: Vec::new(),
        fallbacks: 0,
        failed: None,
        generation_ms: 0.0,
        compile_errors: None,
        compile_warnings: 0,
        progenitor: progenitor_as_is(doc),
    };
    let made = generate_with_skips(staging, provider, &mut outcome)?;
    Ok((outcome, made))
}

/// (folder, spec file) of every corpus entry, from its `PROVENANCE.toml`.
fn corpus_specs(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let shown = dir.display();
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("{shown}: {e}"))? {
        let path = entry.map_err(|e| format!("{shown}: {e}"))?.path();
        let provenance = path.join("PROVENANCE.toml");
        if !provenance.exists() {
            continue;
        }
        let text = fs::read_to_string(&provenance)
            .map_err(|e| format!("{}: {e}", provenance.display()))?;
        let table: toml::Table =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", provenance.display()))?;
        let file = table
            .get("file")
            .and_then(|f| f.as_str())
            .ok_or_else(|| format!("{}: no `file`", provenance.display()))?;
        let folder = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((folder, path.join(file)));
    }
    out.sort();
    Ok(out)
}

/// A manifest entry for a corpus spec, as a maintainer would write it from the spec: every
/// declared security scheme as a credential, and `operation_names = "from-path"`.
fn manifest_entry(id: &str, doc: &Value, spec: &str) -> String {
    let upper = id.to_uppercase();
    let mut out = format!(
        "[{id}]\ncrate = \"billfold-{id}\"\nname = \"{id}\"\nbase_url_env = \"{upper}_BASE_URL\"\noperation_names = \"from-path\"\nspec = {spec:?}\n\n[{id}.credentials]\n"
    );
    let declared = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    for (index, name) in declared.into_iter().flat_map(|m| m.keys()).enumerate() {
        let _ = writeln!(out, "{name:?} = \"{upper}_KEY_{index}\"");
    }
    out.push('\n');
    out
}

/// Copies the files under `from` to `to`, keeping the layout.
pub(crate) fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn count_operations(doc: &Value) -> usize {
    doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
        .sum()
}

fn progenitor_as_is(doc: &Value) -> String {
    match serde_json::from_value::<openapiv3::OpenAPI>(doc.clone()) {
        Err(error) => format!("refuses: {}", short(&error.to_string())),
        Ok(spec) => match progenitor_run::generate_as_is(&spec) {
            Ok(methods) => format!("{methods} methods"),
            Err(error) => format!("fails: {}", short(&error)),
        },
    }
}

/// Runs the pipeline (which degrades locally on its own), writes the crate and records what
/// it made.
fn generate_with_skips(
    staging: &Path,
    provider: &providers::ProviderEntry,
    outcome: &mut Outcome,
) -> Result<Option<pipeline::Generated>, String> {
    let started = Instant::now();
    match pipeline::generate(staging, provider) {
        Ok(generated) => {
            outcome.generation_ms = started.elapsed().as_secs_f64() * 1e3;
            // Operations, not methods: a streaming operation that also returns JSON has two.
            outcome.generated = generated
                .code
                .methods
                .iter()
                .map(|m| &m.operation_id)
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            outcome.skipped = generated
                .skipped
                .iter()
                .map(|s| (format!("{} {}", s.method, s.path), s.reason.clone()))
                .collect();
            outcome.fallbacks = generated.degraded.fallbacks.len();
            write_crate(staging, &generated)?;
            Ok(Some(generated))
        }
        Err(error) => {
            outcome.failed = Some(short(&error.to_string()));
            Ok(None)
        }
    }
}

/// The files derived from every generated crate, as regen derives them for the providers,
/// over the corpus: a `billfold` crate re-exporting each corpus crate (as the facade does), and
/// the conformance client (the harness `tests/conformance_harness.rs`, each spec's generated
/// dispatch as a crate, a `main` over them), so that `cargo check` proves the derived code
/// compiles for every spec.
fn write_derived(
    root: &Path,
    staging: &Path,
    generated: &[pipeline::Generated],
) -> Result<(), String> {
    let write = |relative: &str, text: &str| {
        let path = staging.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let mut facade_toml = String::from(
        "[package]\nname = \"billfold\"\nversion.workspace = true\nedition.workspace = true\npublish = false\n\n[dependencies]\nbillfold-runtime.workspace = true\n",
    );
    let mut facade_lib = String::from(
        "//! The corpus crates, as the billfold facade re-exports providers.\npub use billfold_runtime as runtime;\n",
    );
    for g in generated {
        let id = &g.provider.id;
        let _ = writeln!(
            facade_toml,
            "billfold-{id} = {{ path = \"../generated/{id}\" }}"
        );
        let _ = writeln!(facade_lib, "pub use billfold_{id} as {id};");
    }
    write("crates/billfold/Cargo.toml", &facade_toml)?;
    write("crates/billfold/src/lib.rs", &facade_lib)?;
    // The conformance client: its harness, each spec's dispatch as a crate of its own (checked
    // as soon as that spec's crate is, beside the others: in one crate after the last of them,
    // its check took 45 s on one core), and a `main` choosing among them.
    let harness = fs::read_to_string(root.join(HARNESS)).map_err(|e| format!("{HARNESS}: {e}"))?;
    write(
        "crates/conformance-harness/Cargo.toml",
        "[package]\nname = \"corpus-conformance-harness\"\nversion.workspace = true\nedition.workspace = true\npublish = false\n\n[lib]\nname = \"conformance_harness\"\npath = \"lib.rs\"\n\n[dependencies]\nbillfold-runtime.workspace = true\nserde_json.workspace = true\nserde.workspace = true\nfutures.workspace = true\n",
    )?;
    write("crates/conformance-harness/lib.rs", &harness)?;
    let mut client_toml = String::from(
        "[package]\nname = \"corpus-conformance\"\nversion.workspace = true\nedition.workspace = true\npublish = false\n\n[[bin]]\nname = \"conformance-client\"\npath = \"conformance_client.rs\"\n\n[dependencies]\ncorpus-conformance-harness = { path = \"../conformance-harness\" }\ntokio = { workspace = true, features = [\"macros\", \"rt\"] }\n",
    );
    let mut client = String::from(
        "// generated by `cargo xtask corpus`; do not edit.\n//! The corpus's conformance client: the harness, over each spec's dispatch crate.\n\n\
         use conformance_harness::Operations;\n\n\
         fn operations(provider: &str) -> Option<Operations> {\n    match provider {\n",
    );
    for g in generated {
        let id = &g.provider.id;
        let dir = format!("{DISPATCH_DIR}/{id}-dispatch");
        write(
            &format!("{dir}/Cargo.toml"),
            &format!(
                "[package]\nname = \"corpus-conformance-dispatch-{id}\"\nversion.workspace = true\nedition.workspace = true\npublish = false\n\n[lib]\nname = \"dispatch_{id}\"\npath = \"lib.rs\"\n\n[dependencies]\ncorpus-conformance-harness = {{ path = \"../../conformance-harness\" }}\nbillfold-runtime.workspace = true\nbillfold-{id} = {{ path = \"../../generated/{id}\" }}\nserde_json.workspace = true\nuuid.workspace = true\nchrono.workspace = true\n"
            ),
        )?;
        write(
            &format!("{dir}/lib.rs"),
            &crate::derived::conformance_code::render_crate(g),
        )?;
        let _ = writeln!(
            client_toml,
            "dispatch_{id} = {{ package = \"corpus-conformance-dispatch-{id}\", path = \"../../{dir}\" }}"
        );
        let _ = writeln!(
            client,
            "        {id:?} => Some(dispatch_{id}::operations()),"
        );
    }
    client.push_str(
        "        _ => None,\n    }\n}\n\n#[tokio::main(flavor = \"current_thread\")]\nasync fn main() -> std::process::ExitCode {\n    conformance_harness::run_client(operations).await\n}\n",
    );
    write("crates/conformance/Cargo.toml", &client_toml)?;
    write("crates/conformance/conformance_client.rs", &client)
}

fn write_crate(staging: &Path, generated: &pipeline::Generated) -> Result<(), String> {
    let dir = staging.join(pipeline::crate_dir(&generated.provider.id));
    for (relative, contents) in &generated.files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes the staging workspace's `Cargo.toml` (this workspace's package fields and pinned
/// dependencies, the runtime by absolute path), runs `cargo check` on it, and counts each
/// crate's errors.
/// Returns the errors and warnings in the derived crates (`None`: not checked, because a
/// corpus crate they depend on failed).
fn check_crates(
    root: &Path,
    staging: &Path,
    outcomes: &mut [Outcome],
) -> Result<Option<(usize, usize)>, String> {
    if outcomes.iter().all(|o| o.failed.is_some()) {
        // No crate to check (the workspace's member glob would match nothing).
        return Ok(None);
    }
    write_workspace(root, staging, &[])?;

    let output = crate::commands::cargo_env::cargo()
        .args([
            "check",
            "--workspace",
            "--keep-going",
            "--message-format=json",
        ])
        .env("CARGO_TARGET_DIR", root.join(TARGET))
        .current_dir(staging)
        .output()
        .map_err(|e| format!("running cargo check: {e}"))?;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut warnings: BTreeMap<String, usize> = BTreeMap::new();
    let mut derived_checked = false;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let package = message["package_id"].as_str().unwrap_or_default();
        // The client checked: every dispatch crate below it was.
        if message["reason"] == "compiler-artifact"
            && message["target"]["name"] == "conformance-client"
        {
            derived_checked = true;
        }
        if message["reason"] == "compiler-message" {
            let level = &message["message"]["level"];
            // The summary lines ("generated N warnings") have no span: not counted.
            let counted = message["message"]["spans"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            if level == "error" {
                *errors.entry(package.to_owned()).or_default() += 1;
            } else if level == "warning" && counted {
                *warnings.entry(package.to_owned()).or_default() += 1;
            }
        }
    }
    for outcome in outcomes.iter_mut().filter(|o| o.failed.is_none()) {
        let name = format!("billfold-{}", outcome.id);
        let of_this = |counts: &BTreeMap<String, usize>| -> usize {
            counts
                .iter()
                .filter(|(package, _)| {
                    package.contains(&format!("#{name}@"))
                        || package.contains(&format!("/{}#", outcome.id))
                })
                .map(|(_, n)| *n)
                .sum()
        };
        outcome.compile_errors = Some(of_this(&errors));
        outcome.compile_warnings = of_this(&warnings);
    }
    if !output.status.success() && errors.is_empty() {
        return Err(format!(
            "cargo check failed before compiling the generated crates:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let derived = |counts: &BTreeMap<String, usize>| -> usize {
        counts
            .iter()
            .filter(|(package, _)| package.contains("corpus-conformance"))
            .map(|(_, n)| *n)
            .sum()
    };
    let derived_errors = derived(&errors);
    Ok((derived_checked || derived_errors > 0).then_some((derived_errors, derived(&warnings))))
}

/// Writes the staging workspace's `Cargo.toml` and `Cargo.lock`: this workspace's package
/// fields, profiles, pinned dependencies (the runtime by absolute path) and lockfile, with the
/// corpus crates, the re-export crate and the conformance client as members.
pub fn write_workspace(root: &Path, staging: &Path, extra_members: &[&str]) -> Result<(), String> {
    let dispatch = format!("{DISPATCH_DIR}/*");
    // The dispatch crates' folder exists when a spec generated.
    let dispatch = staging
        .join(DISPATCH_DIR)
        .is_dir()
        .then_some(dispatch.as_str());
    let members: Vec<&str> = [
        "crates/generated/*",
        "crates/billfold",
        "crates/conformance-harness",
        "crates/conformance",
    ]
    .into_iter()
    .chain(dispatch)
    .chain(extra_members.iter().copied())
    .collect();
    write_workspace_of(root, staging, &members)
}

/// A staging workspace's `Cargo.toml` and `Cargo.lock` as [`write_workspace`] writes them, with
/// only `members`.
pub fn write_workspace_of(root: &Path, staging: &Path, members: &[&str]) -> Result<(), String> {
    let main: toml::Table = toml::from_str(
        &fs::read_to_string(root.join("Cargo.toml")).map_err(|e| format!("Cargo.toml: {e}"))?,
    )
    .map_err(|e| format!("Cargo.toml: {e}"))?;
    let workspace = main
        .get("workspace")
        .and_then(|w| w.as_table())
        .ok_or("Cargo.toml has no [workspace]")?;
    let mut dependencies = workspace
        .get("dependencies")
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default();
    let runtime = root.join("crates/runtime");
    dependencies.insert(
        "billfold-runtime".into(),
        toml::Value::Table(toml::Table::from_iter([(
            "path".to_owned(),
            toml::Value::String(runtime.display().to_string()),
        )])),
    );
    let mut staged = toml::Table::new();
    let mut ws = toml::Table::new();
    ws.insert("resolver".into(), toml::Value::String("3".into()));
    ws.insert(
        "members".into(),
        toml::Value::Array(
            members
                .iter()
                .map(|member| toml::Value::String((*member).into()))
                .collect(),
        ),
    );
    if let Some(package) = workspace.get("package") {
        ws.insert("package".into(), package.clone());
    }
    ws.insert("dependencies".into(), toml::Value::Table(dependencies));
    staged.insert("workspace".into(), toml::Value::Table(ws));
    if let Some(profile) = main.get("profile") {
        staged.insert("profile".into(), profile.clone());
    }
    fs::write(
        staging.join("Cargo.toml"),
        toml::to_string(&staged).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("staging Cargo.toml: {e}"))?;
    // The workspace's own lockfile, so that the staging workspace resolves to the versions
    // already downloaded and checked (cargo adds the staged members): resolved afresh, it took
    // newer releases of 19 dependencies and checked them all again.
    fs::copy(root.join("Cargo.lock"), staging.join("Cargo.lock"))
        .map_err(|e| format!("staging Cargo.lock: {e}"))?;
    Ok(())
}

fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut out: String = line.chars().take(400).collect();
    if line.chars().count() > 400 {
        out.push('…');
    }
    out
}

fn report_json(outcomes: &[Outcome]) -> Value {
    Value::Array(
        outcomes
            .iter()
            .map(|o| {
                serde_json::json!({
                    "spec": o.folder, "openapi": o.version, "operations": o.operations,
                    "generated": o.generated, "skipped": o.skipped, "untyped_schemas": o.fallbacks,
                    "failed": o.failed,
                    "generation_ms": o.generation_ms, "compile_errors": o.compile_errors,
                    "compile_warnings": o.compile_warnings,
                    "progenitor_as_is": o.progenitor,
                })
            })
            .collect(),
    )
}

/// The Markdown table and the skip reasons.
pub fn table(outcomes: &[Outcome]) -> String {
    let mut out = String::from(
        "| spec | openapi | operations | generated | skipped | untyped schemas | compiles | generation | progenitor 0.15.1 as-is |\n\
         | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | --- |\n",
    );
    let (mut ops, mut generated, mut compiling, mut fallbacks) = (0, 0, 0, 0);
    for o in outcomes {
        ops += o.operations;
        generated += o.generated;
        fallbacks += o.fallbacks;
        let compiles = match (&o.failed, o.compile_errors) {
            (Some(_), _) => "no crate".to_owned(),
            (None, Some(0)) => {
                compiling += o.generated;
                match o.compile_warnings {
                    0 => "yes".to_owned(),
                    n => format!("yes ({n} warnings)"),
                }
            }
            (None, Some(n)) => format!("no ({n} errors)"),
            (None, None) => "not checked".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {compiles} | {:.0} ms | {} |",
            o.folder,
            o.version,
            o.operations,
            o.generated,
            o.skipped.len(),
            o.fallbacks,
            o.generation_ms,
            o.progenitor.replace('|', "\\|")
        );
    }
    let _ = writeln!(
        out,
        "| **all** | | {ops} | {generated} | {} | {fallbacks} | {compiling} of {ops} operations generated and compiling ({:.1}%) | | |",
        ops - generated,
        if ops == 0 {
            0.0
        } else {
            100.0 * compiling as f64 / ops as f64
        }
    );
    for o in outcomes {
        if let Some(failed) = &o.failed {
            let _ = writeln!(out, "\n{}: nothing generated: {failed}", o.folder);
        }
        if o.skipped.is_empty() {
            continue;
        }
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, reason) in &o.skipped {
            let reason = reason
                .strip_prefix("left out by the generator: ")
                .unwrap_or(reason);
            let key = reason.split(':').next().unwrap_or(reason);
            *reasons.entry(key).or_default() += 1;
        }
        let _ = writeln!(out, "\n{} skipped:", o.folder);
        for (reason, count) in reasons {
            let _ = writeln!(out, "  {count} × {reason}");
        }
    }
    out
}
