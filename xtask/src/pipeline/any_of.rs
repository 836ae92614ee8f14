//! `anyOf` whose members are not all objects, read as `oneOf`.
//!
//! typify makes an `anyOf` a struct of optional flattened members, one per member. That is
//! right for objects (a value may carry the fields of several), but a struct cannot decode a
//! string, a number or an array: `anyOf: [{$ref: AgentType}, {type: string}]` (Letta) or
//! `anyOf: [{type: integer}, {type: string}]` (Qdrant's shard keys, 291 such schemas) gave
//! types that no valid value decodes into. Such an `anyOf` is rewritten as `oneOf`, which
//! typify makes an untagged enum: it decodes a value into the first member that takes it,
//! which is what `anyOf` asks (at least one member matches). Each rewrite is noted on its
//! schema. An `anyOf` of objects only (after following local `$ref`s) is left as it is.

use serde_json::{Map, Value};

/// The note each rewrite leaves (its start), by which [`restore_any_of`] finds them.
const NOTE: &str = "anyOf read as oneOf";

/// Keys under which a value is data, not schemas.
const DATA_KEYS: &[&str] = &["example", "examples", "default", "enum", "const"];

/// How deep a chain of `$ref`s is followed to see whether a member is an object.
const MAX_REF_DEPTH: usize = 32;

/// Rewrites every `anyOf` of `doc` that has a member which is not an object as `oneOf`.
/// Returns how many were rewritten.
pub fn read_mixed_any_of_as_one_of(doc: &mut Value) -> usize {
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    let mut rewritten = 0;
    rewrite(doc, &schemas, &mut rewritten);
    rewritten
}

fn rewrite(node: &mut Value, schemas: &Value, rewritten: &mut usize) {
    match node {
        Value::Object(map) => {
            let mixed = map
                .get("anyOf")
                .and_then(Value::as_array)
                .is_some_and(|members| !members.iter().all(|m| is_object(m, schemas, 0)));
            if mixed && !map.contains_key("oneOf") {
                if let Some(members) = map.remove("anyOf") {
                    map.insert("oneOf".to_owned(), members);
                }
                crate::pipeline::lower::note(
                    map,
                    "anyOf read as oneOf: a member is not an object, so the value is one of \
                     them (decoded into the first that takes it)",
                );
                *rewritten += 1;
            }
            for (key, value) in map.iter_mut() {
                if DATA_KEYS.contains(&key.as_str()) || key.starts_with("x-") {
                    continue;
                }
                rewrite(value, schemas, rewritten);
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite(item, schemas, rewritten);
            }
        }
        _ => {}
    }
}

/// Undoes every rewrite of [`read_mixed_any_of_as_one_of`] in an effective spec (for a tool
/// that validates against it, such as a mock server: a value two members take breaks
/// `oneOf`). Returns how many it undid.
pub fn restore_any_of(doc: &mut Value) -> usize {
    let mut restored = 0;
    restore(doc, &mut restored);
    restored
}

fn restore(node: &mut Value, restored: &mut usize) {
    match node {
        Value::Object(map) => {
            let rewritten = map
                .get(crate::pipeline::lower::NOTE_KEY)
                .and_then(Value::as_array)
                .is_some_and(|notes| {
                    notes
                        .iter()
                        .any(|n| n.as_str().is_some_and(|n| n.starts_with(NOTE)))
                });
            if rewritten
                && !map.contains_key("anyOf")
                && let Some(members) = map.remove("oneOf")
            {
                map.insert("anyOf".to_owned(), members);
                *restored += 1;
            }
            map.values_mut().for_each(|value| restore(value, restored));
        }
        Value::Array(items) => items.iter_mut().for_each(|value| restore(value, restored)),
        _ => {}
    }
}

/// Whether `schema` (following local `$ref`s to component schemas) describes an object.
fn is_object(schema: &Value, schemas: &Value, depth: usize) -> bool {
    let Some(map) = schema.as_object() else {
        return false;
    };
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        return depth < MAX_REF_DEPTH
            && reference
                .strip_prefix("#/components/schemas/")
                .and_then(|name| schemas.get(name.replace("~1", "/").replace("~0", "~")))
                .is_some_and(|target| is_object(target, schemas, depth + 1));
    }
    object_keywords(map)
}

/// An object by its type, or by keywords only objects have.
fn object_keywords(map: &Map<String, Value>) -> bool {
    map.get("type").and_then(Value::as_str) == Some("object")
        || map.contains_key("properties")
        || map.contains_key("allOf")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_any_of_with_a_member_that_is_not_an_object_becomes_one_of() {
        let mut doc = json!({
            "components": {"schemas": {
                "AgentType": {"type": "string", "enum": ["memgpt_agent"]},
                "A": {"type": "object", "properties": {"a": {"type": "string"}}},
                "B": {"$ref": "#/components/schemas/A"},
                "Memory": {"type": "object", "properties": {
                    "agent_type": {"anyOf": [{"$ref": "#/components/schemas/AgentType"}, {"type": "string"}]},
                    "both": {"anyOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
                    "key": {"anyOf": [{"type": "integer"}, {"type": "string"}]}
                },
                "example": {"anyOf": [1]}}
            }}
        });
        assert_eq!(read_mixed_any_of_as_one_of(&mut doc), 2);
        let memory = &doc["components"]["schemas"]["Memory"];
        assert!(memory["properties"]["agent_type"]["oneOf"].is_array());
        assert!(memory["properties"]["key"]["oneOf"].is_array());
        assert!(
            memory["properties"]["key"][crate::pipeline::lower::NOTE_KEY][0]
                .as_str()
                .unwrap()
                .starts_with("anyOf read as oneOf")
        );
        // Objects only: left to typify's struct of flattened members. Examples are data.
        assert!(memory["properties"]["both"]["anyOf"].is_array());
        assert_eq!(memory["example"], json!({"anyOf": [1]}));
        // For a validator, the spec's own anyOf comes back.
        assert_eq!(restore_any_of(&mut doc), 2);
        let memory = &doc["components"]["schemas"]["Memory"];
        assert!(memory["properties"]["key"]["anyOf"].is_array());
        assert!(memory["properties"]["key"].get("oneOf").is_none());
    }
}
