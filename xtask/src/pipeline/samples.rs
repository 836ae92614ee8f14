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

/// A value that fits `schema`: its `example`, `default` or `const` where it gives one, else a
/// plain value of its type within its constraints: the first enum value; the first `oneOf` /
/// `anyOf` branch that can be sampled; required properties always and optional ones near the
/// top (so a recursive schema still gives a value); `minItems` items; numbers within
/// `minimum`/`maximum` and on `multipleOf`; strings of their `format`, padded to `minLength`
/// and cut to `maxLength`; strings that follow the schema's `pattern` (an `example`, `default`
/// or `const` that does not is passed over).
pub fn sample(spec: &Value, schema: &Value, depth: usize) -> Option<Value> {
    sample_with(spec, schema, depth, true)
}

/// [`sample`] made from the schema alone: every `example` passed over (`default` and `const`
/// kept). For a spec whose examples break their own schema (a required field left out).
pub fn sample_ignoring_examples(spec: &Value, schema: &Value) -> Option<Value> {
    sample_with(spec, schema, 0, false)
}

fn sample_with(spec: &Value, schema: &Value, depth: usize, examples: bool) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let schema = resolve(spec, schema, depth)?;
    for key in ["example", "default", "const"] {
        if key == "example" && !examples {
            continue;
        }
        if let Some(value) = schema
            .get(key)
            .filter(|v| !v.is_null() && fits_pattern(schema, v))
        {
            return Some(value.clone());
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return Some(first.clone());
    }
    if let Some(merged) = merge_all_of(spec, schema, depth) {
        // One object: a part's `required` may name a property another part declares.
        return sample_with(spec, &merged, depth, examples);
    }
    if let Some(all) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in all {
            match sample_with(spec, part, depth + 1, examples)? {
                Value::Object(fields) => merged.extend(fields),
                other => return Some(other),
            }
        }
        return Some(Value::Object(merged));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = schema[key].as_array() {
            return branches
                .iter()
                .find_map(|b| sample_with(spec, b, depth + 1, examples));
        }
    }
    Some(match schema["type"].as_str() {
        Some("object") | None if schema.get("properties").is_some() => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let mut fields = Map::new();
            for (name, property) in schema["properties"].as_object()? {
                if required.contains(&name.as_str()) {
                    fields.insert(
                        name.clone(),
                        sample_with(spec, property, depth + 1, examples)?,
                    );
                } else if depth < OPTIONAL_DEPTH
                    && let Some(value) = sample_with(spec, property, depth + 1, examples)
                {
                    fields.insert(name.clone(), value);
                }
            }
            Value::Object(fields)
        }
        Some("object") => Value::Object(Map::new()),
        Some("array") => {
            let count = schema["minItems"].as_u64().unwrap_or(1).clamp(1, 3) as usize;
            match sample_with(spec, &schema["items"], depth + 1, examples) {
                Some(item) => Value::Array(vec![item; count]),
                None if schema["minItems"].as_u64().unwrap_or(0) == 0 => Value::Array(Vec::new()),
                None => return None,
            }
        }
        Some("integer") => {
            let value = number_within(schema, 1.0, 1.0).round();
            Value::from(value as i64)
        }
        Some("number") => Value::from(number_within(schema, 1.5, f64::EPSILON)),
        Some("boolean") => Value::from(true),
        Some("string") => Value::from(string_within(schema)),
        _ => Value::Null,
    })
}

/// An `allOf` of objects as one object schema: the union of the parts' `properties` and
/// `required` (nested `allOf`s and local `$ref`s followed), beside the schema's own. `None`
/// when the schema has no `allOf`, or a part is not an object.
fn merge_all_of(spec: &Value, schema: &Value, depth: usize) -> Option<Value> {
    schema.get("allOf")?;
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    let mut pending = vec![(schema, depth)];
    while let Some((part, level)) = pending.pop() {
        if level > MAX_DEPTH {
            return None;
        }
        let part = resolve(spec, part, level)?;
        let object = part["type"] == "object"
            || part.get("properties").is_some()
            || part.get("required").is_some()
            || part.get("allOf").is_some();
        if !object || part.get("oneOf").is_some() || part.get("anyOf").is_some() {
            return None;
        }
        for (name, property) in part["properties"].as_object().into_iter().flatten() {
            properties
                .entry(name.clone())
                .or_insert_with(|| property.clone());
        }
        for name in part["required"].as_array().into_iter().flatten() {
            if !required.contains(name) {
                required.push(name.clone());
            }
        }
        for inner in part["allOf"].as_array().into_iter().flatten().rev() {
            pending.push((inner, level + 1));
        }
    }
    Some(serde_json::json!({"type": "object", "properties": properties, "required": required}))
}

/// Optional properties are sampled only this near the top of a value.
const OPTIONAL_DEPTH: usize = 4;

/// `preferred` moved into the schema's `minimum`/`maximum` (exclusive ones by `step`), then
/// up to its `multipleOf`.
fn number_within(schema: &Value, preferred: f64, step: f64) -> f64 {
    let bound = |key: &str, exclusive: &str, direction: f64| -> Option<f64> {
        // 3.0's boolean `exclusiveMinimum` beside `minimum`, or 3.1's number.
        match (&schema[key], &schema[exclusive]) {
            (Value::Number(n), Value::Bool(true)) => n.as_f64().map(|v| v + direction * step),
            (Value::Number(n), _) => n.as_f64(),
            (_, Value::Number(n)) => n.as_f64().map(|v| v + direction * step),
            _ => None,
        }
    };
    let mut value = preferred;
    if let Some(low) = bound("minimum", "exclusiveMinimum", 1.0) {
        value = value.max(low);
    }
    if let Some(high) = bound("maximum", "exclusiveMaximum", -1.0) {
        value = value.min(high);
    }
    if let Some(multiple) = schema["multipleOf"].as_f64().filter(|m| *m > 0.0) {
        value = (value / multiple).ceil() * multiple;
    }
    value
}

/// A string of the schema's `pattern` where one can be made that also keeps its length
/// bounds, else of its `format`, padded to `minLength` and cut to `maxLength`.
fn string_within(schema: &Value) -> String {
    if let Some(text) = schema["pattern"].as_str().and_then(string_matching)
        && schema["minLength"]
            .as_u64()
            .is_none_or(|min| text.chars().count() as u64 >= min)
        && schema["maxLength"]
            .as_u64()
            .is_none_or(|max| text.chars().count() as u64 <= max)
    {
        return text;
    }
    let mut text = match schema["format"].as_str() {
        Some("date-time") => "2026-01-01T00:00:00Z",
        Some("date") => "2026-01-01",
        Some("time") => "12:00:00",
        Some("uuid") => "00000000-0000-4000-8000-000000000000",
        Some("email") => "user@example.com",
        Some("uri" | "url" | "uri-reference" | "iri") => "https://example.com/",
        Some("hostname") => "example.com",
        Some("ipv4") => "192.0.2.1",
        Some("ipv6") => "2001:db8::1",
        Some("byte") => "dGV4dA==",
        _ => "text",
    }
    .to_owned();
    let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
    while text.chars().count() < min {
        text.push('x');
    }
    if let Some(max) = schema["maxLength"].as_u64() {
        text = text.chars().take(max as usize).collect();
    }
    text
}

/// Whether `value` keeps the schema's `pattern` (true when it has none, when the value is not
/// a string, or when the pattern is not one the `regex` crate reads: nothing to check against).
fn fits_pattern(schema: &Value, value: &Value) -> bool {
    match (schema["pattern"].as_str(), value.as_str()) {
        (Some(pattern), Some(text)) => {
            regex::Regex::new(pattern).map_or(true, |regex| regex.is_match(text))
        }
        _ => true,
    }
}

/// A short string that `pattern` matches (searched anywhere, as JSON Schema does): each
/// repetition at its minimum, the first branch of each alternation, and from each class a
/// letter or digit where it has one. `None` when the pattern is not one the `regex` crate
/// reads, or the string made does not match after all.
fn string_matching(pattern: &str) -> Option<String> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let mut text = String::new();
    write_matching(&hir, &mut text)?;
    let regex = regex::Regex::new(pattern).ok()?;
    regex.is_match(&text).then_some(text)
}

/// Appends to `out` a string `hir` matches; `None` when a part matches no text.
fn write_matching(hir: &regex_syntax::hir::Hir, out: &mut String) -> Option<()> {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => out.push_str(std::str::from_utf8(&literal.0).ok()?),
        HirKind::Class(Class::Unicode(class)) => {
            let ranges = class.ranges();
            let contains = |c: char| ranges.iter().any(|r| r.start() <= c && c <= r.end());
            let pick = ('a'..='z')
                .chain('0'..='9')
                .chain('A'..='Z')
                .chain('!'..='~')
                .find(|c| contains(*c))
                .or_else(|| ranges.first().map(|r| r.start()))?;
            out.push(pick);
        }
        HirKind::Class(Class::Bytes(class)) => {
            let byte = class.ranges().first()?.start();
            out.push(char::from(byte.is_ascii().then_some(byte)?));
        }
        HirKind::Repetition(repetition) => {
            for _ in 0..repetition.min.min(64) {
                write_matching(&repetition.sub, out)?;
            }
        }
        HirKind::Capture(capture) => write_matching(&capture.sub, out)?,
        HirKind::Concat(parts) => {
            for part in parts {
                write_matching(part, out)?;
            }
        }
        HirKind::Alternation(branches) => write_matching(branches.first()?, out)?,
    }
    Some(())
}

#[cfg(test)]
mod constraint_tests {
    use serde_json::json;

    use super::sample;

    #[test]
    fn samples_keep_within_their_schemas() {
        let spec = json!({"components": {"schemas": {"Node": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string", "minLength": 34, "maxLength": 34},
                "child": {"$ref": "#/components/schemas/Node"}
            }
        }}}});
        let node = sample(&spec, &json!({"$ref": "#/components/schemas/Node"}), 0).unwrap();
        // A recursive schema still gives a value: optional properties stop near the top.
        assert_eq!(node["id"].as_str().map(str::len), Some(34));
        assert!(node["child"]["child"]["child"].is_object());
        assert!(
            node["child"]["child"]["child"]["child"]
                .get("child")
                .is_none()
        );
        for (schema, expected) in [
            (json!({"type": "integer", "minimum": 5}), json!(5)),
            (json!({"type": "integer", "maximum": -3}), json!(-3)),
            (
                json!({"type": "integer", "exclusiveMinimum": 10}),
                json!(11),
            ),
            (
                json!({"type": "integer", "minimum": 7, "multipleOf": 5}),
                json!(10),
            ),
            (
                json!({"type": "string", "format": "email"}),
                json!("user@example.com"),
            ),
            (
                json!({"type": "string", "default": "application/json"}),
                json!("application/json"),
            ),
            (json!({"type": "string", "maxLength": 2}), json!("te")),
            // A part of an allOf requires what another part declares.
            (
                json!({"allOf": [
                    {"type": "object", "properties": {"phone_type": {"type": "string", "enum": ["FAX"]}}},
                    {"required": ["phone_type"]}
                ]}),
                json!({"phone_type": "FAX"}),
            ),
            // Patterns: Twilio's account SID, whose example breaks it; PayPal's email; a
            // duration; a file name.
            (
                json!({"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$", "example": "AC123"}),
                json!(format!("AC{}", "a".repeat(32))),
            ),
            (
                json!({"type": "string", "pattern": "^.+@[^\"\\-].+$"}),
                json!("a@aa"),
            ),
            (
                json!({"type": "string", "pattern": "^([0-9]+([.][0-9]+)?(ns|us|µs|ms|s|m|h))+$"}),
                json!("0ns"),
            ),
            (
                json!({"type": "string", "pattern": "[-.a-zA-Z0-9]+?\\.txt"}),
                json!("a.txt"),
            ),
            // An example that keeps the pattern is kept; one the `regex` crate cannot read
            // is not checked.
            (
                json!({"type": "string", "pattern": "^[A-Z]+$", "example": "ABC"}),
                json!("ABC"),
            ),
            (
                json!({"type": "string", "pattern": "(?<=a)b", "example": "kept"}),
                json!("kept"),
            ),
            (
                json!({"type": "array", "minItems": 2, "items": {"type": "boolean"}}),
                json!([true, true]),
            ),
            (
                json!({"oneOf": [{"$ref": "#/missing"}, {"type": "integer"}]}),
                json!(1),
            ),
        ] {
            assert_eq!(sample(&spec, &schema, 0), Some(expected), "{schema}");
        }
    }
}
