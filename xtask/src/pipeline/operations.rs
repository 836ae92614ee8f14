//! Which operations a provider's client gets, before validation: operations the overlay marks
//! `x-billfold-skip: "<reason>"` are taken out (and listed), and, under the provider's explicit
//! `operation_names = "from-path"` policy, operations without an operationId are named from
//! their method and path.
//!
//! The naming rule: the lower-case method, then each path segment in snake case, a path
//! parameter `{id}` becoming `by_id`, joined by `_` (`GET /v1/users/{user-id}/keys` →
//! `get_v1_users_by_user_id_keys`; `GET /` → `get_root`). A name whose method name (snake case,
//! as progenitor makes it) is already taken, by an operationId of the spec or an earlier named
//! operation, gets `_2`, `_3`, ... in document order. The overlay still wins: an operationId it
//! sets is never replaced, unless it repeats another's.
//!
//! Repeated operationIds (the same method name on several operations, as in specs that call
//! every list operation `list`) are taken off every operation that shares them, and each of
//! those operations is named from its path by the same rule; regen warns, naming them.

use std::collections::BTreeSet;

use heck::ToSnakeCase;
use serde_json::Value;

use crate::error::{Located, child};

/// The HTTP methods of an OpenAPI path item.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The overlay key that takes an operation out of the client.
pub const SKIP_KEY: &str = "x-billfold-skip";

/// An operation left out of the client on purpose, with the overlay's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path.
    pub path: String,
    /// Its operationId, if it has one.
    pub operation_id: Option<String>,
    /// Why it is skipped.
    pub reason: String,
}

/// Removes every operation marked `x-billfold-skip` (and path items left with no operation);
/// the marker must be a non-empty reason.
pub fn take_skipped(doc: &mut Value) -> Result<Vec<Skipped>, Located> {
    let mut skipped = Vec::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(skipped);
    };
    let mut emptied = Vec::new();
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let before = skipped.len();
        for method in METHODS {
            let Some(reason) = item.get(*method).and_then(|op| op.get(SKIP_KEY)) else {
                continue;
            };
            let reason = match reason.as_str().map(str::trim) {
                Some(reason) if !reason.is_empty() => reason.to_owned(),
                _ => {
                    let at = child(&child(&child("/paths", path), method), SKIP_KEY);
                    return Err(Located::new(
                        at,
                        format!(
                            "{SKIP_KEY} must be a non-empty string: the reason the operation is skipped"
                        ),
                    ));
                }
            };
            let op = item.remove(*method).unwrap_or_default();
            skipped.push(Skipped {
                method: method.to_uppercase(),
                path: path.clone(),
                operation_id: op["operationId"].as_str().map(str::to_owned),
                reason,
            });
        }
        // A path item whose every operation is skipped goes too.
        if skipped.len() > before && !METHODS.iter().any(|m| item.contains_key(*m)) {
            emptied.push(path.clone());
        }
    }
    for path in emptied {
        paths.remove(&path);
    }
    Ok(skipped)
}

/// (path, method) when a JSON pointer is inside one operation.
pub fn operation_at(pointer: &str) -> Option<(String, String)> {
    let mut parts = pointer.strip_prefix("/paths/")?.split('/');
    let path = parts.next()?.replace("~1", "/").replace("~0", "~");
    let method = parts.next()?;
    METHODS.contains(&method).then(|| (path, method.to_owned()))
}

/// The Rust method name progenitor gives an operationId: apostrophes dropped, other
/// characters that cannot be in an identifier read as word breaks, snake case, `_` before a
/// leading digit, and `_` after a keyword (`type` → `type_`).
///
/// ```
/// use xtask::pipeline::operations::method_name;
/// assert_eq!(method_name("Retrieve an Integration's Issue"), "retrieve_an_integrations_issue");
/// assert_eq!(method_name("get-v1-billing-credits"), "get_v1_billing_credits");
/// assert_eq!(method_name("type"), "type_");
/// ```
pub fn method_name(operation_id: &str) -> String {
    let cleaned = operation_id
        .replace('\'', "")
        .replace(|c: char| !(c.is_alphanumeric() || c == '_'), "-");
    let mut name = cleaned.to_snake_case();
    match name.chars().next() {
        None => name = "x".to_owned(),
        Some(c) if !(c.is_alphabetic() || c == '_') => name = format!("_{name}"),
        Some(_) => {}
    }
    if syn::parse_str::<syn::Ident>(&name).is_err() {
        name.push('_');
    }
    name
}

/// The name the `from-path` policy gives an operation (before collisions are resolved).
pub fn name_from_path(method: &str, path: &str) -> String {
    let mut parts = vec![method.to_lowercase()];
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let part = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(parameter) => format!("by_{}", parameter.to_snake_case()),
            None => segment.to_snake_case(),
        };
        if !part.is_empty() {
            parts.push(part);
        }
    }
    if parts.len() == 1 {
        parts.push("root".to_owned());
    }
    parts.join("_")
}

/// Names every operation without an operationId, and every operation whose operationId gives
/// the same method name as another's (`list` on many paths), by [`name_from_path`], making
/// names unique; returns (JSON pointer of the operation, name given, the repeated operationId
/// it replaces, if any).
pub fn name_from_paths(doc: &mut Value) -> Vec<(String, String, Option<String>)> {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    // Repeated operationIds are taken off every operation that has them: none of the
    // operations sharing a name has a better claim to it than the others.
    let mut uses: std::collections::BTreeMap<String, usize> = Default::default();
    for op in paths
        .values()
        .flat_map(|item| METHODS.iter().filter_map(move |m| item.get(*m)))
    {
        if let Some(id) = op.get("operationId").and_then(Value::as_str)
            && !id.trim().is_empty()
        {
            *uses.entry(id.to_snake_case()).or_default() += 1;
        }
    }
    let mut repeated: std::collections::BTreeMap<String, String> = Default::default();
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(*method).and_then(Value::as_object_mut) else {
                continue;
            };
            let Some(id) = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            if uses.get(&id.to_snake_case()).is_some_and(|n| *n > 1) {
                op.remove("operationId");
                repeated.insert(child(&child("/paths", path), method), id);
            }
        }
    }
    let has_id = |op: &Value| {
        op.get("operationId")
            .and_then(Value::as_str)
            .is_some_and(|id| !id.trim().is_empty())
    };
    let mut taken: BTreeSet<String> = paths
        .values()
        .flat_map(|item| METHODS.iter().filter_map(move |m| item.get(*m)))
        .filter(|op| has_id(op))
        .filter_map(|op| op["operationId"].as_str().map(|id| id.to_snake_case()))
        .collect();
    let mut named = Vec::new();
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(op) = item.get_mut(*method).and_then(Value::as_object_mut) else {
                continue;
            };
            if op
                .get("operationId")
                .and_then(Value::as_str)
                .is_some_and(|id| !id.trim().is_empty())
            {
                continue;
            }
            let base = name_from_path(method, path);
            let name = std::iter::once(base.clone())
                .chain((2..).map(|n| format!("{base}_{n}")))
                .find(|candidate| !taken.contains(&candidate.to_snake_case()))
                .unwrap_or(base);
            taken.insert(name.to_snake_case());
            op.insert("operationId".to_owned(), Value::String(name.clone()));
            let at = child(&child("/paths", path), method);
            let replaced = repeated.remove(&at);
            named.push((at, name, replaced));
        }
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_follow_method_and_path() {
        assert_eq!(
            name_from_path("GET", "/v1/billing/credits"),
            "get_v1_billing_credits"
        );
        assert_eq!(
            name_from_path("delete", "/v1/users/{user-id}/api.keys"),
            "delete_v1_users_by_user_id_api_keys"
        );
        assert_eq!(name_from_path("get", "/"), "get_root");
    }

    #[test]
    fn collisions_get_numbers_and_existing_ids_win() {
        let mut doc = json!({"paths": {
            "/a-b": {"get": {}},
            "/a_b": {"get": {}},
            "/x": {"get": {"operationId": "get_a_b_2"}, "post": {"operationId": "kept"}}
        }});
        let named = name_from_paths(&mut doc);
        assert_eq!(
            named,
            [
                ("/paths/~1a-b/get".to_owned(), "get_a_b".to_owned(), None),
                ("/paths/~1a_b/get".to_owned(), "get_a_b_3".to_owned(), None),
            ]
        );
        assert_eq!(doc["paths"]["/x"]["post"]["operationId"], "kept");
    }

    #[test]
    fn repeated_operation_ids_are_all_named_from_their_paths() {
        let mut doc = json!({"paths": {
            "/users": {"get": {"operationId": "list"}, "post": {"operationId": "create"}},
            "/teams": {"get": {"operationId": "List"}},
            "/teams/{id}": {"get": {"operationId": "get"}}
        }});
        let named = name_from_paths(&mut doc);
        assert_eq!(
            named,
            [
                (
                    "/paths/~1teams/get".to_owned(),
                    "get_teams".to_owned(),
                    Some("List".to_owned())
                ),
                (
                    "/paths/~1users/get".to_owned(),
                    "get_users".to_owned(),
                    Some("list".to_owned())
                ),
            ]
        );
        assert_eq!(doc["paths"]["/users"]["post"]["operationId"], "create");
        assert_eq!(doc["paths"]["/teams/{id}"]["get"]["operationId"], "get");
    }

    #[test]
    fn skipped_operations_leave_with_their_reason() {
        let mut doc = json!({"paths": {
            "/upload": {"post": {"x-billfold-skip": "multipart upload", "responses": {}}},
            "/both": {"get": {"operationId": "g"}, "put": {"x-billfold-skip": "later"}}
        }});
        let skipped = take_skipped(&mut doc).unwrap();
        assert_eq!(skipped.len(), 2);
        assert_eq!(skipped[0].reason, "later");
        assert!(doc["paths"].get("/upload").is_none());
        assert!(doc["paths"]["/both"].get("get").is_some());
        let mut bad = json!({"paths": {"/x": {"get": {"x-billfold-skip": ""}}}});
        let err = take_skipped(&mut bad).unwrap_err();
        assert_eq!(err.pointer, "/paths/~1x/get/x-billfold-skip");
    }
}
