//! The corpus of broken specs under `tests/bad-specs/`. A case is a folder holding
//! `openapi.yaml` (and `overlay.yaml`), or `page.txt` for `ingest`, and one of:
//!
//! - `expected.txt`: the document cannot be read, or needs a decision only the maintainer can
//!   make (naming operations): `cargo xtask` must exit non-zero with one clear message
//!   containing this text, naming the provider, the file and the JSON pointer (and the line
//!   where the parser gives one), never a panic, and write nothing under `crates/`;
//! - `expected-degraded.txt`: the problem is local: the crate is generated without the schema
//!   or operation it costs, and the crate's README (or, for a rename, its effective spec)
//!   says so with this text.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const PROVIDERS: &str = "[bad]\ncrate = \"billfold-bad\"\nname = \"Bad\"\nbase_url_env = \"BAD_BASE_URL\"\n\n[bad.credentials]\nbearerAuth = \"BAD_API_KEY\"\n";

/// A scratch workspace with `specs/providers.toml` naming one provider, `bad`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("specs/bad")).unwrap();
    fs::write(dir.path().join("specs/providers.toml"), PROVIDERS).unwrap();
    dir
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

/// Runs `regen` on a spec, checks it fails cleanly, returns stderr.
fn regen_fails(root: &Path) -> String {
    let output = xtask(root, &["regen"]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(1),
        "exit status; stderr:\n{stderr}"
    );
    assert!(
        !stderr.contains("panicked at"),
        "a panic reached the user:\n{stderr}"
    );
    assert!(
        stderr.contains("nothing under crates/ was changed"),
        "{stderr}"
    );
    assert!(
        !root.join("crates").exists(),
        "regen wrote crates/ despite the error"
    );
    stderr
}

#[test]
fn every_corpus_case_fails_or_degrades_with_its_message() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-specs");
    let mut cases: Vec<_> = fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 19, "corpus shrank: {cases:?}");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let root = workspace();
        for file in ["openapi.yaml", "overlay.yaml"] {
            if case.join(file).exists() {
                fs::copy(case.join(file), root.path().join("specs/bad").join(file)).unwrap();
            }
        }
        if let Ok(expected) = fs::read_to_string(case.join("expected-degraded.txt")) {
            let expected = expected.trim_end();
            let providers = xtask::pipeline::load_providers(root.path()).unwrap();
            let generated = xtask::pipeline::generate(root.path(), &providers[0])
                .unwrap_or_else(|e| panic!("{name}: refused instead of degraded: {e}"));
            let text: String = generated
                .files
                .iter()
                .filter(|(path, _)| {
                    path.ends_with("README.md") || path.ends_with("effective-spec.json")
                })
                .map(|(_, contents)| contents.as_str())
                .collect();
            assert!(
                text.contains(expected),
                "{name}: expected\n  {expected}\nin the README or effective spec:\n{text}"
            );
            continue;
        }
        let expected = fs::read_to_string(case.join("expected.txt")).unwrap();
        let expected = expected.trim_end();
        let stderr = if case.join("page.txt").exists() {
            let output = xtask(
                root.path(),
                &["ingest", "bad", case.join("page.txt").to_str().unwrap()],
            );
            assert_eq!(output.status.code(), Some(1), "{name}");
            assert!(
                !root.path().join("specs/bad/openapi.yaml").exists(),
                "{name}: ingest wrote a spec"
            );
            String::from_utf8_lossy(&output.stderr).into_owned()
        } else {
            regen_fails(root.path())
        };
        assert!(
            stderr.contains(expected),
            "{name}: expected\n  {expected}\nin\n{stderr}"
        );
        assert!(
            stderr.contains("bad: "),
            "{name}: the message names the provider:\n{stderr}"
        );
        let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
        assert!(
            errors <= 1,
            "{name}: one clear error, not {errors}:\n{stderr}"
        );
    }
}

#[test]
fn a_20_mb_spec_is_refused_quickly() {
    let root = workspace();
    let mut spec =
        String::from("openapi: 3.0.3\ninfo:\n  title: Big\n  version: '1'\n  description: >-\n");
    let line = format!("    {}\n", "x".repeat(1000));
    while spec.len() < 20 * 1024 * 1024 {
        spec.push_str(&line);
    }
    spec.push_str("paths: {}\n");
    fs::write(root.path().join("specs/bad/openapi.yaml"), spec).unwrap();
    let started = Instant::now();
    let stderr = regen_fails(root.path());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains(
            "bad: specs/bad/openapi.yaml: at #: the file is 20.0 MiB, over the 16 MiB limit"
        ),
        "{stderr}"
    );
}

/// Every problem that needs the maintainer is reported in one run, each with its line, and
/// counted; local problems beside them are not errors.
#[test]
fn every_problem_is_reported_in_one_run() {
    let root = workspace();
    let spec = [
        "openapi: 3.0.3",
        "info: {title: Many, version: '1'}",
        "security: [{bearerAuth: []}]",
        "components:",
        "  securitySchemes:",
        "    bearerAuth: {type: http, scheme: bearer}",
        "paths:",
        "  /a:",
        "    get:",
        "      responses: {'200': {description: ok}}",
        "  /b/{id}:",
        "    get:",
        "      operationId: get_b",
        "      responses: {'200': {description: ok}}",
        "  /c:",
        "    get:",
        "      responses: {'200': {description: ok, content: {application/json: {}}}}",
        "  /d:",
        "    get:",
        "      operationId: get_d",
        "      responses: {'200': {description: ok}}",
    ]
    .join("\n");
    fs::write(root.path().join("specs/bad/openapi.yaml"), spec).unwrap();
    let stderr = regen_fails(root.path());
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(
        errors[0].contains("openapi.yaml:9: at #/paths/~1a/get: GET /a has no operationId"),
        "{stderr}"
    );
    assert!(
        errors[1].contains("openapi.yaml:16: at #/paths/~1c/get: GET /c has no operationId"),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 problem(s) in 1 provider(s); nothing under crates/ was changed"),
        "{stderr}"
    );
}

/// Local problems cost only what they are in: the rest of the spec is generated, typed, and
/// the README says what was left out or left untyped, and why.
#[test]
fn local_problems_cost_only_their_operation_or_schema() {
    let root = workspace();
    let spec = [
        "openapi: 3.1.0",
        "info: {title: Some, version: '1'}",
        "security: [{bearerAuth: []}]",
        "components:",
        "  securitySchemes:",
        "    bearerAuth: {type: http, scheme: bearer}",
        "  schemas:",
        "    Fine: {type: object, properties: {n: {type: integer}, pair: {type: array, prefixItems: [{type: string}]}}}",
        "paths:",
        "  /a:",
        "    get:",
        "      operationId: get_a",
        "      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Fine'}}}}}",
        "  /b/{id}:",
        "    get:",
        "      operationId: get_b",
        "      responses: {'200': {description: ok}}",
        "  /c:",
        "    get:",
        "      operationId: get_c",
        "      responses: {'200': {description: ok, content: {application/json: {}}}}",
    ]
    .join("\n");
    fs::write(root.path().join("specs/bad/openapi.yaml"), spec).unwrap();
    let providers = xtask::pipeline::load_providers(root.path()).unwrap();
    let generated = xtask::pipeline::generate(root.path(), &providers[0]).unwrap();
    let methods: Vec<&str> = generated
        .code
        .methods
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(methods, ["get_a"]);
    let left_out: Vec<String> = generated
        .skipped
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    assert_eq!(left_out, ["GET /b/{id}", "GET /c"]);
    let untyped: Vec<&str> = generated
        .degraded
        .fallbacks
        .iter()
        .map(|f| f.pointer.as_str())
        .collect();
    assert_eq!(untyped, ["/components/schemas/Fine/properties/pair"]);
    let readme = &generated
        .files
        .iter()
        .find(|(p, _)| p.ends_with("README.md"))
        .unwrap()
        .1;
    assert!(
        readme
            .contains("| `GET /b/{id}` (`get_b`) | left out by the generator: path parameter {id}"),
        "{readme}"
    );
    assert!(
        readme.contains("| `#/components/schemas/Fine/properties/pair` | `prefixItems`"),
        "{readme}"
    );
    // The rest stays typed.
    let lib = &generated
        .files
        .iter()
        .find(|(p, _)| p.ends_with("lib.rs"))
        .unwrap()
        .1;
    assert!(lib.contains("pub n: ::std::option::Option<i64>"), "{lib}");
}

#[test]
fn a_deeply_nested_spec_is_refused_without_overflowing_the_stack() {
    for (file, nested) in [
        (
            "yaml",
            "{type: array, items: ".repeat(20_000) + "{type: string}" + &"}".repeat(20_000),
        ),
        (
            "json",
            "{\"type\": \"array\", \"items\": ".repeat(20_000)
                + "{\"type\": \"string\"}"
                + &"}".repeat(20_000),
        ),
    ] {
        let root = workspace();
        let spec = if file == "json" {
            format!(
                "{{\"openapi\": \"3.0.3\", \"info\": {{\"title\": \"Deep\", \"version\": \"1\"}}, \"paths\": {{}}, \"components\": {{\"schemas\": {{\"S\": {nested}}}}}}}"
            )
        } else {
            format!(
                "openapi: 3.0.3\ninfo: {{title: Deep, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n    S: {nested}\n"
            )
        };
        fs::write(root.path().join("specs/bad/openapi.yaml"), spec).unwrap();
        let started = Instant::now();
        let stderr = regen_fails(root.path());
        // A guard against a blow-up (minutes), not a benchmark: 8 s and 15 s were seen with
        // both cores busy with other builds.
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{file}: {:?}",
            started.elapsed()
        );
        assert!(
            stderr.contains("bad: specs/bad/openapi.yaml:"),
            "{file}: {stderr}"
        );
        assert!(stderr.contains(": at #: invalid"), "{file}: {stderr}");
        assert!(stderr.contains("recursion limit"), "{file}: {stderr}");
    }
}

#[test]
fn success_responses_of_different_bodies_become_one_return_type() {
    let root = workspace();
    fs::write(
        root.path().join("specs/bad/openapi.yaml"),
        r#"openapi: 3.0.3
info: {title: Mixed, version: "1"}
security: [{bearerAuth: []}]
paths:
  /thing:
    delete:
      operationId: delete_thing
      responses:
        '200': {description: deleted, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        '204': {description: already gone}
        default: {description: error, content: {application/json: {schema: {$ref: '#/components/schemas/Problem'}}}}
    post:
      operationId: make_thing
      responses:
        '200': {description: existed, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        '201': {description: made, content: {application/json: {schema: {type: object, properties: {job: {type: string}}}}}}
    put:
      operationId: put_thing
      responses:
        '200': {description: csv, content: {text/csv: {schema: {type: string}}}}
        '202': {description: queued, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
  schemas:
    Thing: {type: object, properties: {id: {type: string}}}
    Problem: {type: object, properties: {detail: {type: string}}}
"#,
    )
    .unwrap();
    let providers = xtask::pipeline::load_providers(root.path()).unwrap();
    let generated = xtask::pipeline::generate(root.path(), &providers[0])
        .unwrap_or_else(|e| panic!("refused instead of degraded: {e}"));
    assert!(generated.skipped.is_empty(), "{:?}", generated.skipped);
    let lib = &generated
        .files
        .iter()
        .find(|(path, _)| path.ends_with("src/lib.rs"))
        .unwrap()
        .1;
    let code: String = lib.split_whitespace().collect::<Vec<_>>().join(" ");
    // A 204 beside a 200 with a body: `None`, the body `Some`.
    assert!(
        code.contains("pub fn delete_thing<'a>( &'a self, ) -> impl ::std::future::Future< Output = Result<ResponseValue<::std::option::Option<types::Thing>>, Error>, >"),
        "{code}"
    );
    assert!(
        code.contains("204u16 => ResponseValue::empty(response).map(|()| None),"),
        "{code}"
    );
    // Two schemas: one untagged enum of both.
    assert!(code.contains("pub enum MakeThingSuccess"), "{code}");
    assert!(
        code.contains("Result<ResponseValue<types::MakeThingSuccess>, Error>"),
        "{code}"
    );
    // JSON beside CSV: the bytes.
    assert!(
        code.contains(
            "pub fn put_thing<'a>( &'a self, ) -> impl ::std::future::Future< Output = Result<ResponseValue<ByteStream>, Error>, >"
        ),
        "{code}"
    );
}
