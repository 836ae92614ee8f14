//! Checking a provider's `[<id>.balance]` mapping against its effective spec: the operation
//! exists, and every pointer leads to a field of the right kind in its success response schema.

use serde_json::Value;

use crate::error::SpecError;
use crate::providers::{PROVIDERS_FILE, ProviderEntry, ValueKind};
use crate::samples;

/// Deepest `$ref`/composition chain followed for one pointer step.
const MAX_HOPS: usize = 16;

/// Every problem of the mapping, each naming the key and the provider.
pub fn check(provider: &ProviderEntry, spec: &Value) -> Vec<SpecError> {
    let Some(mapping) = &provider.balance else {
        return Vec::new();
    };
    let id = provider.id.as_str();
    let error = |key: &str, message: String| {
        SpecError::new(id, PROVIDERS_FILE, format!("/{id}/balance/{key}"), message)
    };
    let Some(schema) = samples::success_schema(spec, &mapping.operation) else {
        return vec![error(
            "operation",
            format!(
                "[{id}.balance] operation {:?} is not an operationId of the spec with a JSON \
                 success response; the spec has: {}",
                mapping.operation,
                operation_ids(spec).join(", ")
            ),
        )];
    };
    let mut errors = Vec::new();
    if mapping.available.0.is_empty() {
        errors.push(error(
            "available",
            format!("[{id}.balance] available is required"),
        ));
    }
    for (key, pointers, kind) in mapping.keys() {
        for pointer in &pointers.0 {
            let path = match kind {
                ValueKind::Flag => pointer.strip_prefix('!').unwrap_or(pointer),
                _ => pointer.as_str(),
            };
            let problem = if !path.is_empty() && !path.starts_with('/') {
                Some("is not a JSON pointer (it must start with `/`)".to_owned())
            } else {
                match schema_at(spec, schema, path) {
                    None => Some(format!(
                        "names a field the {} response schema does not have",
                        mapping.operation
                    )),
                    Some(target) => wrong_kind(spec, target, kind),
                }
            };
            if let Some(problem) = problem {
                errors.push(error(
                    key,
                    format!("[{id}.balance] {key} = {pointer:?} {problem}"),
                ));
            }
        }
    }
    errors
}

fn operation_ids(spec: &Value) -> Vec<String> {
    samples::operations(spec)
        .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
        .collect()
}

/// The schema a JSON pointer leads to inside `schema` (through `$ref`, `allOf`/`oneOf`/`anyOf`,
/// array items and `additionalProperties`).
fn schema_at<'a>(spec: &'a Value, schema: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut here = samples::resolve(spec, schema, 0)?;
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        here = step(spec, here, &segment, 0)?;
    }
    Some(here)
}

fn step<'a>(spec: &'a Value, schema: &'a Value, segment: &str, depth: usize) -> Option<&'a Value> {
    if depth > MAX_HOPS {
        return None;
    }
    let schema = samples::resolve(spec, schema, 0)?;
    if let Some(property) = schema["properties"].get(segment) {
        return samples::resolve(spec, property, 0);
    }
    if segment.parse::<usize>().is_ok() && schema.get("items").is_some() {
        return samples::resolve(spec, &schema["items"], 0);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for branch in schema[key].as_array().into_iter().flatten() {
            if let Some(found) = step(spec, branch, segment, depth + 1) {
                return Some(found);
            }
        }
    }
    if schema["additionalProperties"].is_object() {
        return samples::resolve(spec, &schema["additionalProperties"], 0);
    }
    None
}

/// Why `target` cannot hold a value of `kind`, if it cannot.
fn wrong_kind(spec: &Value, target: &Value, kind: ValueKind) -> Option<String> {
    let types = schema_types(spec, target, 0);
    // A schema without a type (or a union we cannot see through) is given the benefit of doubt.
    if types.is_empty() {
        return None;
    }
    let fits = |t: &str| match kind {
        ValueKind::Number => matches!(t, "number" | "integer"),
        ValueKind::Text => matches!(t, "string" | "number" | "integer"),
        ValueKind::Instant => matches!(t, "string" | "integer" | "number"),
        ValueKind::Flag => t == "boolean",
    };
    if types.iter().any(|t| fits(t)) {
        None
    } else {
        Some(format!(
            "leads to a {} field, not {}",
            types.join(" or "),
            match kind {
                ValueKind::Number => "a number",
                ValueKind::Text => "a string",
                ValueKind::Instant => "a date (string or unix seconds)",
                ValueKind::Flag => "a boolean",
            }
        ))
    }
}

fn schema_types(spec: &Value, schema: &Value, depth: usize) -> Vec<String> {
    let Some(schema) = samples::resolve(spec, schema, 0).filter(|_| depth < MAX_HOPS) else {
        return Vec::new();
    };
    let mut out: Vec<String> = schema["type"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect();
    for key in ["allOf", "oneOf", "anyOf"] {
        for branch in schema[key].as_array().into_iter().flatten() {
            out.extend(schema_types(spec, branch, depth + 1));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn provider(balance: &str) -> ProviderEntry {
        let text = format!(
            "[acme]\ncrate = \"billfold-acme\"\nname = \"Acme\"\nbase_url_env = \"ACME_BASE_URL\"\n\
             [acme.credentials]\nbearer = \"ACME_API_KEY\"\n[acme.balance]\n{balance}"
        );
        crate::providers::parse(&text).unwrap().remove(0)
    }

    fn spec() -> Value {
        json!({"paths": {"/b": {"get": {"operationId": "get_balance", "responses": {"200": {
            "description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}}}}},
            "components": {"schemas": {"B": {"type": "object", "properties": {
                "remaining": {"type": "number"}, "active": {"type": "boolean"},
                "data": {"allOf": [{"type": "object", "properties": {"tier": {"type": "string"}}}]}}}}}})
    }

    #[test]
    fn good_pointers_pass() {
        let p = provider(
            "operation = \"get_balance\"\navailable = \"/remaining\"\nplan = \"/data/tier\"\nlow = \"!/active\"\n",
        );
        assert!(check(&p, &spec()).is_empty());
    }

    #[test]
    fn each_bad_pointer_is_named_with_its_key_and_provider() {
        let p = provider(
            "operation = \"get_balance\"\navailable = [\"/remaning\", \"/remaining\"]\nusable = \"/remaining\"\nplan = \"data/tier\"\n",
        );
        let errors: Vec<String> = check(&p, &spec()).iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(errors[0].contains("acme: specs/providers.toml: at #/acme/balance/available: [acme.balance] available = \"/remaning\" names a field the get_balance response schema does not have"), "{}", errors[0]);
        assert!(
            errors[1].contains("plan = \"data/tier\" is not a JSON pointer"),
            "{}",
            errors[1]
        );
        assert!(
            errors[2].contains("usable = \"/remaining\" leads to a number field, not a boolean"),
            "{}",
            errors[2]
        );
        let p = provider("operation = \"get_bal\"\navailable = \"/remaining\"\n");
        let errors = check(&p, &spec());
        assert!(
            errors[0].to_string().contains("the spec has: get_balance"),
            "{}",
            errors[0]
        );
    }
}
