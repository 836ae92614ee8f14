//! Success responses progenitor can take.
//!
//! progenitor gives a method one success type and panics when an operation's success
//! responses have different bodies. Real specs mix them (a 200 with a body beside a 204
//! without one; a 200 and a 201 with different schemas), so each mix becomes something
//! progenitor takes, by one rule:
//!
//! - one JSON schema beside body-less statuses: the body-less ones are taken out of
//!   progenitor's view and listed under [`EMPTY_SUCCESS_KEY`] on the operation; the generated
//!   method returns `Option<T>`, `None` for them;
//! - a raw (non-JSON) body beside body-less statuses: the body-less ones get the raw body's
//!   media type, so the method returns the (then empty) byte stream for them;
//! - several JSON schemas: they become one component schema `<OperationId>Success`, a `oneOf`
//!   of them (typify makes it an untagged enum), referenced from each status;
//! - JSON beside a raw body: every success body is returned raw (a byte stream), with a note.
//!
//! Each change is noted in the effective spec.

use serde_json::{Value, json};

use super::{add_component_schema, child, is_json, json_body_schema, resolve};
use crate::error::Located;

/// Lists, on an operation, the success statuses without a body that its method returns as
/// `None` (taken out of progenitor's view).
pub const EMPTY_SUCCESS_KEY: &str = "x-billfold-empty-success";

/// What one operation's success responses become.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuccessPlan {
    /// Body-less statuses beside one JSON schema: taken out, returned as `None`.
    pub empty: Vec<String>,
    /// Body-less statuses beside raw bodies: given `raw_media` (an empty stream).
    pub empty_as_raw: Vec<String>,
    /// The raw bodies' media type, for `empty_as_raw`.
    pub raw_media: String,
    /// JSON statuses returned raw, beside raw bodies.
    pub json_as_raw: Vec<String>,
    /// Statuses whose different JSON schemas become one `oneOf`: (statuses, the schemas).
    pub combined: Vec<(String, Value)>,
}

/// The kind of body progenitor sees in one success response.
enum Body<'a> {
    Json(&'a Value),
    Raw(String),
    Empty,
}

/// Reads the success responses of the operation `op` at `at` and decides what they become.
pub fn plan(doc: &Value, op: &Value, at: &str) -> Result<SuccessPlan, Located> {
    let Some(Value::Object(responses)) = op.get("responses") else {
        return Err(Located::new(
            child(at, "responses"),
            "the operation has no `responses`",
        ));
    };
    let mut bodies: Vec<(String, Body)> = Vec::new();
    for (status, response) in responses.iter().filter(|(s, _)| s.starts_with('2')) {
        let content = resolve(doc, response)
            .get("content")
            .and_then(Value::as_object);
        for (media, body) in content.into_iter().flatten() {
            if is_json(media) && body.get("schema").is_none() {
                return Err(Located::new(
                    child(
                        &child(&child(&child(at, "responses"), status), "content"),
                        media,
                    ),
                    "a JSON response without a `schema` cannot be decoded: declare its schema \
                     in the overlay",
                ));
            }
        }
        let body = match (json_body_schema(doc, response), content) {
            (Some(schema), _) => Body::Json(schema),
            (None, Some(content)) if !content.is_empty() => {
                Body::Raw(content.keys().next().cloned().unwrap_or_default())
            }
            _ => Body::Empty,
        };
        bodies.push((status.clone(), body));
    }
    let mut schemas: Vec<&Value> = Vec::new();
    let mut raw_media = None;
    let mut empty = Vec::new();
    for (status, body) in &bodies {
        match body {
            Body::Json(schema) if !schemas.contains(schema) => schemas.push(schema),
            Body::Json(_) => {}
            Body::Raw(media) => raw_media = raw_media.or(Some(media.clone())),
            Body::Empty => empty.push(status.clone()),
        }
    }
    let json_statuses = || {
        bodies
            .iter()
            .filter(|(_, b)| matches!(b, Body::Json(_)))
            .map(|(s, _)| s.clone())
    };
    let mut plan = SuccessPlan::default();
    match (schemas.len(), raw_media) {
        (0, Some(media)) => {
            plan.empty_as_raw = empty;
            plan.raw_media = media;
        }
        (0, None) => {}
        (_, Some(media)) => {
            plan.json_as_raw = json_statuses().collect();
            plan.empty_as_raw = empty;
            plan.raw_media = media;
        }
        (n, None) => {
            plan.empty = empty;
            if n > 1 {
                plan.combined = bodies
                    .iter()
                    .filter_map(|(status, body)| match body {
                        Body::Json(schema) => Some((status.clone(), (*schema).clone())),
                        _ => None,
                    })
                    .collect();
            }
        }
    }
    Ok(plan)
}

/// Makes the changes `plan` decided for the operation at `at` (named `operation_id`).
pub fn apply(doc: &mut Value, at: &str, operation_id: &str, plan: &SuccessPlan) {
    use heck::ToUpperCamelCase;
    if !plan.combined.is_empty() {
        let mut members: Vec<Value> = Vec::new();
        for (_, schema) in &plan.combined {
            if !members.contains(schema) {
                members.push(schema.clone());
            }
        }
        let mut combined = json!({ "oneOf": members });
        if let Some(map) = combined.as_object_mut() {
            crate::lower::note(
                map,
                "the success responses have different schemas; progenitor returns one type, \
                 so they are one `oneOf` (an untagged enum)",
            );
        }
        let base = format!("{}Success", operation_id.to_upper_camel_case());
        if let Some(name) = add_component_schema(doc, &base, combined) {
            for (status, _) in &plan.combined {
                set_body(
                    doc,
                    at,
                    status,
                    "application/json",
                    json!({ "$ref": format!("#/components/schemas/{name}") }),
                );
            }
        }
    }
    let raw = json!({ "type": "string", "format": "binary" });
    for status in plan.json_as_raw.iter().chain(&plan.empty_as_raw) {
        set_body(doc, at, status, &plan.raw_media, raw.clone());
    }
    let Some(Value::Object(op)) = doc.pointer_mut(at) else {
        return;
    };
    if !plan.empty.is_empty() {
        if let Some(Value::Object(responses)) = op.get_mut("responses") {
            for status in &plan.empty {
                responses.remove(status);
            }
        }
        op.insert(EMPTY_SUCCESS_KEY.to_owned(), json!(plan.empty));
    }
    if !plan.json_as_raw.is_empty() {
        crate::lower::note(
            op,
            "the success responses mix JSON and other bodies; progenitor returns one type, so \
             every success body is returned raw",
        );
    }
}

/// Makes the response `status` of the operation at `at` an inline response whose one body is
/// `schema` under `media` (a `$ref`'d response is copied in first).
fn set_body(doc: &mut Value, at: &str, status: &str, media: &str, schema: Value) {
    let pointer = child(&child(at, "responses"), status);
    let Some(response) = doc.pointer(&pointer) else {
        return;
    };
    let mut response = resolve(doc, response).clone();
    if let Some(map) = response.as_object_mut() {
        map.insert("content".to_owned(), json!({ media: { "schema": schema } }));
    }
    if let Some(slot) = doc.pointer_mut(&pointer) {
        *slot = response;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(responses: Value) -> Value {
        json!({ "paths": { "/x": { "get": { "operationId": "getX", "responses": responses } } } })
    }

    fn run(mut doc: Value) -> (Value, SuccessPlan) {
        let at = "/paths/~1x/get";
        let operation = doc.pointer(at).cloned().unwrap_or_default();
        let plan = plan(&doc, &operation, at).unwrap_or_default();
        apply(&mut doc, at, "getX", &plan);
        (doc, plan)
    }

    fn json_body(schema: Value) -> Value {
        json!({ "description": "d", "content": { "application/json": { "schema": schema } } })
    }

    #[test]
    fn a_body_less_status_beside_a_body_is_returned_as_none() {
        let (doc, plan) = run(op(json!({
            "200": json_body(json!({ "type": "string" })),
            "204": { "description": "none" }
        })));
        assert_eq!(plan.empty, ["204"]);
        let operation = &doc["paths"]["/x"]["get"];
        assert!(operation["responses"].get("204").is_none());
        assert_eq!(operation[EMPTY_SUCCESS_KEY], json!(["204"]));
    }

    #[test]
    fn different_schemas_become_one_one_of() {
        let (doc, _) = run(op(json!({
            "200": json_body(json!({ "type": "string" })),
            "201": json_body(json!({ "type": "integer" }))
        })));
        let responses = &doc["paths"]["/x"]["get"]["responses"];
        let reference = &responses["200"]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(reference, "#/components/schemas/GetXSuccess");
        assert_eq!(
            responses["201"]["content"]["application/json"]["schema"]["$ref"],
            *reference
        );
        assert_eq!(
            doc["components"]["schemas"]["GetXSuccess"]["oneOf"],
            json!([{ "type": "string" }, { "type": "integer" }])
        );
    }

    #[test]
    fn raw_bodies_give_their_media_type_to_empty_ones_and_json_ones() {
        let (doc, _) = run(op(json!({
            "200": { "description": "d", "content": { "text/csv": { "schema": { "type": "string" } } } },
            "201": json_body(json!({ "type": "object" })),
            "204": { "$ref": "#/components/responses/None" }
        })));
        let responses = &doc["paths"]["/x"]["get"]["responses"];
        assert!(responses["201"]["content"].get("text/csv").is_some());
        assert!(responses["204"]["content"].get("text/csv").is_some());
        assert!(
            responses["201"]["content"]
                .get("application/json")
                .is_none()
        );
    }

    #[test]
    fn one_body_everywhere_is_left_alone() {
        let body = json_body(json!({ "type": "string" }));
        let (doc, plan) = run(op(json!({ "200": body.clone(), "201": body })));
        assert_eq!(plan, SuccessPlan::default());
        assert!(doc.get("components").is_none());
    }
}
