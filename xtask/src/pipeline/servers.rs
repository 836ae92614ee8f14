//! Path-level and operation-level `servers`: an operation whose path item or own object names
//! a server is sent there, not to the client's base URL. progenitor knows only one base URL.
//!
//! The rule, applied to every spec: the operation's `servers` (else its path item's) first
//! entry, with each `{variable}` replaced by its `default`, is recorded on the operation as
//! `x-billfold-server`, and its method's URL is built on it
//! (`billfold_runtime::server_url(base, default_base, server)`):
//! - a relative URL (`/v2`, `v2`, or empty) is resolved against the client's base URL, as a
//!   link is (RFC 3986), so a base URL set in the configuration (a mock server) still applies;
//! - an absolute URL on the same scheme, host and port as the document's first server is
//!   recorded as its path alone, for the same reason (`https://api.x.com/v2` beside
//!   `https://api.x.com/v1` becomes `/v2`); one equal to the document's server changes nothing;
//! - any other absolute URL (an upload host) is used as it is while the client uses the
//!   provider's default base URL; a configured base URL takes its place (nothing leaves the
//!   configured origin).

use std::collections::HashMap;

use serde_json::Value;

use crate::error::child;
use crate::pipeline::operations::{METHODS, method_name};

/// The operation extension holding the server an operation is sent to.
pub const KEY: &str = "x-billfold-server";

/// A server object's URL with its variables replaced by their defaults.
fn resolved(server: &Value) -> Option<String> {
    let mut url = server.get("url")?.as_str()?.to_owned();
    if let Some(Value::Object(variables)) = server.get("variables") {
        for (name, variable) in variables {
            let value = match variable.get("default") {
                Some(Value::String(text)) => text.clone(),
                Some(other) if !other.is_null() => other.to_string(),
                _ => continue,
            };
            url = url.replace(&format!("{{{name}}}"), &value);
        }
    }
    Some(url.trim_end_matches('/').to_owned())
}

/// `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?;
    let rest = &url[scheme_end + 3..];
    let end = rest.find('/').map_or(url.len(), |i| scheme_end + 3 + i);
    Some(&url[..end])
}

/// Records the server of every operation that names one (see the module docs).
pub fn record(doc: &mut Value) {
    let document_server = doc
        .get("servers")
        .and_then(Value::as_array)
        .and_then(|servers| servers.first())
        .and_then(resolved);
    let Some(Value::Object(paths)) = doc.get("paths") else {
        return;
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        let item_server = item
            .get("servers")
            .and_then(Value::as_array)
            .and_then(|s| s.first());
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            let server = op
                .get("servers")
                .and_then(Value::as_array)
                .and_then(|s| s.first())
                .or(item_server);
            let Some(url) = server.and_then(resolved) else {
                continue;
            };
            let recorded = match (origin(&url), &document_server) {
                // Relative: resolved against the base URL at run time.
                (None, _) if url.is_empty() => None,
                (None, _) => Some(url),
                (Some(_), Some(document)) if &url == document => None,
                (Some(own), Some(document)) if origin(document) == Some(own) => {
                    let path = &url[own.len()..];
                    Some(if path.is_empty() {
                        "/".to_owned()
                    } else {
                        path.to_owned()
                    })
                }
                (Some(_), _) => Some(url),
            };
            if let Some(recorded) = recorded {
                found.push((child(&child("/paths", path), method), recorded));
            }
        }
    }
    for (at, server) in found {
        if let Some(Value::Object(op)) = doc.pointer_mut(&at) {
            op.insert(KEY.to_owned(), Value::String(server));
        }
    }
}

/// Builds the URL of each method whose operation has a server on that server.
pub fn rewrite(file: &mut syn::File, openapi: &openapiv3::OpenAPI) {
    let mut servers: HashMap<String, String> = HashMap::new();
    for item in openapi.paths.paths.values() {
        let Some(item) = item.as_item() else { continue };
        for (_, op) in item.iter() {
            if let (Some(id), Some(Value::String(server))) =
                (&op.operation_id, op.extensions.get(KEY))
            {
                servers.insert(method_name(id), server.clone());
            }
        }
    }
    if servers.is_empty() {
        return;
    }
    for function in crate::pipeline::client_code::client_functions(file) {
        let name = function.sig.ident.to_string();
        let Some(server) = servers.get(name.trim_start_matches("r#")) else {
            continue;
        };
        for stmt in &mut function.block.stmts {
            // `let url = format!("{}/path/{}", self.baseurl, ...);`
            if let syn::Stmt::Local(local) = stmt
                && matches!(&local.pat, syn::Pat::Ident(p) if p.ident == "url")
                && let Some(init) = &mut local.init
                && let syn::Expr::Macro(call) = &mut *init.expr
            {
                let text = call.mac.tokens.to_string();
                let replaced = text.replacen(
                    "self . baseurl",
                    &format!(
                        "billfold_runtime :: server_url (& self . baseurl , crate :: PROVIDER . default_base_url , {server:?})"
                    ),
                    1,
                );
                if let Ok(tokens) = replaced.parse() {
                    call.mac.tokens = tokens;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn servers_are_resolved_and_recorded_relative_where_they_can_be() {
        let mut doc = json!({
            "servers": [{"url": "https://api.x.com/v1"}],
            "paths": {
                "/a": {"servers": [{"url": "https://upload.x.com/{v}/", "variables": {"v": {"default": "2.0"}}}],
                       "get": {}, "post": {"servers": [{"url": "https://api.x.com/v2"}]}},
                "/b": {"get": {"servers": [{"url": "https://api.x.com/v1"}]},
                       "put": {"servers": [{"url": ""}]},
                       "post": {"servers": [{"url": "/beta"}]}},
                "/c": {"get": {}}
            }
        });
        record(&mut doc);
        let at = |p: &str, m: &str| doc["paths"][p][m].get(KEY).cloned();
        assert_eq!(at("/a", "get"), Some(json!("https://upload.x.com/2.0")));
        assert_eq!(at("/a", "post"), Some(json!("/v2")));
        assert_eq!(at("/b", "get"), None);
        assert_eq!(at("/b", "put"), None);
        assert_eq!(at("/b", "post"), Some(json!("/beta")));
        assert_eq!(at("/c", "get"), None);
    }
}
