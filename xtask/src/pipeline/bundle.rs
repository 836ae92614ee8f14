//! Bundling a spec split over many files into one document.
//!
//! Relative `$ref`s to other files (`./schemas/User.yaml`, `../common.yaml#/Error`) are
//! resolved against the file that holds them, and their targets brought into the root
//! document:
//!
//! - a target referenced where a schema is expected becomes a component schema
//!   (`#/components/schemas/<name>`, the name taken from the fragment's last segment, else the
//!   file's stem, numbered `_2`, `_3` when taken), referenced from every place that used it; a
//!   root component defined by such a `$ref` keeps its own name;
//! - any other target (a path item, an operation, a parameter, a response, an example) is
//!   copied in place of its `$ref`.
//!
//! References inside extensions (`x-codeSamples` given as files), and an `example` that is
//! only a reference to another file, are copied in too; one that cannot be resolved is
//! dropped with its extension or example, with a note, so that the bundle stands alone (a
//! mock server or a linter reading it finds no dangling file).
//!
//! A component map given whole as a reference (`components: {schemas: {$ref:
//! ./schemas/_index.yaml}}`, Lago's layout) is read from that file, and the references of its
//! entries are resolved against it.
//!
//! A `#/...` reference inside another file means that file's document. Files are read once.
//! A `$ref` that leaves the spec's folder, a URL, or a file that is missing or unreadable is
//! left as it is: validation then reports it at its place, where it costs only what it is in.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::error::escape;
use crate::pipeline::document;

/// Deepest chain of non-schema references followed (a cycle among path items, say).
const MAX_INLINE_DEPTH: usize = 64;

/// Bundles `doc` (the parsed root file at `root_file`) with the files it references inside
/// `folder`. Returns how many files were brought in.
pub fn bundle(doc: &mut Value, root_file: &Path, folder: &Path) -> usize {
    if !has_external_refs(doc) {
        return 0;
    }
    let root = normalise(root_file);
    let mut bundler = Bundler {
        folder: normalise(folder),
        root: root.clone(),
        schemas_file: root,
        files: BTreeMap::new(),
        names: BTreeMap::new(),
        brought: Default::default(),
        schemas: Map::new(),
        taken: Default::default(),
        dropped_extensions: 0,
    };
    bundler.read_schema_map(doc);
    bundler.taken = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    bundler.claim_root_components(doc);
    let root = bundler.root.clone();
    let mut walked = doc.clone();
    bundler.walk(&mut walked, &root, Context::Document, 0, "");
    *doc = walked;
    if !bundler.schemas.is_empty() {
        let schemas = doc
            .as_object_mut()
            .map(|d| d.entry("components").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
            .map(|c| c.entry("schemas").or_insert_with(|| json!({})));
        if let Some(Value::Object(schemas)) = schemas {
            for (name, schema) in std::mem::take(&mut bundler.schemas) {
                schemas.entry(name).or_insert(schema);
            }
        }
    }
    if bundler.dropped_extensions > 0
        && let Some(map) = doc.as_object_mut()
    {
        crate::pipeline::lower::note(
            map,
            &format!(
                "{} extension value(s) (`x-...`) or example(s) dropped: they referenced a \
                 file that could not be read inside the spec's folder",
                bundler.dropped_extensions
            ),
        );
    }
    bundler.files.values().filter(|f| f.is_some()).count()
}

/// Where a `$ref` sits: in a schema, in a map of schemas (`properties`), or elsewhere.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Document,
    Schema,
    /// The value of `properties` (and the like): a map whose values are schemas. A `$ref`
    /// standing for the whole map is copied in.
    SchemaMap,
}

struct Bundler {
    folder: PathBuf,
    root: PathBuf,
    /// The file `#/components/schemas` was read from: the root, or the file a `$ref` standing
    /// for the whole map points to. Its entries' references are relative to it.
    schemas_file: PathBuf,
    /// Parsed files (`None`: unreadable), by normalised path.
    files: BTreeMap<PathBuf, Option<Value>>,
    /// Component name given to each (file, fragment) schema target.
    names: BTreeMap<(PathBuf, String), String>,
    /// Targets already brought in as component schemas.
    brought: std::collections::BTreeSet<(PathBuf, String)>,
    /// Component schemas brought in, by name.
    schemas: Map<String, Value>,
    /// Component schema names in use.
    taken: std::collections::BTreeSet<String>,
    /// Extensions dropped for a reference that could not be resolved.
    dropped_extensions: usize,
}

impl Bundler {
    /// Replaces a `#/components/schemas` that is only a reference to another file with the map
    /// that file holds, and remembers the file for its entries' references.
    fn read_schema_map(&mut self, doc: &mut Value) {
        let Some(map) = doc.pointer_mut("/components/schemas") else {
            return;
        };
        let Some(reference) = map
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.get("$ref"))
            .and_then(Value::as_str)
        else {
            return;
        };
        let root = self.root.clone();
        let Some((file, fragment)) = self.target(reference, &root) else {
            return;
        };
        if let Some(resolved @ Value::Object(_)) = self.resolve(&file, &fragment) {
            *map = resolved;
            self.schemas_file = file;
        }
    }

    /// A root component schema that is only a `$ref` to another file keeps its name for that
    /// target.
    fn claim_root_components(&mut self, doc: &Value) {
        let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") else {
            return;
        };
        let base = self.schemas_file.clone();
        for (name, schema) in schemas {
            if let Some(reference) = schema.get("$ref").and_then(Value::as_str)
                && let Some((file, fragment)) = self.target(reference, &base)
                && file != self.root
                && file != base
            {
                self.names
                    .entry((file, fragment))
                    .or_insert_with(|| name.clone());
            }
        }
    }

    /// The (file, fragment) a reference in `from` points to, when it is a file inside the
    /// folder (a local reference: `from` itself).
    fn target(&self, reference: &str, from: &Path) -> Option<(PathBuf, String)> {
        let (path, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if path.contains("://") {
            return None;
        }
        let file = if path.is_empty() {
            from.to_path_buf()
        } else {
            normalise(&from.parent()?.join(path))
        };
        file.starts_with(&self.folder)
            .then(|| (file, fragment.to_owned()))
    }

    /// The node at `fragment` of `file`, parsed once.
    fn resolve(&mut self, file: &Path, fragment: &str) -> Option<Value> {
        let doc = self
            .files
            .entry(file.to_path_buf())
            .or_insert_with(|| {
                let text = std::fs::read_to_string(file).ok()?;
                document::parse(&text).ok()
            })
            .as_ref()?;
        if fragment.is_empty() {
            Some(doc.clone())
        } else {
            doc.pointer(fragment).cloned()
        }
    }

    /// Rewrites every reference below `node` (which comes from `file`).
    fn walk(&mut self, node: &mut Value, file: &Path, context: Context, depth: usize, key: &str) {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref").cloned().as_ref() {
                    self.reference(node, reference, file, context, depth, key);
                    return;
                }
                let mut unresolved_extensions = Vec::new();
                for (child_key, value) in map.iter_mut() {
                    // An example is a literal value, except one that is a reference to
                    // another file and nothing else, which bundlers resolve (DigitalOcean's
                    // `example: {$ref: examples.yml#/...}`).
                    let referenced_example = child_key == "example"
                        && value.as_object().is_some_and(|m| {
                            m.len() == 1
                                && m.get("$ref")
                                    .and_then(Value::as_str)
                                    .is_some_and(|r| !r.starts_with('#'))
                        });
                    if child_key == "example" && !referenced_example {
                        continue;
                    }
                    if referenced_example || child_key.starts_with("x-") {
                        // An extension's references (code samples in files, say) are copied
                        // in like any non-schema target; one that cannot be leaves with its
                        // extension, so the bundle stands alone.
                        self.walk(value, file, Context::Document, depth, child_key);
                        if has_external_refs(value) {
                            unresolved_extensions.push(child_key.clone());
                        }
                        continue;
                    }
                    let inner = match (context, child_key.as_str()) {
                        (Context::SchemaMap, _) => Context::Schema,
                        (
                            Context::Schema,
                            "properties" | "patternProperties" | "$defs" | "definitions",
                        ) => Context::SchemaMap,
                        (Context::Schema, "enum" | "default" | "const" | "examples") => continue,
                        (Context::Schema, _) => Context::Schema,
                        (Context::Document, "schema") => Context::Schema,
                        (Context::Document, "schemas") if key == "components" => {
                            // Each component schema is a schema context of its own.
                            let from = if file == self.root {
                                self.schemas_file.clone()
                            } else {
                                file.to_path_buf()
                            };
                            if let Value::Object(schemas) = value {
                                for (name, schema) in schemas.iter_mut() {
                                    self.walk(schema, &from, Context::Schema, depth, name);
                                }
                            }
                            continue;
                        }
                        _ => Context::Document,
                    };
                    self.walk(value, file, inner, depth, child_key);
                }
                for extension in unresolved_extensions {
                    map.remove(&extension);
                    self.dropped_extensions += 1;
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.walk(item, file, context, depth, key);
                }
            }
            _ => {}
        }
    }

    /// Handles one `$ref` object.
    fn reference(
        &mut self,
        node: &mut Value,
        reference: &str,
        file: &Path,
        context: Context,
        depth: usize,
        key: &str,
    ) {
        let Some((target_file, fragment)) = self.target(reference, file) else {
            return;
        };
        if target_file == self.root {
            // The root's own document: a local reference once bundled.
            if let Value::Object(map) = node {
                map.insert("$ref".to_owned(), json!(format!("#{fragment}")));
            }
            return;
        }
        if context == Context::Schema {
            let name = self.schema_component(&target_file, &fragment, depth);
            let Some(name) = name else { return };
            // A root component defined by this reference is the component itself.
            if key == name && depth == 0 && file == self.schemas_file {
                if let Some(schema) = self.schemas.remove(&name) {
                    *node = schema;
                }
                return;
            }
            *node = json!({ "$ref": format!("#/components/schemas/{}", escape(&name)) });
            return;
        }
        if depth >= MAX_INLINE_DEPTH {
            return;
        }
        if let Some(mut target) = self.resolve(&target_file, &fragment) {
            self.walk(&mut target, &target_file, context, depth + 1, key);
            *node = target;
        }
    }

    /// The component schema name of a (file, fragment) target, bringing it in the first time.
    fn schema_component(&mut self, file: &Path, fragment: &str, depth: usize) -> Option<String> {
        let key = (file.to_path_buf(), fragment.to_owned());
        if let Some(name) = self.names.get(&key).cloned() {
            // Claimed by a root component, or met before: brought in the first time.
            if !self.brought.contains(&key) {
                self.bring_in(file, fragment, &name, depth)?;
            }
            return Some(name);
        }
        let base = fragment
            .rsplit('/')
            .find(|s| !s.is_empty())
            .map(str::to_owned)
            .or_else(|| file.file_stem().map(|s| s.to_string_lossy().into_owned()))?;
        let base = base.replace("~1", "/").replace("~0", "~");
        let name = std::iter::once(base.clone())
            .chain((2..).map(|n| format!("{base}_{n}")))
            .find(|candidate| {
                !self.taken.contains(candidate) && !self.schemas.contains_key(candidate)
            })?;
        self.names.insert(key, name.clone());
        self.bring_in(file, fragment, &name, depth)?;
        Some(name)
    }

    fn bring_in(&mut self, file: &Path, fragment: &str, name: &str, depth: usize) -> Option<()> {
        let mut schema = self.resolve(file, fragment)?;
        self.brought
            .insert((file.to_path_buf(), fragment.to_owned()));
        // Reserved first, so a recursive schema refers to itself by name.
        self.taken.insert(name.to_owned());
        self.schemas.insert(name.to_owned(), json!({}));
        self.walk(&mut schema, file, Context::Schema, depth + 1, "");
        self.schemas.insert(name.to_owned(), schema);
        Some(())
    }
}

/// Whether any `$ref` below `node` points to another file.
fn has_external_refs(node: &Value) -> bool {
    match node {
        Value::Object(map) => map.iter().any(|(key, value)| match (key.as_str(), value) {
            ("$ref", Value::String(target)) => !target.starts_with('#'),
            _ => has_external_refs(value),
        }),
        Value::Array(items) => items.iter().any(has_external_refs),
        _ => false,
    }
}

/// `path` with `.` and `..` taken out, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, text: &str) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn files_become_components_or_are_copied_in() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec");
        write(
            &spec,
            "paths/users.yaml",
            "get:\n  operationId: list_users\n  parameters:\n    - $ref: '../params.yaml#/Limit'\n  responses:\n    '200':\n      description: ok\n      content:\n        application/json:\n          schema:\n            type: array\n            items:\n              $ref: '../schemas/User.yaml'\n",
        );
        write(
            &spec,
            "params.yaml",
            "Limit: {name: limit, in: query, schema: {type: integer}}\n",
        );
        write(
            &spec,
            "schemas/User.yaml",
            "type: object\nproperties:\n  team: {$ref: './Team.yaml'}\n  boss: {$ref: '#'}\n  tags: {$ref: '../common.yaml#/Tags'}\n",
        );
        write(
            &spec,
            "schemas/Team.yaml",
            "type: object\nproperties:\n  members: {type: array, items: {$ref: 'User.yaml'}}\n",
        );
        write(
            &spec,
            "common.yaml",
            "Tags: {type: array, items: {type: string}}\n",
        );
        let mut doc = json!({
            "openapi": "3.0.3",
            "paths": {"/users": {"$ref": "./paths/users.yaml"}, "/x": {"$ref": "../outside.yaml"}},
            "components": {"schemas": {"Person": {"$ref": "./schemas/User.yaml"}, "Local": {"$ref": "#/components/schemas/Person"}}}
        });
        let files = bundle(&mut doc, &spec.join("openapi.yaml"), &spec);
        assert_eq!(files, 5);
        let op = &doc["paths"]["/users"]["get"];
        assert_eq!(op["operationId"], "list_users");
        assert_eq!(op["parameters"][0]["name"], "limit");
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"],
            "#/components/schemas/Person"
        );
        let schemas = &doc["components"]["schemas"];
        // The root's component keeps its name; the recursive reference uses it.
        assert_eq!(schemas["Person"]["type"], "object");
        assert_eq!(
            schemas["Person"]["properties"]["boss"]["$ref"],
            "#/components/schemas/Person"
        );
        assert_eq!(
            schemas["Person"]["properties"]["team"]["$ref"],
            "#/components/schemas/Team"
        );
        assert_eq!(
            schemas["Team"]["properties"]["members"]["items"]["$ref"],
            "#/components/schemas/Person"
        );
        assert_eq!(schemas["Tags"]["type"], "array");
        assert_eq!(schemas["Local"]["$ref"], "#/components/schemas/Person");
        // A reference leaving the folder is left for validation to report.
        assert_eq!(doc["paths"]["/x"]["$ref"], "../outside.yaml");
    }

    #[test]
    fn a_component_map_given_as_a_file_is_read_from_it() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec");
        write(
            &spec,
            "schemas/_index.yaml",
            "User:\n  $ref: './User.yaml'\nTeam:\n  $ref: './Team.yaml'\n",
        );
        write(
            &spec,
            "schemas/User.yaml",
            "type: object\nproperties:\n  team: {$ref: './Team.yaml'}\n",
        );
        write(&spec, "schemas/Team.yaml", "type: object\n");
        write(
            &spec,
            "parameters/_index.yaml",
            "Limit: {$ref: './limit.yaml'}\n",
        );
        write(
            &spec,
            "parameters/limit.yaml",
            "{name: limit, in: query, schema: {type: integer}}\n",
        );
        let mut doc = json!({
            "openapi": "3.1.0",
            "paths": {"/users": {"get": {
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "./schemas/User.yaml"}
                }}}}
            }}},
            "components": {
                "schemas": {"$ref": "./schemas/_index.yaml"},
                "parameters": {"$ref": "./parameters/_index.yaml"}
            }
        });
        bundle(&mut doc, &spec.join("openapi.yaml"), &spec);
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let names: Vec<&String> = schemas.keys().collect();
        assert_eq!(names, ["Team", "User"], "{doc}");
        assert_eq!(
            schemas["User"]["properties"]["team"]["$ref"],
            "#/components/schemas/Team"
        );
        assert_eq!(
            doc["paths"]["/users"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/User"
        );
        assert_eq!(
            doc["components"]["parameters"]["Limit"]["name"], "limit",
            "{doc}"
        );
        assert!(!has_external_refs(&doc), "{doc}");
    }

    #[test]
    fn extensions_take_their_files_in_or_go() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec");
        write(
            &spec,
            "samples/list.yml",
            "lang: cURL\nsource: curl https://x\n",
        );
        let mut doc = json!({
            "openapi": "3.0.3",
            "paths": {"/users": {"get": {
                "operationId": "list",
                "x-codeSamples": [{"$ref": "./samples/list.yml"}],
                "x-missing": {"$ref": "./samples/gone.yml"},
                "requestBody": {"content": {"application/json": {
                    "example": {"$ref": "./samples/list.yml#/lang"}
                }}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "example": {"name": "a literal example of one key"}
                }}}}
            }}}
        });
        bundle(&mut doc, &spec.join("openapi.yaml"), &spec);
        let op = &doc["paths"]["/users"]["get"];
        assert_eq!(op["x-codeSamples"][0]["lang"], "cURL");
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["example"],
            "cURL"
        );
        assert!(op.get("x-missing").is_none(), "{op}");
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["example"]["name"],
            "a literal example of one key"
        );
        assert!(!has_external_refs(&doc), "{doc}");
        let notes = doc[crate::pipeline::lower::NOTE_KEY].to_string();
        assert!(notes.contains("1 extension value(s)"), "{notes}");
    }
}
