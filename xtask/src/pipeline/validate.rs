//! Checking (and normalising) a 3.0 document before progenitor sees it.
//!
//! progenitor panics or fails obscurely on several inputs; each is caught here with its JSON
//! pointer: unresolved or cyclic `$ref`s, missing or duplicate operationIds, undeclared path
//! parameters, response sets it cannot combine, and security schemes billfold cannot send.
//!
//! One normalisation is applied: error responses without a JSON body (Olostep's 402) are removed
//! from what progenitor sees and listed in the operation's `x-billfold-raw-errors`; the client
//! returns them as API errors with their raw (possibly empty) body.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};
use serde_json::{Map, Value, json};

use crate::error::{Located, child, push_segment};

mod success;
use crate::pipeline::operations::METHODS;
pub use success::EMPTY_SUCCESS_KEY;

/// Where an API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// How a credential is sent, from a security scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeKind {
    /// `Authorization: Bearer <token>` (`http` + `bearer`; also OAuth2 flows other than client
    /// credentials and OpenID Connect, whose access token the user obtains elsewhere).
    Bearer,
    /// `Authorization: Basic <base64 of user:password>` (`http` + `basic`).
    Basic,
    /// An API key (`apiKey`), in a header, the query or a cookie, under this name.
    ApiKey(KeyLocation, String),
    /// An API key sent in a header after a fixed word: `Authorization: Key <key>`. From an
    /// `http` scheme whose `scheme` is an RFC 7235 auth-scheme sent with a plain key
    /// (`Token`, `Key`), or an `apiKey` header scheme the manifest gives a
    /// `credential_prefix`.
    PrefixedHeader {
        /// The header's name.
        header: String,
        /// The word before the key.
        prefix: String,
    },
    /// OAuth2 client credentials: a token fetched from `token_url` with the client id and
    /// secret, requesting `scopes`, then sent as a bearer token.
    OAuth2ClientCredentials {
        /// The token endpoint (absolute, or relative to the base URL).
        token_url: String,
        /// The scopes the operations require.
        scopes: Vec<String>,
    },
}

/// A security scheme the operations use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    /// Its name under `components.securitySchemes`.
    pub name: String,
    /// How it is sent.
    pub kind: SchemeKind,
    /// Its description, if any.
    pub description: Option<String>,
}

/// What the generator needs to know about one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// JSON pointer of the operation object.
    pub pointer: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template.
    pub path: String,
    /// The operationId.
    pub operation_id: String,
    /// The summary, if any.
    pub summary: Option<String>,
    /// Its tags, in the spec's order (each a cargo feature of the crate).
    pub tags: Vec<String>,
    /// Error statuses returned with their raw body (no JSON body in the spec).
    pub raw_errors: Vec<String>,
    /// When an operation's error responses have different bodies: each status with the
    /// component schema its body decodes as (taken out of progenitor's view and decoded by
    /// status by the generated client).
    pub typed_errors: TypedErrors,
    /// Its request body is `multipart/form-data`: taken out of progenitor's view and sent as
    /// a `billfold_runtime::Multipart` the method takes.
    pub multipart: bool,
    /// The security requirements that authorise it: alternatives, each a set of schemes sent
    /// together (an empty set: no credential needed). Empty: it needs no credential.
    pub security: Vec<Vec<String>>,
    /// Its `style: deepObject` query parameters, by name: shown to progenitor as `form` (the
    /// only style it takes) and sent by the generated client as `name[key]=value`.
    pub deep_object: Vec<String>,
    /// Success statuses without a body beside one with a body: taken out of progenitor's
    /// view; the generated method returns `None` for them (see [`EMPTY_SUCCESS_KEY`]).
    pub empty_success: Vec<String>,
}

/// A document that progenitor can take, and the facts the generator needs from it.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The parsed document.
    pub openapi: openapiv3::OpenAPI,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
    /// The security schemes the operations use, in the order they are first listed.
    pub schemes: Vec<Scheme>,
    /// The names of every security scheme the spec declares.
    pub declared_schemes: BTreeSet<String>,
}

/// Validates and normalises `doc` (an OpenAPI 3.0 document). Problems inside operations are
/// all reported (one per operation); any other problem stops at the first.
pub fn validate(doc: &mut Value) -> Result<Validated, Vec<Located>> {
    let one = |e: Located| vec![e];
    hoist_nested_schema_refs(doc);
    check_refs(doc).map_err(one)?;
    unique_schema_names(doc);
    drop_stray_path_parameters(doc);
    drop_colliding_parameters(doc);
    normalise_schemas(doc).map_err(one)?;
    crate::pipeline::type_names::disambiguate_titles(doc);
    let (schemes, unsupported) = security_schemes(doc);
    assume_unrequired_schemes(doc);
    let operations = operations(doc, &schemes, &unsupported)?;
    let mut used: Vec<Scheme> = Vec::new();
    for name in operations
        .iter()
        .flat_map(|op| op.security.iter().flatten())
    {
        if !used.iter().any(|s| &s.name == name)
            && let Some(scheme) = schemes.get(name)
        {
            used.push(scheme.clone());
        }
    }
    let used = with_required_scopes(used, &operations, doc);
    let declared_schemes = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    // The plain deserializer first; the path-tracking one only to locate a failure.
    let openapi = match <openapiv3::OpenAPI as serde::Deserialize>::deserialize(&*doc) {
        Ok(openapi) => openapi,
        Err(_) => match serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&*doc) {
            Ok(openapi) => openapi,
            Err(e) => {
                let whole = Located::new(
                    pointer_of(e.path()),
                    format!("not a valid OpenAPI 3.0 document: {}", e.inner()),
                );
                let parts = invalid_parts(doc);
                return Err(if parts.is_empty() { vec![whole] } else { parts });
            }
        },
    };
    Ok(Validated {
        openapi,
        operations,
        schemes: used,
        declared_schemes,
    })
}

/// The operations and component schemas that are not valid OpenAPI 3.0 on their own, each
/// located as precisely as the deserializer can say (a schema inside an operation, say), so
/// that each costs only itself.
fn invalid_parts(doc: &Value) -> Vec<Located> {
    fn check<T: serde::de::DeserializeOwned>(value: &Value, at: &str, out: &mut Vec<Located>) {
        if let Err(e) = serde_path_to_error::deserialize::<_, T>(value) {
            let inner = pointer_of(e.path());
            out.push(Located::new(
                format!("{at}{inner}"),
                format!("not valid OpenAPI 3.0: {}", e.inner()),
            ));
        }
    }
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let item_at = child("/paths", path);
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                check::<openapiv3::Operation>(op, &child(&item_at, method), &mut out);
            }
        }
        if let Some(params) = item.get("parameters") {
            check::<Vec<openapiv3::ReferenceOr<openapiv3::Parameter>>>(
                params,
                &child(&item_at, "parameters"),
                &mut out,
            );
        }
    }
    for (name, schema) in doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        check::<openapiv3::ReferenceOr<openapiv3::Schema>>(
            schema,
            &child("/components/schemas", name),
            &mut out,
        );
    }
    out
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .fold(String::new(), |pointer, segment| child(&pointer, &segment))
}

/// No two component schemas get the same Rust type name (`foo_bar` and `FooBar` both become
/// `FooBar`): each later one (in name order) is renamed `<name>_2`, `_3`, ... (the first free
/// Rust name), its `$ref`s rewritten, with a note.
fn unique_schema_names(doc: &mut Value) {
    let rust_name = |name: &str| {
        name.replace(|c: char| !c.is_alphanumeric(), "-")
            .to_upper_camel_case()
    };
    let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") else {
        return;
    };
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut renames: Vec<(String, String, String)> = Vec::new();
    for name in schemas.keys() {
        if taken.insert(rust_name(name)) {
            continue;
        }
        let first = schemas
            .keys()
            .find(|other| rust_name(other) == rust_name(name))
            .cloned()
            .unwrap_or_default();
        let renamed = (2..)
            .map(|n| format!("{name}_{n}"))
            .find(|candidate| {
                !schemas.contains_key(candidate) && !taken.contains(&rust_name(candidate))
            })
            .unwrap_or_else(|| format!("{name}_x"));
        taken.insert(rust_name(&renamed));
        renames.push((name.clone(), renamed, first));
    }
    if renames.is_empty() {
        return;
    }
    let mut targets: BTreeMap<String, String> = BTreeMap::new();
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for (old, new, first) in &renames {
            if let Some(mut schema) = schemas.remove(old) {
                if let Some(map) = schema.as_object_mut() {
                    crate::pipeline::lower::note(
                        map,
                        &format!(
                            "renamed from {old:?}: {first:?} already becomes the Rust type `{}`",
                            rust_name(first)
                        ),
                    );
                }
                schemas.insert(new.clone(), schema);
            }
            targets.insert(
                child("#/components/schemas", old),
                child("#/components/schemas", new),
            );
        }
    }
    rewrite_refs(doc, &targets);
}

/// Rewrites every `$ref` that is, or points inside, one of `targets`' keys.
pub(crate) fn rewrite_refs(node: &mut Value, targets: &BTreeMap<String, String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(target) = value
                {
                    let found = targets
                        .iter()
                        .find(|(old, _)| target == *old || target.starts_with(&format!("{old}/")));
                    if let Some((old, new)) = found {
                        *target = format!("{new}{}", &target[old.len()..]);
                    }
                } else {
                    rewrite_refs(value, targets);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, targets)),
        _ => {}
    }
}

/// Every `enum` states its `type` (typify cannot generate a type-less enum).
/// A `default` of the wrong JSON type for the schema's scalar `type` (`"0.9"` for a number,
/// as some specs write them): a string that parses as the type is converted, anything else
/// dropped. Returns the note saying which.
fn integer_fits(schema: &Map<String, Value>, value: &Value) -> bool {
    let (low, high): (i128, i128) = match schema.get("format").and_then(Value::as_str) {
        Some("int8") => (i8::MIN.into(), i8::MAX.into()),
        Some("int16") => (i16::MIN.into(), i16::MAX.into()),
        Some("int32") => (i32::MIN.into(), i32::MAX.into()),
        Some("uint8") => (0, u8::MAX.into()),
        Some("uint16") => (0, u16::MAX.into()),
        Some("uint32") => (0, u32::MAX.into()),
        Some("uint64" | "uint") => (0, u64::MAX.into()),
        _ => (i64::MIN.into(), i64::MAX.into()),
    };
    let value = value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from));
    value.is_some_and(|v| (low..=high).contains(&v))
}

fn retype_default(map: &mut Map<String, Value>) -> Option<String> {
    let kind = map.get("type").and_then(Value::as_str)?.to_owned();
    let default = map.get("default")?.clone();
    let fits = match kind.as_str() {
        // Within the range of the Rust type typify gives the schema: else its generated
        // default function panics when the field is missing (DigitalOcean's Kafka defaults of
        // 9223372036854776000 on an i64).
        "integer" => integer_fits(map, &default),
        "number" => default.is_number(),
        "boolean" => default.is_boolean(),
        "string" => default.is_string(),
        _ => true,
    };
    if fits || default.is_null() {
        return None;
    }
    let converted = default.as_str().and_then(|text| match kind.as_str() {
        "integer" => text.trim().parse::<i64>().ok().map(Value::from),
        "number" => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        "boolean" => text.trim().parse::<bool>().ok().map(Value::Bool),
        _ => None,
    });
    Some(match converted {
        Some(value) => {
            let note = format!("default {default} converted to the {kind} {value}");
            map.insert("default".to_owned(), value);
            note
        }
        None => {
            map.remove("default");
            format!("default {default} dropped: not a {kind} its Rust type can hold")
        }
    })
}

/// A parameter declared `in: path` whose name the path template does not have can never be
/// sent: it is dropped from the operation (or path item), with a note.
fn drop_stray_path_parameters(doc: &mut Value) {
    // Parameters may be `$ref`s to `components.parameters`: that is all `resolve` needs here.
    let snapshot = json!({"components": {"parameters": doc
        .pointer("/components/parameters")
        .cloned()
        .unwrap_or_else(|| json!({}))}});
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let in_template: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
            .collect();
        let stray = |param: &Value| {
            let param = resolve(&snapshot, param);
            param.get("in").and_then(Value::as_str) == Some("path")
                && param
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|name| !in_template.contains(name))
        };
        let mut dropped = Vec::new();
        let mut targets: Vec<&mut Value> = vec![];
        if let Some(map) = item.as_object_mut() {
            for (key, value) in map.iter_mut() {
                if key == "parameters" {
                    targets.push(value);
                } else if let Some(params) = value.get_mut("parameters") {
                    targets.push(params);
                }
            }
        }
        for params in targets {
            if let Value::Array(list) = params {
                list.retain(|param| {
                    let keep = !stray(param);
                    if !keep {
                        dropped.push(
                            resolve(&snapshot, param)["name"]
                                .as_str()
                                .unwrap_or("?")
                                .to_owned(),
                        );
                    }
                    keep
                });
            }
        }
        if !dropped.is_empty()
            && let Some(map) = item.as_object_mut()
        {
            dropped.sort();
            dropped.dedup();
            map.insert(
                crate::pipeline::lower::NOTE_KEY.to_owned(),
                json!([format!(
                    "path parameter(s) {} dropped: {path:?} has no such placeholder",
                    dropped.join(", ")
                )]),
            );
        }
    }
}

/// Optional parameters of one operation whose Rust names collide with an earlier one's
/// (Twilio's `DateCreated`, `DateCreated<` and `DateCreated>` all become `date_created`) are
/// dropped, with a note: a method cannot take two arguments of one name, and the wire name
/// must stay as the spec says. The first (and every required one) is kept. So are optional
/// header parameters typed as a list or an object, which progenitor cannot send as text.
fn drop_colliding_parameters(doc: &mut Value) {
    let snapshot = json!({"components": {"parameters": doc
        .pointer("/components/parameters")
        .cloned()
        .unwrap_or_else(|| json!({}))}});
    let schemas = json!({"components": {"schemas": doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_else(|| json!({}))}});
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let shared: Vec<String> = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| resolve(&snapshot, p).get("name").and_then(Value::as_str))
            .map(|name| name.to_snake_case())
            .collect();
        for method in METHODS {
            let Some(op) = item.get_mut(*method).and_then(Value::as_object_mut) else {
                continue;
            };
            let Some(Value::Array(params)) = op.get_mut("parameters") else {
                continue;
            };
            let mut seen: BTreeSet<String> = shared.iter().cloned().collect();
            let mut dropped = Vec::new();
            params.retain(|param| {
                let param = resolve(&snapshot, param);
                let Some(name) = param.get("name").and_then(Value::as_str) else {
                    return true;
                };
                let required = param.get("required").and_then(Value::as_bool) == Some(true);
                // progenitor sends a header as text: a list or an object cannot be one.
                let schema = resolve(&schemas, &param["schema"]);
                let structured = param.get("in").and_then(Value::as_str) == Some("header")
                    && matches!(
                        schema.get("type").and_then(Value::as_str),
                        Some("array" | "object")
                    );
                if required || (!structured && seen.insert(name.to_snake_case())) {
                    return true;
                }
                dropped.push(name.to_owned());
                false
            });
            if !dropped.is_empty() {
                crate::pipeline::lower::note(
                    op,
                    &format!(
                        "optional parameter(s) {} dropped: a Rust name that repeats an earlier \
                         parameter's, or a list or object sent as a header",
                        dropped.join(", ")
                    ),
                );
            }
        }
    }
}

/// An `enum` beside `allOf: [{$ref}]` (a narrowed reference) is something typify cannot take
/// (it panics). When the referenced schema is a scalar, the schema becomes that scalar type
/// with the enum; otherwise the enum is dropped and the reference kept. Both are noted.
/// The scalar type of each component schema (`#/components/schemas/X` → `string`): all that
/// [`enum_on_reference`] needs to know of the rest of the document.
fn scalar_components(doc: &Value) -> BTreeMap<String, String> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(name, schema)| {
            let kind = schema.get("type").and_then(Value::as_str)?;
            matches!(kind, "string" | "integer" | "number" | "boolean")
                .then(|| (format!("#/components/schemas/{name}"), kind.to_owned()))
        })
        .collect()
}

fn enum_on_reference(map: &mut Map<String, Value>, scalars: &BTreeMap<String, String>) {
    let single_ref = match map.get("allOf") {
        Some(Value::Array(parts)) if parts.len() == 1 => parts[0]
            .get("$ref")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    let Some(reference) = single_ref.filter(|_| map.contains_key("enum")) else {
        return;
    };
    let note = match scalars.get(&reference) {
        Some(scalar) => {
            map.remove("allOf");
            map.insert("type".to_owned(), Value::String(scalar.clone()));
            format!("allOf [{reference}] with an enum: lowered to the enum of its scalar type")
        }
        None => {
            map.remove("enum");
            format!("enum beside allOf [{reference}] dropped: typify cannot narrow a reference")
        }
    };
    crate::pipeline::lower::note(map, &note);
}

/// The normalisations typify needs, done on every object of the document (examples and `x-`
/// extensions apart) in one walk: [`enum_on_reference`], [`infer_enum_type`] and
/// [`unusable_default`].
fn normalise_schemas(doc: &mut Value) -> Result<(), Located> {
    let scalars = scalar_components(doc);
    visit_objects(doc, &mut String::new(), &mut |map, at| {
        if at.ends_with("/content") && !at.contains("/properties/") {
            json_media_type(map);
        }
        enum_on_reference(map, &scalars);
        annotation_only_all_of(map);
        colliding_enum_values(map);
        colliding_property_names(map);
        undeclared_required(map);
        serde_sized_arrays(map);
        if map.contains_key("in") && map.contains_key("name") {
            parameter_not_nullable(map);
        }
        infer_enum_type(map, at)?;
        unusable_default(map);
        Ok(())
    })
}

/// What [`visit_objects`] calls on each object, with its JSON pointer.
type ObjectVisitor<'a> = dyn FnMut(&mut Map<String, Value>, &str) -> Result<(), Located> + 'a;

/// Calls `f` on every object below `node`, parents first, with its JSON pointer; examples and
/// `x-` extensions are not entered.
/// `at` is the pointer of `node`, extended and cut back in place as the walk goes.
fn visit_objects(
    node: &mut Value,
    at: &mut String,
    f: &mut ObjectVisitor<'_>,
) -> Result<(), Located> {
    match node {
        Value::Object(map) => {
            f(map, at)?;
            for (key, value) in map.iter_mut() {
                if key != "example" && key != "examples" && !key.starts_with("x-") {
                    let len = at.len();
                    push_segment(at, key);
                    visit_objects(value, at, f)?;
                    at.truncate(len);
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let len = at.len();
                push_segment(at, &index.to_string());
                visit_objects(item, at, f)?;
                at.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A body whose only JSON media type is another one (`application/problem+json`,
/// `application/json; charset=utf-8`, `application/vnd.api+json`) is shown to progenitor as
/// `application/json`, which is the only one it decodes (others become an untyped byte
/// stream, and an error type the client cannot hold); noted in the body.
fn json_media_type(content: &mut Map<String, Value>) {
    if !content.contains_key("application/json")
        && let Some(other) = content.keys().find(|media| is_json(media)).cloned()
        && let Some(mut body) = content.remove(&other)
    {
        if let Some(map) = body.as_object_mut() {
            crate::pipeline::lower::note(map, &format!("{other} read as application/json"));
        }
        content.insert("application/json".to_owned(), body);
    }
    one_media_type(content);
}

/// progenitor takes one media type per body: where a body offers several, the one billfold
/// sends or decodes best is kept (JSON, then form-urlencoded, then multipart, then the first
/// listed), the others dropped with a note.
fn one_media_type(content: &mut Map<String, Value>) {
    if content.len() < 2 {
        return;
    }
    let preferred = [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ]
    .into_iter()
    .find(|media| content.contains_key(*media))
    .map(str::to_owned)
    .or_else(|| content.keys().next().cloned());
    let Some(kept) = preferred else { return };
    let dropped: Vec<String> = content.keys().filter(|m| **m != kept).cloned().collect();
    content.retain(|media, _| *media == kept);
    if let Some(Value::Object(body)) = content.get_mut(&kept) {
        crate::pipeline::lower::note(
            body,
            &format!("the only media type kept; dropped: {}", dropped.join(", ")),
        );
    }
}

/// `allOf` members that only annotate (a `description`, `title`, `example`...) type nothing,
/// but make typify merge the others into a new type named after the property, which can
/// collide with a component of that name: they are dropped (the description moved to the
/// schema if it has none).
fn annotation_only_all_of(map: &mut Map<String, Value>) {
    const ANNOTATIONS: &[&str] = &[
        "description",
        "title",
        "example",
        "examples",
        "default",
        "readOnly",
        "writeOnly",
        "deprecated",
        "externalDocs",
        "nullable",
        "xml",
    ];
    let Some(Value::Array(parts)) = map.get_mut("allOf") else {
        return;
    };
    if parts.len() < 2 {
        return;
    }
    let annotates = |part: &Value| {
        part.as_object().is_some_and(|m| {
            !m.is_empty()
                && m.keys()
                    .all(|k| ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-"))
        })
    };
    let mut moved = Vec::new();
    parts.retain(|part| {
        let keep = !annotates(part);
        if !keep {
            moved.push(part.clone());
        }
        keep
    });
    if parts.is_empty() {
        // Nothing but annotations: keep the first, so the schema stays what it was.
        if let Some(first) = moved.first() {
            parts.push(first.clone());
        }
        return;
    }
    for part in moved {
        for key in ["description", "nullable"] {
            if let Some(value) = part.get(key) {
                map.entry(key.to_owned()).or_insert_with(|| value.clone());
            }
        }
    }
}

/// A string `enum` two of whose values make the same Rust variant name (`ASC` and `asc`,
/// `Etc/GMT+0` and `Etc/GMT-0`) is something typify panics on: the `enum` is dropped (any
/// string is accepted; the values stay listed in the note).
fn colliding_enum_values(map: &mut Map<String, Value>) {
    let Some(Value::Array(values)) = map.get("enum") else {
        return;
    };
    let mut seen = BTreeSet::new();
    let collides = values.iter().filter_map(Value::as_str).any(|value| {
        let variant = value
            .replace(|c: char| !c.is_alphanumeric(), "_")
            .to_upper_camel_case();
        !seen.insert(variant)
    });
    if collides {
        map.remove("enum");
        crate::pipeline::lower::note(
            map,
            "enum dropped: two of its values make the same Rust variant name",
        );
    }
}

/// Properties of one object whose Rust field names collide (`is_global` and `isGlobal`) make
/// a struct that does not compile: the later ones (in name order) are dropped, with a note
/// (the object still accepts them, as it accepts any field it does not declare).
fn colliding_property_names(map: &mut Map<String, Value>) {
    let Some(Value::Object(properties)) = map.get_mut("properties") else {
        return;
    };
    let mut seen = BTreeSet::new();
    let dropped: Vec<String> = properties
        .keys()
        .filter(|name| {
            let field = name
                .replace(|c: char| !c.is_alphanumeric(), "_")
                .to_snake_case();
            !seen.insert(field)
        })
        .cloned()
        .collect();
    if dropped.is_empty() {
        return;
    }
    for name in &dropped {
        properties.remove(name);
    }
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(|r| r.as_str().is_none_or(|r| !dropped.iter().any(|d| d == r)));
    }
    crate::pipeline::lower::note(
        map,
        &format!(
            "propert(ies) {} dropped: their Rust field names repeat another property's",
            dropped.join(", ")
        ),
    );
}

/// A `required` name that the object's `properties` do not declare (Box's `accessed` on a
/// shared link) becomes a field of any type that must be present, and a response that lacks
/// it fails to decode, although the spec describes nothing of it. Such names are taken out of
/// `required`, with a note; the object still accepts the field, as it accepts any other.
fn undeclared_required(map: &mut Map<String, Value>) {
    let Some(Value::Object(properties)) = map.get("properties") else {
        return;
    };
    let Some(Value::Array(required)) = map.get("required") else {
        return;
    };
    let undeclared: Vec<String> = required
        .iter()
        .filter_map(Value::as_str)
        .filter(|name| !properties.contains_key(*name))
        .map(str::to_owned)
        .collect();
    if undeclared.is_empty() {
        return;
    }
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(|r| {
            r.as_str()
                .is_none_or(|r| !undeclared.iter().any(|u| u == r))
        });
    }
    crate::pipeline::lower::note(
        map,
        &format!(
            "required propert(ies) {} not declared in `properties`: no longer required",
            undeclared.join(", ")
        ),
    );
}

/// An array of a fixed length over 32 (`minItems` = `maxItems`) becomes a Rust array serde
/// cannot read or write: its `maxItems` is dropped (a vector), with a note.
fn serde_sized_arrays(map: &mut Map<String, Value>) {
    let size = |key: &str| map.get(key).and_then(Value::as_u64);
    if let (Some(min), Some(max)) = (size("minItems"), size("maxItems"))
        && min == max
        && max > 32
    {
        map.remove("maxItems");
        crate::pipeline::lower::note(
            map,
            &format!("maxItems {max} dropped: a fixed array over 32 items has no serde form"),
        );
    }
}

/// A parameter whose schema is `nullable` cannot send a null (it is left out instead):
/// `nullable` is dropped, so the method takes an ordinary optional value.
fn parameter_not_nullable(map: &mut Map<String, Value>) {
    if let Some(Value::Object(schema)) = map.get_mut("schema")
        && schema.remove("nullable").is_some()
    {
        crate::pipeline::lower::note(
            schema,
            "nullable dropped: a parameter is sent or left out, never null",
        );
    }
}

/// Removes a `default` that sits beside a `$ref` or on a `oneOf`/`anyOf` union: OpenAPI 3.0
/// ignores `$ref` siblings, and typify cannot give a union a default (it panics). A field
/// without its default is still optional; the drop is noted in `x-billfold-lowered`.
fn unusable_default(map: &mut Map<String, Value>) {
    let union = map.contains_key("$ref") || map.contains_key("oneOf") || map.contains_key("anyOf");
    let note = if union && let Some(default) = map.remove("default") {
        Some(format!(
            "default {default} dropped: a $ref or union cannot carry one in OpenAPI 3.0"
        ))
    } else {
        retype_default(map)
    };
    if let Some(note) = note {
        crate::pipeline::lower::note(map, &note);
    }
}

fn map_has_null(values: &[Value]) -> bool {
    values.iter().any(Value::is_null) && values.iter().any(|v| !v.is_null())
}

/// Gives an `enum` without a `type` the type all its values share (`null` among them making
/// it nullable); an enum mixing types is refused, located.
fn infer_enum_type(map: &mut Map<String, Value>, at: &str) -> Result<(), Located> {
    // `null` among the values is OpenAPI 3.0's `nullable: true`.
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && map_has_null(values)
    {
        values.retain(|v| !v.is_null());
        map.insert("nullable".to_owned(), Value::Bool(true));
    }
    if let Some(Value::Array(values)) = map.get("enum")
        && !map.contains_key("type")
    {
        let kinds: std::collections::BTreeSet<&str> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| match v {
                Value::String(_) => "string",
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "number",
                _ => "object",
            })
            .collect();
        let nullable = values.iter().any(Value::is_null);
        let kind = match kinds.iter().copied().collect::<Vec<_>>().as_slice() {
            [one] if *one != "object" => *one,
            ["integer", "number"] => "number",
            _ => {
                return Err(Located::new(
                    child(at, "enum"),
                    format!(
                        "an `enum` without a `type` whose values are not all of one \
                         scalar type ({}) cannot be generated: add its `type` in the overlay",
                        kinds.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        };
        map.insert("type".to_owned(), Value::String(kind.to_owned()));
        if nullable {
            map.insert("nullable".to_owned(), Value::Bool(true));
        }
    }
    Ok(())
}

/// A `$ref` to a schema that is not itself a component schema (one inside a response,
/// `#/components/responses/Conflict/content/application~1json/schema`, or inside another
/// schema, `#/components/schemas/Tag/allOf/0`) is something typify cannot follow: the target
/// becomes a component schema of its own (named from its place: `ConflictResponse`,
/// `TagAllOf0`), left as a `$ref` to it where it was, and every `$ref` to it is rewritten.
fn hoist_nested_schema_refs(doc: &mut Value) {
    let mut refs = Vec::new();
    collect_refs(doc, &mut String::new(), false, &mut refs);
    let mut targets: Vec<String> = refs
        .into_iter()
        .filter_map(|(_, target)| target.strip_prefix('#').map(str::to_owned))
        .filter(|pointer| {
            let segments: Vec<&str> = pointer.split('/').skip(1).collect();
            let component =
                segments.len() == 3 && segments[0] == "components" && segments[1] == "schemas";
            let in_schema = segments.first() == Some(&"components")
                && (segments.get(1) == Some(&"schemas") || segments.contains(&"schema"));
            !component && in_schema
        })
        .collect();
    targets.sort_by_key(|t| std::cmp::Reverse(t.len()));
    targets.dedup();
    if targets.is_empty() {
        return;
    }
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for target in targets {
        let Some(node) = doc.pointer(&target).cloned() else {
            continue;
        };
        if node.get("$ref").is_some() && node.as_object().is_some_and(|m| m.len() == 1) {
            continue;
        }
        let base = hoisted_name(&target);
        let mut hoisted = node;
        if let Some(map) = hoisted.as_object_mut() {
            crate::pipeline::lower::note(
                map,
                &format!("hoisted from #{target}, which a $ref names"),
            );
        }
        let Some(name) = add_component_schema(doc, &base, hoisted) else {
            continue;
        };
        let reference = format!("#/components/schemas/{name}");
        if let Some(slot) = doc.pointer_mut(&target) {
            *slot = json!({ "$ref": reference });
        }
        renamed.insert(format!("#{target}"), reference);
    }
    rewrite_exact_refs(doc, &renamed);
}

/// The component name a schema hoisted from `target` (a JSON pointer below `/components`)
/// gets before any number is added: `/components/schemas/A/properties/b` → `APropertiesB`,
/// `/components/responses/R/...` → `RResponse`.
pub fn hoisted_name(target: &str) -> String {
    let segments: Vec<String> = target
        .split('/')
        .skip(2)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let name = |suffix: &str| format!("{}{suffix}", segments.get(1).cloned().unwrap_or_default());
    match segments.first().map(String::as_str) {
        Some("responses") => name("Response"),
        Some("requestBodies") => name("Request"),
        Some("parameters") => name("Parameter"),
        _ => segments.get(1..).unwrap_or_default().join("_"),
    }
    .replace(|c: char| !c.is_alphanumeric() && c != '_', "_")
    .to_upper_camel_case()
}

/// Adds `schema` to `components.schemas` under `base`, or `base2`, `base3`... when taken (or
/// reserved: see [`RESERVED_NAMES_KEY`]); returns the name used (`None` when the document is
/// not an object).
pub(crate) fn add_component_schema(doc: &mut Value, base: &str, schema: Value) -> Option<String> {
    let reserved: BTreeSet<String> = doc
        .get(RESERVED_NAMES_KEY)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let schemas = doc
        .as_object_mut()?
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut()?
        .entry("schemas")
        .or_insert_with(|| json!({}))
        .as_object_mut()?;
    let name = std::iter::once(base.to_owned())
        .chain((2..).map(|n| format!("{base}{n}")))
        .find(|candidate| {
            !schemas.contains_key(candidate)
                && !reserved.contains(&candidate.replace('_', "-").to_upper_camel_case())
        })?;
    schemas.insert(name.clone(), schema);
    Some(name)
}

/// On the document root: Rust type names that schemas the generator adds (hoisted, shared or
/// combined) must not take, because typify derives a type of that name from another schema
/// (set by [`crate::pipeline::degrade::Degraded`] after such a clash; it stays in the effective spec as
/// the record of it).
pub const RESERVED_NAMES_KEY: &str = "x-billfold-reserved-names";

/// Rewrites every `$ref` that is exactly one of `targets`' keys.
fn rewrite_exact_refs(node: &mut Value, targets: &BTreeMap<String, String>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(target) if key == "$ref" => {
                        if let Some(new) = targets.get(target.as_str()) {
                            *target = new.clone();
                        }
                    }
                    _ => rewrite_exact_refs(value, targets),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| rewrite_exact_refs(v, targets)),
        _ => {}
    }
}

/// Every local `$ref` resolves, and no chain of `$ref`s loops.
fn check_refs(doc: &Value) -> Result<(), Located> {
    let mut refs = Vec::new();
    collect_refs(doc, &mut String::new(), false, &mut refs);
    // Many references share a target: each target is checked once.
    let mut checked: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (at, target) in &refs {
        if !checked.insert(target.as_str()) {
            continue;
        }
        let Some(local) = target.strip_prefix('#') else {
            return Err(Located::new(
                at,
                format!(
                    "$ref {target:?} could not be bundled: it points outside the spec's folder, \
                     to a URL (billfold fetches nothing at regen), or to a missing or unreadable \
                     file; copy the file into the spec's folder or inline it with an overlay"
                ),
            ));
        };
        if doc.pointer(local).is_none() {
            return Err(Located::new(
                at,
                format!("$ref {target:?} does not resolve to anything in this document"),
            ));
        }
        // Follow a chain of pure references; coming back to a visited one is a cycle.
        let mut seen = BTreeSet::from([local.to_owned()]);
        let mut next = local.to_owned();
        while let Some(further) = doc
            .pointer(&next)
            .and_then(|node| node.get("$ref"))
            .and_then(Value::as_str)
        {
            let further = further.trim_start_matches('#').to_owned();
            if !seen.insert(further.clone()) {
                return Err(Located::new(
                    at,
                    format!(
                        "$ref {target:?} is part of a cycle of references that never reaches a definition"
                    ),
                ));
            }
            if doc.pointer(&further).is_none() {
                break;
            }
            next = further;
        }
    }
    Ok(())
}

/// Every `$ref` below `node` with its JSON pointer; `at` is the pointer of `node`, extended and
/// cut back in place as the walk goes (one buffer for the whole walk, not a string per node).
fn collect_refs(node: &Value, at: &mut String, in_examples: bool, out: &mut Vec<(String, String)>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                let skipped =
                    key == "example" || key.starts_with("x-") || (in_examples && key == "value");
                if skipped {
                    continue;
                }
                let len = at.len();
                push_segment(at, key);
                if key == "$ref" {
                    if let Value::String(target) = value {
                        out.push((at.clone(), target.clone()));
                    }
                } else if key == "examples"
                    && let Value::Object(examples) = value
                {
                    for (name, example) in examples {
                        let len = at.len();
                        push_segment(at, name);
                        collect_refs(example, at, true, out);
                        at.truncate(len);
                    }
                } else {
                    collect_refs(value, at, false, out);
                }
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let len = at.len();
                push_segment(at, &index.to_string());
                collect_refs(item, at, false, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Resolves a local `$ref` object to its target (one level), or returns the node itself.
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(target) => doc.pointer(target.trim_start_matches('#')).unwrap_or(node),
        None => node,
    }
}

/// The security schemes billfold can send, by name, and the ones it cannot, with why.
fn security_schemes(doc: &mut Value) -> (BTreeMap<String, Scheme>, BTreeMap<String, String>) {
    let mut schemes = BTreeMap::new();
    let mut unsupported = BTreeMap::new();
    let snapshot = doc.clone();
    let Some(Value::Object(map)) = doc.pointer_mut("/components/securitySchemes") else {
        return (schemes, unsupported);
    };
    for (name, declared) in map.iter_mut() {
        let scheme = resolve(&snapshot, declared).clone();
        let field = |key: &str| scheme.get(key).and_then(Value::as_str);
        let client_credentials = scheme
            .pointer("/flows/clientCredentials/tokenUrl")
            .and_then(Value::as_str)
            .filter(|url| !url.trim().is_empty());
        // (the kind, a note when it is sent otherwise than declared) or why it cannot be sent.
        let kind = match (field("type"), field("scheme"), field("in"), field("name")) {
            (Some("http"), Some(s), _, _) if s.eq_ignore_ascii_case("bearer") => {
                Ok((SchemeKind::Bearer, None))
            }
            (Some("http"), Some(s), _, _) if s.eq_ignore_ascii_case("basic") => {
                Ok((SchemeKind::Basic, None))
            }
            (Some("apiKey"), _, Some(location), Some(key)) => {
                api_key(location, key).map(|kind| (kind, None))
            }
            (Some("oauth2"), ..) => Ok(match client_credentials {
                Some(url) => (
                    SchemeKind::OAuth2ClientCredentials {
                        token_url: url.to_owned(),
                        scopes: Vec::new(),
                    },
                    None,
                ),
                None => (
                    SchemeKind::Bearer,
                    Some(
                        "OAuth2 without a client-credentials flow: sent as a bearer token the user obtains",
                    ),
                ),
            }),
            (Some("openIdConnect"), ..) => Ok((
                SchemeKind::Bearer,
                Some("OpenID Connect: sent as a bearer token the user obtains"),
            )),
            (Some("http"), Some(s), _, _) if is_token(s) && !needs_more_than_a_key(s) => Ok((
                SchemeKind::PrefixedHeader {
                    header: "Authorization".to_owned(),
                    prefix: s.to_owned(),
                },
                None,
            )),
            (Some("http"), Some(_), _, _) => Err(
                "an `http` scheme whose credential is more than a key: a challenge, a signature or a proof",
            ),
            (Some("mutualTLS"), ..) => Err("mutual TLS (client certificates)"),
            _ => Err("not a security scheme billfold recognises"),
        };
        let kind = match kind {
            Ok((kind, note)) => {
                if let (Some(note), Some(map)) = (note, declared.as_object_mut()) {
                    crate::pipeline::lower::note(map, note);
                }
                kind
            }
            Err(reason) => {
                unsupported.insert(name.clone(), reason.to_owned());
                continue;
            }
        };
        schemes.insert(
            name.clone(),
            Scheme {
                name: name.clone(),
                kind,
                description: field("description").map(str::to_owned),
            },
        );
    }
    (schemes, unsupported)
}

/// Whether `text` is one RFC 7235 token (an auth-scheme name, a header name).
pub fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The IANA-registered HTTP auth-schemes whose credentials are not a plain key (challenges,
/// signatures, proofs): billfold cannot send them.
fn needs_more_than_a_key(scheme: &str) -> bool {
    const SCHEMES: &[&str] = &[
        "digest",
        "hoba",
        "mutual",
        "negotiate",
        "ntlm",
        "oauth",
        "scram-sha-1",
        "scram-sha-256",
        "vapid",
        "dpop",
        "privatetoken",
        "concealed",
        "aws4-hmac-sha256",
    ];
    SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme))
}

/// An `apiKey` scheme, when its location and name can be sent.
fn api_key(location: &str, name: &str) -> Result<SchemeKind, &'static str> {
    let location = match location {
        "header" => KeyLocation::Header,
        "query" => KeyLocation::Query,
        "cookie" => KeyLocation::Cookie,
        _ => return Err("an apiKey scheme whose `in` is not header, query or cookie"),
    };
    let valid = match location {
        KeyLocation::Header => {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.!#$%&'*+^`|~".contains(&b))
        }
        KeyLocation::Query | KeyLocation::Cookie => {
            !name.is_empty() && !name.chars().any(|c| c.is_control() || c == ';' || c == '=')
        }
    };
    if valid {
        Ok(SchemeKind::ApiKey(location, name.to_owned()))
    } else {
        Err("an apiKey scheme whose name cannot be sent")
    }
}

/// Security schemes declared while no requirement names any of them (no top-level
/// `security`, none on an operation) are assumed to apply to every operation, each one alone,
/// with a note: the authors declared them for a reason.
fn assume_unrequired_schemes(doc: &mut Value) {
    let names: Vec<String> = match doc.pointer("/components/securitySchemes") {
        Some(Value::Object(map)) if !map.is_empty() => map.keys().cloned().collect(),
        _ => return,
    };
    let any_requirement = doc.get("security").is_some()
        || doc
            .get("paths")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|paths| paths.values())
            .any(|item| {
                METHODS
                    .iter()
                    .any(|m| item.get(*m).and_then(|op| op.get("security")).is_some())
            });
    if any_requirement {
        return;
    }
    let requirements: Vec<Value> = names.iter().map(|name| json!({ name: [] })).collect();
    if let Some(map) = doc.as_object_mut() {
        map.insert("security".to_owned(), Value::Array(requirements));
        crate::pipeline::lower::note(
            map,
            "no operation declared a security requirement: every declared security scheme is \
             assumed to apply to every operation (each one alone)",
        );
    }
}

/// The OAuth2 client-credentials schemes with the scopes the operations require of them.
fn with_required_scopes(
    mut used: Vec<Scheme>,
    operations: &[Operation],
    doc: &Value,
) -> Vec<Scheme> {
    for scheme in &mut used {
        let SchemeKind::OAuth2ClientCredentials { scopes, .. } = &mut scheme.kind else {
            continue;
        };
        let mut wanted: BTreeSet<String> = BTreeSet::new();
        for op in operations {
            let requirements = doc
                .pointer(&op.pointer)
                .and_then(|o| o.get("security"))
                .or_else(|| doc.get("security"));
            for requirement in requirements.and_then(Value::as_array).into_iter().flatten() {
                for scope in requirement
                    .get(&scheme.name)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    wanted.insert(scope.to_owned());
                }
            }
        }
        *scopes = wanted.into_iter().collect();
    }
    used
}

fn operations(
    doc: &mut Value,
    schemes: &BTreeMap<String, Scheme>,
    unsupported: &BTreeMap<String, String>,
) -> Result<Vec<Operation>, Vec<Located>> {
    let global_security = doc.get("security").cloned();
    // The operations are read where they are and changed after: cloning the whole of `paths`
    // to walk it cost more than every check made on it.
    let Some(Value::Object(paths)) = doc.get("paths") else {
        return Err(vec![Located::new("/paths", "the document has no `paths`")]);
    };
    let keys: Vec<String> = paths.keys().cloned().collect();
    let mut operations = Vec::new();
    let mut errors = Vec::new();
    let mut method_names: BTreeMap<String, String> = BTreeMap::new();
    for path in &keys {
        let item_at = child("/paths", path);
        if !path.starts_with('/') {
            errors.push(Located::new(item_at, "a path must start with `/`"));
            continue;
        }
        if doc
            .pointer(&item_at)
            .and_then(|item| item.get("$ref"))
            .is_some()
        {
            errors.push(Located::new(
                child(&item_at, "$ref"),
                "a path item given by a $ref that could not be bundled",
            ));
            continue;
        }
        for method in METHODS {
            let at = child(&item_at, method);
            // Read: every check, and what is to change.
            let read = read_operation(
                doc,
                path,
                &item_at,
                method,
                &at,
                &mut method_names,
                global_security.as_ref(),
                (schemes, unsupported),
            );
            let (mut operation, error_responses, success_plan) = match read {
                Ok(Some(read)) => read,
                Ok(None) => continue,
                Err(error) => {
                    errors.push(error);
                    continue;
                }
            };
            // Change.
            success::apply(doc, &at, &operation.operation_id, &success_plan);
            share_identical_bodies(doc, &at, &operation.operation_id);
            apply_error_responses(doc, &at, &error_responses);
            operation.multipart = take_multipart_body(doc, &at);
            operation.deep_object = take_deep_object_style(doc, &item_at, &at);
            operations.push(operation);
        }
    }
    if errors.is_empty() {
        Ok(operations)
    } else {
        Err(errors)
    }
}

/// The checks of the operation `method` of the path item at `item_at`, made in place, and
/// what its error responses become; `None` when the path item has no such operation.
#[allow(clippy::too_many_arguments)]
fn read_operation(
    doc: &Value,
    path: &str,
    item_at: &str,
    method: &str,
    at: &str,
    method_names: &mut BTreeMap<String, String>,
    global_security: Option<&Value>,
    schemes: (&BTreeMap<String, Scheme>, &BTreeMap<String, String>),
) -> Result<Option<(Operation, ErrorResponses, success::SuccessPlan)>, Located> {
    let Some(item) = doc.pointer(item_at) else {
        return Ok(None);
    };
    let Some(op) = item.get(method) else {
        return Ok(None);
    };
    let operation_id = match op.get("operationId") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.clone(),
        _ => {
            return Err(Located::new(
                at,
                format!(
                    "{} {path} has no operationId: name it in the provider's \
                     overlay.yaml (an `update` with `operationId`), or name every unnamed \
                     operation from its path with `operation_names = \"from-path\"` in \
                     its specs/providers.toml entry",
                    method.to_uppercase()
                ),
            )
            .for_maintainer());
        }
    };
    let method_name = crate::pipeline::operations::method_name(&operation_id);
    if let Some(first) = method_names.insert(method_name.clone(), at.to_owned()) {
        return Err(Located::new(
            child(at, "operationId"),
            format!(
                "operationId {operation_id:?} gives the method name `{method_name}`, \
                 which #{first} already has: rename one in the overlay, or let \
                 `operation_names = \"from-path\"` name every repeated one from its path"
            ),
        )
        .for_maintainer());
    }
    if matches!(method, "options" | "trace") {
        return Err(Located::new(
            at,
            format!(
                "{} operations cannot be generated (progenitor's client has no such request)",
                method.to_uppercase()
            ),
        ));
    }
    check_path_parameters(doc, path, item, op, at)?;
    let success = success::plan(doc, op, at)?;
    let errors = error_responses(doc, op, at, &operation_id)?;
    let security = security_of(op, global_security, schemes, at)?;
    let operation = Operation {
        pointer: at.to_owned(),
        method: method.to_uppercase(),
        path: path.to_owned(),
        operation_id,
        summary: op.get("summary").and_then(Value::as_str).map(str::to_owned),
        tags: op
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        raw_errors: errors.raw.clone(),
        typed_errors: errors
            .by_status
            .iter()
            .map(|(status, name, _)| (status.clone(), name.clone()))
            .collect(),
        multipart: false,
        security,
        deep_object: Vec::new(),
        empty_success: success.empty.clone(),
    };
    Ok(Some((operation, errors, success)))
}

fn check_path_parameters(
    doc: &Value,
    path: &str,
    item: &Value,
    op: &Value,
    at: &str,
) -> Result<(), Located> {
    let mut in_template = BTreeSet::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            return Err(Located::new(
                at,
                format!("path {path:?} has an unclosed `{{`"),
            ));
        };
        in_template.insert(rest[start + 1..start + len].to_owned());
        rest = &rest[start + len + 1..];
    }
    let mut declared = BTreeSet::new();
    for params in [item.get("parameters"), op.get("parameters")]
        .into_iter()
        .flatten()
    {
        for param in params.as_array().into_iter().flatten() {
            let param = resolve(doc, param);
            if param.get("in").and_then(Value::as_str) == Some("path")
                && let Some(name) = param.get("name").and_then(Value::as_str)
            {
                declared.insert(name.to_owned());
            }
        }
    }
    if let Some(missing) = in_template.difference(&declared).next() {
        return Err(Located::new(
            child(at, "parameters"),
            format!(
                "path parameter {{{missing}}} of {path:?} is not declared: add it with `in: path`"
            ),
        ));
    }
    if let Some(extra) = declared.difference(&in_template).next() {
        return Err(Located::new(
            child(at, "parameters"),
            format!("parameter {extra:?} is declared `in: path` but {path:?} has no {{{extra}}}"),
        ));
    }
    Ok(())
}

/// The JSON schema of a response's JSON body, if it has one.
fn json_body_schema<'a>(doc: &'a Value, response: &'a Value) -> Option<&'a Value> {
    let response = resolve(doc, response);
    response
        .get("content")?
        .as_object()?
        .iter()
        .find(|(media, _)| is_json(media))
        .and_then(|(_, media)| media.get("schema"))
}

fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence == "application/json" || essence.ends_with("+json")
}

fn is_error_status(status: &str) -> bool {
    status == "default" || status.starts_with('4') || status.starts_with('5')
}

/// Removes error responses without a JSON body; returns their statuses. Errors when the
/// remaining ones have different bodies.
/// Response bodies of one operation that are the same inline schema at several statuses
/// (200 and 201, or 400 and 500) become one component schema (`<OperationId>Response`,
/// `<OperationId>Error`), referenced from each: typify would make one type per status, and
/// progenitor cannot return two types for one outcome.
fn share_identical_bodies(doc: &mut Value, at: &str, operation_id: &str) {
    let Some(Value::Object(responses)) = doc.pointer(&child(at, "responses")) else {
        return;
    };
    let mut groups: BTreeMap<(bool, String), Vec<String>> = BTreeMap::new();
    for (status, response) in responses {
        let base = match response.get("$ref").and_then(Value::as_str) {
            Some(target) => match target.strip_prefix('#') {
                Some(pointer) => pointer.to_owned(),
                None => continue,
            },
            None => child(&child(at, "responses"), status),
        };
        let pointer = format!("{base}/content/application~1json/schema");
        let Some(schema) = doc.pointer(&pointer) else {
            continue;
        };
        if schema.get("$ref").is_some() {
            continue;
        }
        let pointers = groups
            .entry((status.starts_with('2'), schema.to_string()))
            .or_default();
        if !pointers.contains(&pointer) {
            pointers.push(pointer);
        }
    }
    for ((success, _), pointers) in groups {
        if pointers.len() < 2 {
            continue;
        }
        let Some(schema) = doc.pointer(&pointers[0]).cloned() else {
            continue;
        };
        let base = format!(
            "{}{}",
            operation_id.to_upper_camel_case(),
            if success { "Response" } else { "Error" }
        );
        let Some(name) = add_component_schema(doc, &base, schema) else {
            continue;
        };
        for pointer in pointers {
            if let Some(slot) = doc.pointer_mut(&pointer) {
                *slot = json!({ "$ref": format!("#/components/schemas/{name}") });
            }
        }
    }
}

/// Takes a `multipart/form-data` request body (one without a JSON alternative) out of the
/// operation at `at`, keeping its schema as `x-billfold-multipart`; whether it did.
fn take_multipart_body(doc: &mut Value, at: &str) -> bool {
    // The body may be a `$ref` to `#/components/requestBodies/...`.
    let body = doc
        .pointer(&format!("{at}/requestBody"))
        .map(|body| resolve(doc, body));
    let media = body
        .and_then(|body| body.get("content"))
        .and_then(Value::as_object)
        .map(|content| {
            (
                content.get("multipart/form-data").cloned(),
                content.keys().any(|m| is_json(m)),
            )
        });
    let Some((Some(multipart), false)) = media else {
        return false;
    };
    if let Some(Value::Object(op)) = doc.pointer_mut(at) {
        op.remove("requestBody");
        op.insert(
            "x-billfold-multipart".to_owned(),
            multipart
                .get("schema")
                .cloned()
                .unwrap_or_else(|| json!({})),
        );
    }
    true
}

/// The marker left on a query parameter whose `style: deepObject` was shown to progenitor as
/// `form`, so the effective spec still says what is sent.
pub const DEEP_OBJECT_MARKER: &str = "x-billfold-style";

/// Names of the `style: deepObject` query parameters of the operation at `at` (its own and
/// its path item's, inline or through `#/components/parameters`). Each is rewritten to
/// `style: form` with [`DEEP_OBJECT_MARKER`] beside it: progenitor refuses any other style,
/// and the generated client serializes these itself.
fn take_deep_object_style(doc: &mut Value, item_at: &str, at: &str) -> Vec<String> {
    let mut pointers = Vec::new();
    for list_at in [child(item_at, "parameters"), child(at, "parameters")] {
        let Some(Value::Array(params)) = doc.pointer(&list_at) else {
            continue;
        };
        for (i, param) in params.iter().enumerate() {
            let pointer = match param.get("$ref").and_then(Value::as_str) {
                Some(target) => match target.strip_prefix('#') {
                    Some(pointer) => pointer.to_owned(),
                    None => continue,
                },
                None => child(&list_at, &i.to_string()),
            };
            pointers.push(pointer);
        }
    }
    let mut names = Vec::new();
    for pointer in pointers {
        objects_in_query_as_json_text(doc, &pointer);
        let Some(Value::Object(param)) = doc.pointer_mut(&pointer) else {
            continue;
        };
        let deep = param.get("style").and_then(Value::as_str) == Some("deepObject")
            || param.get(DEEP_OBJECT_MARKER).and_then(Value::as_str) == Some("deepObject");
        if !deep || param.get("in").and_then(Value::as_str) != Some("query") {
            continue;
        }
        param.insert("style".to_owned(), json!("form"));
        param.insert(DEEP_OBJECT_MARKER.to_owned(), json!("deepObject"));
        if let Some(name) = param.get("name").and_then(Value::as_str) {
            names.push(name.to_owned());
        }
    }
    names
}

/// A query parameter (not `deepObject`) whose value is a list of objects or unions has no
/// form the OpenAPI styles define (serde's query encoder refuses it, so every call would fail
/// before it is sent): it is typed as a string the caller fills with the list as JSON text,
/// the convention such APIs document, with a note in the effective spec.
fn objects_in_query_as_json_text(doc: &mut Value, pointer: &str) {
    let Some(param) = doc.pointer(pointer) else {
        return;
    };
    let deep = param.get("style").and_then(Value::as_str) == Some("deepObject")
        || param.get(DEEP_OBJECT_MARKER).is_some();
    if deep || param.get("in").and_then(Value::as_str) != Some("query") {
        return;
    }
    let Some(schema) = param.get("schema").map(|s| resolve(doc, s)) else {
        return;
    };
    let structured = |schema: &Value| {
        let schema = resolve(doc, schema);
        ["oneOf", "anyOf", "allOf", "properties"]
            .iter()
            .any(|key| schema.get(key).is_some())
            || schema.get("type").and_then(Value::as_str) == Some("object")
    };
    let list_of_objects = schema.get("type").and_then(Value::as_str) == Some("array")
        && schema.get("items").is_some_and(structured);
    if !list_of_objects {
        return;
    }
    if let Some(Value::Object(param)) = doc.pointer_mut(pointer) {
        param.insert("schema".to_owned(), json!({"type": "string"}));
        crate::pipeline::lower::note(
            param,
            "a list of objects in the query: typed as a string, to be given as JSON text",
        );
    }
}

/// (status, component schema name) of error bodies typed by status.
type TypedErrors = Vec<(String, String)>;

/// What an operation's error responses become (see [`error_responses`]).
#[derive(Debug, Default)]
struct ErrorResponses {
    /// Statuses without a JSON body: taken out, returned raw.
    raw: Vec<String>,
    /// Statuses typed by status: (status, component schema name, the inline schema to hoist
    /// under that name, if it is not a reference already).
    by_status: Vec<(String, String, Option<Value>)>,
}

/// Error responses progenitor can take: body-less ones are taken out (returned as raw
/// errors); when the bodies differ by status, every error response with a body is taken out
/// too and its schema named in `components.schemas` (inline ones hoisted as
/// `<OperationId>Error<Status>`), for the generated client to decode by status. This reads;
/// [`apply_error_responses`] makes the changes.
fn error_responses(
    doc: &Value,
    op: &Value,
    at: &str,
    operation_id: &str,
) -> Result<ErrorResponses, Located> {
    let Some(Value::Object(responses)) = op.get("responses") else {
        return Ok(ErrorResponses::default());
    };
    let mut raw = Vec::new();
    let mut bodies: Vec<(String, &Value)> = Vec::new();
    for (status, response) in responses.iter().filter(|(s, _)| is_error_status(s)) {
        match json_body_schema(doc, response) {
            Some(schema) => bodies.push((status.clone(), schema)),
            None => raw.push(status.clone()),
        }
    }
    let distinct: std::collections::BTreeSet<String> = bodies
        .iter()
        .map(|(_, schema)| schema.to_string())
        .collect();
    // progenitor counts a `default` response among the success types too: beside a success
    // response of another body (another schema, or none at all, as a 204 has) it panics, so
    // such a `default` is typed by status as well.
    let default_beside_success = bodies.iter().any(|(status, schema)| {
        status == "default"
            && responses.iter().any(|(code, response)| {
                code.starts_with('2') && json_body_schema(doc, response) != Some(*schema)
            })
    });
    let mut by_status = Vec::new();
    if distinct.len() > 1 || default_beside_success {
        for (status, schema) in &bodies {
            let typed = match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => match reference.strip_prefix("#/components/schemas/") {
                    Some(name) => (status.clone(), name.to_owned(), None),
                    None => {
                        return Err(Located::new(
                            child(&child(&child(at, "responses"), status), "content"),
                            "an error body whose $ref is not a components schema cannot be typed",
                        ));
                    }
                },
                None => (
                    status.clone(),
                    format!(
                        "{}Error{}",
                        operation_id.to_upper_camel_case(),
                        status.to_upper_camel_case()
                    ),
                    Some((*schema).clone()),
                ),
            };
            by_status.push(typed);
        }
    }
    Ok(ErrorResponses { raw, by_status })
}

/// Makes the changes [`error_responses`] decided for the operation at `at`.
fn apply_error_responses(doc: &mut Value, at: &str, errors: &ErrorResponses) {
    for (_, name, hoisted) in &errors.by_status {
        let Some(schema) = hoisted else { continue };
        let schemas = doc
            .as_object_mut()
            .map(|d| d.entry("components").or_insert_with(|| json!({})))
            .and_then(|c| c.as_object_mut())
            .map(|c| c.entry("schemas").or_insert_with(|| json!({})));
        if let Some(Value::Object(schemas)) = schemas {
            schemas.insert(name.clone(), schema.clone());
        }
    }
    let taken_out = errors
        .raw
        .iter()
        .chain(errors.by_status.iter().map(|(status, _, _)| status));
    let Some(Value::Object(map)) = doc.pointer_mut(at) else {
        return;
    };
    if errors.raw.is_empty() && errors.by_status.is_empty() {
        return;
    }
    if let Some(Value::Object(responses)) = map.get_mut("responses") {
        for status in taken_out {
            responses.remove(status);
        }
    }
    if !errors.raw.is_empty() {
        map.insert("x-billfold-raw-errors".to_owned(), json!(errors.raw));
    }
    if !errors.by_status.is_empty() {
        let typed: serde_json::Map<String, Value> = errors
            .by_status
            .iter()
            .map(|(status, name, _)| {
                (
                    status.clone(),
                    json!(format!("#/components/schemas/{name}")),
                )
            })
            .collect();
        map.insert("x-billfold-typed-errors".to_owned(), Value::Object(typed));
    }
}

/// The operation's security requirements (its own, else the document's): alternatives, each
/// the schemes sent together. Alternatives naming a scheme billfold cannot send are passed
/// over; an operation left with none of the alternatives it had is an error.
fn security_of(
    op: &Value,
    global: Option<&Value>,
    (schemes, unsupported): (&BTreeMap<String, Scheme>, &BTreeMap<String, String>),
    at: &str,
) -> Result<Vec<Vec<String>>, Located> {
    let (requirements, req_at) = match op.get("security") {
        Some(s) => (s, child(at, "security")),
        None => match global {
            Some(s) => (s, "/security".to_owned()),
            None => return Ok(Vec::new()),
        },
    };
    let list: Vec<&Value> = requirements.as_array().into_iter().flatten().collect();
    let mut alternatives = Vec::new();
    let mut passed_over = Vec::new();
    for (index, requirement) in list.iter().enumerate() {
        let Some(map) = requirement.as_object() else {
            continue;
        };
        let mut names = Vec::new();
        for name in map.keys() {
            if let Some(reason) = unsupported.get(name) {
                passed_over.push(format!("{name:?} ({reason})"));
                names.clear();
                break;
            }
            if !schemes.contains_key(name) {
                return Err(Located::new(
                    format!("{req_at}/{index}"),
                    format!(
                        "security scheme {name:?} is not defined in components.securitySchemes"
                    ),
                ));
            }
            names.push(name.clone());
        }
        if names.len() == map.len() {
            alternatives.push(names);
        }
    }
    if alternatives.is_empty() && !list.is_empty() {
        // Located at the operation even when it inherits the document's requirements: it is
        // the operation that cannot be sent.
        return Err(Located::new(
            if op.get("security").is_some() {
                req_at
            } else {
                at.to_owned()
            },
            format!(
                "every security requirement of the operation needs a scheme billfold cannot \
                 send: {}; describe the provider's auth in the overlay",
                passed_over.join(", ")
            ),
        ));
    }
    Ok(alternatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(paths: Value) -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": paths,
            "components": {
                "schemas": {"E": {"type": "object"}, "F": {"type": "string"}},
                "securitySchemes": {"b": {"type": "http", "scheme": "bearer"}}
            },
            "security": [{"b": []}]
        })
    }

    fn ok(description: &str) -> Value {
        json!({"description": description})
    }

    #[test]
    fn deep_object_parameters_are_shown_as_form_and_remembered() {
        let filter = json!({"name": "filter", "in": "query", "style": "deepObject",
            "schema": {"type": "object", "properties": {"a": {"type": "string"}}}});
        let mut d = doc(json!({
            "/x": {
                "parameters": [{"$ref": "#/components/parameters/Filter"}],
                "get": {"operationId": "get_x", "responses": {"200": ok("ok")}},
                "put": {"operationId": "put_x", "parameters": [
                    {"name": "page", "in": "query", "style": "deepObject", "schema": {"type": "object"}},
                    {"name": "q", "in": "query", "schema": {"type": "string"}}
                ], "responses": {"200": ok("ok")}}
            }
        }));
        d["components"]["parameters"] = json!({"Filter": filter});
        let v = validate(&mut d).unwrap();
        assert_eq!(v.operations[0].deep_object, vec!["filter"]);
        assert_eq!(v.operations[1].deep_object, vec!["filter", "page"]);
        for pointer in [
            "/components/parameters/Filter",
            "/paths/~1x/put/parameters/0",
        ] {
            assert_eq!(d.pointer(pointer).unwrap()["style"], "form", "{pointer}");
            assert_eq!(
                d.pointer(pointer).unwrap()[DEEP_OBJECT_MARKER],
                "deepObject"
            );
        }
        assert!(d.pointer("/paths/~1x/put/parameters/1/style").is_none());
    }

    #[test]
    fn a_list_of_objects_in_the_query_becomes_json_text() {
        let mut d = doc(json!({
            "/x": {"get": {"operationId": "get_x", "parameters": [
                {"name": "actions", "in": "query", "schema": {"type": "array", "items": {"oneOf": [
                    {"type": "object", "properties": {"wait": {"type": "integer"}}},
                    {"type": "object", "properties": {"click": {"type": "string"}}}
                ]}}},
                {"name": "ids", "in": "query", "schema": {"type": "array", "items": {"type": "integer"}}}
            ], "responses": {"200": ok("ok")}}}
        }));
        validate(&mut d).unwrap();
        let actions = d.pointer("/paths/~1x/get/parameters/0").unwrap();
        assert_eq!(actions["schema"], json!({"type": "string"}));
        assert!(actions.to_string().contains("JSON text"), "{actions}");
        // A list of plain values has a form: it stays.
        let ids = d.pointer("/paths/~1x/get/parameters/1/schema").unwrap();
        assert_eq!(ids["items"]["type"], "integer");
    }

    #[test]
    fn other_http_auth_schemes_send_a_prefixed_key() {
        let mut d =
            doc(json!({"/x": {"get": {"operationId": "get_x", "responses": {"200": ok("ok")}}}}));
        d["components"]["securitySchemes"] = json!({"b": {"type": "http", "scheme": "Token"}});
        let v = validate(&mut d).unwrap();
        assert_eq!(
            v.schemes[0].kind,
            SchemeKind::PrefixedHeader {
                header: "Authorization".to_owned(),
                prefix: "Token".to_owned()
            }
        );
        // A scheme whose credential is more than a key (Digest) cannot be sent.
        for scheme in ["Digest", "negotiate", "two words"] {
            let mut d = doc(
                json!({"/x": {"get": {"operationId": "get_x", "responses": {"200": ok("ok")}}}}),
            );
            d["components"]["securitySchemes"] = json!({"b": {"type": "http", "scheme": scheme}});
            assert!(validate(&mut d).is_err(), "{scheme}");
        }
    }

    #[test]
    fn body_less_errors_become_raw() {
        let mut d = doc(json!({"/x": {"get": {"operationId": "get_x", "responses": {
            "200": ok("ok"),
            "402": ok("no body"),
            "500": {"description": "e", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}}
        }}}}));
        let v = validate(&mut d).unwrap();
        assert_eq!(v.operations[0].raw_errors, vec!["402"]);
        assert!(d.pointer("/paths/~1x/get/responses/402").is_none());
        assert_eq!(
            d.pointer("/paths/~1x/get/x-billfold-raw-errors"),
            Some(&json!(["402"]))
        );
        assert_eq!(v.schemes[0].kind, SchemeKind::Bearer);
    }

    #[test]
    fn located_errors() {
        let cases = [
            (
                json!({"/x": {"get": {"responses": {"200": ok("ok")}}}}),
                "/paths/~1x/get",
                "no operationId",
            ),
            (
                json!({"/x/{id}": {"get": {"operationId": "a", "responses": {"200": ok("ok")}}}}),
                "/paths/~1x~1{id}/get/parameters",
                "not declared",
            ),
            (
                json!({"/x": {"get": {"operationId": "get-x", "responses": {"200": ok("ok")}}},
                       "/y": {"get": {"operationId": "getX", "responses": {"200": ok("ok")}}}}),
                "/paths/~1y/get/operationId",
                "already has",
            ),
            (
                json!({"/x": {"get": {"operationId": "a", "responses": {"200": {"description": "d",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}}}}}),
                "/paths/~1x/get/responses/200/content/application~1json/schema/$ref",
                "does not resolve",
            ),
        ];
        for (paths, pointer, message) in cases {
            let err = validate(&mut doc(paths)).unwrap_err().remove(0);
            assert_eq!(err.pointer, pointer, "{}", err.message);
            assert!(err.message.contains(message), "{}", err.message);
        }
    }

    #[test]
    fn error_bodies_that_differ_by_status_are_typed_by_status() {
        let mut d = doc(json!({"/x": {"get": {"operationId": "get_x", "responses": {
            "200": ok("ok"),
            "400": {"description": "d", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}},
            "500": {"description": "d", "content": {"application/json": {"schema": {"type": "object", "properties": {"m": {"type": "string"}}}}}},
            "503": {"description": "no body"}}}}}));
        let v = validate(&mut d).unwrap();
        let op = &v.operations[0];
        assert_eq!(
            op.typed_errors,
            [
                ("400".to_owned(), "E".to_owned()),
                ("500".to_owned(), "GetXError500".to_owned())
            ]
        );
        assert_eq!(op.raw_errors, ["503"]);
        // progenitor sees none of them; the inline body became a component.
        let responses = d["paths"]["/x"]["get"]["responses"].as_object().unwrap();
        assert_eq!(responses.keys().collect::<Vec<_>>(), ["200"]);
        assert!(d["components"]["schemas"]["GetXError500"].is_object());
        assert_eq!(
            d["paths"]["/x"]["get"]["x-billfold-typed-errors"]["500"],
            "#/components/schemas/GetXError500"
        );
    }

    #[test]
    fn a_path_parameter_the_template_lacks_is_dropped_with_a_note() {
        let mut d = doc(json!({"/x": {"post": {"operationId": "p", "parameters": [
            {"name": "search", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "q", "in": "query", "schema": {"type": "string"}}
        ], "responses": {"200": ok("ok")}}}}));
        validate(&mut d).unwrap();
        let params = d["paths"]["/x"]["post"]["parameters"].as_array().unwrap();
        assert_eq!(params.len(), 1);
        assert_eq!(params[0]["name"], "q");
        assert!(
            d["paths"]["/x"][crate::pipeline::lower::NOTE_KEY][0]
                .as_str()
                .unwrap()
                .contains("search")
        );
    }

    #[test]
    fn a_default_response_beside_another_success_body_is_typed_by_status() {
        let mut d = doc(json!({"/x": {"get": {"operationId": "get_x", "responses": {
            "200": {"description": "d", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/F"}}}},
            "default": {"description": "d", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}}}}}}}));
        let v = validate(&mut d).unwrap();
        assert_eq!(
            v.operations[0].typed_errors,
            [("default".to_owned(), "E".to_owned())]
        );
        assert!(
            d["paths"]["/x"]["get"]["responses"]
                .get("default")
                .is_none()
        );
    }

    #[test]
    fn defaults_of_the_wrong_type_are_converted_or_dropped() {
        let mut schema = json!({"type": "number", "default": "0.9"});
        let note = retype_default(schema.as_object_mut().unwrap()).unwrap();
        assert_eq!(schema["default"], json!(0.9));
        assert!(note.contains("converted"), "{note}");
        let mut schema = json!({"type": "integer", "default": "many"});
        retype_default(schema.as_object_mut().unwrap()).unwrap();
        assert!(schema.get("default").is_none());
        let mut fine = json!({"type": "integer", "default": 3});
        assert_eq!(retype_default(fine.as_object_mut().unwrap()), None);
        // Beyond the range of the Rust type: dropped, not a panic when the field is missing.
        for mut schema in [
            json!({"type": "integer", "default": 9223372036854776000_u64}),
            json!({"type": "integer", "format": "int32", "default": 3000000000_u64}),
            json!({"type": "integer", "format": "uint32", "default": -1}),
        ] {
            let note = retype_default(schema.as_object_mut().unwrap()).unwrap();
            assert!(schema.get("default").is_none(), "{schema}");
            assert!(note.contains("Rust type can hold"), "{note}");
        }
        let mut unsigned =
            json!({"type": "integer", "format": "uint64", "default": 9223372036854776000_u64});
        assert_eq!(retype_default(unsigned.as_object_mut().unwrap()), None);
    }

    #[test]
    fn required_names_without_a_property_are_not_required() {
        let mut schema = json!({"type": "object", "properties": {"url": {"type": "string"}},
            "required": ["url", "accessed"]});
        undeclared_required(schema.as_object_mut().unwrap());
        assert_eq!(schema["required"], json!(["url"]));
        assert!(
            schema[crate::pipeline::lower::NOTE_KEY][0]
                .as_str()
                .unwrap()
                .contains("accessed")
        );
        // Without `properties` (an allOf part that only adds requirements): left alone.
        let mut part = json!({"required": ["url"]});
        undeclared_required(part.as_object_mut().unwrap());
        assert_eq!(part, json!({"required": ["url"]}));
    }

    #[test]
    fn ref_cycles_are_errors() {
        let mut d = doc(
            json!({"/x": {"get": {"operationId": "a", "responses": {"200": {"description": "d",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}}}),
        );
        d["components"]["schemas"]["A"] = json!({"$ref": "#/components/schemas/B"});
        d["components"]["schemas"]["B"] = json!({"$ref": "#/components/schemas/A"});
        let err = validate(&mut d).unwrap_err().remove(0);
        assert!(err.message.contains("cycle"), "{}", err.message);
    }
}
