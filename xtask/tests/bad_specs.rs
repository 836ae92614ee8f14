//! The corpus of broken specs under `tests/bad-specs/`: each case must make `cargo xtask` exit
//! non-zero with one clear message naming the provider, the file and the JSON pointer (and the
//! line where the parser gives one), never a panic, and write nothing under `crates/`.
//!
//! A case is a folder holding `openapi.yaml` (and `overlay.yaml`), or `page.txt` for `ingest`,
//! and `expected.txt`: text the error message must contain.

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
fn every_corpus_case_fails_with_its_message() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-specs");
    let mut cases: Vec<_> = fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 19, "corpus shrank: {cases:?}");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expected = fs::read_to_string(case.join("expected.txt")).unwrap();
        let expected = expected.trim_end();
        let root = workspace();
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
            for file in ["openapi.yaml", "overlay.yaml"] {
                if case.join(file).exists() {
                    fs::copy(case.join(file), root.path().join("specs/bad").join(file)).unwrap();
                }
            }
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

/// Every problem of every operation is reported in one run, each with its line, and counted.
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
        "      operationId: get_c",
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
    assert_eq!(errors.len(), 3, "{stderr}");
    assert!(
        errors[0].contains("openapi.yaml:9: at #/paths/~1a/get: GET /a has no operationId"),
        "{stderr}"
    );
    assert!(
        errors[1].contains("openapi.yaml:12: at #/paths/~1b~1{id}/get"),
        "{stderr}"
    );
    assert!(
        errors[2].contains("openapi.yaml:18: at #/paths/~1c/get/responses/200"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 problem(s) in 1 provider(s); nothing under crates/ was changed"),
        "{stderr}"
    );
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
        assert!(
            started.elapsed() < Duration::from_secs(10),
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
