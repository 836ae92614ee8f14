//! Running progenitor so that neither its errors nor its panics escape unlocated.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::quote;

use crate::error::{Located, child};

thread_local! {
    /// Set while this thread runs progenitor: its panics are captured, not printed.
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static CAPTURED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Which optional crates the generated code needs, as progenitor and typify report it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// `chrono` (date and date-time formats).
    pub chrono: bool,
    /// `uuid` (the uuid format).
    pub uuid: bool,
    /// `regress` (string patterns).
    pub regress: bool,
    /// `futures` (streaming bodies).
    pub futures: bool,
}

impl Usage {
    /// The optional crates used, by their names in the workspace's dependencies.
    pub fn crates(self) -> impl Iterator<Item = &'static str> {
        [
            (self.chrono, "chrono"),
            (self.futures, "futures"),
            (self.regress, "regress"),
            (self.uuid, "uuid"),
        ]
        .into_iter()
        .filter_map(|(used, name)| used.then_some(name))
    }
}

/// progenitor's output for a spec, and what it needs to compile.
#[derive(Clone)]
pub struct Output {
    /// The generated code, parsed once (every later step works on this tree).
    pub file: syn::File,
    /// The optional crates it uses.
    pub usage: Usage,
}

/// Generates the client code for `spec`. A failure is located at every operation that fails
/// on its own (each generated alone), or at `/components` when none does.
pub fn generate(spec: &openapiv3::OpenAPI) -> Result<Output, Vec<Located>> {
    match generate_once(spec) {
        Ok(output) => Ok(output),
        Err(message) => Err(locate(spec)
            .into_iter()
            .map(|(pointer, own)| {
                Located::new(
                    pointer,
                    format!(
                        "progenitor cannot generate this: {}",
                        own.unwrap_or_else(|| message.clone())
                    ),
                )
            })
            .collect()),
    }
}

fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote!(billfold_runtime::Runtime))
        .with_hooks(HooksMode::Expected)
        .with_derive("PartialEq");
    settings
}

/// progenitor (with billfold's settings) and prettyplease alone on `spec`: the printed code,
/// for comparing the cost of the whole pipeline with theirs (`cargo xtask bench`).
pub fn progenitor_and_prettyplease(spec: &openapiv3::OpenAPI) -> Result<String, String> {
    let output = generate_once(spec)?;
    Ok(prettyplease::unparse(&output.file))
}

/// progenitor as a user would run it, with its default settings, on `spec`: the number of
/// client methods it generates, or its error or panic. For comparisons (`cargo xtask corpus`).
pub fn generate_as_is(spec: &openapiv3::OpenAPI) -> Result<usize, String> {
    with_captured_panics(|| {
        Generator::new(&GenerationSettings::new())
            .generate_tokens(spec)
            .map(|tokens| {
                let text = tokens.to_string();
                text.matches("pub async fn ").count()
            })
    })
}

/// Runs `f`, turning progenitor's errors and panics into a message.
fn with_captured_panics<T, E: std::fmt::Display>(
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, String> {
    install_hook();
    CAPTURING.with(|c| c.set(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(false));
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(payload) => {
            let captured = CAPTURED.with(|c| c.borrow_mut().take());
            let message = captured
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(format!("internal failure in progenitor ({message})"))
        }
    }
}

pub(crate) fn generate_once(spec: &openapiv3::OpenAPI) -> Result<Output, String> {
    generate_with(spec, &settings())
}

/// progenitor with its default settings, as its own users run it (a standalone client on
/// `progenitor-client`): for comparing build times (`cargo xtask bench`).
pub fn generate_as_progenitor_would(spec: &openapiv3::OpenAPI) -> Result<Output, String> {
    generate_with(spec, &GenerationSettings::new())
}

fn generate_with(
    spec: &openapiv3::OpenAPI,
    settings: &GenerationSettings,
) -> Result<Output, String> {
    with_captured_panics(|| {
        let mut generator = Generator::new(settings);
        generator.generate_tokens(spec).and_then(|tokens| {
            repeated_type_names(generator.get_type_space())?;
            let file: syn::File = syn::parse2(tokens).map_err(|e| {
                progenitor_impl::Error::InternalError(format!(
                    "progenitor produced code that does not parse: {e}"
                ))
            })?;
            let types = generator.get_type_space();
            Ok(Output {
                file,
                usage: Usage {
                    chrono: types.uses_chrono(),
                    uuid: types.uses_uuid(),
                    regress: types.uses_regress(),
                    futures: generator.uses_futures(),
                },
            })
        })
    })
}

/// What the message of a repeated type name starts with.
const REPEATED_TYPE: &str = "typify made two types named `";

/// The type names a "two types of one name" failure message names (none when it is another
/// failure).
pub fn repeated_types_in(message: &str) -> Vec<&str> {
    message
        .split(REPEATED_TYPE)
        .skip(1)
        .filter_map(|rest| rest.split('`').next())
        .collect()
}

/// An error naming the types typify defines twice (a component and a type it derived from
/// another schema's property), which would not compile; read from its type space, so that
/// the code need not be parsed to find them.
fn repeated_type_names(types: &typify::TypeSpace) -> Result<(), progenitor_impl::Error> {
    let mut seen = BTreeSet::new();
    let mut repeated = BTreeSet::new();
    for ty in types.iter_types() {
        let named = matches!(
            ty.details(),
            typify::TypeDetails::Struct(_)
                | typify::TypeDetails::Enum(_)
                | typify::TypeDetails::Newtype(_)
        );
        let name = ty.name();
        if named && !seen.insert(name.clone()) {
            repeated.insert(name);
        }
    }
    if repeated.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = repeated
        .iter()
        .map(|n| format!("{REPEATED_TYPE}{n}`"))
        .collect();
    Err(progenitor_impl::Error::InternalError(format!(
        "{} (a component and a type it derived from another schema's property)",
        names.join(", ")
    )))
}

/// Every operation that fails on its own, with its own message, or `/components` when the
/// spec fails without any operation (a schema progenitor or typify cannot take) or no
/// operation can be blamed.
///
/// The operations are bisected (a half that generates is cleared at once), and each trial
/// keeps only the components its operations reach, so the cost grows with the failing
/// operations, not with all of them.
fn locate(spec: &openapiv3::OpenAPI) -> Vec<(String, Option<String>)> {
    let mut bare = spec.clone();
    bare.paths.paths.clear();
    // Without operations it can fail otherwise than with them (a type name typify repeats
    // shows first): that failure is the one to degrade around first.
    if let Err(message) = generate_once(&bare) {
        return vec![("/components".to_owned(), Some(message))];
    }
    let reach = Reach::of(spec);
    let operations: Vec<(String, String)> = spec
        .paths
        .paths
        .iter()
        .filter_map(|(path, item)| Some((path, item.as_item()?)))
        .flat_map(|(path, item)| item.iter().map(move |(m, _)| (path.clone(), m.to_owned())))
        .collect();
    let mut failing = Vec::new();
    bisect(spec, &reach, &operations, None, &mut failing);
    if failing.is_empty() {
        // Only the whole fails: bisect again with every component kept, and where two halves
        // generate apart but not together, give up the second half.
        let all = |ops: &[(String, String)]| {
            let mut trial = reach.subset(spec, ops);
            trial.components = spec.components.clone();
            trial
        };
        together(&all, &operations, &mut failing);
    }
    if failing.is_empty() {
        failing.push(("/components".to_owned(), None));
    }
    failing
}

/// Finds the failing operations among `operations` (`known`: their joint failure, when it is
/// known already).
fn bisect(
    spec: &openapiv3::OpenAPI,
    reach: &Reach,
    operations: &[(String, String)],
    known: Option<String>,
    failing: &mut Vec<(String, Option<String>)>,
) {
    if operations.is_empty() {
        return;
    }
    let message = match known {
        Some(message) => message,
        None => match generate_once(&reach.subset(spec, operations)) {
            Ok(_) => return,
            Err(message) => message,
        },
    };
    if operations.len() == 1 {
        let (path, method) = &operations[0];
        failing.push((child(&child("/paths", path), method), Some(message)));
        return;
    }
    let (a, b) = operations.split_at(operations.len() / 2);
    let before = failing.len();
    bisect(spec, reach, a, None, failing);
    bisect(spec, reach, b, None, failing);
    if failing.len() == before {
        // They fail only together: none can be kept.
        for (path, method) in operations {
            failing.push((
                child(&child("/paths", path), method),
                Some(format!("{message} (with other operations)")),
            ));
        }
    }
}

/// The operations of `operations` to leave out so the rest generates, with every component
/// (see [`locate`]).
/// A trial spec made from some operations.
type Trial<'a> = dyn Fn(&[(String, String)]) -> openapiv3::OpenAPI + 'a;

fn together(
    trial: &Trial<'_>,
    operations: &[(String, String)],
    failing: &mut Vec<(String, Option<String>)>,
) {
    let Err(message) = generate_once(&trial(operations)) else {
        return;
    };
    let at = |(path, method): &(String, String)| child(&child("/paths", path), method);
    if operations.len() == 1 {
        failing.push((at(&operations[0]), Some(message)));
        return;
    }
    let (a, b) = operations.split_at(operations.len() / 2);
    let before = failing.len();
    together(trial, a, failing);
    together(trial, b, failing);
    if failing.len() == before {
        for operation in b {
            failing.push((
                at(operation),
                Some(format!("{message} (only together with other operations)")),
            ));
        }
    }
}

/// Which components each component references, to keep only what a trial needs.
pub(crate) struct Reach {
    /// `#/components/<kind>/<name>` → the components it references directly.
    edges: BTreeMap<String, Vec<String>>,
}

impl Reach {
    pub(crate) fn of(spec: &openapiv3::OpenAPI) -> Self {
        let mut edges = BTreeMap::new();
        let components = spec
            .components
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok())
            .unwrap_or_default();
        for (kind, members) in components.as_object().into_iter().flatten() {
            for (name, value) in members.as_object().into_iter().flatten() {
                let mut refs = Vec::new();
                collect_refs(value, &mut refs);
                edges.insert(format!("#/components/{kind}/{name}"), refs);
            }
        }
        Self { edges }
    }

    /// `spec` with only `operations`, and only the components they reach.
    pub(crate) fn subset(
        &self,
        spec: &openapiv3::OpenAPI,
        operations: &[(String, String)],
    ) -> openapiv3::OpenAPI {
        let mut out = spec.clone();
        out.paths.paths.clear();
        for (path, method) in operations {
            let Some(item) = spec.paths.paths.get(path).and_then(|i| i.as_item()) else {
                continue;
            };
            let entry = out.paths.paths.entry(path.clone()).or_insert_with(|| {
                let mut only = item.clone();
                for (other, _) in item.iter() {
                    clear_method(&mut only, other);
                }
                openapiv3::ReferenceOr::Item(only)
            });
            if let openapiv3::ReferenceOr::Item(only) = entry {
                copy_method(item, only, method);
            }
        }
        let mut todo = Vec::new();
        if let Ok(paths) = serde_json::to_value(&out.paths) {
            collect_refs(&paths, &mut todo);
        }
        let mut seen: BTreeSet<String> = BTreeSet::new();
        while let Some(next) = todo.pop() {
            if seen.insert(next.clone()) {
                todo.extend(self.edges.get(&next).cloned().unwrap_or_default());
            }
        }
        let kept = |kind: &str, name: &str| seen.contains(&format!("#/components/{kind}/{name}"));
        if let Some(c) = out.components.as_mut() {
            c.schemas.retain(|name, _| kept("schemas", name));
            c.responses.retain(|name, _| kept("responses", name));
            c.parameters.retain(|name, _| kept("parameters", name));
            c.request_bodies
                .retain(|name, _| kept("requestBodies", name));
            c.headers.retain(|name, _| kept("headers", name));
        }
        out
    }
}

/// The `$ref` strings below `node` (the component part of each: `#/components/<kind>/<name>`).
fn collect_refs(node: &serde_json::Value, out: &mut Vec<String>) {
    match node {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match value {
                    serde_json::Value::String(target) if key == "$ref" => {
                        let parts: Vec<&str> = target.splitn(5, '/').collect();
                        if parts.len() >= 4 {
                            out.push(parts[..4].join("/"));
                        }
                    }
                    _ => collect_refs(value, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Copies the operation `method` of `from` into `to`.
fn copy_method(from: &openapiv3::PathItem, to: &mut openapiv3::PathItem, method: &str) {
    let pick = |item: &openapiv3::PathItem| match method {
        "get" => item.get.clone(),
        "put" => item.put.clone(),
        "post" => item.post.clone(),
        "delete" => item.delete.clone(),
        "options" => item.options.clone(),
        "head" => item.head.clone(),
        "patch" => item.patch.clone(),
        "trace" => item.trace.clone(),
        _ => None,
    };
    let operation = pick(from);
    match method {
        "get" => to.get = operation,
        "put" => to.put = operation,
        "post" => to.post = operation,
        "delete" => to.delete = operation,
        "options" => to.options = operation,
        "head" => to.head = operation,
        "patch" => to.patch = operation,
        "trace" => to.trace = operation,
        _ => {}
    }
}

/// The component schemas progenitor (typify) cannot take, each with its message: found one
/// by one, so that only they fall back to untyped values.
///
/// A schema is tried with the schemas it references (its closure). The schemas are ordered
/// by closure size, smallest first, so that a referenced culprit is found before the schemas
/// that merely reach it, and a schema already found is stubbed as any value for the schemas
/// tried after it. Rather than one trial per schema (Plaid's 2,275 schemas cost 2,275
/// progenitor runs), the ordered list is bisected: a run of schemas whose closures generate
/// together is cleared in one trial, and only a run that fails is split, so the trials grow
/// with the culprits, not with the schemas. Each half is settled before the next, so a schema
/// is tried alone exactly as the one-by-one search would try it.
pub fn schema_culprits(spec: &openapiv3::OpenAPI) -> Vec<(String, String)> {
    let Some(components) = &spec.components else {
        return Vec::new();
    };
    let schemas: BTreeMap<String, serde_json::Value> = components
        .schemas
        .iter()
        .filter_map(|(name, schema)| Some((name.clone(), serde_json::to_value(schema).ok()?)))
        .collect();
    let mut closures: Vec<(String, BTreeSet<String>)> = schemas
        .keys()
        .map(|name| (name.clone(), closure(&schemas, name)))
        .collect();
    closures.sort_by_key(|(name, members)| (members.len(), name.clone()));
    // Each trial is this skeleton with some schemas: cloning the whole spec per trial cost
    // more than typify's work on a large spec.
    let mut skeleton = spec.clone();
    skeleton.paths.paths.clear();
    if let Some(c) = skeleton.components.as_mut() {
        *c = openapiv3::Components {
            security_schemes: std::mem::take(&mut c.security_schemes),
            ..Default::default()
        };
    }
    let mut search = CulpritSearch {
        components,
        skeleton,
        culprits: Vec::new(),
    };
    search.bisect(&closures);
    search.culprits
}

/// The state of [`schema_culprits`]: the schemas, the trial skeleton and the culprits so far.
struct CulpritSearch<'a> {
    components: &'a openapiv3::Components,
    skeleton: openapiv3::OpenAPI,
    culprits: Vec<(String, String)>,
}

impl CulpritSearch<'_> {
    /// Finds the culprits among `run` (schemas with their closures, in trial order).
    fn bisect(&mut self, run: &[(String, BTreeSet<String>)]) {
        let Some(message) = run.first().and_then(|_| self.trial(run).err()) else {
            return;
        };
        if let [(name, _)] = run {
            self.culprits
                .push((name.clone(), format!("typify cannot type it: {message}")));
            return;
        }
        let (first, second) = run.split_at(run.len() / 2);
        self.bisect(first);
        self.bisect(second);
    }

    /// Whether the closures of `run` generate together, the culprits found so far stubbed.
    fn trial(&self, run: &[(String, BTreeSet<String>)]) -> Result<(), String> {
        let members: BTreeSet<&String> = run.iter().flat_map(|(_, members)| members).collect();
        let mut trial = self.skeleton.clone();
        if let Some(c) = trial.components.as_mut() {
            c.schemas = self
                .components
                .schemas
                .iter()
                .filter(|(member, _)| members.contains(member))
                .map(|(member, schema)| (member.clone(), schema.clone()))
                .collect();
            for (bad, _) in &self.culprits {
                if let Some(schema) = c.schemas.get_mut(bad) {
                    *schema = openapiv3::ReferenceOr::Item(openapiv3::Schema {
                        schema_data: Default::default(),
                        schema_kind: openapiv3::SchemaKind::Any(Default::default()),
                    });
                }
            }
        }
        // Whether progenitor takes it is all a trial asks: its code is not parsed.
        with_captured_panics(|| {
            let mut generator = Generator::new(&settings());
            generator.generate_tokens(&trial)?;
            repeated_type_names(generator.get_type_space())
        })
    }
}

/// The component schemas `name` reaches through `$ref`s, itself included.
fn closure(schemas: &BTreeMap<String, serde_json::Value>, name: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::from([name.to_owned()]);
    let mut todo = vec![name.to_owned()];
    while let Some(next) = todo.pop() {
        let Some(schema) = schemas.get(&next) else {
            continue;
        };
        let mut refs = Vec::new();
        collect_refs(schema, &mut refs);
        let names = refs
            .iter()
            .filter_map(|r| r.strip_prefix("#/components/schemas/"));
        for target in names.map(|n| n.replace("~1", "/").replace("~0", "~")) {
            if schemas.contains_key(&target) && seen.insert(target.clone()) {
                todo.push(target);
            }
        }
    }
    seen
}

fn clear_method(item: &mut openapiv3::PathItem, method: &str) {
    let slot = match method {
        "get" => &mut item.get,
        "put" => &mut item.put,
        "post" => &mut item.post,
        "delete" => &mut item.delete,
        "options" => &mut item.options,
        "head" => &mut item.head,
        "patch" => &mut item.patch,
        "trace" => &mut item.trace,
        _ => return,
    };
    *slot = None;
}

/// Installs, once per process, a panic hook that stays quiet on threads running progenitor.
fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(Cell::get) {
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                let location = info
                    .location()
                    .map(|l| format!(" (at {}:{})", l.file(), l.line()))
                    .unwrap_or_default();
                CAPTURED.with(|c| *c.borrow_mut() = Some(format!("{message}{location}")));
            } else {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(operation: serde_json::Value) -> openapiv3::OpenAPI {
        serde_json::from_value(serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/fine": {"get": {"operationId": "fine", "responses": {"200": {"description": "ok"}}}},
                "/ws": {"get": operation}
            }
        }))
        .unwrap()
    }

    #[test]
    fn a_progenitor_panic_becomes_a_located_error() {
        // progenitor hits a `todo!` for a JSON response without a schema.
        let err = generate(&spec(serde_json::json!({
            "operationId": "ws",
            "responses": {"200": {"description": "ok", "content": {"application/json": {}}}}
        })))
        .err()
        .expect("a located error")
        .remove(0);
        assert_eq!(err.pointer, "/paths/~1ws/get");
        assert!(
            err.message.contains("internal failure in progenitor"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_fine_spec_generates() {
        let output = generate(&spec(serde_json::json!({
            "operationId": "ws_free", "responses": {"200": {"description": "ok"}}
        })))
        .unwrap();
        assert!(prettyplease::unparse(&output.file).contains("ws_free"));
        assert_eq!(output.usage, Usage::default());
    }
}

#[cfg(test)]
mod culprit_tests {
    use super::*;

    /// Twenty fine schemas, two typify refuses (a string enum with a number among its
    /// values), and one that only references a refused one.
    fn components() -> openapiv3::OpenAPI {
        let mut schemas = serde_json::Map::new();
        for n in 0..20 {
            schemas.insert(
                format!("Fine{n:02}"),
                serde_json::json!({"type": "object", "properties": {"n": {"type": "integer"}}}),
            );
        }
        schemas.insert(
            "BadMode".into(),
            serde_json::json!({"type": "string", "enum": ["on", 7]}),
        );
        schemas.insert(
            "BadKind".into(),
            serde_json::json!({"type": "string", "enum": [true, "b"]}),
        );
        schemas.insert(
            "UsesBad".into(),
            serde_json::json!({"type": "object", "properties": {
                "mode": {"$ref": "#/components/schemas/BadMode"},
                "fine": {"$ref": "#/components/schemas/Fine03"}
            }}),
        );
        serde_json::from_value(serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": schemas}
        }))
        .unwrap()
    }

    #[test]
    fn only_the_schemas_typify_refuses_are_culprits() {
        let spec = components();
        assert!(generate_once(&spec).is_err(), "the whole must fail");
        let culprits: Vec<String> = schema_culprits(&spec)
            .into_iter()
            .map(|(name, reason)| {
                assert!(reason.starts_with("typify cannot type it: "), "{reason}");
                name
            })
            .collect();
        // Found in trial order (smallest closure first, then by name); the schema that only
        // references a culprit is not one.
        assert_eq!(culprits, ["BadKind", "BadMode"]);
    }

    #[test]
    fn a_spec_typify_takes_has_no_culprits() {
        let mut spec = components();
        if let Some(c) = spec.components.as_mut() {
            c.schemas.retain(|name, _| name.starts_with("Fine"));
        }
        assert!(schema_culprits(&spec).is_empty());
    }
}

#[cfg(test)]
mod repeated_name_tests {
    use super::*;

    #[test]
    fn a_type_name_typify_derives_twice_is_named_in_the_error() {
        // typify names the inline enum of `Thing.kind` `ThingKind`: so is a component.
        let spec: openapiv3::OpenAPI = serde_json::from_value(serde_json::json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {
                "Thing": {"type": "object", "properties": {
                    "kind": {"type": "string", "enum": ["a", "b"]}
                }},
                "ThingKind": {"type": "object", "properties": {"n": {"type": "integer"}}}
            }}
        }))
        .unwrap();
        let Err(message) = generate_once(&spec) else {
            panic!("two types named ThingKind must not generate");
        };
        assert_eq!(repeated_types_in(&message), ["ThingKind"], "{message}");
    }
}
