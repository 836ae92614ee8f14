//! Applying an OpenAPI Overlay 1.0 document to a spec.
//!
//! Each action selects nodes with a JSONPath `target` (RFC 9535) and either merges `update` into
//! them (objects merge recursively, other values are replaced; an update of an array appends) or
//! removes them (`remove: true`). A target that selects nothing is an error: a stale overlay
//! must not pass silently.

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::error::Located;

/// Applies every action of `overlay` to `doc`, in order. Errors point into the overlay document.
pub fn apply(doc: &mut Value, overlay: &Value) -> Result<(), Located> {
    let version = overlay
        .get("overlay")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Located::new(
                "/overlay",
                "not an Overlay document: the top-level `overlay: 1.0.0` key is missing",
            )
        })?;
    if !version.starts_with("1.0") {
        return Err(Located::new(
            "/overlay",
            format!("Overlay version {version} is not supported (only 1.0.x)"),
        ));
    }
    let actions = overlay
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| Located::new("/actions", "an Overlay needs an `actions` list"))?;
    for (index, action) in actions.iter().enumerate() {
        apply_action(doc, action, &format!("/actions/{index}"))?;
    }
    Ok(())
}

fn apply_action(doc: &mut Value, action: &Value, at: &str) -> Result<(), Located> {
    let target = action
        .get("target")
        .and_then(Value::as_str)
        .ok_or_else(|| Located::new(at, "action has no `target` JSONPath"))?;
    let path = JsonPath::parse(target).map_err(|e| {
        Located::new(
            format!("{at}/target"),
            format!("invalid JSONPath {target:?}: {e}"),
        )
    })?;
    let pointers: Vec<String> = path
        .query_located(doc)
        .locations()
        .map(|location| location.to_json_pointer())
        .collect();
    if pointers.is_empty() {
        return Err(Located::new(
            format!("{at}/target"),
            format!(
                "target {target:?} matches nothing in the spec: the spec changed under this \
                 overlay; update or delete the action"
            ),
        ));
    }
    let remove = match action.get("remove") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(Located::new(
                format!("{at}/remove"),
                "`remove` must be a boolean",
            ));
        }
    };
    match (remove, action.get("update")) {
        (true, Some(_)) => Err(Located::new(
            at,
            "an action has either `update` or `remove: true`, not both",
        )),
        (true, None) => {
            // Last first, so that removing array items does not shift the ones still to remove.
            for pointer in pointers.iter().rev() {
                remove_at(doc, pointer).map_err(|m| Located::new(format!("{at}/target"), m))?;
            }
            Ok(())
        }
        (false, Some(update)) => {
            for pointer in &pointers {
                if let Some(node) = doc.pointer_mut(pointer) {
                    merge(node, update);
                }
            }
            Ok(())
        }
        (false, None) => Err(Located::new(
            at,
            "action has neither `update` nor `remove: true`",
        )),
    }
}

/// Merges `update` into `node`: objects recursively, arrays by appending, anything else replaced.
fn merge(node: &mut Value, update: &Value) {
    match (node, update) {
        (Value::Object(target), Value::Object(source)) => {
            for (key, value) in source {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(items), Value::Array(more)) => items.extend(more.iter().cloned()),
        (Value::Array(items), value) => items.push(value.clone()),
        (node, value) => *node = value.clone(),
    }
}

fn remove_at(doc: &mut Value, pointer: &str) -> Result<(), String> {
    let (parent, last) = pointer.rsplit_once('/').ok_or_else(|| {
        "the target selects the whole document, which cannot be removed".to_owned()
    })?;
    let key = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&key);
            Ok(())
        }
        Some(Value::Array(items)) => {
            let index: usize = key.parse().map_err(|_| format!("bad array index {key}"))?;
            if index < items.len() {
                items.remove(index);
            }
            Ok(())
        }
        _ => Err(format!("the parent of {pointer} cannot hold children")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overlay(actions: Value) -> Value {
        json!({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": actions})
    }

    #[test]
    fn update_merges_and_remove_removes() {
        let mut doc = json!({"paths": {"/a": {"get": {"summary": "s"}, "post": {}}}});
        apply(
            &mut doc,
            &overlay(json!([
                {"target": "$.paths['/a'].get", "update": {"operationId": "get_a"}},
                {"target": "$.paths['/a'].post", "remove": true}
            ])),
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({"paths": {"/a": {"get": {"summary": "s", "operationId": "get_a"}}}})
        );
    }

    #[test]
    fn a_target_matching_nothing_is_an_error() {
        let mut doc = json!({"paths": {}});
        let err = apply(
            &mut doc,
            &overlay(json!([{"target": "$.paths['/gone'].get", "update": {"operationId": "x"}}])),
        )
        .unwrap_err();
        assert_eq!(err.pointer, "/actions/0/target");
        assert!(err.message.contains("matches nothing"), "{}", err.message);
    }

    #[test]
    fn bad_jsonpath_and_missing_version_are_errors() {
        let mut doc = json!({});
        let err = apply(
            &mut doc,
            &overlay(json!([{"target": "$[", "remove": true}])),
        )
        .unwrap_err();
        assert!(err.message.contains("invalid JSONPath"));
        let err = apply(&mut doc, &json!({"actions": []})).unwrap_err();
        assert_eq!(err.pointer, "/overlay");
    }
}
