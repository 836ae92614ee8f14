//! Degrading locally: what a problem inside a spec costs.
//!
//! A problem in one schema costs that schema (replaced by an untyped `serde_json::Value` with
//! a note); a problem in one operation that is not inside a schema costs that operation (left
//! out, with its reason); a problem in a path item costs its operations. Only a problem
//! outside all of these (an unreadable document, a broken overlay) refuses the spec.
//!
//! The rule for "that schema": the innermost enclosing *schema position* of the problem's JSON
//! pointer: a component schema (`/components/schemas/X`), a `schema` of a media type or a
//! parameter, a property (`properties/<name>`), `items`, `additionalProperties`, `not`, or one
//! member of `allOf`/`anyOf`/`oneOf`. So `prefixItems` on one property costs that property,
//! not its object.

use serde_json::{Value, json};

use crate::operations::{METHODS, Skipped, operation_at};

/// The key that marks a schema replaced by an untyped value, with the reason, in the effective
/// spec.
pub const FALLBACK_KEY: &str = "x-billfold-fallback";

/// A schema typed as `serde_json::Value` because the generator could not type it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    /// JSON pointer of the schema (in the spec after the overlay).
    pub pointer: String,
    /// Why it could not be typed.
    pub reason: String,
}

/// What the generator gave up on for one provider, each item with its reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Degraded {
    /// Operations left out: (path, lower-case method, reason).
    pub left_out: Vec<(String, String, String)>,
    /// Schemas typed as `serde_json::Value`.
    pub fallbacks: Vec<Fallback>,
    /// Component schemas renamed `<name>Schema` because typify derives a type of the same
    /// name from another schema's property.
    pub renamed: Vec<String>,
    /// Rust type names that typify derives and that no component of the spec has: schemas the
    /// generator adds (hoisted, shared) must not take them.
    pub reserved: Vec<String>,
}

/// What a problem at a JSON pointer costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cost {
    /// The schema at this pointer.
    Schema(String),
    /// These operations: (path, lower-case method).
    Operations(Vec<(String, String)>),
}

impl Degraded {
    /// Records a problem at `pointer` of `doc` (the spec after the overlay); `false` when the
    /// problem is not local (or was already recorded, so degrading again would not help).
    pub fn record(&mut self, doc: &Value, pointer: &str, reason: &str) -> bool {
        match cost_of(doc, pointer) {
            Some(Cost::Schema(at)) => {
                if self.fallbacks.iter().any(|f| f.pointer == at) {
                    return false;
                }
                self.fallbacks.push(Fallback {
                    pointer: at,
                    reason: reason.to_owned(),
                });
                true
            }
            Some(Cost::Operations(operations)) => {
                let mut added = false;
                for (path, method) in operations {
                    if !self
                        .left_out
                        .iter()
                        .any(|(p, m, _)| *p == path && *m == method)
                    {
                        self.left_out.push((path, method, reason.to_owned()));
                        added = true;
                    }
                }
                added
            }
            None => false,
        }
    }

    /// Records that the component schema whose Rust name is `rust_name` must be renamed (or,
    /// when no component of the spec has that name, that the schemas the generator adds must
    /// not take it); `false` when that was recorded already.
    pub fn rename(&mut self, doc: &Value, rust_name: &str) -> bool {
        use heck::ToUpperCamelCase;
        let found = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .and_then(|schemas| {
                schemas.keys().find(|name| {
                    name.replace(|c: char| !c.is_alphanumeric(), "-")
                        .to_upper_camel_case()
                        == rust_name
                })
            })
            .cloned();
        match found {
            Some(name) if !self.renamed.contains(&name) => {
                self.renamed.push(name);
                true
            }
            Some(_) => false,
            None => {
                let stem = rust_name.trim_end_matches(|c: char| c.is_ascii_digit());
                if !self.reserved.iter().any(|r| r == stem) {
                    self.reserved.push(stem.to_owned());
                    return true;
                }
                // Reserving the name did not help (typify derives it again from the schema
                // the generator hoists under it): that schema is typed as any value.
                match hoisted_from(doc, stem) {
                    Some(pointer) => self.record(
                        doc,
                        &pointer,
                        &format!("typify derives a second type named `{stem}` from it"),
                    ),
                    None => false,
                }
            }
        }
    }

    /// Applies the plan to `doc`: components renamed, fallback schemas replaced, operations
    /// removed (path items left without an operation removed too).
    pub fn apply(&self, doc: &mut Value) {
        if !self.reserved.is_empty()
            && let Some(root) = doc.as_object_mut()
        {
            root.insert(
                crate::validate::RESERVED_NAMES_KEY.to_owned(),
                json!(self.reserved),
            );
        }
        let mut targets = std::collections::BTreeMap::new();
        if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
            for name in &self.renamed {
                let new = (0..)
                    .map(|n| {
                        if n == 0 {
                            format!("{name}Schema")
                        } else {
                            format!("{name}Schema{n}")
                        }
                    })
                    .find(|candidate| !schemas.contains_key(candidate))
                    .unwrap_or_default();
                if let Some(mut schema) = schemas.remove(name) {
                    if let Some(map) = schema.as_object_mut() {
                        crate::lower::note(
                            map,
                            &format!(
                                "renamed from {name:?}: typify derives a type of that name from another schema"
                            ),
                        );
                    }
                    schemas.insert(new.clone(), schema);
                    targets.insert(
                        crate::error::child("#/components/schemas", name),
                        crate::error::child("#/components/schemas", &new),
                    );
                }
            }
        }
        if !targets.is_empty() {
            crate::validate::rewrite_refs(doc, &targets);
        }
        for fallback in &self.fallbacks {
            if let Some(node) = doc.pointer_mut(&fallback.pointer) {
                *node = fallback_schema(node, &fallback.reason);
            }
        }
        let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
            return;
        };
        for (path, method, _) in &self.left_out {
            if let Some(item) = paths.get_mut(path).and_then(Value::as_object_mut) {
                item.remove(method);
                if !METHODS.iter().any(|m| item.contains_key(*m)) {
                    paths.remove(path);
                }
            }
        }
    }

    /// The left-out operations as [`Skipped`] entries (operationId read from `doc`, the spec
    /// after the overlay).
    pub fn skipped(&self, doc: &Value) -> Vec<Skipped> {
        self.left_out
            .iter()
            .map(|(path, method, reason)| Skipped {
                method: method.to_uppercase(),
                path: path.clone(),
                operation_id: doc["paths"][path][method]["operationId"]
                    .as_str()
                    .map(str::to_owned),
                reason: format!("left out by the generator: {reason}"),
            })
            .collect()
    }
}

/// The schema position below `/components/schemas` that the generator would hoist under the
/// name `name` (see [`crate::validate::hoisted_name`]), if any.
fn hoisted_from(doc: &Value, name: &str) -> Option<String> {
    fn walk(node: &Value, pointer: &mut String, name: &str) -> Option<String> {
        let Value::Object(map) = node else {
            return None;
        };
        if crate::validate::hoisted_name(pointer) == name {
            return Some(pointer.clone());
        }
        for (key, value) in map {
            if !value.is_object() && !value.is_array() {
                continue;
            }
            let length = pointer.len();
            crate::error::push_segment(pointer, key);
            let found = match value {
                Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                    let length = pointer.len();
                    crate::error::push_segment(pointer, &i.to_string());
                    let found = walk(item, pointer, name);
                    pointer.truncate(length);
                    found
                }),
                _ => walk(value, pointer, name),
            };
            pointer.truncate(length);
            if found.is_some() {
                return found;
            }
        }
        None
    }
    let schemas = doc.pointer("/components/schemas")?;
    walk(schemas, &mut "/components/schemas".to_owned(), name)
}

/// The untyped schema that replaces `original`: any JSON value, keeping the
/// description, with the reason as a note.
fn fallback_schema(original: &Value, reason: &str) -> Value {
    let mut schema = json!({ FALLBACK_KEY: reason });
    if let Some(description) = original.get("description") {
        schema["description"] = description.clone();
    }
    schema
}

/// What a problem at `pointer` costs, or `None` when it is outside every schema, operation and
/// path item.
pub fn cost_of(doc: &Value, pointer: &str) -> Option<Cost> {
    if let Some(at) = schema_at(pointer) {
        return Some(Cost::Schema(at));
    }
    if let Some(operation) = operation_at(pointer) {
        return Some(Cost::Operations(vec![operation]));
    }
    // A path item (`/paths/<p>` or anything in it outside an operation): all its operations.
    let rest = pointer.strip_prefix("/paths/")?;
    let escaped = rest.split('/').next()?;
    let path = escaped.replace("~1", "/").replace("~0", "~");
    let item = doc.get("paths")?.get(&path)?;
    let operations: Vec<(String, String)> = METHODS
        .iter()
        .filter(|m| item.get(**m).is_some())
        .map(|m| (path.clone(), (*m).to_owned()))
        .collect();
    (!operations.is_empty()).then_some(Cost::Operations(operations))
}

/// The innermost schema position enclosing `pointer` (see the module docs), if any.
pub fn schema_at(pointer: &str) -> Option<String> {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    // Where schema positions can begin: a component schema, or a `schema` keyword below an
    // operation or component.
    let start = if segments.len() >= 3 && segments[0] == "components" && segments[1] == "schemas" {
        3
    } else {
        segments.iter().position(|s| *s == "schema")? + 1
    };
    let mut innermost = start;
    let mut i = start;
    while i < segments.len() {
        let segment = segments[i];
        let next = i + 1;
        match segment {
            "properties" | "patternProperties" | "$defs" | "definitions"
                if next < segments.len() =>
            {
                innermost = next + 1;
                i = next + 1;
            }
            "allOf" | "anyOf" | "oneOf" | "prefixItems" if next < segments.len() => {
                innermost = next + 1;
                i = next + 1;
            }
            "items" | "additionalProperties" | "not" => {
                innermost = next;
                i = next;
            }
            _ => break,
        }
    }
    let kept = &segments[..innermost.min(segments.len())];
    Some(format!("/{}", kept.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_schema_pays() {
        assert_eq!(
            schema_at("/components/schemas/S/properties/amount/type").as_deref(),
            Some("/components/schemas/S/properties/amount")
        );
        assert_eq!(
            schema_at("/components/schemas/S/prefixItems").as_deref(),
            Some("/components/schemas/S")
        );
        // A property named `type` is a schema position of its own.
        assert_eq!(
            schema_at("/components/schemas/S/properties/type").as_deref(),
            Some("/components/schemas/S/properties/type")
        );
        assert_eq!(
            schema_at("/components/schemas/A/$ref").as_deref(),
            Some("/components/schemas/A")
        );
        assert_eq!(
            schema_at("/paths/~1x/get/responses/200/content/application~1json/schema/$ref")
                .as_deref(),
            Some("/paths/~1x/get/responses/200/content/application~1json/schema")
        );
        assert_eq!(
            schema_at("/components/schemas/S/allOf/1/items/enum").as_deref(),
            Some("/components/schemas/S/allOf/1/items")
        );
        assert_eq!(schema_at("/paths/~1x/get/operationId"), None);
        assert_eq!(schema_at("/components/securitySchemes/b"), None);
    }

    #[test]
    fn operations_and_path_items_pay_outside_schemas() {
        let doc = json!({"paths": {"/x": {"get": {}, "post": {}, "parameters": []}}});
        assert_eq!(
            cost_of(&doc, "/paths/~1x/get/operationId"),
            Some(Cost::Operations(vec![("/x".into(), "get".into())]))
        );
        assert_eq!(
            cost_of(&doc, "/paths/~1x/parameters/0"),
            Some(Cost::Operations(vec![
                ("/x".into(), "get".into()),
                ("/x".into(), "post".into())
            ]))
        );
        assert_eq!(cost_of(&doc, "/info"), None);
    }

    #[test]
    fn a_plan_applies_and_never_repeats() {
        let mut doc = json!({
            "paths": {"/x": {"get": {"operationId": "g"}}, "/y": {"get": {}, "put": {}}},
            "components": {"schemas": {"S": {"description": "d", "prefixItems": []}}}
        });
        let mut plan = Degraded::default();
        assert!(plan.record(&doc, "/components/schemas/S/prefixItems", "no 3.0 form"));
        assert!(!plan.record(&doc, "/components/schemas/S/prefixItems", "again"));
        assert!(plan.record(&doc, "/paths/~1x/get/parameters", "bad"));
        assert!(plan.record(&doc, "/paths/~1y/put", "bad"));
        assert_eq!(plan.skipped(&doc)[0].operation_id.as_deref(), Some("g"));
        plan.apply(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["S"][FALLBACK_KEY],
            "no 3.0 form"
        );
        assert_eq!(doc["components"]["schemas"]["S"]["description"], "d");
        assert!(doc["paths"].get("/x").is_none());
        assert!(doc["paths"]["/y"].get("get").is_some());
        assert!(doc["paths"]["/y"].get("put").is_none());
    }
}
