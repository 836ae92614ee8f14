//! Example values for schemas: the spec's own examples where it gives them, else values
//! sampled from the schema. Used by the generated tests and the conformance dispatch.

use serde_json::{Map, Value};

/// The deepest schema nesting followed when sampling or walking (recursive schemas stop here).
pub const MAX_DEPTH: usize = 12;

/// Every value of every path item (operations, and `parameters` lists: callers look for an
/// `operationId`).
pub fn operations(spec: &Value) -> impl Iterator<Item = &Value> {
    spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
}

/// The operation with this operationId, anywhere in the spec.
pub fn operation<'a>(spec: &'a Value, operation_id: &str) -> Option<&'a Value> {
    operations(spec).find(|op| op["operationId"].as_str() == Some(operation_id))
}

/// The parameters that apply to the operation with this operationId: its own, then those of
/// its path item that it does not redefine (same name and location), as OpenAPI says.
pub fn parameters_of<'a>(spec: &'a Value, operation_id: &str) -> Vec<&'a Value> {
    let Some(item) = spec["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .find(|item| {
            item.as_object().is_some_and(|methods| {
                methods
                    .values()
                    .any(|op| op["operationId"].as_str() == Some(operation_id))
            })
        })
    else {
        return Vec::new();
    };
    let resolved = |list: &'a Value| -> Vec<&'a Value> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| resolve(spec, p, 0))
            .collect()
    };
    let own = operation(spec, operation_id).map_or_else(Vec::new, |op| resolved(&op["parameters"]));
    let inherited: Vec<&Value> = resolved(&item["parameters"])
        .into_iter()
        .filter(|p| {
            !own.iter()
                .any(|o| o["name"] == p["name"] && o["in"] == p["in"])
        })
        .collect();
    own.into_iter().chain(inherited).collect()
}

/// The JSON media type object of an operation's first 2xx response.
pub fn success_media<'a>(spec: &'a Value, operation_id: &str) -> Option<&'a Value> {
    let (_, response) = operation(spec, operation_id)?["responses"]
        .as_object()?
        .iter()
        .find(|(status, _)| status.starts_with('2'))?;
    let response = resolve(spec, response, 0)?;
    response["content"]
        .as_object()?
        .iter()
        .find(|(media, _)| media.contains("json"))
        .map(|(_, m)| m)
}

/// The JSON schema of an operation's first 2xx response.
pub fn success_schema<'a>(spec: &'a Value, operation_id: &str) -> Option<&'a Value> {
    success_media(spec, operation_id)?.get("schema")
}

/// A success body for an operation: its example (and `true`), else one sampled (and `false`).
pub fn success_payload(spec: &Value, operation_id: &str) -> Option<(Value, bool)> {
    payload(spec, success_media(spec, operation_id)?)
}

/// A JSON body for a media type object (`{schema, example, examples}`): its example (and
/// `true`), else one sampled from its schema (and `false`).
pub fn payload(spec: &Value, media: &Value) -> Option<(Value, bool)> {
    if let Some(example) = media.get("example") {
        return Some((example.clone(), true));
    }
    if let Some(example) = media["examples"]
        .as_object()
        .and_then(|all| all.values().find_map(|e| e.get("value")))
    {
        return Some((example.clone(), true));
    }
    let schema = media.get("schema")?;
    Some((sample(spec, schema, 0)?, false))
}

/// Follows a local `$ref` (`#/components/...`).
pub fn resolve<'a>(spec: &'a Value, schema: &'a Value, depth: usize) -> Option<&'a Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) if depth < MAX_DEPTH => {
            let target = spec.pointer(reference.strip_prefix('#')?)?;
            resolve(spec, target, depth + 1)
        }
        Some(_) => None,
        None => Some(schema),
    }
}

/// A value that fits `schema`: its `example` where it gives one, else a plain value of its type
/// (every property, the first enum value, the first of `oneOf`/`anyOf`).
pub fn sample(spec: &Value, schema: &Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let schema = resolve(spec, schema, depth)?;
    if let Some(example) = schema.get("example") {
        return Some(example.clone());
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return Some(first.clone());
    }
    if let Some(all) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in all {
            match sample(spec, part, depth + 1)? {
                Value::Object(fields) => merged.extend(fields),
                other => return Some(other),
            }
        }
        return Some(Value::Object(merged));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(first) = schema[key].as_array().and_then(|b| b.first()) {
            return sample(spec, first, depth + 1);
        }
    }
    Some(match schema["type"].as_str() {
        Some("object") | None if schema.get("properties").is_some() => {
            let mut fields = Map::new();
            for (name, property) in schema["properties"].as_object()? {
                fields.insert(name.clone(), sample(spec, property, depth + 1)?);
            }
            Value::Object(fields)
        }
        Some("object") => Value::Object(Map::new()),
        Some("array") => Value::Array(vec![sample(spec, &schema["items"], depth + 1)?]),
        Some("integer") => Value::from(1),
        Some("number") => Value::from(1.5),
        Some("boolean") => Value::from(true),
        Some("string") => Value::from(match schema["format"].as_str() {
            Some("date-time") => "2026-01-01T00:00:00Z",
            Some("date") => "2026-01-01",
            Some("uuid") => "00000000-0000-4000-8000-000000000000",
            _ => "text",
        }),
        _ => Value::Null,
    })
}
