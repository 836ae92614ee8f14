//! `cargo xtask ingest` from an http(s) URL, and `ingest --all` from each provider's
//! `spec_url`, against a local server (this machine has no internet): bytes kept exactly,
//! changed specs named, nothing written when a download fails.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// A server answering every request with the current `(status, body)`.
fn serve(answer: Arc<Mutex<(u16, String)>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let (status, body) = answer.lock().unwrap().clone();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn xtask(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(root)
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

const SPEC: &str =
    "openapi: 3.0.3\ninfo: {title: T, version: '1'}\n# a comment that must survive\npaths: {}\n";

#[test]
fn ingest_from_a_url_and_refresh_all() {
    let answer = Arc::new(Mutex::new((200, SPEC.to_owned())));
    let url = serve(answer.clone());
    let root = tempfile::tempdir().unwrap();
    fs::create_dir_all(root.path().join("specs")).unwrap();
    fs::write(
        root.path().join("specs/providers.toml"),
        format!("[acme]\ncrate = \"billfold-acme\"\nname = \"Acme\"\nbase_url_env = \"ACME_BASE_URL\"\nspec_url = \"{url}/openapi.yaml\"\n\n[acme.credentials]\nbearer = \"ACME_API_KEY\"\n\n[other]\ncrate = \"billfold-other\"\nname = \"Other\"\nbase_url_env = \"OTHER_BASE_URL\"\n\n[other.credentials]\nbearer = \"OTHER_API_KEY\"\n"),
    )
    .unwrap();

    // One provider from a URL: a docs page whose fence holds the spec.
    *answer.lock().unwrap() = (200, format!("# Docs\n```yaml\n{SPEC}```\n"));
    let output = xtask(root.path(), &["ingest", "other", &format!("{url}/docs")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        fs::read_to_string(root.path().join("specs/other/openapi.yaml")).unwrap(),
        SPEC
    );

    // --all: new, then unchanged, then changed.
    *answer.lock().unwrap() = (200, SPEC.to_owned());
    let output = xtask(root.path(), &["ingest", "--all"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("changed: acme"), "{stdout}");
    assert!(
        !stdout.contains("other"),
        "only providers with a spec_url: {stdout}"
    );
    assert_eq!(
        fs::read_to_string(root.path().join("specs/acme/openapi.yaml")).unwrap(),
        SPEC
    );
    let output = xtask(root.path(), &["ingest", "--all"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("unchanged: acme"));
    let newer = SPEC.replace("version: '1'", "version: '2'");
    *answer.lock().unwrap() = (200, newer.clone());
    let output = xtask(root.path(), &["ingest", "--all"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("changed: acme"));
    assert_eq!(
        fs::read_to_string(root.path().join("specs/acme/openapi.yaml")).unwrap(),
        newer
    );

    // A failing download writes nothing and says why.
    *answer.lock().unwrap() = (503, "busy".to_owned());
    let output = xtask(root.path(), &["ingest", "--all"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("acme: GET") && stderr.contains("503"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(
        fs::read_to_string(root.path().join("specs/acme/openapi.yaml")).unwrap(),
        newer
    );
}
