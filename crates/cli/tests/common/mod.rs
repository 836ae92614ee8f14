//! What the process tests of history, accounts and `serve` share: a scratch home per test, a
//! mock Olostep whose balance can change, and running `billfold` with exactly the given env.
#![allow(dead_code)] // each test binary uses its own part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every key the tests use; none may appear in any output.
pub const SECRETS: &[&str] = &[
    "olostep-secret-3",
    "aiml-secret-4",
    "team-a-secret-7",
    "team-b-secret-8",
];

/// A scratch directory with XDG_CONFIG_HOME, XDG_DATA_HOME and HOME inside it, so that no
/// real user file is read or written.
pub struct Scratch {
    pub dir: TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The history file of this test (passed explicitly with `--history` or
    /// `BILLFOLD_HISTORY`).
    pub fn history(&self) -> PathBuf {
        self.path("history.sqlite3")
    }

    /// The XDG and HOME variables, pointing inside the scratch directory.
    pub fn env(&self) -> Vec<(String, String)> {
        ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "HOME"]
            .iter()
            .zip(["config", "data", "home"])
            .map(|(var, dir)| (var.to_string(), self.path(dir).display().to_string()))
            .collect()
    }
}

/// Olostep's credits response with `credits` available (a whole number, as its spec says).
pub fn olostep_body(credits: i64) -> Value {
    json!({"credits": credits, "allow_usage": true,
           "active_subscription": {"id": "SUB_PRO", "display_name": "Pro", "credits": 10000, "created_at": 1704067200}})
}

/// A mock Olostep answering `credits` to requests carrying `key`.
pub async fn olostep(credits: i64, key: &str) -> MockServer {
    let server = MockServer::start().await;
    set_olostep(&server, credits, key).await;
    server
}

/// Makes the mock Olostep answer `credits` from now on.
pub async fn set_olostep(server: &MockServer, credits: i64, key: &str) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/user/credits/info"))
        .and(header("authorization", format!("Bearer {key}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(olostep_body(credits)))
        .mount(server)
        .await;
}

/// Makes the mock answer every request with `status`.
pub async fn fail_with(server: &MockServer, status: u16) {
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!({"error": "down"})))
        .mount(server)
        .await;
}

/// The env for the default Olostep account at `server`.
pub fn olostep_env(server: &MockServer) -> Vec<(String, String)> {
    vec![
        ("OLOSTEP_API_KEY".into(), "olostep-secret-3".into()),
        ("OLOSTEP_BASE_URL".into(), server.uri()),
    ]
}

/// Panics if any key is in `text`.
pub fn assert_no_key(text: &str) {
    for key in SECRETS {
        assert!(!text.contains(key), "key {key} in output:\n{text}");
    }
}

/// Runs `billfold` with exactly `env` (nothing inherited) and checks that no key leaks.
pub async fn billfold(args: &[&str], env: Vec<(String, String)>) -> Output {
    let command = command(args, env);
    let output = tokio::task::spawn_blocking(move || {
        let mut command = command;
        command.output().expect("billfold runs")
    })
    .await
    .expect("the blocking task ends");
    assert_no_key(&format!("{}{}", stdout(&output), stderr(&output)));
    output
}

/// The `billfold` command with exactly `env`, not started.
pub fn command(args: &[&str], env: Vec<(String, String)>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_billfold"));
    command.env_clear().envs(env).args(args);
    command
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `--history PATH` for `path`.
pub fn history_args(path: &Path) -> [String; 2] {
    ["--history".to_owned(), path.display().to_string()]
}

/// The readings in the history file, through `billfold history --json`.
pub async fn readings(history: &Path, env: Vec<(String, String)>) -> Vec<Value> {
    let path = history.display().to_string();
    let output = billfold(
        &["history", "--json", "--since", "1d", "--history", &path],
        env,
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    match serde_json::from_slice(&output.stdout) {
        Ok(Value::Array(items)) => items,
        other => panic!("not a JSON array: {other:?}\n{}", stdout(&output)),
    }
}

/// Seconds between two readings' `taken_at`.
pub fn seconds_between(a: &Value, b: &Value) -> f64 {
    let time = |r: &Value| {
        chrono::DateTime::parse_from_rfc3339(r["taken_at"].as_str().expect("taken_at"))
            .expect("RFC 3339")
    };
    (time(b) - time(a)).as_seconds_f64()
}

/// Waits a little more than `millis`.
pub async fn pause(millis: u64) {
    tokio::time::sleep(Duration::from_millis(millis)).await;
}
