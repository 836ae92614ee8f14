//! Lowering OpenAPI 3.1 to 3.0.3, which progenitor and openapiv3 read.
//!
//! Lowered: `type: [X, "null"]` and `anyOf`/`oneOf` members `{type: "null"}` to `nullable: true`;
//! `const` to a one-value `enum`; a schema's `examples` list to `example` (the full list kept as
//! `x-examples`); numeric `exclusiveMinimum`/`exclusiveMaximum` to the 3.0 boolean form;
//! `info.summary` and `info.license.identifier` to `x-` fields; `type: "null"` alone to "any
//! value or null", and `patternProperties` where `additionalProperties` already admits the same
//! values to nothing, each with a note in the schema's `x-billfold-lowered` list. Everything
//! else that 3.0 cannot express is refused with its JSON pointer, never dropped.
//!
//! A 3.0.x document passes through unchanged; lowering a lowered document changes nothing.

use serde_json::{Map, Value, json};

use crate::error::{Located, child, push_segment};

/// 3.1 schema keywords with no 3.0 equivalent.
const UNSUPPORTED_KEYWORDS: &[&str] = &[
    "prefixItems",
    "$dynamicRef",
    "$dynamicAnchor",
    "$anchor",
    "$defs",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "propertyNames",
    "contentSchema",
];

/// Keywords whose value is a map of name to schema.
const SCHEMA_MAPS: &[&str] = &["properties"];
/// Keywords whose value is a schema.
const SCHEMA_VALUES: &[&str] = &["items", "additionalProperties", "not"];
/// Keywords whose value is a list of schemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf"];

/// Lowers `doc` in place to OpenAPI 3.0.3 if it is 3.1; checks the version either way.
pub fn lower(doc: &mut Value) -> Result<(), Located> {
    if doc.get("swagger").is_some() {
        return Err(Located::new(
            "/swagger",
            "Swagger 2.0 is not supported: convert the spec to OpenAPI 3 (for example with \
             swagger2openapi) and ingest the result",
        ));
    }
    let version = match doc.get("openapi") {
        Some(Value::String(v)) => v.clone(),
        Some(other) => {
            return Err(Located::new(
                "/openapi",
                format!("`openapi` must be a version string such as \"3.0.3\", found {other}"),
            ));
        }
        None => {
            return Err(Located::new(
                "",
                "not an OpenAPI document: the top-level `openapi` version is missing",
            ));
        }
    };
    if version.starts_with("3.0.") {
        return Ok(());
    }
    if !version.starts_with("3.1.") {
        return Err(Located::new(
            "/openapi",
            format!("OpenAPI {version} is not supported (only 3.0.x and 3.1.x)"),
        ));
    }
    lower_top_level(doc)?;
    walk_document(doc, "")?;
    doc["openapi"] = json!("3.0.3");
    Ok(())
}

fn lower_top_level(doc: &mut Value) -> Result<(), Located> {
    // Webhooks are requests the provider sends, not operations a client calls: dropped, noted.
    if let Some(map) = doc.as_object_mut()
        && let Some(webhooks) = map.remove("webhooks")
        && let Some(names) = webhooks.as_object().filter(|w| !w.is_empty())
    {
        let names: Vec<&str> = names.keys().map(String::as_str).collect();
        note(
            map,
            &format!(
                "webhooks ({}) dropped: they describe requests the provider sends, not operations a client calls",
                names.join(", ")
            ),
        );
    }
    if let Some(dialect) = doc.get("jsonSchemaDialect").and_then(Value::as_str)
        && dialect != "https://spec.openapis.org/oas/3.1/dialect/base"
    {
        return Err(Located::new(
            "/jsonSchemaDialect",
            format!("JSON Schema dialect {dialect} cannot be lowered to OpenAPI 3.0"),
        ));
    }
    if let Some(map) = doc.as_object_mut() {
        map.remove("jsonSchemaDialect");
    }
    if doc
        .pointer("/components/pathItems")
        .is_some_and(|p| p.as_object().is_some_and(|m| !m.is_empty()))
    {
        return Err(Located::new(
            "/components/pathItems",
            "components.pathItems has no OpenAPI 3.0 form: inline the path items",
        ));
    }
    rename_key(doc.pointer_mut("/info"), "summary", "x-summary");
    rename_key(
        doc.pointer_mut("/info/license"),
        "identifier",
        "x-identifier",
    );
    Ok(())
}

fn rename_key(node: Option<&mut Value>, from: &str, to: &str) {
    if let Some(Value::Object(map)) = node
        && let Some(value) = map.remove(from)
    {
        map.insert(to.to_owned(), value);
    }
}

/// Walks the non-schema part of the document, lowering every schema it finds.
fn walk_document(node: &mut Value, at: &str) -> Result<(), Located> {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let here = child(at, key);
                if key.starts_with("x-") || key == "example" || key == "examples" {
                    continue;
                }
                if key == "schema" {
                    lower_schema(value, &here)?;
                } else if key == "schemas" && at == "/components" {
                    if let Value::Object(schemas) = value {
                        for (name, schema) in schemas.iter_mut() {
                            lower_schema(schema, &child(&here, name))?;
                        }
                    }
                } else {
                    walk_document(value, &here)?;
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                walk_document(item, &format!("{at}/{index}"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Lowers one schema and, recursively, its subschemas.
fn lower_schema(schema: &mut Value, at: &str) -> Result<(), Located> {
    lower_schema_at(schema, &mut at.to_owned())
}

/// [`lower_schema`], with `at` extended and cut back in place as the walk goes down (one
/// buffer for the whole schema, not a string per subschema).
fn lower_schema_at(schema: &mut Value, at: &mut String) -> Result<(), Located> {
    let Value::Object(map) = schema else {
        return Ok(());
    };
    for keyword in UNSUPPORTED_KEYWORDS {
        if map.contains_key(*keyword) {
            return Err(Located::new(
                child(at, keyword),
                format!(
                    "`{keyword}` (JSON Schema 2020-12) has no OpenAPI 3.0 form and cannot be \
                     lowered: rewrite this schema in the overlay"
                ),
            ));
        }
    }
    // Children first, so that a member folded into this schema is already lowered.
    for keyword in SCHEMA_MAPS {
        if let Some(Value::Object(members)) = map.get_mut(*keyword) {
            for (name, member) in members.iter_mut() {
                let len = at.len();
                push_segment(at, keyword);
                push_segment(at, name);
                lower_schema_at(member, at)?;
                at.truncate(len);
            }
        }
    }
    for keyword in SCHEMA_VALUES {
        if let Some(member) = map.get_mut(*keyword) {
            let len = at.len();
            push_segment(at, keyword);
            lower_schema_at(member, at)?;
            at.truncate(len);
        }
    }
    for keyword in SCHEMA_LISTS {
        if let Some(Value::Array(members)) = map.get_mut(*keyword) {
            for (index, member) in members.iter_mut().enumerate() {
                if is_null_schema(member) {
                    continue; // removed by `lower_null_members` below
                }
                let len = at.len();
                push_segment(at, keyword);
                push_segment(at, &index.to_string());
                lower_schema_at(member, at)?;
                at.truncate(len);
            }
        }
    }
    lower_type(map, at)?;
    lower_const(map, at)?;
    lower_examples(map);
    lower_exclusive_bound(map, "exclusiveMinimum", "minimum");
    lower_exclusive_bound(map, "exclusiveMaximum", "maximum");
    lower_null_members(map, at)?;
    lower_pattern_properties(map, at)?;

    Ok(())
}

/// The key under which lowering records what it changed in a schema, for reviewers of the
/// effective spec.
pub const NOTE_KEY: &str = "x-billfold-lowered";

/// Records a lowering note on a schema (or any object of the document).
pub(crate) fn note(map: &mut Map<String, Value>, text: &str) {
    let notes = map
        .entry(NOTE_KEY)
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = notes {
        list.push(Value::String(text.to_owned()));
    }
}

/// `patternProperties` is dropped where `additionalProperties` already admits the values it
/// describes (absent, `true`, or the same schema as every pattern): the only loss is the
/// narrowing of names, noted in the schema. Anything else is refused.
fn lower_pattern_properties(map: &mut Map<String, Value>, at: &str) -> Result<(), Located> {
    let Some(patterns) = map.get("patternProperties") else {
        return Ok(());
    };
    let here = child(at, "patternProperties");
    let Value::Object(patterns) = patterns else {
        return Err(Located::new(
            here,
            "`patternProperties` must be a map of schemas",
        ));
    };
    let admitted = match map.get("additionalProperties") {
        None | Some(Value::Bool(true)) => true,
        Some(additional) => patterns.values().all(|schema| schema == additional),
    };
    if !admitted {
        return Err(Located::new(
            here,
            "`patternProperties` narrows the values of some property names beyond what \
             `additionalProperties` admits, which OpenAPI 3.0 cannot say: rewrite this schema \
             in the overlay (for example `additionalProperties` with the pattern's schema)",
        ));
    }
    let names: Vec<String> = patterns.keys().cloned().collect();
    map.remove("patternProperties");
    note(
        map,
        &format!(
            "patternProperties ({}) dropped: additionalProperties admits the same values",
            names.join(", ")
        ),
    );
    Ok(())
}

/// `type: [X, "null"]` → `type: X, nullable: true`.
fn lower_type(map: &mut Map<String, Value>, at: &str) -> Result<(), Located> {
    let here = child(at, "type");
    let types: Vec<String> = match map.get("type") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                t.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Located::new(&here, "`type` entries must be strings"))
            })
            .collect::<Result<_, _>>()?,
        Some(Value::String(t)) if t == "null" => vec![t.clone()],
        _ => return Ok(()),
    };
    let nullable = types.iter().any(|t| t == "null");
    let rest: Vec<&String> = types.iter().filter(|t| *t != "null").collect();
    match rest.as_slice() {
        [single] => {
            map.insert("type".to_owned(), json!(single));
        }
        [] => {
            // Only null: OpenAPI 3.0 has no null type, so the value becomes "anything, or
            // null" (the narrowing to null is dropped, and said so).
            map.remove("type");
            note(
                map,
                "type \"null\" alone: lowered to any value or null (OpenAPI 3.0 has no null type)",
            );
        }
        several => {
            return Err(Located::new(
                here,
                format!(
                    "`type` lists several non-null types ({}), which OpenAPI 3.0 cannot express: \
                     rewrite it as `oneOf` in the overlay",
                    several
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if nullable {
        map.insert("nullable".to_owned(), json!(true));
    }
    Ok(())
}

/// `const: v` → `enum: [v]`.
fn lower_const(map: &mut Map<String, Value>, at: &str) -> Result<(), Located> {
    if let Some(value) = map.remove("const") {
        if map.contains_key("enum") {
            return Err(Located::new(
                child(at, "const"),
                "a schema with both `const` and `enum` cannot be lowered",
            ));
        }
        // A const implies its type; typify needs it spelled out.
        let implied = match &value {
            Value::String(_) => Some("string"),
            Value::Bool(_) => Some("boolean"),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
            Value::Number(_) => Some("number"),
            Value::Object(_) => Some("object"),
            Value::Array(_) => Some("array"),
            Value::Null => None,
        };
        if let Some(implied) = implied {
            map.entry("type".to_owned()).or_insert(json!(implied));
        }
        map.insert("enum".to_owned(), json!([value]));
    }
    Ok(())
}

/// A schema's `examples: [..]` → `example: first`, keeping the list as `x-examples`.
fn lower_examples(map: &mut Map<String, Value>) {
    if let Some(Value::Array(examples)) = map.get("examples") {
        let examples = examples.clone();
        map.remove("examples");
        if let Some(first) = examples.first() {
            map.entry("example".to_owned()).or_insert(first.clone());
        }
        map.insert("x-examples".to_owned(), Value::Array(examples));
    }
}

/// Numeric `exclusiveMinimum: n` → `minimum: n, exclusiveMinimum: true` (likewise maximum).
fn lower_exclusive_bound(map: &mut Map<String, Value>, exclusive: &str, bound: &str) {
    if let Some(Value::Number(n)) = map.get(exclusive) {
        let n = n.clone();
        map.insert(bound.to_owned(), Value::Number(n));
        map.insert(exclusive.to_owned(), json!(true));
    }
}

/// Whether a schema allows only null (`{type: "null"}` or `{type: ["null"]}`).
fn is_null_schema(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(types)) => !types.is_empty() && types.iter().all(|t| t == "null"),
        _ => false,
    }
}

/// `anyOf`/`oneOf` members `{type: "null"}` → `nullable: true` on the schema.
fn lower_null_members(map: &mut Map<String, Value>, at: &str) -> Result<(), Located> {
    for keyword in ["anyOf", "oneOf"] {
        let Some(Value::Array(members)) = map.get(keyword) else {
            continue;
        };
        if !members.iter().any(is_null_schema) {
            continue;
        }
        let rest: Vec<Value> = members
            .iter()
            .filter(|m| !is_null_schema(m))
            .cloned()
            .collect();
        map.remove(keyword);
        map.insert("nullable".to_owned(), json!(true));
        match rest.len() {
            0 => {
                return Err(Located::new(
                    child(at, keyword),
                    "a schema that only allows null has no OpenAPI 3.0 form",
                ));
            }
            1 => {
                let member = rest.into_iter().next().unwrap_or_default();
                if member.get("$ref").is_some() {
                    map.insert("allOf".to_owned(), json!([member]));
                } else if let Value::Object(fields) = member {
                    for (key, value) in fields {
                        if map.get(&key).is_some_and(|existing| *existing != value) {
                            return Err(Located::new(
                                child(at, keyword),
                                format!(
                                    "cannot fold the non-null member into the schema: both set `{key}`"
                                ),
                            ));
                        }
                        map.insert(key, value);
                    }
                }
            }
            _ => {
                map.insert(keyword.to_owned(), Value::Array(rest));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(schema: Value) -> Value {
        json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
               "components": {"schemas": {"S": schema}}})
    }

    #[test]
    fn lowers_nullable_forms_and_const() {
        let mut d = doc(json!({"type": "object", "properties": {
            "a": {"type": ["string", "null"]},
            "b": {"anyOf": [{"$ref": "#/components/schemas/T"}, {"type": "null"}]},
            "c": {"oneOf": [{"type": "integer"}, {"type": "null"}], "description": "d"},
            "k": {"const": "fixed"}
        }}));
        lower(&mut d).unwrap();
        assert_eq!(d["openapi"], "3.0.3");
        let p = &d["components"]["schemas"]["S"]["properties"];
        assert_eq!(p["a"], json!({"type": "string", "nullable": true}));
        assert_eq!(
            p["b"],
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true})
        );
        assert_eq!(
            p["c"],
            json!({"type": "integer", "nullable": true, "description": "d"})
        );
        assert_eq!(p["k"], json!({"enum": ["fixed"], "type": "string"}));
        let again = d.clone();
        lower(&mut d).unwrap();
        assert_eq!(d, again, "lowering is idempotent");
    }

    #[test]
    fn null_alone_and_admitted_pattern_properties_lower_with_a_note() {
        let mut d = doc(json!({"type": "object", "properties": {
            "gone": {"type": "null"},
            "tags": {"type": "object", "additionalProperties": {"type": "string"},
                     "patternProperties": {"^[a-z]+$": {"type": "string"}}},
            "free": {"type": "object", "patternProperties": {"^x-": {"type": "integer"}}}
        }}));
        lower(&mut d).unwrap();
        let props = &d["components"]["schemas"]["S"]["properties"];
        assert_eq!(props["gone"].get("type"), None);
        assert!(
            props["gone"][NOTE_KEY][0]
                .as_str()
                .unwrap()
                .contains("type \"null\"")
        );
        for name in ["tags", "free"] {
            assert_eq!(props[name].get("patternProperties"), None, "{name}");
            assert!(
                props[name][NOTE_KEY][0]
                    .as_str()
                    .unwrap()
                    .contains("patternProperties"),
                "{name}"
            );
        }
        assert_eq!(
            props["tags"]["additionalProperties"],
            json!({"type": "string"})
        );
    }

    #[test]
    fn refuses_what_it_cannot_express() {
        for (schema, pointer) in [
            (
                json!({"prefixItems": [{"type": "string"}]}),
                "/components/schemas/S/prefixItems",
            ),
            (
                json!({"type": ["string", "integer"]}),
                "/components/schemas/S/type",
            ),
            (
                json!({"type": "object", "additionalProperties": {"type": "string"},
                       "patternProperties": {"^x-": {"type": "integer"}}}),
                "/components/schemas/S/patternProperties",
            ),
            (
                json!({"properties": {"x": {"$dynamicRef": "#a"}}}),
                "/components/schemas/S/properties/x/$dynamicRef",
            ),
        ] {
            let err = lower(&mut doc(schema)).unwrap_err();
            assert_eq!(err.pointer, pointer, "{}", err.message);
        }
    }

    #[test]
    fn checks_the_version() {
        assert!(
            lower(&mut json!({"swagger": "2.0"}))
                .unwrap_err()
                .message
                .contains("Swagger 2.0")
        );
        assert!(
            lower(&mut json!({"openapi": "3.2.0"}))
                .unwrap_err()
                .message
                .contains("3.2.0")
        );
        assert_eq!(lower(&mut json!({"info": {}})).unwrap_err().pointer, "");
        let mut v30 =
            json!({"openapi": "3.0.1", "components": {"schemas": {"S": {"type": ["a", "b"]}}}});
        let before = v30.clone();
        lower(&mut v30).unwrap();
        assert_eq!(v30, before, "3.0 passes through unchanged");
    }
}
