//! `billfold serve` run as a process against a local mock Olostep: the gauges, their refresh
//! on the interval, the last good values kept when the provider fails, and a clean stop.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::process::Stdio;
use std::time::Duration;

use common::*;

const LABELS: &str = r#"{provider="olostep",account=""}"#;

fn line(metric: &str, value: &str) -> String {
    format!("{metric}{LABELS} {value}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_exports_gauges_and_refreshes_on_the_interval() {
    let scratch = Scratch::new();
    let mock = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&mock));
    let history = scratch.history().display().to_string();
    let server = Server::start(
        &[
            "--interval",
            "1",
            "--history",
            &history,
            "--warn-below",
            "olostep=50",
        ],
        env.clone(),
    );
    let wait = Duration::from_secs(10);
    let first = server
        .wait_for(
            &[
                &line("billfold_credits_available", "100.0"),
                &line("billfold_provider_up", "1.0"),
                &line("billfold_balance_low", "0.0"),
            ],
            wait,
        )
        .await;
    assert!(
        first.contains("billfold_last_success_timestamp_seconds{"),
        "{first}"
    );
    assert!(
        first.contains("billfold_refresh_duration_seconds{"),
        "{first}"
    );
    assert!(first.ends_with("# EOF\n"), "{first}");
    // Olostep says nothing of used or allotted credits: not exported rather than made up.
    assert!(!first.contains("billfold_credits_used{"), "{first}");

    let (status, head, body) = server.get("/metrics");
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
        "{head}"
    );
    assert!(body.contains("# TYPE billfold_credits_available gauge"));
    let (status, _, body) = server.get("/healthz");
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(server.get("/").0, 200);
    assert_eq!(server.get("/x").0, 404);
    assert_eq!(server.get("/metrics/x").0, 404);

    // The next refresh sees the new balance, and the two readings give a runway.
    set_olostep(&mock, 40, "olostep-secret-3").await;
    let later = server
        .wait_for(
            &[
                &line("billfold_credits_available", "40.0"),
                &line("billfold_balance_low", "1.0"),
                "billfold_days_until_empty{",
            ],
            wait,
        )
        .await;
    assert!(
        later.contains(&line("billfold_provider_up", "1.0")),
        "{later}"
    );
    let requests = mock.received_requests().await.unwrap_or_default();
    assert!(!requests.is_empty());
    assert_no_key(&server.stderr());
    drop(server);
    // Every refresh was recorded.
    assert!(readings(&scratch.history(), env).await.len() >= 2);
}

/// Whether `promtool` runs here. Missing, it fails the calling test when
/// `BILLFOLD_REQUIRE_PROMTOOL` is set (CI), and skips it, saying so, otherwise.
fn promtool_available() -> bool {
    if std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok()
    {
        return true;
    }
    assert!(
        std::env::var_os("BILLFOLD_REQUIRE_PROMTOOL").is_none(),
        "promtool is required (BILLFOLD_REQUIRE_PROMTOOL is set) but not found: install \
         Debian's `prometheus` package"
    );
    eprintln!("skipped: promtool not found (install Debian's `prometheus` package)");
    false
}

/// The README's scrape config and alert rules (its two `yaml` blocks) are what Prometheus
/// takes: `promtool check config` and `promtool check rules`.
#[test]
fn the_readme_scrape_config_and_alert_rules_pass_promtool() {
    if !promtool_available() {
        return;
    }
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
    )
    .expect("README.md");
    let blocks: Vec<&str> = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .collect();
    assert_eq!(
        blocks.len(),
        2,
        "a scrape config and a rules file in README.md"
    );
    let scratch = Scratch::new();
    for (block, check, expected) in [
        (blocks[0], "config", "billfold"),
        (blocks[1], "rules", "billfold_days_until_empty"),
    ] {
        assert!(block.contains(expected), "{block}");
        let file = scratch.path(&format!("{check}.yml"));
        std::fs::write(&file, block).expect("a scratch file");
        let output = std::process::Command::new("promtool")
            .args(["check", check])
            .arg(&file)
            .output()
            .expect("promtool runs");
        assert!(
            output.status.success(),
            "promtool check {check}:\n{}{}\n{block}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The one lint `promtool check metrics` reports that is accepted: the issue names the gauge
/// `billfold_days_until_empty`, and a runway reads better in days than in seconds.
const ACCEPTED_LINT: &str =
    "billfold_days_until_empty use base unit \"seconds\" instead of \"days\"";

/// The exposition, every gauge in it, passes `promtool check metrics` (from Debian's
/// `prometheus` package). CI installs it and sets `BILLFOLD_REQUIRE_PROMTOOL=1`, so there this
/// test cannot pass without running it; elsewhere a machine without promtool skips it, saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exposition_passes_promtool_check_metrics() {
    if !promtool_available() {
        return;
    }
    let scratch = Scratch::new();
    let mock = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&mock));
    let history = scratch.history().display().to_string();
    let server = Server::start(&["--interval", "1", "--history", &history], env);
    let wait = Duration::from_secs(10);
    server
        .wait_for(&[&line("billfold_credits_available", "100.0")], wait)
        .await;
    set_olostep(&mock, 60, "olostep-secret-3").await;
    let exposition = server
        .wait_for(
            &[
                &line("billfold_credits_available", "60.0"),
                "billfold_days_until_empty{",
            ],
            wait,
        )
        .await;
    let mut promtool = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    promtool
        .stdin
        .take()
        .expect("stdin")
        .write_all(exposition.as_bytes())
        .expect("promtool reads the exposition");
    let output = promtool.wait_with_output().expect("promtool ends");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let problems: Vec<&str> = said
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim() != ACCEPTED_LINT)
        .collect();
    // 0: clean; 3: lint problems only (1 would be a parse error).
    assert!(
        matches!(output.status.code(), Some(0 | 3)) && problems.is_empty(),
        "promtool check metrics: {:?}\n{said}\n{exposition}",
        output.status.code()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_keeps_the_last_good_values_when_a_provider_fails() {
    let scratch = Scratch::new();
    let mock = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&mock));
    let server = Server::start(&["--interval", "1", "--no-history"], env);
    let wait = Duration::from_secs(10);
    let good = server
        .wait_for(&[&line("billfold_credits_available", "100.0")], wait)
        .await;
    // No history: no runway to export.
    assert!(!good.contains("billfold_days_until_empty{"), "{good}");
    let success = good
        .lines()
        .find(|l| l.starts_with("billfold_last_success_timestamp_seconds{"))
        .map(str::to_owned)
        .expect("a last success");

    fail_with(&mock, 500).await;
    let failed = server
        .wait_for(&[&line("billfold_provider_up", "0.0")], wait)
        .await;
    assert!(
        failed.contains(&line("billfold_credits_available", "100.0")),
        "{failed}"
    );
    assert!(failed.contains(&success), "{failed}");
    assert!(server.stderr().contains("HTTP 500"), "{}", server.stderr());

    set_olostep(&mock, 95, "olostep-secret-3").await;
    server
        .wait_for(
            &[
                &line("billfold_provider_up", "1.0"),
                &line("billfold_credits_available", "95.0"),
            ],
            wait,
        )
        .await;
    assert_no_key(&server.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_stops_cleanly_on_sigterm() {
    let scratch = Scratch::new();
    let mock = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&mock));
    let history = scratch.history().display().to_string();
    let server = Server::start(&["--interval", "60", "--history", &history], env);
    server
        .wait_for(
            &[&line("billfold_credits_available", "100.0")],
            Duration::from_secs(10),
        )
        .await;
    // A keep-alive connection left open does not hold the stop up.
    let idle = TcpStream::connect(&server.address).expect("connects");
    let stderr = server.stderr.clone();
    let (code, took) = server.terminate().await;
    drop(idle);
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(3), "{took:?}");
    let stderr = stderr.lock().map(|s| s.clone()).unwrap_or_default();
    assert!(stderr.contains("stopping"), "{stderr}");
}

#[tokio::test]
async fn serve_with_nothing_configured_or_a_bad_address_exits_2() {
    let scratch = Scratch::new();
    let output = billfold(
        &["serve", "--listen", "127.0.0.1:0", "--no-history"],
        scratch.env(),
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no provider is configured: set ANCHOR_API_KEY"),
        "{}",
        stderr(&output)
    );

    let output = billfold(&["serve", "--listen", "256.0.0.1:80"], scratch.env()).await;
    assert_eq!(output.status.code(), Some(2));
    let output = billfold(&["serve", "--interval", "0"], scratch.env()).await;
    assert_eq!(output.status.code(), Some(2));

    // A port already taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let address = taken.local_addr().expect("address").to_string();
    let output = billfold(&["serve", "--listen", &address], scratch.env()).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--listen"), "{}", stderr(&output));
}
