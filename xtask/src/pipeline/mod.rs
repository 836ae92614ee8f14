//! The generation pipeline for one provider: load → overlay → lower → validate → progenitor →
//! wrapper code → prettyplease → crate files. Everything happens in memory; nothing is written.

pub mod any_of;
pub mod balance_check;
pub mod bundle;
pub mod client_code;
pub mod crate_files;
pub mod degrade;
pub mod document;
pub mod event_streams;
pub mod features;
pub mod header_credentials;
pub mod lower;
pub mod merge;
pub mod open_types;
pub mod operations;
pub mod overlay;
pub mod progenitor_run;
pub mod providers;
pub mod request_bodies;
pub mod rustfmt;
pub mod samples;
pub mod servers;
pub mod string_enums;
pub mod surface;
pub mod type_names;
pub mod validate;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{SpecError, child};
use client_code::CrateCode;
use degrade::Degraded;
use operations::Skipped;
use providers::{OperationNames, PROVIDERS_FILE, ProviderEntry};
use validate::Validated;

/// One provider's generated crate, in memory.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The provider.
    pub provider: ProviderEntry,
    /// The effective spec: after overlay, lowering and normalisation.
    pub effective: Value,
    /// Files of `crates/generated/<id>/`, relative to that folder, with their contents.
    pub files: Vec<(PathBuf, String)>,
    /// The public API surface, as text.
    pub surface: String,
    /// What the generator produced (methods, types, open enums), for derived files.
    pub code: CrateCode,
    /// Operations left out, with their reasons: the overlay's skips, then the generator's.
    pub skipped: Vec<Skipped>,
    /// What the generator degraded around (left-out operations, untyped schemas).
    pub degraded: Degraded,
    /// Warnings: decisions taken by rule that a maintainer should know of.
    pub warnings: Vec<String>,
}

/// Where `cargo xtask regen` writes a provider's crate, relative to the workspace root: apart
/// from the hand-written crates, so nobody mistakes one for the other.
pub fn crate_dir(id: &str) -> PathBuf {
    Path::new("crates").join("generated").join(id)
}

/// The spec file of a provider, relative to the workspace root.
pub fn spec_path(id: &str) -> PathBuf {
    Path::new("specs").join(id).join("openapi.yaml")
}

/// The root spec file of a provider (its `spec` entry, else `openapi.yaml`), relative to the
/// workspace root.
pub fn spec_file(provider: &ProviderEntry) -> PathBuf {
    spec_files(provider).swap_remove(0)
}

/// Every spec file of a provider, relative to the workspace root, in manifest order (one for
/// most: `openapi.yaml` unless `spec` names others).
pub fn spec_files(provider: &ProviderEntry) -> Vec<PathBuf> {
    if provider.spec.is_empty() {
        return vec![spec_path(&provider.id)];
    }
    provider
        .spec
        .iter()
        .map(|file| Path::new("specs").join(&provider.id).join(file))
        .collect()
}

/// The overlay file of a provider, relative to the workspace root.
pub fn overlay_path(id: &str) -> PathBuf {
    Path::new("specs").join(id).join("overlay.yaml")
}

/// Reads and checks `specs/providers.toml`.
pub fn load_providers(root: &Path) -> Result<Vec<ProviderEntry>, SpecError> {
    let text = std::fs::read_to_string(root.join(PROVIDERS_FILE))
        .map_err(|e| SpecError::new("-", PROVIDERS_FILE, "", format!("cannot read it: {e}")))?;
    providers::parse(&text).map_err(|message| SpecError::new("-", PROVIDERS_FILE, "", message))
}

/// Largest spec or overlay file accepted. The largest public specs (Stripe's, about 6 MB)
/// fit; anything bigger is more likely a mistake than a billing API.
pub const MAX_DOCUMENT_BYTES: u64 = 16 * 1024 * 1024;

fn read_document(root: &Path, provider: &str, file: &Path) -> Result<Value, SpecError> {
    let path = root.join(file);
    let size = std::fs::metadata(&path)
        .map_err(|e| SpecError::new(provider, file, "", format!("cannot read it: {e}")))?
        .len();
    if size > MAX_DOCUMENT_BYTES {
        return Err(SpecError::new(
            provider,
            file,
            "",
            format!(
                "the file is {:.1} MiB, over the {} MiB limit: trim it to the operations the \
                 client needs (an overlay cannot shrink what must be parsed first)",
                size as f64 / (1024.0 * 1024.0),
                MAX_DOCUMENT_BYTES / (1024 * 1024)
            ),
        ));
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| SpecError::new(provider, file, "", format!("cannot read it: {e}")))?;
    document::parse(&text)
        .map_err(|e| SpecError::new(provider, file, "", e.message).at_line(e.line))
}

/// The effective spec of a provider and what validation learned from it.
pub fn effective_spec(
    root: &Path,
    provider: &ProviderEntry,
) -> Result<(Value, Validated, Vec<Skipped>), SpecError> {
    let generated = generate(root, provider)?;
    let validated = effective_from(provider, overlaid(root, provider)?, &generated.degraded)
        .map_err(|mut errors| errors.remove(0))?;
    Ok((validated.doc, validated.validated, generated.skipped))
}

/// The provider's spec (bundled from its files) with its overlay applied: what every JSON
/// pointer of a degradation refers to.
fn overlaid(root: &Path, provider: &ProviderEntry) -> Result<Value, SpecError> {
    let id = provider.id.as_str();
    let overlay_file = overlay_path(id);
    let folder = root.join("specs").join(id);
    let mut files = Vec::new();
    for spec_file in spec_files(provider) {
        let mut doc = read_document(root, id, &spec_file)?;
        bundle::bundle(&mut doc, &root.join(&spec_file), &folder);
        let name = spec_file
            .strip_prefix(Path::new("specs").join(id))
            .unwrap_or(&spec_file)
            .to_string_lossy()
            .into_owned();
        files.push((name, doc));
    }
    let merge::Merged { mut doc, warnings } = merge::merge(files);
    if !warnings.is_empty()
        && let Some(map) = doc.as_object_mut()
    {
        map.insert(MERGE_WARNINGS_KEY.to_owned(), Value::from(warnings));
    }
    if root.join(&overlay_file).exists() {
        let overlay_doc = read_document(root, id, &overlay_file)?;
        overlay::apply(&mut doc, &overlay_doc).map_err(|e| e.in_file(id, &overlay_file))?;
    }
    // Before the degradation plan's pointers are taken: a hoisted event schema is a component
    // of the base document, degraded like any other.
    crate::pipeline::event_streams::record(&mut doc);
    Ok(doc)
}

/// Where the merge of several spec files leaves its warnings on the document, for regen to
/// print (taken off before validation).
const MERGE_WARNINGS_KEY: &str = "x-billfold-merge-warnings";

/// An effective spec: the document, what validation learned, the operations the overlay
/// skips, and the warnings on the way.
struct Effective {
    doc: Value,
    validated: Validated,
    skipped: Vec<Skipped>,
    warnings: Vec<String>,
}

/// The effective spec made from `doc` (the spec after the overlay) with the degradations of
/// `plan` applied.
fn effective_from(
    provider: &ProviderEntry,
    mut doc: Value,
    plan: &Degraded,
) -> Result<Effective, Vec<SpecError>> {
    let id = provider.id.as_str();
    let spec_file = spec_file(provider);
    let overlay_file = overlay_path(id);
    plan.apply(&mut doc);
    let mut warnings: Vec<String> = doc
        .as_object_mut()
        .and_then(|map| map.remove(MERGE_WARNINGS_KEY))
        .and_then(|list| serde_json::from_value(list).ok())
        .unwrap_or_default();
    // Skipped operations go first: they need no name and may hold what cannot be lowered.
    let skipped =
        operations::take_skipped(&mut doc).map_err(|e| vec![e.in_file(id, &overlay_file)])?;
    if provider.operation_names == Some(OperationNames::FromPath) {
        for (at, name, repeated) in operations::name_from_paths(&mut doc) {
            if let Some(repeated) = repeated {
                warnings.push(format!(
                    "operationId {repeated:?} at #{at} is repeated: named {name:?} from its path"
                ));
            }
        }
    }
    for name in header_credentials::apply(&mut doc, provider.credentials.keys()) {
        warnings.push(format!(
            "the credential {name:?} is sent as the header parameter of that name, which \
             the methods no longer take"
        ));
    }
    let ignored = header_credentials::drop_negotiation_headers(&mut doc);
    if ignored > 0 {
        warnings.push(format!(
            "{ignored} operation(s) declare an `Accept` or `Content-Type` header parameter: \
             ignored, as OpenAPI says (the client sets both from the media types)"
        ));
    }
    lower::lower(&mut doc).map_err(|e| vec![e.in_file(id, &spec_file)])?;
    any_of::read_mixed_any_of_as_one_of(&mut doc);
    crate::pipeline::request_bodies::record(&mut doc);
    crate::pipeline::servers::record(&mut doc);
    let mut validated = validate::validate(&mut doc).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| e.in_file(id, &spec_file))
            .collect::<Vec<_>>()
    })?;
    check_credentials(provider, &validated).map_err(|e| vec![e])?;
    apply_credential_prefixes(provider, &mut validated).map_err(|e| vec![e])?;
    if let Some(error) = balance_check::check(provider, &doc).into_iter().next() {
        return Err(vec![error]);
    }
    Ok(Effective {
        doc,
        validated,
        skipped,
        warnings,
    })
}

/// Every scheme the operations use has an env var in providers.toml, and every env var there
/// names a scheme the spec declares.
fn check_credentials(provider: &ProviderEntry, validated: &Validated) -> Result<(), SpecError> {
    let id = provider.id.as_str();
    for scheme in &validated.schemes {
        if !provider.credentials.contains_key(&scheme.name) {
            return Err(SpecError::new(
                id,
                PROVIDERS_FILE,
                format!("/{id}/credentials"),
                format!(
                    "the spec's security scheme {:?} has no env var: add `{} = \"{}_API_KEY\"` \
                     under [{id}.credentials]",
                    scheme.name,
                    scheme.name,
                    id.to_uppercase()
                ),
            ));
        }
    }
    if let Some(stale) = provider
        .credentials
        .keys()
        .find(|name| !validated.declared_schemes.contains(*name))
    {
        return Err(SpecError::new(
            id,
            PROVIDERS_FILE,
            format!("/{id}/credentials/{stale}"),
            format!(
                "the spec declares no security scheme {stale:?} (and no operation has a header \
                 parameter of that name): remove it or fix its name"
            ),
        ));
    }
    Ok(())
}

/// `credential_prefix = { <scheme> = "<word>" }`: each named scheme must be an `apiKey` scheme
/// sent in a header, and the word one RFC 7235 token; the scheme is then sent as
/// `<header>: <word> <key>`.
fn apply_credential_prefixes(
    provider: &ProviderEntry,
    validated: &mut Validated,
) -> Result<(), SpecError> {
    let id = provider.id.as_str();
    let error = |scheme: &str, message: String| {
        SpecError::new(
            id,
            PROVIDERS_FILE,
            format!("/{id}/credential_prefix/{scheme}"),
            message,
        )
    };
    for (name, prefix) in &provider.credential_prefix {
        if !validate::is_token(prefix) {
            return Err(error(
                name,
                format!(
                    "credential_prefix {name:?} = {prefix:?}: the prefix must be one word of \
                     letters, digits or !#$%&'*+-.^_`|~ (it is sent followed by one space)"
                ),
            ));
        }
        let Some(scheme) = validated.schemes.iter_mut().find(|s| &s.name == name) else {
            return Err(error(
                name,
                format!(
                    "credential_prefix names {name:?}, which is not a security scheme any \
                     operation uses; the spec's are: {}",
                    validated
                        .schemes
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        scheme.kind = match &scheme.kind {
            validate::SchemeKind::ApiKey(validate::KeyLocation::Header, header) => {
                validate::SchemeKind::PrefixedHeader {
                    header: header.clone(),
                    prefix: prefix.clone(),
                }
            }
            other => {
                return Err(error(
                    name,
                    format!(
                        "credential_prefix applies to an `apiKey` scheme sent in a header; \
                         {name:?} is sent as `{}`: remove it from credential_prefix",
                        crate::pipeline::client_code::describe(other)
                    ),
                ));
            }
        };
    }
    Ok(())
}

/// Runs the whole pipeline for one provider, degrading locally (see [`crate::pipeline::degrade`]): a
/// problem inside a schema, an operation or a path item costs that item, recorded in
/// [`Generated::degraded`]; only a problem outside them all is an error (the first, when
/// [`problems`] would find several).
pub fn generate(root: &Path, provider: &ProviderEntry) -> Result<Generated, SpecError> {
    problems(root, provider).map_err(|mut errors| errors.remove(0))
}

/// [`generate`], reporting every problem that needs the maintainer in one run: after one
/// inside an operation (an unnamed operation, say), that operation is left out and the
/// pipeline goes on to find the next. Never returns an empty list of errors.
pub fn problems(root: &Path, provider: &ProviderEntry) -> Result<Generated, Vec<SpecError>> {
    let base = overlaid(root, provider).map_err(|e| vec![with_line(root, e)])?;
    let mut plan = Degraded::default();
    let mut errors = Vec::new();
    loop {
        let round = match generate_from(provider, &base, &plan) {
            Ok(generated) if errors.is_empty() => return Ok(generated),
            Ok(_) => return Err(errors),
            Err(round) => round,
        };
        // Every problem of the round is degraded around at once; one that cannot be ends
        // the run.
        let mut stop = false;
        if std::env::var_os("BILLFOLD_TRACE_DEGRADE").is_some() {
            for error in &round {
                eprintln!("degrade round: {error}");
            }
        }
        for error in round {
            let degradable = error.file == spec_file(provider);
            // Every name typify repeats is renamed at once (each a round otherwise).
            if degradable {
                let mut renamed_any = false;
                for name in progenitor_run::repeated_types_in(&error.message) {
                    renamed_any |= plan.rename(&base, name);
                }
                if renamed_any {
                    continue;
                }
            }
            if error.pointer == "/components" && degradable {
                // progenitor failed on the component schemas: find the ones it cannot take.
                let culprits =
                    progenitor_run::schema_culprits(&base_for_culprits(provider, &base, &plan)?);
                let before = plan.fallbacks.len();
                for (name, reason) in culprits {
                    plan.record(&base, &child("/components/schemas", &name), &reason);
                }
                if plan.fallbacks.len() == before {
                    errors.push(with_line(root, error));
                    stop = true;
                }
                continue;
            }
            let recorded = degradable && plan.record(&base, &error.pointer, &error.message);
            if error.needs_maintainer || !recorded {
                errors.push(with_line(root, error));
            }
            stop |= !recorded;
        }
        if stop {
            return Err(errors);
        }
    }
}

/// The validated spec as progenitor sees it, for finding the schemas it fails on.
fn base_for_culprits(
    provider: &ProviderEntry,
    base: &Value,
    plan: &Degraded,
) -> Result<openapiv3::OpenAPI, Vec<SpecError>> {
    effective_from(provider, base.clone(), plan).map(|effective| effective.validated.openapi)
}

/// The error with the line of its pointer, when the parser did not give one.
fn with_line(root: &Path, error: SpecError) -> SpecError {
    if error.line.is_some() || error.pointer.is_empty() {
        return error;
    }
    let line = std::fs::read_to_string(root.join(&error.file))
        .ok()
        .and_then(|text| document::line_of(&text, &error.pointer));
    error.at_line(line)
}

fn generate_from(
    provider: &ProviderEntry,
    base: &Value,
    plan: &Degraded,
) -> Result<Generated, Vec<SpecError>> {
    let id = provider.id.as_str();
    let Effective {
        doc: effective,
        validated,
        mut skipped,
        warnings,
    } = effective_from(provider, base.clone(), plan)?;
    skipped.extend(plan.skipped(base));
    let mut warnings = warnings;
    warnings.extend(plan.renamed.iter().map(|name| {
        format!("component schema {name:?} renamed {name}Schema: typify derives a type of that name from another schema")
    }));
    let output = progenitor_run::generate(&validated.openapi).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| e.in_file(id, spec_file(provider)))
            .collect::<Vec<_>>()
    })?;
    let (code, syntax) = client_code::build(provider, &validated, output)
        .map_err(|e| vec![e.in_file(id, spec_file(provider))])?;
    let title = validated.openapi.info.title.clone();
    let fallbacks = plan.fallbacks.clone();
    // Printing the code is the longest step left, and its syntax tree cannot leave this
    // thread; the other files need only what the code holds, so a second core writes them
    // meanwhile.
    let (printed, others) = std::thread::scope(|scope| {
        let others = scope.spawn(|| {
            let surface = surface::render(provider, &validated, &effective, &code, &skipped);
            crate_files::effective_spec_json(provider, &effective).map(|json| {
                let files = vec![
                    (
                        PathBuf::from("Cargo.toml"),
                        crate_files::cargo_toml(provider, &code),
                    ),
                    (
                        PathBuf::from("README.md"),
                        crate_files::readme(provider, &code, &title, &skipped, &fallbacks),
                    ),
                    // Written beside the code, so a spec change is a small reviewable diff of
                    // what users get.
                    (
                        PathBuf::from("API.md"),
                        crate_files::api_md(provider, &surface),
                    ),
                    (PathBuf::from("effective-spec.json"), json),
                ];
                (files, surface)
            })
        });
        let printed = prettyplease::unparse(&syntax);
        (printed, others.join())
    });
    let (mut files, surface) = others
        .unwrap_or_else(|_| Err("writing the crate files panicked".to_owned()))
        .map_err(|e| vec![SpecError::new(id, spec_file(provider), "", e)])?;
    files.insert(
        2,
        (
            PathBuf::from("src/lib.rs"),
            crate_files::lib_rs(provider, &printed),
        ),
    );
    Ok(Generated {
        provider: provider.clone(),
        effective,
        files,
        surface,
        code,
        skipped,
        degraded: plan.clone(),
        warnings,
    })
}

/// Runs the pipeline for every provider; returns every error, not just the first.
pub fn generate_all(root: &Path) -> Result<Vec<Generated>, Vec<SpecError>> {
    let providers = load_providers(root).map_err(|e| vec![e])?;
    let mut generated = Vec::new();
    let mut errors = Vec::new();
    for provider in &providers {
        match problems(root, provider) {
            Ok(g) => generated.push(g),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(generated)
    } else {
        Err(errors)
    }
}
