//! A history that scales: the burn rate from the stored running totals (the same figures as
//! from every reading), downsampling, the migration of version 1 files, and `kill -9` during
//! downsampling.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration as StdDuration;

use billfold_history::{Burn, Downsampling, Filter, History, Reading, burn};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::Connection;
use tempfile::TempDir;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn temp() -> Result<(TempDir, PathBuf), std::io::Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("history.sqlite3");
    Ok((dir, path))
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A balance that drops by an uneven amount every reading, is topped up every 500th, and
/// fails every 97th.
fn reading(account: &str, i: i64, step: Duration) -> Reading {
    let base = Reading {
        taken_at: t0() + step * (i as i32),
        provider: "olostep".into(),
        account: account.into(),
        ..Reading::default()
    };
    if i % 97 == 96 {
        return Reading {
            error_kind: Some("timeout".into()),
            ..base
        };
    }
    let available = 100_000.0 - (i % 500) as f64 * 7.5 - (i % 3) as f64;
    Reading {
        available: Some(available),
        unit: Some("credits".into()),
        ..base
    }
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        (a, b) => a == b,
    }
}

fn assert_same(found: Burn, expected: Burn, what: &str) {
    assert!(
        close(found.per_day, expected.per_day)
            && close(found.days_left, expected.days_left)
            && found.readings == expected.readings,
        "{what}: stored totals give {found:?}, every reading gives {expected:?}"
    );
}

#[test]
fn the_stored_totals_give_the_burn_of_every_reading() -> TestResult {
    let (_dir, path) = temp()?;
    let mut history = History::open(&path)?;
    let step = Duration::minutes(10);
    // Batches of 20 readings per account, every fifth batch recorded late (after the next),
    // as when two processes write at once.
    let mut batches: Vec<Vec<Reading>> = (0..40)
        .map(|batch| {
            (batch * 20..batch * 20 + 20)
                .flat_map(|i| [reading("a", i, step), reading("b", i, step)])
                .collect()
        })
        .collect();
    for pair in batches.chunks_mut(2).step_by(5) {
        pair.reverse();
    }
    for batch in &batches {
        history.record(batch)?;
    }
    let all = history.readings(&Filter::default())?;
    for account in ["a", "b"] {
        let mine: Vec<Reading> = all
            .iter()
            .filter(|r| r.account == account)
            .cloned()
            .collect();
        for (now_steps, window) in [
            (799, Duration::days(7)),
            (799, Duration::hours(5)),
            (400, Duration::days(1)),
            (50, Duration::days(30)),
            (799, Duration::minutes(5)),
            (10_000, Duration::days(1)),
        ] {
            let now = t0() + step * now_steps;
            assert_same(
                history.burn("olostep", account, now, window)?,
                burn(&mine, now, window),
                &format!("{account} at step {now_steps} over {window}"),
            );
        }
    }
    Ok(())
}

#[test]
fn downsampling_keeps_the_newest_reading_the_burn_and_the_range() -> TestResult {
    let (_dir, path) = temp()?;
    let mut history = History::open(&path)?;
    let step = Duration::minutes(5);
    let days = 40;
    let count = days * 24 * 12;
    for day in 0..days {
        let batch: Vec<Reading> = (day * 288..(day + 1) * 288)
            .flat_map(|i| [reading("a", i, step), reading("b", i, step)])
            .collect();
        history.record(&batch)?;
    }
    let now = t0() + step * (count as i32 - 1);
    let before = history.readings(&Filter::default())?;
    let burn_before = history.burn("olostep", "a", now, Duration::days(7))?;
    let hour_start = t0() + Duration::hours(5);
    let hour: Vec<f64> = before
        .iter()
        .filter(|r| r.account == "a" && r.taken_at >= hour_start)
        .filter(|r| r.taken_at < hour_start + Duration::hours(1) && r.error_kind.is_none())
        .filter_map(|r| r.available)
        .collect();

    let removed = history.downsample(now, Downsampling::default())?;
    let after = history.readings(&Filter::default())?;
    assert_eq!(before.len() - removed, after.len());
    assert!(removed > 0);
    // Every reading of the last 30 days is there as it was.
    let cutoff = now - Duration::days(30);
    let recent = |list: &[Reading]| -> Vec<Reading> {
        list.iter()
            .filter(|r| r.taken_at >= cutoff)
            .cloned()
            .collect()
    };
    assert_eq!(recent(&before), recent(&after));
    // The newest reading of each account is kept.
    for account in ["a", "b"] {
        let newest = |list: &[Reading]| list.iter().rfind(|r| r.account == account).cloned();
        assert_eq!(newest(&before), newest(&after));
    }
    // Older ones: at most one successful and one failed row per account and hour.
    // (Whole hours only: the hour the cutoff falls in is left for next time.)
    let whole_hours =
        cutoff - Duration::minutes(i64::from(cutoff.format("%M").to_string().parse::<u8>()?));
    let old: Vec<&Reading> = after.iter().filter(|r| r.taken_at < whole_hours).collect();
    let mut seen = std::collections::HashSet::new();
    for r in &old {
        let bucket = r.taken_at.format("%Y-%m-%dT%H").to_string();
        assert!(
            seen.insert((r.account.clone(), bucket, r.error_kind.is_some())),
            "two rows for one hour: {r:?}"
        );
    }
    assert!(old.len() <= 2 * 2 * 24 * 11, "{} old rows", old.len());
    // The burn, and a chart's view of an old hour: its last reading, with its least and most.
    assert_same(
        history.burn("olostep", "a", now, Duration::days(7))?,
        burn_before,
        "7 days after downsampling",
    );
    let chart = history.series(
        "olostep",
        "a",
        hour_start,
        hour_start + Duration::minutes(59),
        4,
    )?;
    assert_eq!(chart.len(), 1, "{chart:?}");
    let lowest = hour.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = hour.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(
        chart[0].available,
        *hour.last().ok_or("an hour of readings")?
    );
    assert_eq!((chart[0].min, chart[0].max), (Some(lowest), Some(highest)));

    // A year later, those hours are days; the newest reading is still there; doing it again
    // right away removes nothing.
    let later = now + Duration::days(365);
    history.downsample(later, Downsampling::default())?;
    let days_left = history.readings(&Filter::default())?;
    // One row per day (two with failures), the last day still per hour.
    assert!(
        days_left.len() <= 2 * 2 * (days as usize + 24),
        "{}",
        days_left.len()
    );
    assert_eq!(days_left.last(), after.last());
    assert_eq!(history.downsample(later, Downsampling::default())?, 0);
    Ok(())
}

#[test]
fn a_version_1_file_gets_its_totals_when_migrated() -> TestResult {
    let (_dir, path) = temp()?;
    let step = Duration::minutes(7);
    let readings: Vec<Reading> = (0..300).map(|i| reading("", i, step)).collect();
    {
        let conn = Connection::open(&path)?;
        conn.execute_batch(
            "CREATE TABLE readings (
                 id INTEGER PRIMARY KEY, taken_at TEXT NOT NULL, provider TEXT NOT NULL,
                 account TEXT NOT NULL DEFAULT '', available REAL, used REAL, allotted REAL,
                 plan TEXT, expires_at TEXT, unit TEXT, error_kind TEXT);
             CREATE INDEX readings_by_account_time ON readings (provider, account, taken_at);
             PRAGMA user_version = 1;",
        )?;
        for r in &readings {
            conn.execute(
                "INSERT INTO readings (taken_at, provider, account, available, error_kind) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![
                    r.taken_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    r.provider,
                    r.account,
                    r.available,
                    r.error_kind
                ],
            )?;
        }
    }
    let history = History::open(&path)?;
    let now = t0() + step * 299;
    for window in [Duration::days(1), Duration::hours(3), Duration::days(30)] {
        assert_same(
            history.burn("olostep", "", now, window)?,
            burn(&readings, now, window),
            &format!("migrated, over {window}"),
        );
    }
    Ok(())
}

/// Set in the child process of [`kill_9_during_downsampling_loses_nothing`].
const CHILD_ENV: &str = "BILLFOLD_DOWNSAMPLE_TEST_CHILD";

/// Does nothing in a normal test run; in the child process, downsamples the file it is given
/// (saying so first on stdout).
#[test]
fn child_downsampler() -> TestResult {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return Ok(());
    };
    let mut history = History::open(Path::new(&path))?;
    println!("downsampling");
    history.downsample(t0() + Duration::days(120), Downsampling::default())?;
    println!("done");
    Ok(())
}

#[test]
fn kill_9_during_downsampling_loses_nothing() -> TestResult {
    let (_dir, path) = temp()?;
    let step = Duration::minutes(1);
    {
        let mut history = History::open(&path)?;
        for day in 0..90 {
            let batch: Vec<Reading> = (day * 1440..(day + 1) * 1440)
                .flat_map(|i| [reading("a", i, step), reading("b", i, step)])
                .collect();
            history.record(&batch)?;
        }
    }
    let before = History::open(&path)?.readings(&Filter::default())?;
    let now = t0() + Duration::days(120);
    let burn_before = History::open(&path)?.burn("olostep", "a", now, Duration::days(60))?;
    let exe = std::env::current_exe()?;
    let mut killed_midway = 0;
    for delay in [30, 100, 250] {
        let mut child = Command::new(&exe)
            .args([
                "child_downsampler",
                "--exact",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("stdout")?).lines();
        while let Some(line) = lines.next().transpose()? {
            if line.contains("downsampling") {
                break;
            }
        }
        std::thread::sleep(StdDuration::from_millis(delay));
        child.kill()?; // SIGKILL
        let status = child.wait()?;
        if !status.success() {
            killed_midway += 1;
        }
        let conn = Connection::open(&path)?;
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        assert_eq!(check, "ok");
        let history = History::open(&path)?;
        let now_readings = history.readings(&Filter::default())?;
        if now_readings.len() == before.len() {
            assert_eq!(now_readings, before, "killed: the file is as it was");
        } else {
            // It finished: only readings older than 30 days were merged.
            let recent = |list: &[Reading]| -> Vec<Reading> {
                list.iter()
                    .filter(|r| r.taken_at >= now - Duration::days(30))
                    .cloned()
                    .collect()
            };
            assert_eq!(recent(&now_readings), recent(&before));
        }
        for account in ["a", "b"] {
            let newest = |list: &[Reading]| list.iter().rfind(|r| r.account == account).cloned();
            assert_eq!(newest(&now_readings), newest(&before));
        }
        if now_readings.len() == before.len() {
            assert_same(
                history.burn("olostep", "a", now, Duration::days(60))?,
                burn_before,
                "after a kill",
            );
        }
    }
    assert!(
        killed_midway > 0,
        "the child always finished before the kill"
    );
    Ok(())
}
