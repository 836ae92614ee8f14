//! `history BILLFOLD ACCOUNTS DAYS`: a history that scales.
//!
//! 1. A simulated year: one reading a minute for ACCOUNTS accounts over DAYS days ending now,
//!    written a day at a time (as `billfold serve --interval 60` would), downsampled after each
//!    day as serve does hourly (`--keep-raw 30d`): the file's size at the end, and its rows.
//! 2. `billfold balance` over ACCOUNTS accounts (local servers answering at once) with that
//!    history against an empty one, interleaved, 15 runs each: median wall time and ratio.
//! 3. `billfold serve` over the same accounts and history: the time to answer `GET /` (the
//!    dashboard's page), 200 requests one after the other once the first refresh is done.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use billfold_history::{Downsampling, History, Reading};
use chrono::{DateTime, Utc};
use serde_json::json;

use crate::{OLOSTEP_EXAMPLE, percentile, server};

/// The accounts file of `count` Olostep accounts at `base`, each with its own key variable.
fn accounts_file(count: usize, base: &str) -> String {
    (0..count)
        .map(|i| {
            format!(
                "[[account]]\nlabel = \"a{i:02}\"\nprovider = \"olostep\"\n\
                 key_env = \"BENCH_KEY_{i}\"\nbase_url = \"{base}\"\n\n"
            )
        })
        .collect()
}

/// The size of the history file with its WAL.
fn size(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_path_buf(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Writes a year of minute readings for `accounts` accounts ending at `now`.
fn simulate(path: &Path, accounts: usize, days: i64, now: DateTime<Utc>) -> serde_json::Value {
    let started = Instant::now();
    let mut history = History::open(path).expect("history opens");
    let start = now - chrono::Duration::days(days);
    for day in 0..days {
        let readings: Vec<Reading> = (0..24 * 60)
            .flat_map(|minute| {
                let i = day * 24 * 60 + minute;
                let taken_at = start + chrono::Duration::minutes(i);
                (0..accounts).map(move |a| Reading {
                    taken_at,
                    provider: "olostep".into(),
                    account: format!("a{a:02}"),
                    // Drains a little each minute, topped up on the first of each month.
                    available: Some(20_000.0 - (i % 43_200) as f64 * 0.4 - a as f64),
                    unit: Some("credits".into()),
                    plan: Some("Pro".into()),
                    ..Reading::default()
                })
            })
            .collect();
        history.record(&readings).expect("a day recorded");
        let end_of_day = start + chrono::Duration::days(day + 1);
        history
            .downsample(end_of_day, Downsampling::default())
            .expect("downsampled");
    }
    drop(history);
    let rows: i64 = rusqlite_count(path);
    json!({
        "accounts": accounts,
        "days": days,
        "readings_taken": accounts as i64 * days * 24 * 60,
        "rows_kept": rows,
        "file_bytes": size(path),
        "simulation_s": started.elapsed().as_secs_f64(),
    })
}

/// The rows of the history, through its public API (readings since the start).
fn rusqlite_count(path: &Path) -> i64 {
    History::open(path)
        .and_then(|h| h.readings(&billfold_history::Filter::default()))
        .map(|r| r.len() as i64)
        .unwrap_or(-1)
}

/// The accounts file, as `run` noted it in the env.
fn config_of(env: &[(String, String)]) -> String {
    env.iter()
        .find(|(k, _)| k == "BILLFOLD_BENCH_CONFIG")
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Runs `billfold balance` once; its wall time in ms.
fn balance(billfold: &Path, env: &[(String, String)], history: &Path) -> f64 {
    let started = Instant::now();
    let output = Command::new(billfold)
        .args(["balance", "--config", &config_of(env), "--history"])
        .arg(history)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("billfold balance runs");
    let ms = started.elapsed().as_secs_f64() * 1e3;
    assert!(
        output.status.code() == Some(0),
        "billfold balance failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    ms
}

/// `GET path` on a new connection; the body, and the time to the full answer in ms.
fn get(address: &str, path: &str) -> (String, f64) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(address).expect("connects");
    let _ = stream.set_nodelay(true);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let body = response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    (body, ms)
}

/// The dashboard's page time with `history`.
fn page(billfold: &Path, env: &[(String, String)], history: &Path) -> serde_json::Value {
    let mut server = Command::new(billfold)
        .args(["serve", "--listen", "127.0.0.1:0", "--interval", "60"])
        .args(["--config", &config_of(env), "--history"])
        .arg(history)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("billfold serve starts");
    let started = Instant::now();
    let mut stderr = BufReader::new(server.stderr.take().expect("stderr"));
    let address = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("server stderr") == 0 {
            panic!("billfold serve exited before listening");
        }
        if let Some(rest) = line.strip_prefix("billfold: serving metrics on http://") {
            break rest.trim().trim_end_matches("/metrics").to_owned();
        }
    };
    std::thread::spawn(move || {
        let mut sink = String::new();
        while stderr.read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
    });
    let (first, ready_ms) = loop {
        let (body, _) = get(&address, "/");
        if body.contains("<tr class=\"account") {
            break (body, started.elapsed().as_secs_f64() * 1e3);
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no dashboard rows within 120 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut times: Vec<f64> = (0..200).map(|_| get(&address, "/?range=1y").1).collect();
    times.sort_by(f64::total_cmp);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    json!({
        "requests": times.len(),
        "median_ms": percentile(&times, 0.5),
        "p99_ms": percentile(&times, 0.99),
        "max_ms": times.last().copied().unwrap_or(f64::NAN),
        "first_page_ready_ms": ready_ms,
        "page_bytes": first.len(),
        "rows": first.matches("<tr class=\"account").count(),
    })
}

/// Runs the three measurements.
pub fn run(billfold: &Path, accounts: usize, days: i64) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("billfold-bench-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let base = server::start(OLOSTEP_EXAMPLE.as_bytes().to_vec(), Duration::ZERO, 1);
    let config = dir.join("config.toml");
    std::fs::write(&config, accounts_file(accounts, &base[0])).expect("accounts file");
    let mut env: Vec<(String, String)> = (0..accounts)
        .map(|i| (format!("BENCH_KEY_{i}"), format!("bench-key-{i}")))
        .collect();
    env.push(("HOME".into(), dir.display().to_string()));
    env.push(("BILLFOLD_BENCH_CONFIG".into(), config.display().to_string()));

    let year = dir.join("year.sqlite3");
    let empty = dir.join("empty.sqlite3");
    let now: DateTime<Utc> = std::time::SystemTime::now().into();
    let simulated = simulate(&year, accounts, days, now);

    // Warm up both (page cache, first-run costs), then interleave.
    balance(billfold, &env, &empty);
    balance(billfold, &env, &year);
    let (mut with_year, mut with_empty) = (Vec::new(), Vec::new());
    for round in 0..15 {
        if round % 2 == 0 {
            with_empty.push(balance(billfold, &env, &empty));
            with_year.push(balance(billfold, &env, &year));
        } else {
            with_year.push(balance(billfold, &env, &year));
            with_empty.push(balance(billfold, &env, &empty));
        }
    }
    let mut ratios: Vec<f64> = with_year
        .iter()
        .zip(&with_empty)
        .map(|(y, e)| y / e)
        .collect();
    ratios.sort_by(f64::total_cmp);
    with_year.sort_by(f64::total_cmp);
    with_empty.sort_by(f64::total_cmp);
    let page = page(billfold, &env, &year);
    let file_after = size(&year);
    let _ = std::fs::remove_dir_all(&dir);
    json!({
        "simulated": simulated,
        "balance": {
            "runs": with_year.len(),
            "year_median_ms": percentile(&with_year, 0.5),
            "empty_median_ms": percentile(&with_empty, 0.5),
            "ratio": percentile(&ratios, 0.5),
            "ratio_quartiles": [percentile(&ratios, 0.25), percentile(&ratios, 0.75)],
        },
        "page": page,
        "file_bytes_after_runs": file_after,
    })
}
