//! `billfold balance` recording its readings, the burn rate and runway computed from them, and
//! `billfold history` listing them: the binary run as a process against local mock servers.

mod common;

use common::*;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// `balance --json --provider olostep --history PATH`, parsed; asserts the exit status.
async fn balance_json(
    history: &std::path::Path,
    env: Vec<(String, String)>,
    extra: &[&str],
    expected: i32,
) -> Value {
    let path = history.display().to_string();
    let mut args = vec![
        "balance",
        "--json",
        "--provider",
        "olostep",
        "--history",
        &path,
    ];
    args.extend_from_slice(extra);
    let output = billfold(&args, env).await;
    assert_eq!(output.status.code(), Some(expected), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[tokio::test]
async fn each_run_records_a_reading_per_queried_account() {
    let scratch = Scratch::new();
    let olostep = olostep(12500, "olostep-secret-3").await;
    let aiml = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&aiml)
        .await;
    let mut env = scratch.env();
    env.extend(olostep_env(&olostep));
    env.push(("AIML_API_KEY".into(), "aiml-secret-4".into()));
    env.push(("AIML_BASE_URL".into(), aiml.uri()));
    env.push((
        "BILLFOLD_HISTORY".into(),
        scratch.history().display().to_string(),
    ));
    // Every provider: the three not configured are no readings.
    let output = billfold(&["balance"], env.clone()).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let readings = readings(&scratch.history(), env).await;
    assert_eq!(readings.len(), 2, "{readings:?}");
    let olostep = &readings[0];
    assert_eq!(olostep["provider"], "olostep");
    assert_eq!(olostep["account"], "");
    assert_eq!(olostep["available"], 12500);
    assert_eq!(olostep["plan"], "Pro");
    assert_eq!(olostep["unit"], "credits");
    assert_eq!(olostep["error_kind"], Value::Null);
    assert_eq!(readings[1]["provider"], "aiml");
    assert_eq!(readings[1]["error_kind"], "http");
    assert_eq!(readings[1]["available"], Value::Null);
    assert!(
        chrono::DateTime::parse_from_rfc3339(olostep["taken_at"].as_str().unwrap_or("")).is_ok()
    );
}

#[tokio::test]
async fn burn_and_runway_match_readings_taken_seconds_apart() {
    let scratch = Scratch::new();
    let server = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&server));
    let first = balance_json(&scratch.history(), env.clone(), &[], 0).await;
    assert_eq!(
        first[0]["burn_per_day"],
        Value::Null,
        "one reading: no rate"
    );
    assert_eq!(first[0]["days_left"], Value::Null);
    pause(1100).await;
    set_olostep(&server, 90, "olostep-secret-3").await;
    let second = balance_json(&scratch.history(), env.clone(), &[], 0).await;

    let readings = readings(&scratch.history(), env).await;
    assert_eq!(readings.len(), 2);
    let elapsed = seconds_between(&readings[0], &readings[1]);
    assert!(elapsed >= 1.0, "{elapsed}");
    let burn = second[0]["burn_per_day"].as_f64().expect("a rate");
    let days_left = second[0]["days_left"].as_f64().expect("a runway");
    assert!(
        approx(burn, 10.0 / elapsed * 86_400.0),
        "{burn} vs {elapsed}s"
    );
    assert!(approx(days_left, 90.0 / burn), "{days_left}");
    assert_eq!(second[0]["low"], false);
}

#[tokio::test]
async fn a_top_up_is_not_counted_as_negative_burn() {
    let scratch = Scratch::new();
    let server = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&server));
    for credits in [100, 90, 200] {
        set_olostep(&server, credits, "olostep-secret-3").await;
        let rows = balance_json(&scratch.history(), env.clone(), &[], 0).await;
        assert_eq!(rows[0]["available"].as_i64(), Some(credits));
        pause(600).await;
    }
    let output = billfold(
        &["balance", "--json", "--provider", "olostep", "--no-history"],
        env.clone(),
    )
    .await;
    let rows: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        rows[0]["burn_per_day"],
        Value::Null,
        "--no-history: unknown"
    );
    let path = scratch.history().display().to_string();
    let output = billfold(
        &[
            "balance",
            "--json",
            "--provider",
            "olostep",
            "--history",
            &path,
        ],
        env.clone(),
    )
    .await;
    let rows: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let readings = readings(&scratch.history(), env).await;
    assert_eq!(readings.len(), 4);
    // Used: 10 (100 -> 90); the top-up to 200 counts as nothing, 200 -> 200 as nothing.
    let elapsed = seconds_between(&readings[0], &readings[3]);
    let burn = rows[0]["burn_per_day"].as_f64().expect("a rate");
    assert!(burn > 0.0);
    assert!(
        approx(burn, 10.0 / elapsed * 86_400.0),
        "{burn} vs {elapsed}s"
    );
    let days_left = rows[0]["days_left"].as_f64().expect("a runway");
    assert!(approx(days_left, 200.0 / burn), "{days_left}");
}

#[tokio::test]
async fn warn_days_marks_a_short_runway_low_and_exits_3() {
    let scratch = Scratch::new();
    let server = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&server));
    balance_json(&scratch.history(), env.clone(), &[], 0).await;
    pause(300).await;
    set_olostep(&server, 90, "olostep-secret-3").await;
    // Ten credits in a fraction of a second: the runway is well under a day.
    let rows = balance_json(&scratch.history(), env.clone(), &["--warn-days", "1"], 3).await;
    assert_eq!(rows[0]["low"], true);
    let days_left = rows[0]["days_left"].as_f64().expect("a runway");
    assert!(days_left < 0.01, "{days_left}");

    // A provider's own number wins over the global one.
    let tiny = format!("olostep={}", days_left / 100.0);
    let rows = balance_json(
        &scratch.history(),
        env.clone(),
        &["--warn-days", "1", "--warn-days", &tiny],
        0,
    )
    .await;
    assert_eq!(rows[0]["low"], false);

    // The table says LOW too.
    let path = scratch.history().display().to_string();
    let output = billfold(
        &[
            "balance",
            "--provider",
            "olostep",
            "--history",
            &path,
            "--warn-days",
            "olostep=2",
        ],
        env,
    )
    .await;
    assert_eq!(output.status.code(), Some(3));
    let text = stdout(&output);
    assert!(
        text.contains("burn/day") && text.contains("runway"),
        "{text}"
    );
    assert!(text.contains("LOW"), "{text}");
}

#[tokio::test]
async fn no_history_writes_nothing() {
    let scratch = Scratch::new();
    let server = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&server));
    env.push((
        "BILLFOLD_HISTORY".into(),
        scratch.history().display().to_string(),
    ));
    for _ in 0..2 {
        let output = billfold(
            &["balance", "--json", "--provider", "olostep", "--no-history"],
            env.clone(),
        )
        .await;
        assert_eq!(output.status.code(), Some(0));
        let rows: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(rows[0]["burn_per_day"], Value::Null);
        assert_eq!(rows[0]["days_left"], Value::Null);
        assert_eq!(stderr(&output), "");
    }
    assert!(!scratch.history().exists());
    assert!(
        !scratch.path("data").exists(),
        "nothing under XDG_DATA_HOME"
    );

    // Without --no-history, the default place under XDG_DATA_HOME is used.
    let env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k != "BILLFOLD_HISTORY")
        .collect();
    let output = billfold(&["balance", "--provider", "olostep"], env).await;
    assert_eq!(output.status.code(), Some(0));
    assert!(scratch.path("data/billfold/history.sqlite3").is_file());
}

#[tokio::test]
async fn an_unwritable_history_warns_and_changes_nothing_else() {
    let scratch = Scratch::new();
    let server = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&server));
    // A regular file where the history's directory should be: no one can write there.
    std::fs::write(scratch.path("not-a-dir"), "").expect("a file");
    let unwritable = scratch.path("not-a-dir/history.sqlite3");
    let unwritable = unwritable.display().to_string();
    for json in [true, false] {
        let mut args = vec!["balance", "--provider", "olostep"];
        if json {
            args.push("--json");
        }
        let without = billfold(&[&args[..], &["--no-history"]].concat(), env.clone()).await;
        let with = billfold(
            &[&args[..], &["--history", &unwritable]].concat(),
            env.clone(),
        )
        .await;
        assert_eq!(with.status.code(), without.status.code());
        assert_eq!(with.status.code(), Some(0));
        assert_eq!(stdout(&with), stdout(&without));
        if json {
            let _: Value = serde_json::from_slice(&with.stdout).expect("stdout is still JSON");
        }
        let warning = stderr(&with);
        assert!(warning.contains("warning"), "{warning}");
        assert!(warning.contains(&unwritable), "{warning}");
        assert!(warning.contains("--no-history"), "{warning}");
        assert!(warning.contains("--history PATH"), "{warning}");
    }
}

#[tokio::test]
async fn two_concurrent_runs_lose_nothing() {
    let scratch = Scratch::new();
    let server = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&server));
    let path = scratch.history().display().to_string();
    for round in 1..=3 {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                command(
                    &[
                        "balance",
                        "--json",
                        "--provider",
                        "olostep",
                        "--history",
                        &path,
                    ],
                    env.clone(),
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("billfold starts")
            })
            .collect();
        let outputs = tokio::task::spawn_blocking(move || {
            runs.into_iter()
                .map(|run| run.wait_with_output().expect("billfold ends"))
                .collect::<Vec<_>>()
        })
        .await
        .expect("joined");
        for output in outputs {
            assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
            assert_eq!(stderr(&output), "", "no history warning");
        }
        assert_eq!(
            readings(&scratch.history(), env.clone()).await.len(),
            2 * round
        );
    }
}

#[tokio::test]
async fn history_lists_readings_with_a_sparkline_and_as_json() {
    let scratch = Scratch::new();
    let server = olostep(100, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&server));
    let path = scratch.history().display().to_string();

    // Nothing recorded yet: said, not an error, and `[]` for JSON; no file is made.
    let output = billfold(&["history", "--history", &path], env.clone()).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "");
    let message = stderr(&output);
    assert!(message.contains("no history yet"), "{message}");
    assert!(message.contains(&path), "{message}");
    assert!(message.contains("billfold balance"), "{message}");
    let output = billfold(&["history", "--json", "--history", &path], env.clone()).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output).trim(), "[]");
    assert!(!scratch.history().exists());

    for credits in [100, 90, 80] {
        set_olostep(&server, credits, "olostep-secret-3").await;
        balance_json(&scratch.history(), env.clone(), &[], 0).await;
    }
    let output = billfold(&["history", "--history", &path], env.clone()).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("time (UTC)"), "{text}");
    assert_eq!(text.matches("olostep").count(), 4, "{text}");
    assert!(text.contains("100 → 80"), "{text}");
    assert!(text.contains("█▅▁"), "{text}");

    let all = readings(&scratch.history(), env.clone()).await;
    let amounts: Vec<f64> = all.iter().filter_map(|r| r["available"].as_f64()).collect();
    assert_eq!(amounts, [100.0, 90.0, 80.0]);
    for (selector, count) in [("olostep", 3), ("olostep:team-b", 0), ("giga", 0)] {
        let output = billfold(
            &[
                "history",
                "--json",
                "--provider",
                selector,
                "--history",
                &path,
            ],
            env.clone(),
        )
        .await;
        let rows: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(rows.as_array().map(Vec::len), Some(count), "{selector}");
    }
}

#[tokio::test]
async fn a_corrupt_history_file_is_an_error_naming_it() {
    let scratch = Scratch::new();
    std::fs::write(
        scratch.history(),
        "this is not an SQLite database, not at all.",
    )
    .expect("w");
    let path = scratch.history().display().to_string();
    for json in [false, true] {
        let mut args = vec!["history", "--history", &path];
        if json {
            args.push("--json");
        }
        let output = billfold(&args, scratch.env()).await;
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(stdout(&output), "");
        let message = stderr(&output);
        assert!(message.contains(&path), "{message}");
    }
    let output = billfold(&["history", "--since", "7 days"], scratch.env()).await;
    assert_eq!(output.status.code(), Some(2));
}

/// Forty days of one reading a minute, ending an hour ago, of the default Olostep account,
/// draining 0.5 credits a minute down to 12500.
fn forty_days(path: &std::path::Path) -> usize {
    let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
    let minutes = 40 * 24 * 60;
    let readings: Vec<billfold_history::Reading> = (0..minutes)
        .map(|m| billfold_history::Reading {
            taken_at: now - chrono::Duration::minutes(60 + minutes - m),
            provider: "olostep".into(),
            available: Some(12_500.0 + 0.5 * (minutes - m) as f64),
            unit: Some("credits".into()),
            ..billfold_history::Reading::default()
        })
        .collect();
    let mut history = billfold_history::History::open(path).expect("history opens");
    history.record(&readings).expect("recorded");
    readings.len()
}

#[tokio::test]
async fn balance_downsamples_readings_older_than_keep_raw() {
    let scratch = Scratch::new();
    let mock = olostep(12_500, "olostep-secret-3").await;
    let mut env = scratch.env();
    env.extend(olostep_env(&mock));
    let taken = forty_days(&scratch.history());
    let row = &balance_json(&scratch.history(), env.clone(), &[], 0).await[0];
    // 0.5 credits a minute is 720 a day (a little less over the window: the last hour has
    // one reading), whatever was merged.
    let rate = row["burn_per_day"].as_f64().expect("a burn rate");
    assert!((700.0..=720.0).contains(&rate), "{row}");

    let all = {
        let history = billfold_history::History::open(scratch.history()).expect("opens");
        history
            .readings(&billfold_history::Filter::default())
            .expect("readings")
    };
    // The last 30 days as taken (plus this run's), the 10 before one per hour.
    assert!(
        all.len() < taken - 9 * 24 * 59,
        "{} of {taken} rows left",
        all.len()
    );
    assert!(all.len() > 30 * 24 * 60, "{} rows left", all.len());
    assert_eq!(all.last().and_then(|r| r.available), Some(12_500.0));

    // `--keep-raw 1d` on a later run: due again only after an hour, so nothing more now.
    balance_json(&scratch.history(), env, &["--keep-raw", "1d"], 0).await;
    let after = billfold_history::History::open(scratch.history())
        .and_then(|h| h.readings(&billfold_history::Filter::default()))
        .expect("readings");
    assert_eq!(after.len(), all.len() + 1);
}
