//! Property tests of the pipeline on generated documents: ingest, overlay, lowering and
//! validation never panic; lowering is idempotent and leaves 3.0 alone; whatever generates is
//! Rust that parses.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};
use xtask::commands::ingest;
use xtask::pipeline::providers::ProviderEntry;
use xtask::pipeline::{client_code, document, lower, overlay, progenitor_run, validate};

const SCHEMA_NAMES: &[&str] = &["Alpha", "Beta", "Gamma", "Delta"];

fn scalar_type() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("string"),
        Just("integer"),
        Just("number"),
        Just("boolean")
    ]
}

/// Schemas using both 3.0 and 3.1 spellings of the same ideas.
fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        scalar_type().prop_map(|t| json!({"type": t})),
        scalar_type().prop_map(|t| json!({"type": [t, "null"]})),
        scalar_type().prop_map(|t| json!({"type": t, "nullable": true})),
        "[a-z]{1,6}".prop_map(|v| json!({"const": v})),
        (0i64..100).prop_map(|n| json!({"type": "integer", "exclusiveMinimum": n})),
        "[a-z]{1,6}".prop_map(|v| json!({"type": "string", "examples": [v]})),
        Just(json!({"type": "string", "format": "date-time"})),
        (0..SCHEMA_NAMES.len())
            .prop_map(|i| json!({"$ref": format!("#/components/schemas/{}", SCHEMA_NAMES[i])})),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::btree_map("[a-z][a-z_]{0,6}", inner.clone(), 1..4)
                .prop_map(|props| json!({"type": "object", "properties": props})),
            inner
                .clone()
                .prop_map(|items| json!({"type": "array", "items": items})),
            inner
                .clone()
                .prop_map(|s| json!({"anyOf": [s, {"type": "null"}]})),
            prop::collection::vec(inner, 2..3).prop_map(|members| json!({"oneOf": members})),
        ]
    })
}

/// Whole documents: 3.0.3 or 3.1.0, a few schemas and operations.
fn document(version: &'static str) -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(schema(), SCHEMA_NAMES.len()),
        prop::collection::vec((0..SCHEMA_NAMES.len(), any::<bool>(), any::<bool>()), 1..4),
    )
        .prop_map(move |(schemas, operations)| {
            let schemas: BTreeMap<&str, Value> = SCHEMA_NAMES.iter().copied().zip(schemas).collect();
            let mut paths = serde_json::Map::new();
            for (index, (schema, with_error_body, post)) in operations.into_iter().enumerate() {
                let mut responses = json!({"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": format!("#/components/schemas/{}", SCHEMA_NAMES[schema])}}}}});
                responses["402"] = json!({"description": "no body"});
                if with_error_body {
                    responses["500"] = json!({"description": "error", "content": {"application/json": {
                        "schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}});
                }
                let method = if post { "post" } else { "get" };
                paths.insert(
                    format!("/things/{index}"),
                    json!({method: {"operationId": format!("op_{index}"), "responses": responses}}),
                );
            }
            json!({
                "openapi": version,
                "info": {"title": "Generated", "version": "1"},
                "security": [{"bearerAuth": []}],
                "paths": paths,
                "components": {
                    "schemas": schemas,
                    "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
                }
            })
        })
}

/// Any JSON at all, for "never panics" properties.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z$#/.{}\\[\\]'*?@ ]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("openapi".to_owned()),
                    Just("paths".to_owned()),
                    Just("type".to_owned()),
                    Just("$ref".to_owned()),
                    Just("schema".to_owned()),
                    Just("anyOf".to_owned()),
                    Just("properties".to_owned()),
                    Just("const".to_owned()),
                    Just("example".to_owned()),
                    Just("x-samples".to_owned()),
                    "[a-z/]{1,5}",
                ],
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn provider() -> ProviderEntry {
    ProviderEntry {
        id: "prop".into(),
        crate_name: "billfold-prop".into(),
        name: "Prop".into(),
        base_url: Some("https://api.example.invalid".into()),
        base_url_env: "PROP_BASE_URL".into(),
        docs_page: None,
        docs_url: None,
        spec: Vec::new(),
        spec_url: Vec::new(),
        notes: None,
        credentials: BTreeMap::from([("bearerAuth".into(), "PROP_API_KEY".into())]),
        credential_prefix: BTreeMap::new(),
        balance: None,
        operation_names: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn ingest_never_panics(page in "(.|\n){0,400}") {
        let _ = ingest::extract_spec(&page);
    }

    #[test]
    fn ingest_returns_a_fenced_spec_byte_for_byte(doc in document("3.1.0"), prose in "[a-zA-Z ,.\n]{0,80}") {
        let yaml = document::to_yaml(&doc);
        let page = format!("# Page\n{prose}\n\n````yaml /openapi.yaml get /x\n{yaml}````\n\nmore prose\n");
        prop_assert_eq!(ingest::extract_spec(&page).unwrap(), yaml);
    }

    #[test]
    fn bundling_never_panics_on_any_json(mut doc in any_json()) {
        // A folder with a file that references may or may not reach.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "b: {$ref: './a#/b'}\nc: [1]\n").unwrap();
        // A reference to another file, so that the bundler walks the whole document.
        let mut doc = json!({"openapi": "3.0.3", "r": {"$ref": "./a#/b"}, "doc": doc.take()});
        let _ = xtask::pipeline::bundle::bundle(&mut doc, &dir.path().join("openapi.yaml"), dir.path());
    }

    #[test]
    fn lowering_and_validation_never_panic_on_any_json(mut doc in any_json()) {
        if lower::lower(&mut doc).is_ok() {
            let _ = validate::validate(&mut doc);
        }
    }

    #[test]
    fn overlays_never_panic(mut doc in document("3.1.0"), actions in prop::collection::vec(
        (prop_oneof![
            Just("$.paths.*.get"), Just("$.components.schemas.Alpha"), Just("$..type"),
            Just("$.paths['/things/0']"), Just("$[?@.x]"), Just("$.nothing"), Just("$..*"),
        ], any_json(), any::<bool>()), 0..4)) {
        let actions: Vec<Value> = actions
            .into_iter()
            .map(|(target, update, remove)| if remove {
                json!({"target": target, "remove": true})
            } else {
                json!({"target": target, "update": update})
            })
            .collect();
        let _ = overlay::apply(&mut doc, &json!({"overlay": "1.0.0", "actions": actions}));
    }

    #[test]
    fn lowering_is_idempotent(mut doc in document("3.1.0")) {
        if lower::lower(&mut doc).is_ok() {
            prop_assert_eq!(doc["openapi"].as_str(), Some("3.0.3"));
            let once = doc.clone();
            lower::lower(&mut doc).unwrap();
            prop_assert_eq!(doc, once);
        }
    }

    #[test]
    fn a_3_0_document_passes_through_unchanged(mut doc in document("3.0.3")) {
        let before = doc.clone();
        lower::lower(&mut doc).unwrap();
        prop_assert_eq!(doc, before);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_code_always_parses(mut doc in document("3.1.0")) {
        if lower::lower(&mut doc).is_err() {
            return Ok(());
        }
        let Ok(validated) = validate::validate(&mut doc) else { return Ok(()) };
        let Ok(tokens) = progenitor_run::generate(&validated.openapi) else { return Ok(()) };
        if let Ok((code, syntax)) = client_code::build(&provider(), &validated, tokens) {
            let parsed = syn::parse_file(&prettyplease::unparse(&syntax));
            prop_assert!(parsed.is_ok(), "{:?}", parsed.err());
            prop_assert_eq!(code.methods.len(), validated.operations.len());
        }
    }
}

/// The generated documents are mostly valid, so the properties above are not vacuous.
#[test]
fn most_generated_documents_make_it_to_code() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = document("3.1.0");
    let mut generated = 0;
    for _ in 0..40 {
        let mut doc = strategy.new_tree(&mut runner).unwrap().current();
        lower::lower(&mut doc).unwrap();
        let validated = validate::validate(&mut doc).unwrap();
        // A document whose schemas make typify derive a type named like a component is one
        // the pipeline degrades around (by renaming the component); here it just does not count.
        let Ok(tokens) = progenitor_run::generate(&validated.openapi) else {
            continue;
        };
        if client_code::build(&provider(), &validated, tokens).is_ok() {
            generated += 1;
        }
    }
    assert!(
        generated >= 30,
        "only {generated} of 40 documents generated code"
    );
}
