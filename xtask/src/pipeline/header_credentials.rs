//! Credentials that a spec passes as a header parameter instead of a security scheme.
//!
//! Some specs declare no security scheme and give every operation a required header parameter
//! (`X-API-KEY`) that holds the key. When a provider's `[<id>.credentials]` names such a
//! parameter (`X-API-KEY = "ACME_API_KEY"`) rather than a declared scheme, the parameter
//! becomes an `apiKey` header scheme of that name: it is taken off every operation that had
//! it (so the methods stop asking for it), and those operations require the scheme (as an
//! alternative beside any requirement they already had). Each change is noted.
//!
//! `Accept` and `Content-Type` header parameters are ignored, as OpenAPI says
//! ([`drop_negotiation_headers`]).

use serde_json::{Value, json};

use crate::error::child;
use crate::pipeline::operations::METHODS;

/// Turns each credential name of `credentials` that is not a declared security scheme but is
/// the name of a header parameter (compared without case) into an `apiKey` header scheme.
/// Returns the names it turned.
pub fn apply<'a>(doc: &mut Value, credentials: impl Iterator<Item = &'a String>) -> Vec<String> {
    let declared: Vec<String> = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut turned = Vec::new();
    for name in credentials {
        if declared.contains(name) {
            continue;
        }
        if let Some(header) = take_header_parameter(doc, name) {
            let schemes = doc
                .as_object_mut()
                .map(|d| d.entry("components").or_insert_with(|| json!({})))
                .and_then(Value::as_object_mut)
                .map(|c| c.entry("securitySchemes").or_insert_with(|| json!({})));
            if let Some(Value::Object(schemes)) = schemes {
                schemes.insert(
                    name.clone(),
                    json!({
                        "type": "apiKey", "in": "header", "name": header,
                        crate::pipeline::lower::NOTE_KEY: [format!(
                            "made from the header parameter {header:?}, which the provider's \
                             credentials name"
                        )]
                    }),
                );
            }
            turned.push(name.clone());
        }
    }
    turned
}

/// Removes the header parameter `name` from every operation (and path item) that has it,
/// inline or by `$ref`, and adds a requirement of the scheme `name` to those operations.
/// Returns the parameter's name as the spec spells it, if any operation had it.
fn take_header_parameter(doc: &mut Value, name: &str) -> Option<String> {
    let global = doc.get("security").cloned();
    let mut spelled = None;
    remove_header_parameter(doc, name, |op, found, at| {
        let mut requirements = op
            .get("security")
            .or(global.as_ref())
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        requirements.retain(|r| r.as_object().is_some_and(|m| !m.is_empty()));
        requirements.push(json!({ name: [] }));
        op.insert("security".to_owned(), Value::Array(requirements));
        crate::pipeline::lower::note(
            op,
            &format!(
                "header parameter {found:?} taken off: the credential {name:?} sends it (at #{at})"
            ),
        );
        spelled = Some(found.to_owned());
    });
    spelled
}

/// Header parameters OpenAPI says to ignore because the client sets them itself: `Accept`
/// and `Content-Type` (3.0.3 and 3.1, Parameter Object: "If in is header and the name field is
/// Accept, Content-Type or Authorization, the parameter definition SHALL be ignored"). The
/// client sends the media types of the operation's body and responses instead; a versioning
/// value the spec gave them (PagerDuty's `application/vnd.pagerduty+json;version=2`) is not
/// sent. `Authorization` is left to the credentials: [`apply`] turns it into a scheme when the
/// provider's credentials name it. Returns how many parameters were taken off (counted per
/// operation), each noted on its operation.
pub fn drop_negotiation_headers(doc: &mut Value) -> usize {
    let mut dropped = 0;
    for name in ["Accept", "Content-Type"] {
        remove_header_parameter(doc, name, |op, found, at| {
            crate::pipeline::lower::note(
                op,
                &format!(
                    "header parameter {found:?} ignored, as OpenAPI says: the client sets it \
                     from the operation's media types (at #{at})"
                ),
            );
            dropped += 1;
        });
    }
    dropped
}

/// Removes the header parameter `name` (compared without case, inline or by `$ref`) from every
/// operation and path item, and calls `on_each` with each operation that had it, the name as
/// the spec spells it and the operation's JSON pointer.
fn remove_header_parameter(
    doc: &mut Value,
    name: &str,
    mut on_each: impl FnMut(&mut serde_json::Map<String, Value>, &str, &str),
) {
    let snapshot = doc.pointer("/components/parameters").cloned();
    let is_it = |param: &Value| -> Option<String> {
        let param = match param.get("$ref").and_then(Value::as_str) {
            Some(target) => snapshot
                .as_ref()?
                .get(target.strip_prefix("#/components/parameters/")?)?,
            None => param,
        };
        let found = param.get("name").and_then(Value::as_str)?;
        (param.get("in").and_then(Value::as_str) == Some("header")
            && found.eq_ignore_ascii_case(name))
        .then(|| found.to_owned())
    };
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let on_item = take_from(item.get_mut("parameters"), &is_it);
        for method in METHODS {
            let Some(op) = item.get_mut(*method).and_then(Value::as_object_mut) else {
                continue;
            };
            let on_op = take_from(op.get_mut("parameters"), &is_it);
            if let Some(found) = on_op.or_else(|| on_item.clone()) {
                on_each(op, &found, &child(&child("/paths", path), method));
            }
        }
    }
}

/// Removes the parameters `is_it` recognises from a parameter list; the spelling of the last.
fn take_from(
    list: Option<&mut Value>,
    is_it: &impl Fn(&Value) -> Option<String>,
) -> Option<String> {
    let Some(Value::Array(params)) = list else {
        return None;
    };
    let mut found = None;
    params.retain(|param| match is_it(param) {
        Some(name) => {
            found = Some(name);
            false
        }
        None => true,
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_parameter_named_by_the_credentials_becomes_a_scheme() {
        let mut doc = json!({
            "paths": {
                "/a": {"get": {"parameters": [
                    {"name": "X-API-KEY", "in": "header", "required": true, "schema": {"type": "string"}},
                    {"name": "q", "in": "query", "schema": {"type": "string"}}
                ]}},
                "/b": {"parameters": [{"$ref": "#/components/parameters/Key"}], "post": {}},
                "/c": {"get": {}}
            },
            "components": {"parameters": {"Key": {"name": "x-api-key", "in": "header"}}}
        });
        let names = ["x-api-key".to_owned()];
        assert_eq!(apply(&mut doc, names.iter()), ["x-api-key"]);
        let scheme = &doc["components"]["securitySchemes"]["x-api-key"];
        assert_eq!(scheme["type"], "apiKey");
        assert_eq!(scheme["in"], "header");
        assert_eq!(
            doc["paths"]["/a"]["get"]["parameters"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            doc["paths"]["/a"]["get"]["security"],
            json!([{"x-api-key": []}])
        );
        assert_eq!(doc["paths"]["/b"]["parameters"], json!([]));
        assert_eq!(
            doc["paths"]["/b"]["post"]["security"],
            json!([{"x-api-key": []}])
        );
        assert!(doc["paths"]["/c"]["get"].get("security").is_none());
        // A name that is neither a scheme nor a header parameter is left for the manifest check.
        let other = ["Nope".to_owned()];
        assert!(apply(&mut doc, other.iter()).is_empty());
    }

    #[test]
    fn accept_and_content_type_parameters_are_ignored() {
        let mut doc = json!({
            "paths": {
                "/a": {
                    "parameters": [{"$ref": "#/components/parameters/Accept"}],
                    "get": {"parameters": [
                        {"name": "content-type", "in": "header", "schema": {"type": "string"}},
                        {"name": "Accept", "in": "query", "schema": {"type": "string"}},
                        {"name": "Authorization", "in": "header", "schema": {"type": "string"}}
                    ]},
                    "post": {}
                }
            },
            "components": {"parameters": {"Accept": {"name": "Accept", "in": "header",
                "schema": {"type": "string", "default": "application/vnd.x+json;version=2"}}}}
        });
        assert_eq!(drop_negotiation_headers(&mut doc), 3);
        assert_eq!(doc["paths"]["/a"]["parameters"], json!([]));
        let names: Vec<&str> = doc["paths"]["/a"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        // A query parameter of that name, and Authorization, stay.
        assert_eq!(names, ["Accept", "Authorization"]);
        let notes = doc["paths"]["/a"]["post"][crate::pipeline::lower::NOTE_KEY].to_string();
        assert!(notes.contains("\\\"Accept\\\" ignored"), "{notes}");
    }
}
