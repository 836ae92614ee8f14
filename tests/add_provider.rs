//! "A new provider is a spec and a manifest entry": in a copy of the workspace, add a made-up
//! provider (`tests/add-provider/acme/`: an OpenAPI file and a `specs/providers.toml` entry with
//! a pointer mapping), run regen, build the `billfold` command, and read that provider's balance
//! from a local server, with no other edit.
//!
//! It builds the copy's command with this workspace's dependencies, already built in `target/`
//! (`cargo_build::binary_beside`): the copy's own crates are compiled under names of their own,
//! and its binaries go to `target/add-provider/`, so nothing of this workspace is replaced.
//! Built in a target directory of its own, the copy's whole dependency tree was compiled again
//! (the test took 179 s beside the others); sharing them, it took 53 s in a fresh-clone CI run,
//! and 38 s once the copy's command was built with the workspace's feature resolution
//! (`Resolution::Workspace`: before, tokio, hyper and reqwest were compiled again for it).

use std::fs;
use std::path::Path;
use std::process::Command;

use billfold_tests::workspace_root;
use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Copies the workspace's sources (not `target/`, `.git/` or npm's `node_modules/`).
fn copy_sources(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if ["target", ".git", "node_modules"].contains(&name.to_str().unwrap_or_default()) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_sources(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_provider_is_a_spec_a_manifest_entry_and_regen() {
    let root = workspace_root();
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path();
    copy_sources(&root, copy);

    // The two files a maintainer writes.
    let fixture = root.join("tests/add-provider/acme");
    fs::create_dir_all(copy.join("specs/acme")).unwrap();
    fs::copy(
        fixture.join("openapi.yaml"),
        copy.join("specs/acme/openapi.yaml"),
    )
    .unwrap();
    let mut manifest = fs::read_to_string(copy.join("specs/providers.toml")).unwrap();
    manifest.push_str(&fs::read_to_string(fixture.join("providers.toml")).unwrap());
    fs::write(copy.join("specs/providers.toml"), manifest).unwrap();

    // `cargo xtask regen`, in process.
    let outcome = xtask::commands::regen::regen(copy, false).expect("regen succeeds");
    assert!(outcome.changed.contains(&"acme".to_owned()), "{outcome:?}");
    let check = xtask::commands::regen::regen(copy, true).unwrap();
    assert!(check.changed.is_empty(), "{}", check.diff);
    let readme = fs::read_to_string(copy.join("README.md")).unwrap();
    assert!(
        readme.contains("| Acme | `billfold-acme` | `get_balance`, `upload_file`, `get_usage` |"),
        "{readme}"
    );

    // Build the command from the copy, in a target directory of its own.
    let binary = xtask::commands::cargo_build::binary_beside(
        copy,
        "billfold-cli",
        "billfold",
        &root.join("target"),
        &root.join("target/add-provider"),
    )
    .expect("the copy's billfold command builds");

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/account/balance"))
        .and(header("authorization", "Bearer acme-test-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "remaining": 730.5, "spent": 269.5, "quota": 1000, "tier": "growth",
            "renews_at": "2026-12-01T00:00:00Z", "active": true, "state": "degraded",
            "team": {"name": "a", "parent": {"name": "b", "parent": {"name": "c"}}, "members": []}
        })))
        .mount(&server)
        .await;
    let run = |args: &[&str]| {
        Command::new(&binary)
            .env_clear()
            .env("ACME_API_KEY", "acme-test-key")
            .env("ACME_BASE_URL", server.uri())
            .args(args)
            .output()
            .expect("billfold runs")
    };
    let output = tokio::task::block_in_place(|| run(&["balance", "--provider", "acme", "--json"]));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let row = &rows[0];
    assert_eq!(row["provider"], "acme");
    assert_eq!(row["ok"], true);
    assert_eq!(row["available"], 730.5);
    assert_eq!(row["used"], 269.5);
    assert_eq!(row["allotted"], 1000.0);
    assert_eq!(row["plan"], "growth");
    assert_eq!(row["expires_at"], "2026-12-01T00:00:00Z");
    assert_eq!(row["usable"], true);

    let help = tokio::task::block_in_place(|| run(&["--help"]));
    assert!(String::from_utf8_lossy(&help.stdout).contains("ACME_API_KEY"));

    // The generated client used as a user would: a deepObject query and a CSV body.
    let csv = "day,credits\n2026-11-01,12.5\n2026-11-02,3\n";
    Mock::given(method("GET"))
        .and(path("/v2/usage.csv"))
        .and(header("authorization", "Bearer acme-test-key"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(csv, "text/csv"))
        .mount(&server)
        .await;
    copy_sources(
        &root.join("tests/add-provider/acme-check"),
        &copy.join("crates/acme-check"),
    );
    let workspace = fs::read_to_string(copy.join("Cargo.toml")).unwrap();
    let workspace = workspace.replacen("\"tests\",", "\"tests\",\n    \"crates/acme-check\",", 1);
    fs::write(copy.join("Cargo.toml"), workspace).unwrap();
    let check = xtask::commands::cargo_build::binary_beside(
        copy,
        "acme-check",
        "acme-check",
        &root.join("target"),
        &root.join("target/add-provider"),
    )
    .expect("a program using the generated acme client builds");
    let output = tokio::task::block_in_place(|| {
        Command::new(&check)
            .env_clear()
            .env("ACME_API_KEY", "acme-test-key")
            .env("ACME_BASE_URL", server.uri())
            .output()
            .expect("acme-check runs")
    });
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), csv);
    let requests = server.received_requests().await.unwrap();
    let usage = requests
        .iter()
        .find(|r| r.url.path() == "/v2/usage.csv")
        .expect("the usage request");
    let pairs: Vec<(String, String)> = usage.url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        [
            ("filter[kinds]", "scrape"),
            ("filter[kinds]", "crawl"),
            ("filter[since]", "2026-11-01")
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
}
