//! Checking a provider's `[<id>.balance]` mapping against its effective spec: the operation
//! exists, and every pointer leads to a field of the right kind in its success response schema.

use serde_json::Value;

use crate::error::SpecError;
use crate::pipeline::providers::{PROVIDERS_FILE, ProviderEntry, ValueKind};
use crate::pipeline::samples;

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
    if mapping.available.0.is_empty() && mapping.used.0.is_empty() {
        errors.push(error(
            "available",
            format!("[{id}.balance] available is required (or allotted and used: available is then their difference; or used alone, for a provider that reports only usage)"),
        ));
    }
    let unit_pointer = mapping.unit_pointer.clone();
    let keys = mapping
        .keys()
        .into_iter()
        .chain([("unit_pointer", &unit_pointer, ValueKind::Text)]);
    for (key, pointers, kind) in keys {
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
                    Some(target) => wrong_kind(spec, target, kind, mapping.decimal_strings),
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
    for host in mapping.unit_by_host.keys() {
        if host.is_empty() || host.contains("://") || host.contains('/') {
            errors.push(error(
                "unit_by_host",
                format!("[{id}.balance] unit_by_host key {host:?} must be a host name (`api.example.com`), without scheme or path"),
            ));
        }
    }
    if let Some(problem) = rows_problem(mapping) {
        errors.push(error("row_label", format!("[{id}.balance] {problem}")));
    }
    errors.extend(
        parameter_problems(spec, mapping)
            .into_iter()
            .map(|message| error("parameters", format!("[{id}.balance] {message}"))),
    );
    errors
}

/// Rows (`[*]`): every pointer with a `[*]` segment has one, after the same array, so that the
/// rows are that array's elements; `row_label` needs rows.
fn rows_problem(mapping: &crate::pipeline::providers::BalanceMapping) -> Option<String> {
    let starred: Vec<&str> = mapping
        .keys()
        .into_iter()
        .map(|(_, pointers, _)| pointers)
        .chain([&mapping.unit_pointer])
        .flat_map(|p| p.0.iter())
        .map(|p| p.strip_prefix('!').unwrap_or(p))
        .filter(|p| p.contains("/[*]"))
        .collect();
    if starred.is_empty() {
        return (!mapping.row_label.0.is_empty()).then(|| {
            "row_label names the rows of a balance read one row per element, but no pointer \
             has a `[*]` segment: add one (`/balance_infos/[*]/total_balance`) or remove row_label"
                .to_owned()
        });
    }
    let array = |p: &str| p.find("/[*]").map(|at| p[..at].to_owned());
    let first = array(starred[0])?;
    for pointer in &starred {
        if pointer.matches("/[*]").count() > 1 {
            return Some(format!(
                "{pointer:?} has more than one `[*]` segment: rows are the elements of one array"
            ));
        }
        if array(pointer).as_deref() != Some(first.as_str()) {
            return Some(format!(
                "{pointer:?} and {:?} make rows of different arrays ({:?} and {first:?}): every \
                 `[*]` pointer must go through the same array",
                starred[0],
                array(pointer).unwrap_or_default()
            ));
        }
    }
    None
}

/// The balance operation's path and query parameters against `parameters`: each named one
/// exists, every required one is named.
fn parameter_problems(
    spec: &Value,
    mapping: &crate::pipeline::providers::BalanceMapping,
) -> Vec<String> {
    let Some(operation) = samples::operation(spec, &mapping.operation) else {
        return Vec::new();
    };
    let declared: Vec<(String, bool)> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| samples::resolve(spec, p, 0))
        .filter(|p| matches!(p["in"].as_str(), Some("path" | "query")))
        .filter_map(|p| {
            let required = p["required"].as_bool().unwrap_or(false) || p["in"] == "path";
            p["name"].as_str().map(|n| (n.to_owned(), required))
        })
        .collect();
    let mut problems = Vec::new();
    for (key, name) in mapping
        .parameters
        .keys()
        .map(|n| ("parameters", n))
        .chain(mapping.arguments.keys().map(|n| ("arguments", n)))
    {
        if !declared.iter().any(|(d, _)| d == name) {
            let names: Vec<&str> = declared.iter().map(|(d, _)| d.as_str()).collect();
            problems.push(format!(
                "{key} names {name:?}, which is not a path or query parameter of {}; it has: {}",
                mapping.operation,
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ));
        }
    }
    for name in mapping.arguments.keys() {
        let plain_string = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| samples::resolve(spec, p, 0))
            .find(|p| p["name"].as_str() == Some(name.as_str()))
            .and_then(|p| samples::resolve(spec, &p["schema"], 0))
            .is_some_and(|schema| schema["type"] == "string" && schema.get("enum").is_none());
        if declared.iter().any(|(d, _)| d == name) && !plain_string {
            problems.push(format!(
                "arguments gives {name:?} a fixed value, but only a parameter whose schema is a \
                 plain `type: string` (no enum) can take one"
            ));
        }
        if mapping.parameters.contains_key(name) {
            problems.push(format!(
                "{name:?} is in both parameters and arguments: keep one (an env var, or a fixed value)"
            ));
        }
    }
    for (name, required) in &declared {
        if *required
            && !mapping.parameters.contains_key(name)
            && !mapping.arguments.contains_key(name)
        {
            problems.push(format!(
                "{} needs the parameter {name:?}: add `{name} = \"<ENV_VAR>\"` to parameters (or a fixed value to arguments)",
                mapping.operation
            ));
        }
    }
    problems
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
        // `[*]`: every element, one balance row each.
        if segment == "[*]" {
            let items = samples::resolve(spec, here, 0)?.get("items")?;
            here = samples::resolve(spec, items, 0)?;
            continue;
        }
        // `[field=value]` picks the array element whose field equals value.
        if let Some((field, _)) = segment
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.split_once('='))
        {
            let items = samples::resolve(spec, here, 0)?.get("items")?;
            let item = samples::resolve(spec, items, 0)?;
            step(spec, item, field, 0)?;
            here = item;
            continue;
        }
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
fn wrong_kind(spec: &Value, target: &Value, kind: ValueKind, strings: bool) -> Option<String> {
    let types = schema_types(spec, target, 0);
    // A schema without a type (or a union we cannot see through) is given the benefit of doubt.
    if types.is_empty() {
        return None;
    }
    let fits = |t: &str| match kind {
        ValueKind::Number => matches!(t, "number" | "integer") || (strings && t == "string"),
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
                ValueKind::Number if strings => "a number or a decimal string",
                ValueKind::Number =>
                    "a number (set `decimal_strings = true` for amounts sent as strings)",
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
        crate::pipeline::providers::parse(&text).unwrap().remove(0)
    }

    fn spec() -> Value {
        json!({"paths": {"/b": {"get": {"operationId": "get_balance", "responses": {"200": {
            "description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}}}}},
            "components": {"schemas": {"B": {"type": "object", "properties": {
                "remaining": {"type": "number"}, "active": {"type": "boolean"},
                "data": {"allOf": [{"type": "object", "properties": {"tier": {"type": "string"}}}]}}}}}})
    }

    #[test]
    fn rows_and_fixed_arguments() {
        let spec = json!({"paths": {"/b": {"get": {"operationId": "get_b",
            "parameters": [
                {"name": "expand", "in": "query", "schema": {"type": "string"}},
                {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["a"]}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "ok": {"type": "boolean"},
                    "infos": {"type": "array", "items": {"type": "object", "properties": {
                        "currency": {"type": "string"}, "total": {"type": "number"}}}},
                    "others": {"type": "array", "items": {"type": "object", "properties": {
                        "total": {"type": "number"}}}}}}}}}}}}}});
        let errors = |balance: &str| -> Vec<String> {
            check(&provider(balance), &spec)
                .iter()
                .map(|e| e.to_string())
                .collect()
        };
        let ok = "operation = \"get_b\"\navailable = \"/infos/[*]/total\"\nunit_pointer = \"/infos/[*]/currency\"\nrow_label = \"/infos/[*]/currency\"\nusable = \"/ok\"\narguments = { expand = \"credits\" }\n";
        assert!(errors(ok).is_empty(), "{:?}", errors(ok));
        // Rows of two arrays; a label without rows; a label that is not in the element.
        let two = errors(
            "operation = \"get_b\"\navailable = \"/infos/[*]/total\"\nused = \"/others/[*]/total\"\n",
        );
        assert!(
            two.iter()
                .any(|e| e.contains("make rows of different arrays")),
            "{two:?}"
        );
        let no_rows =
            errors("operation = \"get_b\"\navailable = \"/infos/0/total\"\nrow_label = \"/ok\"\n");
        assert!(
            no_rows
                .iter()
                .any(|e| e.contains("no pointer has a `[*]` segment")),
            "{no_rows:?}"
        );
        let missing = errors("operation = \"get_b\"\navailable = \"/infos/[*]/amount\"\n");
        assert!(
            missing.iter().any(|e| e.contains("does not have")),
            "{missing:?}"
        );
        // A fixed value for an enum parameter, or for one the operation does not have.
        let args = errors(
            "operation = \"get_b\"\navailable = \"/infos/0/total\"\narguments = { kind = \"a\", expand2 = \"x\" }\n",
        );
        assert!(
            args.iter()
                .any(|e| e.contains("only a parameter whose schema is a plain `type: string`")),
            "{args:?}"
        );
        assert!(
            args.iter()
                .any(|e| e.contains("arguments names \"expand2\"")),
            "{args:?}"
        );
    }

    #[test]
    fn strings_selectors_and_parameters() {
        let spec = json!({"paths": {"/t/{team}/b": {"get": {"operationId": "get_b",
            "parameters": [{"name": "team", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"infos": {"type": "array", "items": {"type": "object",
                    "properties": {"currency": {"type": "string"}, "total": {"type": "string"}}}}}}}}}}}}}});
        let ok = provider(
            "operation = \"get_b\"\navailable = \"/infos/[currency=USD]/total\"\nunit_pointer = \"/infos/[currency=USD]/currency\"\ndecimal_strings = true\nscale = 0.01\nparameters = { team = \"ACME_TEAM_ID\" }\n",
        );
        assert!(check(&ok, &spec).is_empty(), "{:?}", check(&ok, &spec));
        let bad = provider(
            "operation = \"get_b\"\navailable = \"/infos/[cur=USD]/total\"\nparameters = { project = \"ACME_PROJECT\" }\n",
        );
        let errors: Vec<String> = check(&bad, &spec).iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors[1].contains(
                "\"project\", which is not a path or query parameter of get_b; it has: team"
            ),
            "{}",
            errors[1]
        );
        assert!(
            errors[2].contains("get_b needs the parameter \"team\""),
            "{}",
            errors[2]
        );
        let strings = provider(
            "operation = \"get_b\"\navailable = \"/infos/0/total\"\nparameters = { team = \"T\" }\n",
        );
        let errors: Vec<String> = check(&strings, &spec)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert!(errors[0].contains("decimal_strings = true"), "{errors:?}");
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
