//! What the process tests of history, accounts and `serve` share: a scratch home per test, a
//! mock Olostep whose balance can change, and running `billfold` with exactly the given env.
#![allow(dead_code)] // each test binary uses its own part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// An accounts file of two Olostep accounts, `team-a` at A_URL and `team-b` at B_URL.
pub const TWO_ACCOUNTS: &str = r#"
[[account]]
label = "team-a"
provider = "olostep"
key_env = "OLOSTEP_TEAM_A_KEY"
base_url = "A_URL"

[[account]]
label = "team-b"
provider = "olostep"
key_env = "OLOSTEP_TEAM_B_KEY"
base_url = "B_URL"
"#;

/// Writes `text` as the accounts file at XDG_CONFIG_HOME/billfold/config.toml.
pub fn write_default_config(scratch: &Scratch, text: &str) {
    let dir = scratch.path("config/billfold");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(dir.join("config.toml"), text).expect("config file");
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

/// A running `billfold serve`, killed if the test ends without stopping it.
pub struct Server {
    pub child: Child,
    pub address: String,
    pub stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `billfold serve --listen 127.0.0.1:0 ARGS` and waits for the address it prints.
    pub fn start(args: &[&str], env: Vec<(String, String)>) -> Server {
        let all = [&["serve", "--listen", "127.0.0.1:0"][..], args].concat();
        let mut child = command(&all, env)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("billfold serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let pipe = child.stderr.take().expect("stderr is piped");
        let collected = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("billfold: serving metrics on http://") {
                    let _ = tx.send(url.trim_end_matches("/metrics").to_owned());
                }
                if let Ok(mut all) = collected.lock() {
                    all.push_str(&line);
                    all.push('\n');
                }
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("billfold serve prints its address");
        Server {
            child,
            address,
            stderr,
        }
    }

    /// `GET path`: the status code, the headers (lower case) and the body.
    pub fn get(&self, path: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.address).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        )
        .expect("request sent");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response read");
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, head.to_ascii_lowercase(), body.to_owned())
    }

    pub fn metrics(&self) -> String {
        let (status, head, body) = self.get("/metrics");
        assert_eq!(status, 200, "{head}");
        assert_no_key(&body);
        body
    }

    /// Waits up to `limit` for a scrape that contains every one of `lines`; returns it.
    pub async fn wait_for(&self, lines: &[&str], limit: Duration) -> String {
        let started = Instant::now();
        loop {
            let body = self.metrics();
            if lines.iter().all(|line| body.contains(line)) {
                return body;
            }
            assert!(
                started.elapsed() < limit,
                "{lines:?} not exported within {limit:?}:\n{body}\nstderr:\n{}",
                self.stderr()
            );
            pause(100).await;
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Sends SIGTERM; returns the exit code and how long the process took to end.
    pub async fn terminate(mut self) -> (Option<i32>, Duration) {
        let pid = self.child.id().to_string();
        let started = Instant::now();
        let kill = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(kill.success());
        let limit = Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                return (status.code(), started.elapsed());
            }
            assert!(started.elapsed() < limit, "still running after {limit:?}");
            pause(20).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
