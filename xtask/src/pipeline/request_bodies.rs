//! Request bodies progenitor does not send as the spec says: `application/x-www-form-urlencoded`
//! bodies with arrays, nested objects or an `encoding`, and raw bodies of any media type other
//! than JSON, forms and multipart (`application/octet-stream`, `audio/*`, `image/*`,
//! `text/csv`, `application/x-ndjson`...).
//!
//! Before progenitor, [`record`] shows it what it takes, and notes on the operation what is
//! really sent:
//! - a **form** body keeps its schema (typify types it); its `encoding` (which progenitor
//!   cannot take) moves to the operation's `x-billfold-form-encoding`, and a form without a
//!   schema gets `type: object`. After progenitor, [`rewrite`] makes the method encode the body
//!   with `billfold_runtime::encode_form` (arrays and nested objects by their OpenAPI style)
//!   instead of `serde_urlencoded`, which refuses them;
//! - a **raw** body (the media type kept is none of the above) is shown to progenitor as
//!   `application/octet-stream` with `type: string, format: binary`, whatever its schema, so the
//!   method takes any `B: Into<reqwest::Body>` (bytes, a `Vec<u8>`, a `String`); the real media
//!   type is kept in `x-billfold-raw-body`, and [`rewrite`] sends it as the `Content-Type`
//!   (`application/octet-stream` for a wildcard such as `audio/*`).

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{Value, json};

use crate::error::child;
use crate::pipeline::operations::{METHODS, method_name};

/// The operation extension holding a form body's `encoding`.
pub const FORM_KEY: &str = "x-billfold-form-encoding";
/// The operation extension holding a raw body's real media type.
pub const RAW_KEY: &str = "x-billfold-raw-body";

const FORM: &str = "application/x-www-form-urlencoded";

fn essence(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn is_json(media: &str) -> bool {
    let essence = essence(media);
    essence == "application/json" || essence.ends_with("+json")
}

/// Notes and reshapes the form and raw request bodies of every operation (see the module
/// docs).
pub fn record(doc: &mut Value) {
    let Some(Value::Object(paths)) = doc.get("paths") else {
        return;
    };
    let mut ats = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if item
                .get(*method)
                .is_some_and(|op| op.get("requestBody").is_some())
            {
                ats.push(child(&child("/paths", path), method));
            }
        }
    }
    for at in ats {
        record_one(doc, &at);
    }
}

fn record_one(doc: &mut Value, at: &str) {
    let body_at = child(at, "requestBody");
    // A body given by `$ref` is copied into the operation, so that changing it changes only
    // this operation.
    if let Some(target) = doc
        .pointer(&body_at)
        .and_then(|b| b.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .map(str::to_owned)
    {
        let Some(resolved) = doc.pointer(&target).cloned() else {
            return;
        };
        if resolved.get("$ref").is_some() {
            return;
        }
        if let Some(slot) = doc.pointer_mut(&body_at) {
            *slot = resolved;
        }
    }
    let Some(content) = doc
        .pointer(&child(&body_at, "content"))
        .and_then(Value::as_object)
    else {
        return;
    };
    if content.is_empty() || content.keys().any(|m| is_json(m)) {
        return;
    }
    let form = content.keys().find(|m| essence(m) == FORM).cloned();
    let multipart = content.keys().any(|m| essence(m) == "multipart/form-data");
    let mut notes: Vec<(&str, Value)> = Vec::new();
    if let Some(form) = form {
        let media_at = child(&child(&body_at, "content"), &form);
        let Some(Value::Object(media)) = doc.pointer_mut(&media_at) else {
            return;
        };
        if let Some(Value::Object(encoding)) = media.remove("encoding") {
            let styles: Vec<Value> = encoding
                .iter()
                .map(|(name, how)| {
                    let style = how.get("style").and_then(Value::as_str).unwrap_or("form");
                    let explode = how
                        .get("explode")
                        .and_then(Value::as_bool)
                        .unwrap_or(style == "form");
                    json!({"name": name, "style": style, "explode": explode})
                })
                .collect();
            notes.push((FORM_KEY, Value::Array(styles)));
        }
        if media.get("schema").is_none() {
            media.insert("schema".to_owned(), json!({"type": "object"}));
            crate::pipeline::lower::note(media, "a form without a schema: any fields");
        }
    } else if !multipart {
        // The media type kept is the first listed (as `validate` keeps it).
        let Some((media, _)) = content.iter().next() else {
            return;
        };
        let media = media.clone();
        // A wildcard is no `Content-Type`, and `HeaderValue::from_static` takes visible ASCII
        // only.
        let usable = media.chars().all(|c| c.is_ascii_graphic() || c == ' ');
        let sent = if media.contains('*') || !usable {
            "application/octet-stream".to_owned()
        } else {
            media.clone()
        };
        if let Some(Value::Object(content)) = doc.pointer_mut(&child(&body_at, "content")) {
            let mut shown = json!({"schema": {"type": "string", "format": "binary"}});
            if let Some(map) = shown.as_object_mut() {
                crate::pipeline::lower::note(
                    map,
                    &format!("{media} sent raw, as bytes the caller gives"),
                );
            }
            content.clear();
            content.insert("application/octet-stream".to_owned(), shown);
        }
        notes.push((RAW_KEY, Value::String(sent)));
    }
    if let Some(Value::Object(op)) = doc.pointer_mut(at) {
        for (key, value) in notes {
            op.insert(key.to_owned(), value);
        }
    }
}

/// What an operation's method sends differently: the form styles, or the raw media type.
#[derive(Debug, Default, Clone)]
struct Sends {
    form_styles: Vec<(String, String, bool)>,
    raw_media: Option<String>,
}

/// Makes every method send its form body with `billfold_runtime::encode_form`, and its raw
/// body with the spec's media type (see the module docs).
pub fn rewrite(file: &mut syn::File, openapi: &openapiv3::OpenAPI) {
    let mut sends: HashMap<String, Sends> = HashMap::new();
    for item in openapi.paths.paths.values() {
        let Some(item) = item.as_item() else { continue };
        for (_, op) in item.iter() {
            let Some(id) = &op.operation_id else { continue };
            let mut entry = Sends::default();
            if let Some(Value::Array(styles)) = op.extensions.get(FORM_KEY) {
                entry.form_styles = styles
                    .iter()
                    .filter_map(|s| {
                        Some((
                            s.get("name")?.as_str()?.to_owned(),
                            s.get("style")?.as_str()?.to_owned(),
                            s.get("explode")?.as_bool()?,
                        ))
                    })
                    .collect();
            }
            entry.raw_media = op
                .extensions
                .get(RAW_KEY)
                .and_then(Value::as_str)
                .map(str::to_owned);
            sends.insert(method_name(id), entry);
        }
    }
    for function in crate::pipeline::client_code::client_functions(file) {
        let name = function.sig.ident.to_string();
        let entry = sends
            .get(name.trim_start_matches("r#"))
            .cloned()
            .unwrap_or_default();
        for stmt in &mut function.block.stmts {
            if let syn::Stmt::Local(local) = stmt
                && let Some(init) = &mut local.init
            {
                rewrite_chain(&mut init.expr, &entry);
            }
        }
    }
}

/// In a request builder chain: `.form_urlencoded(&body)?` becomes the runtime's encoding, and
/// the raw body's `Content-Type` the spec's media type.
fn rewrite_chain(expr: &mut syn::Expr, sends: &Sends) {
    if let syn::Expr::Try(attempt) = expr
        && let syn::Expr::MethodCall(call) = &*attempt.expr
        && call.method == "form_urlencoded"
        && call.args.len() == 1
    {
        let receiver = &call.receiver;
        let body = &call.args[0];
        let styles: Vec<TokenStream> = sends
            .form_styles
            .iter()
            .map(|(name, style, explode)| quote!((#name, #style, #explode)))
            .collect();
        let mut replaced: syn::Expr = syn::parse_quote! {
            #receiver
                .header(
                    ::reqwest::header::CONTENT_TYPE,
                    ::reqwest::header::HeaderValue::from_static("application/x-www-form-urlencoded"),
                )
                .body(billfold_runtime::encode_form(#body, &[#(#styles),*]).map_err(Error::InvalidRequest)?)
        };
        if let syn::Expr::MethodCall(outer) = &mut replaced
            && let syn::Expr::MethodCall(header) = &mut *outer.receiver
        {
            rewrite_chain(&mut header.receiver, sends);
        }
        *expr = replaced;
        return;
    }
    match expr {
        syn::Expr::Try(inner) => rewrite_chain(&mut inner.expr, sends),
        syn::Expr::MethodCall(call) => {
            if let Some(media) = &sends.raw_media
                && call.method == "header"
                && call.args.len() == 2
                && quote!(#call).to_string().contains("CONTENT_TYPE")
                && quote!(#call)
                    .to_string()
                    .contains("\"application/octet-stream\"")
            {
                call.args[1] =
                    syn::parse_quote!(::reqwest::header::HeaderValue::from_static(#media));
            }
            rewrite_chain(&mut call.receiver, sends);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(content: Value) -> Value {
        json!({"paths": {"/x": {"post": {"operationId": "x", "requestBody": {"content": content}}}}})
    }

    #[test]
    fn form_encoding_moves_to_the_operation() {
        let mut d = doc(json!({FORM: {
            "schema": {"type": "object"},
            "encoding": {"meta": {"style": "deepObject", "explode": true}, "ids": {"explode": false}}
        }}));
        record(&mut d);
        let op = &d["paths"]["/x"]["post"];
        assert_eq!(
            op[FORM_KEY],
            json!([
                {"name": "ids", "style": "form", "explode": false},
                {"name": "meta", "style": "deepObject", "explode": true}
            ])
        );
        assert!(op["requestBody"]["content"][FORM].get("encoding").is_none());
    }

    #[test]
    fn other_media_types_become_raw_bodies_with_their_type() {
        let mut d = doc(json!({"audio/*": {"schema": {"type": "string"}}}));
        record(&mut d);
        let op = &d["paths"]["/x"]["post"];
        assert_eq!(op[RAW_KEY], "application/octet-stream");
        assert_eq!(
            op["requestBody"]["content"]["application/octet-stream"]["schema"],
            json!({"type": "string", "format": "binary"})
        );
        let mut d = doc(json!({"text/csv": {"schema": {"type": "string", "maxLength": 10}}}));
        record(&mut d);
        assert_eq!(d["paths"]["/x"]["post"][RAW_KEY], "text/csv");
        // JSON beside it: JSON is sent, nothing changes.
        let mut d = doc(json!({"image/png": {}, "application/json": {"schema": {}}}));
        record(&mut d);
        assert!(d["paths"]["/x"]["post"].get(RAW_KEY).is_none());
    }
}
