//! `text/event-stream` success responses (server-sent events), which progenitor returns as an
//! untyped byte stream (or drops, when the response also offers JSON).
//!
//! Before progenitor, [`record`] notes each such operation in its `x-billfold-event-stream`
//! extension: the schema of one event (an inline one is hoisted to a component, so typify
//! generates its type), whether that schema describes the whole event or its data alone, the
//! sentinel that ends the stream, and whether the response also offers JSON (which stays the
//! method's return, a second method streaming). It runs on the spec as the overlay leaves it,
//! before anything else, so that a hoisted event schema typify cannot take is degraded like any
//! other component. After progenitor,
//! [`add_stream_methods`] writes those second methods into the raw client, and the wrapper
//! (`client_code`) returns a `billfold_runtime::EventStream` from each streaming method.
//!
//! The rules, each applied to every spec:
//! - **the event type**: the media type's schema; none (or `{}`) gives the raw
//!   `billfold_runtime::SseEvent`s;
//! - **envelope**: a schema that is an object with a `data` property and no properties but
//!   `event`, `data`, `id` and `retry` (or a `oneOf`/`anyOf` of only such objects) describes the
//!   whole event, and each event is decoded from `{"event", "data", "id", "retry"}`; any other
//!   schema is that of the `data` alone;
//! - **sentinel** (a `data` value that ends the stream rather than being decoded), first found
//!   of: the operation's `x-billfold-sse-sentinel` (set in the overlay; `null` for none); a
//!   `data` property of an envelope alternative whose `enum` or `const` is a single string
//!   (`data: {enum: ["[DONE]"]}`); a bracketed token written after `data:` in a description
//!   of the operation, of its success response, of the event schema or of the properties of its
//!   request body (`... terminated by a data: [DONE] message`). Without one, the stream ends
//!   with the body.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use quote::quote;
use serde_json::{Map, Value, json};
use syn::{ImplItem, Item};

use crate::error::child;
use crate::pipeline::operations::{METHODS, method_name};

/// The operation extension that records an event stream.
pub const KEY: &str = "x-billfold-event-stream";
/// The overlay key that names (or, `null`, denies) an operation's sentinel.
pub const SENTINEL_KEY: &str = "x-billfold-sse-sentinel";

/// What the generated code needs to know of one streaming operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// The component schema of one event (`None`: the raw events).
    pub schema: Option<String>,
    /// The schema describes the whole event (`event`, `data`, `id`, `retry`).
    pub envelope: bool,
    /// The `data` value that ends the stream.
    pub sentinel: Option<String>,
    /// The response also offers another body (JSON, or audio...): the operation's own method
    /// keeps returning that, and a second method (`<method>_stream`) streams; otherwise the
    /// operation's own method streams.
    pub beside_json: bool,
}

fn is_event_stream(media: &str) -> bool {
    media.split(';').next().unwrap_or("").trim() == "text/event-stream"
}

fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..16 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| doc.pointer(pointer))
        {
            Some(target) => node = target,
            None => break,
        }
    }
    node
}

/// Notes every operation with a `text/event-stream` success response (see the module docs).
pub fn record(doc: &mut Value) {
    let Some(Value::Object(paths)) = doc.get("paths") else {
        return;
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            // Named here when it has no operationId yet (regen names such operations later).
            let name = match op.get("operationId").and_then(Value::as_str) {
                Some(id) => id.to_owned(),
                None => format!("{method}-{path}"),
            };
            let responses = op.get("responses").and_then(Value::as_object);
            for (status, response) in responses.into_iter().flatten() {
                if !status.starts_with('2') || response.get("$ref").is_some() {
                    continue;
                }
                let content = response.get("content").and_then(Value::as_object);
                if let Some(media) = content
                    .into_iter()
                    .flatten()
                    .map(|(m, _)| m)
                    .find(|m| is_event_stream(m))
                {
                    found.push((
                        child(&child("/paths", path), method),
                        status.clone(),
                        media.clone(),
                        name,
                    ));
                    break;
                }
            }
        }
    }
    for (at, status, media, name) in found {
        record_one(doc, &at, &status, &media, &name);
    }
}

fn record_one(doc: &mut Value, at: &str, status: &str, media: &str, operation_id: &str) {
    let content_at = child(&child(&child(at, "responses"), status), "content");
    let Some(content) = doc.pointer(&content_at).and_then(Value::as_object) else {
        return;
    };
    let others = content.len() > 1;
    let schema = content
        .get(media)
        .and_then(|m| m.get("schema"))
        .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()))
        .cloned();
    let Some(op) = doc.pointer(at) else { return };
    let overlay_sentinel = op.get(SENTINEL_KEY).cloned();
    let (envelope, sentinel) = match &schema {
        Some(schema) => (is_envelope(doc, schema), enum_sentinel(doc, schema)),
        None => (false, None),
    };
    let sentinel = match overlay_sentinel {
        Some(Value::String(s)) => Some(s),
        Some(_) => None,
        None => sentinel.or_else(|| described_sentinel(doc, at, status, schema.as_ref())),
    };
    // The event schema as a component, so that typify generates its type.
    let schema_name = match &schema {
        None => None,
        Some(schema) => match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            Some(name) if !name.contains('/') => Some(name.replace("~1", "/").replace("~0", "~")),
            _ => add_component(doc, &format!("{operation_id}-event"), schema.clone()),
        },
    };
    let mut note = Map::new();
    note.insert(
        "schema".to_owned(),
        match &schema_name {
            Some(name) => json!({ "$ref": child("#/components/schemas", name) }),
            None => Value::Null,
        },
    );
    note.insert("envelope".to_owned(), envelope.into());
    note.insert(
        "sentinel".to_owned(),
        sentinel.map_or(Value::Null, Value::String),
    );
    note.insert("beside_json".to_owned(), others.into());
    if let Some(Value::Object(content)) = doc.pointer_mut(&content_at) {
        if others {
            // progenitor sees the JSON body; the events are read by the second method.
            content.remove(media);
        } else if let (Some(body), Some(name)) = (content.get_mut(media), &schema_name) {
            body["schema"] = json!({ "$ref": child("#/components/schemas", name) });
        }
    }
    if let Some(Value::Object(op)) = doc.pointer_mut(at) {
        op.insert(KEY.to_owned(), Value::Object(note));
    }
}

/// Adds `schema` as a component named after `base` (numbered when taken); its name.
fn add_component(doc: &mut Value, base: &str, schema: Value) -> Option<String> {
    use heck::ToUpperCamelCase;
    crate::pipeline::validate::add_component_schema(doc, &base.to_upper_camel_case(), schema)
}

/// The alternatives a schema stands for: its `oneOf`/`anyOf` members, else itself.
fn alternatives<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let schema = resolve(doc, schema);
    match schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    {
        Some(members) => members.iter().map(|m| resolve(doc, m)).collect(),
        None => vec![schema],
    }
}

/// Whether `schema` describes the whole event rather than its data.
fn is_envelope(doc: &Value, schema: &Value) -> bool {
    const FIELDS: [&str; 4] = ["event", "data", "id", "retry"];
    let members = alternatives(doc, schema);
    !members.is_empty()
        && members.iter().all(|member| {
            member
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|props| {
                    props.contains_key("data") && props.keys().all(|k| FIELDS.contains(&k.as_str()))
                })
        })
}

/// A single string an envelope alternative's `data` must be (`enum: ["[DONE]"]`, `const`).
fn enum_sentinel(doc: &Value, schema: &Value) -> Option<String> {
    if !is_envelope(doc, schema) {
        return None;
    }
    alternatives(doc, schema).into_iter().find_map(|member| {
        let data = resolve(doc, member.pointer("/properties/data")?);
        match (data.get("enum"), data.get("const")) {
            (Some(Value::Array(values)), _) if values.len() == 1 => {
                values[0].as_str().map(str::to_owned)
            }
            (_, Some(Value::String(value))) => Some(value.clone()),
            _ => None,
        }
    })
}

/// A sentinel written in the operation's prose (`data: [DONE]`).
fn described_sentinel<'a>(
    doc: &'a Value,
    at: &str,
    status: &str,
    schema: Option<&'a Value>,
) -> Option<String> {
    let op = doc.pointer(at)?;
    let mut texts: Vec<&str> = Vec::new();
    let mut text_of = |node: &'a Value| {
        for key in ["description", "summary"] {
            if let Some(text) = node.get(key).and_then(Value::as_str) {
                texts.push(text);
            }
        }
    };
    text_of(op);
    if let Some(response) = op.pointer(&format!("/responses/{}", status.replace('~', "~0"))) {
        text_of(resolve(doc, response));
    }
    if let Some(schema) = schema {
        text_of(resolve(doc, schema));
    }
    if let Some(body) = op.get("requestBody") {
        let body = resolve(doc, body);
        text_of(body);
        for media in body
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(schema) = media.1.get("schema") else {
                continue;
            };
            let schema = resolve(doc, schema);
            let mut members = vec![schema];
            members.extend(
                schema
                    .get("allOf")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|m| resolve(doc, m)),
            );
            for member in members {
                for prop in member
                    .get("properties")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    text_of(resolve(doc, prop.1));
                }
            }
        }
    }
    texts.into_iter().find_map(sentinel_in)
}

/// The bracketed token after `data:` in `text` (`data: [DONE]`, `` `data: [DONE]` ``).
pub fn sentinel_in(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(start) = rest.find("data:") {
        rest = &rest[start + 5..];
        let token = rest.trim_start_matches([' ', '`', '"', '\'']);
        if let Some(inner) = token.strip_prefix('[')
            && let Some(end) = inner.find(']')
            && end > 0
            && end <= 32
            && inner[..end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Some(format!("[{}]", &inner[..end]));
        }
    }
    None
}

/// The event stream of each operation of a validated spec, by method name.
pub fn infos(openapi: &openapiv3::OpenAPI) -> HashMap<String, Info> {
    let mut out = HashMap::new();
    for item in openapi.paths.paths.values() {
        let Some(item) = item.as_item() else { continue };
        for (_, op) in item.iter() {
            let (Some(id), Some(note)) = (&op.operation_id, op.extensions.get(KEY)) else {
                continue;
            };
            let schema = note
                .pointer("/schema/$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .map(|n| n.replace("~1", "/").replace("~0", "~"));
            out.insert(
                method_name(id),
                Info {
                    schema,
                    envelope: note.get("envelope").and_then(Value::as_bool) == Some(true),
                    sentinel: note
                        .get("sentinel")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    beside_json: note.get("beside_json").and_then(Value::as_bool) == Some(true),
                },
            );
        }
    }
    out
}

/// Writes, into progenitor's `impl Client`, a copy of each method in `originals` that returns
/// the response as a byte stream and asks for `text/event-stream`, named `<method>_stream`
/// (`_stream_2`... when a method has that name). Returns each method's copy by name (a method
/// whose shape it does not recognise gets no copy).
pub fn add_stream_methods(
    file: &mut syn::File,
    originals: &BTreeSet<String>,
) -> BTreeMap<String, String> {
    let mut written = BTreeMap::new();
    if originals.is_empty() {
        return written;
    }
    for item in &mut file.items {
        let Item::Impl(block) = item else { continue };
        if block.trait_.is_some()
            || crate::pipeline::client_code::token_text(&block.self_ty) != "Client"
        {
            continue;
        }
        let mut taken: BTreeSet<String> = block
            .items
            .iter()
            .filter_map(|item| match item {
                ImplItem::Fn(function) => Some(function.sig.ident.to_string()),
                _ => None,
            })
            .collect();
        let mut copies = Vec::new();
        for item in &block.items {
            let ImplItem::Fn(function) = item else {
                continue;
            };
            let name = function.sig.ident.to_string();
            let bare = name.trim_start_matches("r#");
            if !originals.contains(bare) {
                continue;
            }
            let base = format!("{bare}_stream");
            let twin = std::iter::once(base.clone())
                .chain((2..).map(|n| format!("{base}_{n}")))
                .find(|candidate| !taken.contains(candidate))
                .unwrap_or(base);
            if let Some(copy) = streaming_copy(function, &twin) {
                taken.insert(twin.clone());
                written.insert(bare.to_owned(), twin);
                copies.push(ImplItem::Fn(copy));
            }
        }
        block.items.extend(copies);
    }
    written
}

fn streaming_copy(function: &syn::ImplItemFn, name: &str) -> Option<syn::ImplItemFn> {
    let mut copy = function.clone();
    copy.sig.ident = syn::Ident::new(name, proc_macro2::Span::call_site());
    // `Result<ResponseValue<X>, Error<E>>` → `Result<ResponseValue<ByteStream>, Error<E>>`.
    let syn::ReturnType::Type(_, output) = &mut copy.sig.output else {
        return None;
    };
    let syn::Type::Path(result) = &mut **output else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &mut result.path.segments.last_mut()?.arguments
    else {
        return None;
    };
    let Some(syn::GenericArgument::Type(response)) = args.args.first_mut() else {
        return None;
    };
    *response = syn::parse_quote!(ResponseValue<ByteStream>);
    let mut replaced = false;
    for stmt in &mut copy.block.stmts {
        match stmt {
            // The success arms decode JSON: they hand the body over as a stream instead.
            syn::Stmt::Expr(syn::Expr::Match(matched), _) => {
                for arm in &mut matched.arms {
                    let body = &arm.body;
                    let text = quote!(#body).to_string().replace(' ', "");
                    // progenitor writes `{ ResponseValue::from_response(response).await }`.
                    let text = text.trim_start_matches('{').trim_end_matches('}');
                    if text == "ResponseValue::from_response(response).await" {
                        *arm.body = syn::parse_quote!(Ok(ResponseValue::stream(response)));
                        replaced = true;
                    } else if text == "Ok(ResponseValue::stream(response))" {
                        // Another raw body beside the events (audio, say): already a stream.
                        replaced = true;
                    }
                }
            }
            syn::Stmt::Local(local) if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "request") => {
                if let Some(init) = &mut local.init
                    && !accept_event_stream(&mut init.expr)
                {
                    ask_for_event_stream(&mut init.expr);
                }
            }
            _ => {}
        }
    }
    replaced.then_some(copy)
}

/// Adds `.header(ACCEPT, "text/event-stream")` before `.build()` in a request builder chain
/// that sends no `Accept` (progenitor sends none for a raw body).
fn ask_for_event_stream(expr: &mut syn::Expr) {
    match expr {
        syn::Expr::Try(inner) => ask_for_event_stream(&mut inner.expr),
        syn::Expr::MethodCall(call) if call.method == "build" => {
            let receiver = &call.receiver;
            *call.receiver = syn::parse_quote! {
                #receiver.header(
                    ::reqwest::header::ACCEPT,
                    ::reqwest::header::HeaderValue::from_static("text/event-stream"),
                )
            };
        }
        syn::Expr::MethodCall(call) => ask_for_event_stream(&mut call.receiver),
        _ => {}
    }
}

/// In a request builder chain, `.header(ACCEPT, "application/json")` asks for
/// `text/event-stream` instead; whether the chain had an `Accept`.
fn accept_event_stream(expr: &mut syn::Expr) -> bool {
    match expr {
        syn::Expr::Try(inner) => accept_event_stream(&mut inner.expr),
        syn::Expr::MethodCall(call) => {
            let mut found = false;
            if call.method == "header"
                && call.args.len() == 2
                && quote!(#call).to_string().contains("ACCEPT")
            {
                call.args[1] = syn::parse_quote!(::reqwest::header::HeaderValue::from_static(
                    "text/event-stream"
                ));
                found = true;
            }
            accept_event_stream(&mut call.receiver) || found
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinels_are_read_from_prose() {
        assert_eq!(
            sentinel_in(
                "tokens are sent as data-only events, terminated by a data: [DONE] message"
            ),
            Some("[DONE]".to_owned())
        );
        assert_eq!(
            sentinel_in("The stream terminates with `data: [DONE]`."),
            Some("[DONE]".to_owned())
        );
        assert_eq!(sentinel_in("data: [not a token!]"), None);
        assert_eq!(sentinel_in("returns data: a list [DONE]"), None);
        assert_eq!(sentinel_in("no sentinel here"), None);
    }

    fn spec(response: Value, request_description: &str) -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/chat": {"post": {
                "operationId": "chat",
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"stream": {"type": "boolean", "description": request_description}}
                }}}},
                "responses": {"200": response}
            }}},
            "components": {"schemas": {
                "Chunk": {"type": "object", "properties": {"n": {"type": "integer"}}},
                "Done": {"type": "object", "properties": {"data": {"type": "string", "enum": ["[DONE]"]}}},
                "ChunkEvent": {"type": "object", "properties": {"data": {"$ref": "#/components/schemas/Chunk"}}},
                "Events": {"oneOf": [{"$ref": "#/components/schemas/ChunkEvent"}, {"$ref": "#/components/schemas/Done"}]}
            }}
        })
    }

    #[test]
    fn an_inline_event_schema_becomes_a_component_and_the_prose_gives_the_sentinel() {
        let mut doc = spec(
            json!({"description": "ok", "content": {"text/event-stream": {"schema": {
                "type": "object", "properties": {"delta": {"type": "string"}}
            }}}}),
            "If set, the stream ends with data: [DONE].",
        );
        record(&mut doc);
        let note = &doc["paths"]["/chat"]["post"][KEY];
        assert_eq!(note["schema"]["$ref"], "#/components/schemas/ChatEvent");
        assert_eq!(note["envelope"], false);
        assert_eq!(note["sentinel"], "[DONE]");
        assert_eq!(note["beside_json"], false);
        assert!(doc["components"]["schemas"]["ChatEvent"].is_object());
        assert_eq!(
            doc["paths"]["/chat"]["post"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
                ["$ref"],
            "#/components/schemas/ChatEvent"
        );
    }

    #[test]
    fn json_beside_events_keeps_json_and_names_a_stream_method() {
        let mut doc = spec(
            json!({"description": "ok", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Chunk"}},
                "text/event-stream": {"schema": {"$ref": "#/components/schemas/Events"}}
            }}),
            "",
        );
        record(&mut doc);
        let note = &doc["paths"]["/chat"]["post"][KEY];
        assert_eq!(note["schema"]["$ref"], "#/components/schemas/Events");
        assert_eq!(note["envelope"], true);
        assert_eq!(note["sentinel"], "[DONE]");
        assert_eq!(note["beside_json"], true);
        let content = doc["paths"]["/chat"]["post"]["responses"]["200"]["content"]
            .as_object()
            .unwrap();
        assert_eq!(content.keys().collect::<Vec<_>>(), ["application/json"]);
    }

    #[test]
    fn the_overlay_key_wins_and_no_schema_gives_raw_events() {
        let mut doc = spec(
            json!({"description": "ends with data: [DONE]", "content": {"text/event-stream": {}}}),
            "",
        );
        doc["paths"]["/chat"]["post"][SENTINEL_KEY] = Value::Null;
        record(&mut doc);
        let note = &doc["paths"]["/chat"]["post"][KEY];
        assert_eq!(note["schema"], Value::Null);
        assert_eq!(note["sentinel"], Value::Null);
        let mut doc = spec(
            json!({"description": "ok", "content": {"text/event-stream": {}}}),
            "",
        );
        doc["paths"]["/chat"]["post"][SENTINEL_KEY] = json!("<END>");
        record(&mut doc);
        assert_eq!(doc["paths"]["/chat"]["post"][KEY]["sentinel"], "<END>");
    }
}
