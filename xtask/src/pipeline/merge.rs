//! Several spec files for one provider (`spec = ["scrapes.json", "batches.json"]`), merged into
//! one document, each file bundled on its own first.
//!
//! The rule, applied file by file in the order the manifest lists them (the first is the base:
//! its `info`, top-level `servers` and `security` are the merged document's):
//!
//! - **Operations**: a path new to the merged document comes in whole; a path already there
//!   takes the file's methods it lacks (the file's path-level parameters and servers go onto
//!   those operations). A method both files define stays as the earlier file has it; the later
//!   one is left out, with a warning naming both files.
//! - **Components** (schemas, parameters, responses, security schemes, ...): a name new to the
//!   merged document comes in as it is; a name already there with the same content is shared;
//!   a name already there with other content is renamed `<File><Name>` (the file's stem in
//!   upper camel case: `AiropsBatchesError`), with every reference to it in that file (and its
//!   security requirements, for a scheme) rewritten, and a warning.
//! - **Servers and security**: a file whose top-level `servers` differ from the base's gives
//!   them to each of its operations that has none of its own (so `builder.json`'s
//!   `agent.olostep.com` stays that operation's server); a file's top-level `security` goes
//!   onto each of its operations that has none.
//! - **Tags**: an operation without a tag is tagged with its file's stem (`scrapes`), so every
//!   operation belongs to an area named after where it was published; tag objects are merged
//!   by name, the earlier description kept.
//! - The merged document's `openapi` is the highest version among the files.

use serde_json::{Map, Value, json};

use crate::error::child;
use crate::pipeline::operations::METHODS;

/// Component kinds of OpenAPI 3.0 and 3.1.
const COMPONENT_KINDS: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "pathItems",
];

/// The merged document, and a warning for each collision resolved.
#[derive(Debug)]
pub struct Merged {
    /// The one document.
    pub doc: Value,
    /// What the rule did about collisions, one line each (regen prints them).
    pub warnings: Vec<String>,
}

/// Merges `files` (file name, parsed and bundled document), in order. One file is returned as
/// it is.
pub fn merge(mut files: Vec<(String, Value)>) -> Merged {
    let mut warnings = Vec::new();
    if files.len() < 2 {
        let doc = files.pop().map(|(_, doc)| doc).unwrap_or_else(|| json!({}));
        return Merged { doc, warnings };
    }
    for (name, doc) in &mut files {
        tag_untagged(doc, &stem(name));
    }
    let mut iter = files.into_iter();
    let Some((base_name, mut merged)) = iter.next() else {
        return Merged {
            doc: json!({}),
            warnings,
        };
    };
    let base_servers = merged.get("servers").cloned();
    for (name, mut doc) in iter {
        rename_colliding_components(&merged, &mut doc, &name, &mut warnings);
        push_down_servers_and_security(&mut doc, base_servers.as_ref());
        merge_components(&mut merged, &doc);
        merge_paths(&mut merged, &doc, &name, &base_name, &mut warnings);
        merge_tags(&mut merged, &doc);
        merge_version(&mut merged, &doc);
        for key in ["webhooks"] {
            if let Some(Value::Object(hooks)) = doc.get(key) {
                let target = merged
                    .as_object_mut()
                    .map(|m| m.entry(key).or_insert_with(|| json!({})));
                if let Some(Value::Object(target)) = target {
                    for (hook, item) in hooks {
                        target.entry(hook.clone()).or_insert_with(|| item.clone());
                    }
                }
            }
        }
    }
    Merged {
        doc: merged,
        warnings,
    }
}

/// A file's stem (`airops-batches.json` → `airops-batches`).
fn stem(file: &str) -> String {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.split('.').next().unwrap_or(name).to_owned()
}

/// Tags every operation of `doc` that has no tag with `tag`.
fn tag_untagged(doc: &mut Value, tag: &str) {
    for_each_operation(doc, |_, _, op| {
        let untagged = op
            .get("tags")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if untagged {
            op.insert("tags".to_owned(), json!([tag]));
        }
    });
}

/// Calls `f` with (path, method, operation) for every operation of `doc`.
fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Map<String, Value>)) {
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        for method in METHODS {
            if let Some(Value::Object(op)) = item.get_mut(*method) {
                f(path, method, op);
            }
        }
    }
}

/// Renames each component of `doc` whose name the merged document already uses for other
/// content, and rewrites `doc`'s references to it.
fn rename_colliding_components(
    merged: &Value,
    doc: &mut Value,
    file: &str,
    warnings: &mut Vec<String>,
) {
    let prefix = heck::ToUpperCamelCase::to_upper_camel_case(stem(file).as_str());
    for kind in COMPONENT_KINDS {
        let (Some(Value::Object(theirs)), Some(Value::Object(ours))) = (
            merged.pointer(&format!("/components/{kind}")),
            doc.pointer(&format!("/components/{kind}")).cloned(),
        ) else {
            continue;
        };
        for (name, value) in &ours {
            let Some(existing) = theirs.get(name) else {
                continue;
            };
            if existing == value {
                continue;
            }
            let renamed = std::iter::once(format!("{prefix}{name}"))
                .chain((2..).map(|n| format!("{prefix}{name}{n}")))
                .find(|candidate| !theirs.contains_key(candidate) && !ours.contains_key(candidate))
                .unwrap_or_else(|| format!("{prefix}{name}"));
            if let Some(Value::Object(components)) = doc.pointer_mut(&format!("/components/{kind}"))
                && let Some(value) = components.remove(name)
            {
                components.insert(renamed.clone(), value);
            }
            let from = format!("#/components/{kind}/{}", crate::error::escape(name));
            let to = format!("#/components/{kind}/{}", crate::error::escape(&renamed));
            rewrite_references(doc, &from, &to);
            if *kind == "securitySchemes" {
                rename_requirements(doc, name, &renamed);
            }
            warnings.push(format!(
                "{file}: component {kind}/{name} differs from the one an earlier file has: \
                 renamed {renamed}"
            ));
        }
    }
}

/// Rewrites every string of `node` that is the reference `from` (or points inside it) to
/// point at `to`.
fn rewrite_references(node: &mut Value, from: &str, to: &str) {
    match node {
        Value::String(text) => {
            if text == from {
                *text = to.to_owned();
            } else if let Some(rest) = text.strip_prefix(from)
                && rest.starts_with('/')
            {
                *text = format!("{to}{rest}");
            }
        }
        Value::Object(map) => map
            .values_mut()
            .for_each(|value| rewrite_references(value, from, to)),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|value| rewrite_references(value, from, to)),
        _ => {}
    }
}

/// Renames the security scheme `from` to `to` in every requirement of `doc`.
fn rename_requirements(doc: &mut Value, from: &str, to: &str) {
    let rename = |security: Option<&mut Value>| {
        if let Some(Value::Array(requirements)) = security {
            for requirement in requirements {
                if let Value::Object(map) = requirement
                    && let Some(scopes) = map.remove(from)
                {
                    map.insert(to.to_owned(), scopes);
                }
            }
        }
    };
    rename(doc.get_mut("security"));
    for_each_operation(doc, |_, _, op| rename(op.get_mut("security")));
}

/// Gives the file's top-level servers (when they differ from the base's) and security to each
/// of its operations that has none of its own.
fn push_down_servers_and_security(doc: &mut Value, base_servers: Option<&Value>) {
    let servers = doc
        .get("servers")
        .filter(|servers| Some(*servers) != base_servers)
        .cloned();
    let security = doc.get("security").cloned();
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut() {
        let Value::Object(item) = item else { continue };
        let item_servers = item.get("servers").cloned().or_else(|| servers.clone());
        for method in METHODS {
            if let Some(Value::Object(op)) = item.get_mut(*method) {
                if let Some(servers) = &item_servers {
                    op.entry("servers").or_insert_with(|| servers.clone());
                }
                if let Some(security) = &security {
                    op.entry("security").or_insert_with(|| security.clone());
                }
            }
        }
        item.remove("servers");
    }
}

/// Adds `doc`'s components the merged document lacks (collisions were renamed before).
fn merge_components(merged: &mut Value, doc: &Value) {
    let Some(Value::Object(components)) = doc.get("components") else {
        return;
    };
    let Some(target) = merged
        .as_object_mut()
        .map(|m| m.entry("components").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (kind, entries) in components {
        let Value::Object(entries) = entries else {
            continue;
        };
        if let Value::Object(existing) = target.entry(kind.clone()).or_insert_with(|| json!({})) {
            for (name, value) in entries {
                existing
                    .entry(name.clone())
                    .or_insert_with(|| value.clone());
            }
        }
    }
}

/// Adds `doc`'s operations to the merged document by the rule above.
fn merge_paths(
    merged: &mut Value,
    doc: &Value,
    file: &str,
    base_file: &str,
    warnings: &mut Vec<String>,
) {
    let Some(Value::Object(paths)) = doc.get("paths") else {
        return;
    };
    let Some(Value::Object(target)) = merged
        .as_object_mut()
        .map(|m| m.entry("paths").or_insert_with(|| json!({})))
    else {
        return;
    };
    for (path, item) in paths {
        let Value::Object(item) = item else { continue };
        let Some(Value::Object(existing)) = target.get_mut(path) else {
            target.insert(path.clone(), Value::Object(item.clone()));
            continue;
        };
        let shared_parameters = item.get("parameters").cloned();
        for method in METHODS {
            let Some(Value::Object(op)) = item.get(*method) else {
                continue;
            };
            if existing.contains_key(*method) {
                warnings.push(format!(
                    "{file}: {} {path} is also in {base_file} or a file listed before {file}: \
                     that one is kept, this one left out (at #{})",
                    method.to_uppercase(),
                    child(&child("/paths", path), method)
                ));
                continue;
            }
            let mut op = op.clone();
            if let Some(Value::Array(shared)) = &shared_parameters {
                let own = op
                    .entry("parameters")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                    .map(std::mem::take)
                    .unwrap_or_default();
                let mut parameters = shared.clone();
                parameters.extend(own);
                op.insert("parameters".to_owned(), Value::Array(parameters));
            }
            existing.insert((*method).to_owned(), Value::Object(op));
        }
    }
}

/// Adds `doc`'s tag objects the merged document lacks, by name.
fn merge_tags(merged: &mut Value, doc: &Value) {
    let Some(Value::Array(tags)) = doc.get("tags") else {
        return;
    };
    let Some(Value::Array(target)) = merged
        .as_object_mut()
        .map(|m| m.entry("tags").or_insert_with(|| json!([])))
    else {
        return;
    };
    for tag in tags {
        if !target.iter().any(|t| t["name"] == tag["name"]) {
            target.push(tag.clone());
        }
    }
}

/// Keeps the highest `openapi` version of the two (3.1 content needs 3.1's lowering).
fn merge_version(merged: &mut Value, doc: &Value) {
    let version = |d: &Value| {
        d["openapi"]
            .as_str()
            .map(|v| {
                v.split('.')
                    .map(|p| p.parse::<u32>().unwrap_or(0))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    if version(doc) > version(merged)
        && let (Some(map), Some(v)) = (merged.as_object_mut(), doc.get("openapi"))
    {
        map.insert("openapi".to_owned(), v.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Value {
        json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}})
    }

    #[test]
    fn files_merge_by_the_documented_rule() {
        let base = json!({
            "openapi": "3.0.3",
            "info": {"title": "base", "version": "1"},
            "servers": [{"url": "https://api.example.com"}],
            "paths": {"/v1/scrapes": {"post": {"responses": ok()}}},
            "components": {
                "schemas": {"Error": {"type": "object", "properties": {"message": {"type": "string"}}}},
                "securitySchemes": {"Authorization": {"type": "http", "scheme": "bearer"}}
            }
        });
        let other = json!({
            "openapi": "3.1.0",
            "info": {"title": "other", "version": "2"},
            "servers": [{"url": "https://agent.example.com"}],
            "security": [{"Key": []}],
            "tags": [{"name": "Partnerships"}],
            "paths": {
                "/v1/scrapes": {
                    "parameters": [{"name": "trace", "in": "header", "schema": {"type": "string"}}],
                    "post": {"responses": ok()},
                    "get": {"tags": ["Partnerships"], "responses": ok()}
                },
                "/v1/agents": {"get": {"responses": ok()}}
            },
            "components": {
                "schemas": {"Error": {"type": "object", "properties": {"code": {"type": "integer"}}}},
                "securitySchemes": {
                    "Authorization": {"type": "http", "scheme": "bearer"},
                    "Key": {"type": "apiKey", "in": "header", "name": "X-Key"}
                }
            }
        });
        let Merged { doc, warnings } = merge(vec![
            ("scrapes.json".into(), base),
            ("airops-batches.json".into(), other),
        ]);
        // The base keeps its info; the highest version wins.
        assert_eq!(doc["info"]["title"], "base");
        assert_eq!(doc["openapi"], "3.1.0");
        // Same name, other content: the later one is renamed and its references follow.
        let schemas = &doc["components"]["schemas"];
        assert!(schemas["Error"]["properties"]["message"].is_object());
        assert!(schemas["AiropsBatchesError"]["properties"]["code"].is_object());
        let get = &doc["paths"]["/v1/scrapes"]["get"];
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/AiropsBatchesError"
        );
        // Same name, same content: shared, no warning for it.
        assert!(doc["components"]["securitySchemes"]["Key"].is_object());
        assert!(
            doc["components"]["securitySchemes"]
                .get("AiropsBatchesAuthorization")
                .is_none()
        );
        // A method both define: the earlier kept; the later's path parameters and servers and
        // security go onto the operations it brings.
        assert_eq!(
            doc["paths"]["/v1/scrapes"]["post"]["responses"]["200"]["content"]["application/json"]
                ["schema"]["$ref"],
            "#/components/schemas/Error"
        );
        assert_eq!(get["parameters"][0]["name"], "trace");
        assert_eq!(get["servers"][0]["url"], "https://agent.example.com");
        assert_eq!(get["security"], json!([{"Key": []}]));
        assert_eq!(get["tags"], json!(["Partnerships"]));
        // Untagged operations take their file's stem.
        assert_eq!(
            doc["paths"]["/v1/agents"]["get"]["tags"],
            json!(["airops-batches"])
        );
        assert_eq!(
            doc["paths"]["/v1/scrapes"]["post"]["tags"],
            json!(["scrapes"])
        );
        assert_eq!(doc["tags"], json!([{"name": "Partnerships"}]));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].contains("renamed AiropsBatchesError"),
            "{warnings:?}"
        );
        assert!(warnings[1].contains("POST /v1/scrapes"), "{warnings:?}");
    }

    #[test]
    fn one_file_is_left_as_it_is() {
        let doc = json!({"openapi": "3.0.3", "paths": {"/a": {"get": {}}}});
        let merged = merge(vec![("openapi.yaml".into(), doc.clone())]);
        assert_eq!(merged.doc, doc);
        assert!(merged.warnings.is_empty());
    }
}
