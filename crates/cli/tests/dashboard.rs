//! `billfold serve`'s page at `/`, served over local mock providers with a week of history,
//! checked as served and as headless Chromium renders it (with screenshots at desktop and phone
//! widths saved under the target directory), and `billfold history --plot`.
//!
//! Chromium is Debian's `chromium` at /usr/bin/chromium; without it the browser part is
//! skipped, unless BILLFOLD_REQUIRE_CHROMIUM is set (as CI does), when it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use billfold_history::{History, Reading};
use chrono::{DateTime, Utc};
use common::*;

const CHROMIUM: &str = "/usr/bin/chromium";

fn now() -> DateTime<Utc> {
    std::time::SystemTime::now().into()
}

/// A week of hourly readings: team-a drains 2500 credits a day down to 12500 (so 5 days are
/// left), team-b stays at 70.
fn write_week(path: &Path, now: DateTime<Utc>) {
    let mut history = History::open(path).expect("history opens");
    let readings: Vec<Reading> = (1..=7 * 24)
        .rev()
        .flat_map(|hours_ago| {
            let taken_at = now - chrono::Duration::hours(hours_ago);
            let reading = |account: &str, available: f64| Reading {
                taken_at,
                provider: "olostep".into(),
                account: account.into(),
                available: Some(available),
                unit: Some("credits".into()),
                ..Reading::default()
            };
            [
                reading("team-a", 12_500.0 + 2500.0 * hours_ago as f64 / 24.0),
                reading("team-b", 70.0),
            ]
        })
        .collect();
    history.record(&readings).expect("readings recorded");
}

/// Where screenshots and the plot go for review: `<target>/dashboard/`.
fn review_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
        .join("dashboard");
    std::fs::create_dir_all(&dir).expect("review directory");
    dir
}

/// The date `days` after `now`, as the page writes it.
fn date_after(now: DateTime<Utc>, days: f64) -> String {
    (now + chrono::Duration::seconds((days * 86_400.0) as i64))
        .format("%Y-%m-%d")
        .to_string()
}

/// Runs headless Chromium with `args` then `url`; its stdout, or `None` when it is not
/// installed and not required.
fn chromium(args: &[String], url: &str) -> Option<String> {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("BILLFOLD_REQUIRE_CHROMIUM").is_none(),
            "{CHROMIUM} is missing and BILLFOLD_REQUIRE_CHROMIUM is set: apt-get install chromium"
        );
        eprintln!("skipping the browser checks: {CHROMIUM} is not installed");
        return None;
    }
    let profile = tempfile::tempdir().expect("a profile directory");
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("waits").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("chromium output");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The `points` attribute of the first `<polyline class="balance">` after `from` in `html`:
/// how many vertices the chart has.
fn vertices_after(html: &str, from: &str) -> usize {
    let rest = html.split(from).nth(1).unwrap_or_default();
    let line = rest.split("class=\"balance\"").nth(1).unwrap_or_default();
    let points = line.split("points=\"").nth(1).unwrap_or_default();
    points
        .split('"')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .count()
}

/// Checks what a user sees on the page: both rows with their amounts, statuses and run-out
/// date, and a chart per account with its points and the run-out drawn.
fn check_page(html: &str, runout: &str) {
    assert_no_key(html);
    let rows = html.matches("<tr class=\"account").count();
    assert_eq!(rows, 2, "{html}");
    let row = |account: &str| {
        let start = html
            .find(&format!("data-account=\"{account}\"><td"))
            .unwrap_or_else(|| panic!("no row for {account}:\n{html}"));
        let rest = &html[start..];
        rest[..rest.find("</tr>").unwrap_or(rest.len())].to_owned()
    };
    let a = row("olostep:team-a");
    assert!(a.contains(">12500<"), "{a}");
    assert!(a.contains(">credits<"), "{a}");
    assert!(a.contains(">LOW<"), "{a}");
    // 17500 credits over the 7 days: 2500 a day, 5 days left.
    assert!(a.contains(">2500<"), "{a}");
    assert!(a.contains(">5d<"), "{a}");
    assert!(a.contains(&format!(">{runout}<")), "runs out {runout}: {a}");
    let b = row("olostep:team-b");
    assert!(
        b.contains(">70<") && b.contains(">ok<") && b.contains(">∞<"),
        "{b}"
    );

    let chart_a = "<svg class=\"chart\"";
    assert_eq!(html.matches(chart_a).count(), 2, "{html}");
    // A week of hourly readings and the live ones: over a hundred points on team-a's line.
    let points = vertices_after(html, "data-account=\"olostep:team-a\" data-points=");
    assert!(points > 100, "{points} vertices");
    assert!(
        html.contains(&format!("data-runout=\"{runout}\"")),
        "no run-out on the chart"
    );
    assert!(
        html.contains(&format!("runs out {runout}")),
        "no run-out label"
    );
    assert!(
        html.contains("class=\"runout\""),
        "the run-out is not drawn"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_every_account_with_its_chart_and_runout() {
    let scratch = Scratch::new();
    let team_a = olostep(12_500, "team-a-secret-7").await;
    let team_b = olostep(70, "team-b-secret-8").await;
    write_default_config(
        &scratch,
        &TWO_ACCOUNTS
            .replace("A_URL", &team_a.uri())
            .replace("B_URL", &team_b.uri()),
    );
    let started = now();
    write_week(&scratch.history(), started);
    let mut env = scratch.env();
    env.push(("OLOSTEP_TEAM_A_KEY".into(), "team-a-secret-7".into()));
    env.push(("OLOSTEP_TEAM_B_KEY".into(), "team-b-secret-8".into()));
    let history = scratch.history().display().to_string();
    let server = Server::start(
        &[
            "--interval",
            "30",
            "--history",
            &history,
            "--warn-days",
            "olostep=14",
        ],
        env,
    );

    // The first refresh renders the page.
    let limit = Instant::now() + Duration::from_secs(20);
    let (head, html) = loop {
        let (status, head, body) = server.get("/");
        assert_eq!(status, 200, "{head}");
        if body.contains("<tr class=\"account") {
            break (head, body);
        }
        assert!(Instant::now() < limit, "no rows within 20 s:\n{body}");
        pause(100).await;
    };
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    // Nothing is loaded from elsewhere: no URL at all in the page.
    assert!(!html.contains("http://") && !html.contains("https://"));
    let runout = date_after(started, 5.0);
    check_page(&html, &runout);
    // The other ranges are links, and each renders.
    for range in ["24h", "30d", "1y"] {
        let (status, _, body) = server.get(&format!("/?range={range}"));
        assert_eq!(status, 200);
        assert!(body.contains(&format!("href=\"/?range={range}\" aria-current")));
        assert_eq!(body.matches("<svg class=\"chart\"").count(), 2);
    }
    eprintln!("page: {} bytes", html.len());

    // As a browser renders it.
    let url = format!("http://{}/", server.address);
    if let Some(dom) = chromium(&["--dump-dom".to_owned()], &url) {
        check_page(&dom, &runout);
        let review = review_dir();
        for (name, size) in [("desktop", "1280,460"), ("phone", "390,860")] {
            let file = review.join(format!("dashboard-{name}.png"));
            let _ = std::fs::remove_file(&file);
            chromium(
                &[
                    format!("--screenshot={}", file.display()),
                    format!("--window-size={size}"),
                ],
                &url,
            );
            let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            assert!(bytes > 10_000, "{} is {bytes} bytes", file.display());
            eprintln!("screenshot: {}", file.display());
        }
    }
    assert_no_key(&server.stderr());
}

#[tokio::test]
async fn history_plot_writes_a_chart_per_account() {
    let scratch = Scratch::new();
    let started = now();
    write_week(&scratch.history(), started);
    let history = scratch.history().display().to_string();
    let file = scratch.path("week.svg");
    let file_arg = file.display().to_string();
    let plot = |extra: &'static [&'static str]| {
        let mut args = vec!["history", "--history", &history, "--plot", &file_arg];
        args.extend_from_slice(extra);
        let env = scratch.env();
        async move { billfold(&args, env).await }
    };
    let output = plot(&["--since", "7d"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let svg = std::fs::read_to_string(&file).expect("the plot is written");
    assert!(svg.starts_with("<?xml"), "{svg}");
    assert_eq!(svg.matches("<svg class=\"chart\"").count(), 2);
    let runout = date_after(started, 5.0);
    assert!(svg.contains(&format!("runs out {runout}")), "{svg}");
    assert!(vertices_after(&svg, "data-account=\"olostep:team-a\"") > 100);
    std::fs::copy(&file, review_dir().join("history-plot.svg")).expect("copied for review");

    // One account only; and nothing to plot is an error that says what to do.
    let output = plot(&["--provider", "olostep:team-b"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let svg = std::fs::read_to_string(&file).expect("the plot is written");
    assert_eq!(svg.matches("<svg class=\"chart\"").count(), 1);
    assert!(svg.contains("data-account=\"olostep:team-b\""));

    let output = plot(&["--provider", "giga"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("nothing to plot"),
        "{}",
        stderr(&output)
    );
}
