//! Unique Rust type names. typify names a component schema by its key, an inline schema by its
//! `title`, and an untitled inline object or enum by its parent's name and its property
//! (`Monitor.behavior` → `MonitorBehavior`). Two inline schemas with one title, or an inline
//! name equal to a component's, become two Rust types of one name and the crate does not
//! compile. Here every such inline schema after the first gets a unique `title`, in document
//! order, by a numeric suffix (`Cadence`, `Cadence2`, ...), compared as typify compares names
//! (upper camel case).

use std::collections::BTreeSet;

use heck::ToUpperCamelCase;
use serde_json::Value;

/// Keywords whose value is a map of name to schema.
const SCHEMA_MAPS: &[&str] = &["properties"];
/// Keywords whose value is a schema.
const SCHEMA_VALUES: &[&str] = &["items", "additionalProperties", "not"];
/// Keywords whose value is a list of schemas.
const SCHEMA_LISTS: &[&str] = &["allOf", "anyOf", "oneOf"];

/// Renames colliding inline titles; returns (old title, new title) for each rename.
pub fn disambiguate_titles(doc: &mut Value) -> Vec<(String, String)> {
    let mut taken: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| schemas.keys().map(|k| k.to_upper_camel_case()).collect())
        .unwrap_or_default();
    // A component's own title names nothing new: typify uses its key.
    let mut renames = Vec::new();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            // typify names a component by its key; a title saying the same thing again only
            // names a second type (the inner one of a nullable object) the same.
            let key = name.to_upper_camel_case();
            if schema
                .get("title")
                .and_then(Value::as_str)
                .is_some_and(|title| title.to_upper_camel_case() == key)
                && let Some(map) = schema.as_object_mut()
            {
                map.remove("title");
            }
            walk_children(schema, &key, &mut taken, &mut renames);
        }
    }
    // Inline schemas of operations (parameters, bodies, responses).
    if let Some(paths) = doc.get_mut("paths") {
        walk_any(paths, &mut taken, &mut renames);
    }
    for key in ["responses", "requestBodies", "parameters"] {
        if let Some(node) = doc.pointer_mut(&format!("/components/{key}")) {
            walk_any(node, &mut taken, &mut renames);
        }
    }
    renames
}

/// Finds schemas anywhere below a non-schema node (`schema` keys).
fn walk_any(node: &mut Value, taken: &mut BTreeSet<String>, renames: &mut Vec<(String, String)>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "schema" {
                    walk_schema(value, None, taken, renames);
                } else if key != "example" && key != "examples" {
                    walk_any(value, taken, renames);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| walk_any(i, taken, renames)),
        _ => {}
    }
}

/// Whether typify makes a named type of this inline schema (an object with properties, an
/// enum, a union).
fn is_named_type(schema: &Value) -> bool {
    ["properties", "enum", "oneOf", "anyOf"]
        .iter()
        .any(|k| schema.get(*k).is_some())
}

/// An inline schema: its name (title, else `derived` from its parent) is made unique, then its
/// children are walked with that name as their parent.
fn walk_schema(
    schema: &mut Value,
    derived: Option<String>,
    taken: &mut BTreeSet<String>,
    renames: &mut Vec<(String, String)>,
) {
    if schema.get("$ref").is_some() {
        return;
    }
    let title = schema
        .get("title")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let name = match (title, derived) {
        (Some(title), _) => Some(title),
        (None, Some(derived)) if is_named_type(schema) => Some(derived),
        _ => None,
    };
    let mut parent = String::new();
    if let Some(name) = name {
        let base = name.to_upper_camel_case();
        if base.is_empty() {
            // Nothing to name by.
        } else if taken.contains(&base) {
            let unique = (2..)
                .map(|n| format!("{name}{n}"))
                .find(|candidate| !taken.contains(&candidate.to_upper_camel_case()))
                .unwrap_or_else(|| name.clone());
            parent = unique.to_upper_camel_case();
            taken.insert(parent.clone());
            renames.push((name.clone(), unique.clone()));
            schema["title"] = Value::String(unique);
        } else {
            taken.insert(base.clone());
            parent = base;
        }
    }
    walk_children(schema, &parent, taken, renames);
}

fn walk_children(
    schema: &mut Value,
    parent: &str,
    taken: &mut BTreeSet<String>,
    renames: &mut Vec<(String, String)>,
) {
    let Value::Object(map) = schema else { return };
    let derive = |suffix: &str| {
        (!parent.is_empty()).then(|| format!("{parent}{}", suffix.to_upper_camel_case()))
    };
    for keyword in SCHEMA_MAPS {
        if let Some(Value::Object(members)) = map.get_mut(*keyword) {
            for (name, member) in members.iter_mut() {
                walk_schema(member, derive(name), taken, renames);
            }
        }
    }
    for keyword in SCHEMA_VALUES {
        if let Some(member) = map.get_mut(*keyword) {
            walk_schema(member, None, taken, renames);
        }
    }
    for keyword in SCHEMA_LISTS {
        if let Some(Value::Array(members)) = map.get_mut(*keyword) {
            for member in members.iter_mut() {
                walk_schema(member, None, taken, renames);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn colliding_inline_titles_get_suffixes() {
        let mut doc = json!({
            "components": {"schemas": {
                "Cadence": {"type": "object", "properties": {
                    "a": {"title": "Behavior", "type": "object"},
                    "b": {"title": "behavior", "type": "object"},
                    "c": {"title": "Cadence", "type": "string"}
                }}
            }},
            "paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {
                "schema": {"title": "Behavior", "type": "object"}}}}}}}
        });
        let renames = disambiguate_titles(&mut doc);
        assert_eq!(
            renames,
            [
                ("behavior".to_owned(), "behavior2".to_owned()),
                ("Cadence".to_owned(), "Cadence2".to_owned()),
                ("Behavior".to_owned(), "Behavior3".to_owned()),
            ]
        );
        let props = &doc["components"]["schemas"]["Cadence"]["properties"];
        assert_eq!(props["a"]["title"], "Behavior");
    }

    #[test]
    fn a_component_title_repeating_its_key_goes() {
        let mut doc = json!({"components": {"schemas": {
            "CreateSessionRequest": {"title": "createSessionRequest", "type": "object", "nullable": true},
            "Other": {"title": "Something else", "type": "object"}
        }}});
        disambiguate_titles(&mut doc);
        assert!(
            doc["components"]["schemas"]["CreateSessionRequest"]
                .get("title")
                .is_none()
        );
        assert_eq!(
            doc["components"]["schemas"]["Other"]["title"],
            "Something else"
        );
    }

    #[test]
    fn an_untitled_inline_object_named_like_a_component_gets_a_title() {
        let mut doc = json!({"components": {"schemas": {
            "MonitorBehavior": {"type": "object", "properties": {"x": {"type": "string"}}},
            "Monitor": {"type": "object", "properties": {
                "behavior": {"type": "object", "properties": {"y": {"type": "string"}}},
                "name": {"type": "string"}
            }}
        }}});
        let renames = disambiguate_titles(&mut doc);
        assert_eq!(
            renames,
            [("MonitorBehavior".to_owned(), "MonitorBehavior2".to_owned())]
        );
        assert_eq!(
            doc["components"]["schemas"]["Monitor"]["properties"]["behavior"]["title"],
            "MonitorBehavior2"
        );
        assert!(
            doc["components"]["schemas"]["Monitor"]["properties"]["name"]
                .get("title")
                .is_none()
        );
    }
}
