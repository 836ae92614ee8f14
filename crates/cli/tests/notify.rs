//! `--notify`: one message per change of state (not per run or refresh, not again after a
//! restart), the Slack, Discord, ntfy and JSON formats, and a failing webhook, against local
//! servers.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The secret parts of the webhook URLs: never in any output.
const HOOK_TOKENS: [&str; 2] = ["hook-token-5d1e", "query-secret-9a2"];

/// A webhook answering every POST with `status`.
async fn webhook(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    server
}

/// The URL of `server` with a token in the path and one in the query.
fn hook_url(server: &MockServer) -> String {
    format!(
        "{}/hooks/{}?auth={}",
        server.uri(),
        HOOK_TOKENS[0],
        HOOK_TOKENS[1]
    )
}

async fn received(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

fn assert_no_token(text: &str) {
    for token in HOOK_TOKENS {
        assert!(!text.contains(token), "webhook token {token} in:\n{text}");
    }
}

/// `billfold balance` with the low threshold and the given extra arguments; checks that no
/// key or token is printed.
async fn balance(scratch: &Scratch, mock: &MockServer, extra: &[&str]) -> std::process::Output {
    let history = scratch.history().display().to_string();
    let mut env = scratch.env();
    env.extend(olostep_env(mock));
    let history_args: &[&str] = if extra.contains(&"--no-history") {
        &[]
    } else {
        &["--history", &history]
    };
    let args = [
        &["balance", "--warn-below", "olostep=1000"][..],
        history_args,
        extra,
    ]
    .concat();
    let output = billfold(&args, env).await;
    assert_no_token(&format!("{}{}", stdout(&output), stderr(&output)));
    output
}

#[tokio::test]
async fn one_message_per_change_and_none_after_a_restart() {
    let scratch = Scratch::new();
    let mock = olostep(500, "olostep-secret-3").await;
    let hook = webhook(200).await;
    let url = hook_url(&hook);

    // Low: one message, in JSON (the host is not a known service).
    let output = balance(&scratch, &mock, &["--notify", &url]).await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let messages = received(&hook).await;
    assert_eq!(messages.len(), 1);
    let first = json_body(&messages[0]);
    assert_eq!(first["state"], "low");
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(first["provider"], "olostep");
    assert_eq!(first["available"], 500.0);
    assert_eq!(first["unit"], "credits");
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("billfold: olostep is LOW: 500 credits left")),
        "{first}"
    );
    assert_eq!(messages[0].url.path(), format!("/hooks/{}", HOOK_TOKENS[0]));

    // Still low, in a new process: no message.
    let output = balance(&scratch, &mock, &["--notify", &url]).await;
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(received(&hook).await.len(), 1);

    // Recovered: one message; then nothing.
    set_olostep(&mock, 5000, "olostep-secret-3").await;
    for _ in 0..2 {
        let output = balance(&scratch, &mock, &["--notify", &url]).await;
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let messages = received(&hook).await;
    assert_eq!(messages.len(), 2);
    let back = json_body(&messages[1]);
    assert_eq!(
        (back["state"].as_str(), back["previous"].as_str()),
        (Some("ok"), Some("low"))
    );

    // Failing: one message naming the error, not the provider's answer.
    fail_with(&mock, 500).await;
    let output = balance(&scratch, &mock, &["--notify", &url]).await;
    assert_eq!(output.status.code(), Some(1));
    let messages = received(&hook).await;
    assert_eq!(messages.len(), 3);
    let failing = json_body(&messages[2]);
    assert_eq!(failing["state"], "failing");
    assert_eq!(failing["error"], "http 500");
    assert!(!String::from_utf8_lossy(&messages[2].body).contains("down"));
}

#[tokio::test]
async fn slack_discord_and_ntfy_formats() {
    let scratch = Scratch::new();
    let mock = olostep(500, "olostep-secret-3").await;
    let (slack, discord, ntfy) = (webhook(200).await, webhook(204).await, webhook(200).await);
    let discord_url = hook_url(&discord);
    let output = balance(
        &scratch,
        &mock,
        &[
            "--notify",
            &format!("slack+{}", hook_url(&slack)),
            "--notify",
            &format!("ntfy+{}", hook_url(&ntfy)),
            "--notify",
            &discord_url,
            "--notify-format",
            "discord",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let text = "billfold: olostep is LOW: 500 credits left";

    let messages = received(&slack).await;
    assert_eq!(messages.len(), 1);
    let body = json_body(&messages[0]);
    assert!(
        body["text"].as_str().is_some_and(|t| t.starts_with(text)),
        "{body}"
    );

    let messages = received(&discord).await;
    assert_eq!(messages.len(), 1);
    let body = json_body(&messages[0]);
    assert!(
        body["content"]
            .as_str()
            .is_some_and(|t| t.starts_with(text)),
        "{body}"
    );

    let messages = received(&ntfy).await;
    assert_eq!(messages.len(), 1);
    let body = String::from_utf8_lossy(&messages[0].body).into_owned();
    assert!(body.starts_with(text), "{body}");
    let header = |name: &str| {
        messages[0]
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("title"), "billfold: olostep low");
    assert_eq!(header("priority"), "high");
    assert_eq!(header("tags"), "warning");
}

#[tokio::test]
async fn a_failing_webhook_is_a_warning_that_changes_nothing_else() {
    let scratch = Scratch::new();
    let mock = olostep(500, "olostep-secret-3").await;
    let without = balance(&scratch, &mock, &["--no-history"]).await;
    let hook = webhook(503).await;
    let started = Instant::now();
    let output = balance(
        &scratch,
        &mock,
        &["--no-history", "--notify", &hook_url(&hook)],
    )
    .await;
    // Same balances and exit code as without --notify.
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(stdout(&output), stdout(&without));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "warning: notification (olostep low) to {}/… failed: HTTP 503 Service Unavailable, after 3 attempts",
            hook.uri()
        )),
        "{err}"
    );
    // Retried with backoff: three attempts, half a second then a second apart.
    assert_eq!(received(&hook).await.len(), 3);
    assert!(started.elapsed() >= Duration::from_millis(1500));

    // Nobody listening at all: a warning too.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        listener.local_addr().expect("address")
    };
    let gone = format!("http://{closed}/hooks/{}", HOOK_TOKENS[0]);
    set_olostep(&mock, 50, "olostep-secret-3").await;
    let output = balance(&scratch, &mock, &["--notify", &gone]).await;
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains(&format!("to http://{closed}/… failed")),
        "{}",
        stderr(&output)
    );

    // A URL that is not one is refused without repeating it.
    let output = balance(
        &scratch,
        &mock,
        &["--notify", "hooks.example.com/hook-token-5d1e"],
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--notify number 1: not a URL"),
        "{}",
        stderr(&output)
    );
}

/// Waits until `hook` has received `count` messages (up to `limit`); returns them.
async fn wait_for_messages(hook: &MockServer, count: usize, limit: Duration) -> Vec<Request> {
    let started = Instant::now();
    loop {
        let messages = received(hook).await;
        if messages.len() >= count || started.elapsed() > limit {
            return messages;
        }
        pause(100).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_notifies_once_per_change_across_restarts() {
    let scratch = Scratch::new();
    let mock = olostep(500, "olostep-secret-3").await;
    let hook = webhook(200).await;
    let url = hook_url(&hook);
    let history = scratch.history().display().to_string();
    let mut env = scratch.env();
    env.extend(olostep_env(&mock));
    let args = [
        "--interval",
        "1",
        "--history",
        &history,
        "--warn-below",
        "olostep=1000",
        "--notify",
        &url,
    ];
    let server = Server::start(&args, env.clone());
    assert_eq!(
        wait_for_messages(&hook, 1, Duration::from_secs(10))
            .await
            .len(),
        1
    );
    // Three more refreshes: still one message.
    pause(3000).await;
    assert_eq!(received(&hook).await.len(), 1);
    let (code, _) = server.terminate().await;
    assert_eq!(code, Some(0));

    // Restarted: the state is in the history file, so no repeat; a recovery is one message.
    let server = Server::start(&args, env);
    pause(2500).await;
    assert_eq!(received(&hook).await.len(), 1);
    set_olostep(&mock, 5000, "olostep-secret-3").await;
    let messages = wait_for_messages(&hook, 2, Duration::from_secs(10)).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(json_body(&messages[1])["state"], "ok");
    pause(2500).await;
    assert_eq!(received(&hook).await.len(), 2);
    let err = server.stderr();
    assert_no_token(&err);
    assert!(
        err.contains(&format!("notifying {}/… (json)", hook.uri())),
        "{err}"
    );
    let _ = server.terminate().await;
}
