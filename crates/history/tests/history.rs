//! The history file on disk: real SQLite files in temporary directories.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::thread;

use billfold_history::{Error, Filter, History, Reading, SCHEMA_VERSION};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::Connection;
use tempfile::TempDir;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn temp() -> Result<(TempDir, PathBuf), std::io::Error> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("history.sqlite3");
    Ok((dir, path))
}

fn time(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .map(|t| t + Duration::milliseconds(ms))
        .unwrap_or_else(|| panic!("bad test date {y}-{mo}-{d}"))
}

fn now() -> DateTime<Utc> {
    std::time::SystemTime::now().into()
}

fn reading(provider: &str, taken_at: DateTime<Utc>, available: f64) -> Reading {
    Reading {
        taken_at,
        provider: provider.into(),
        available: Some(available),
        ..Reading::default()
    }
}

fn count_rows(path: &Path) -> rusqlite::Result<i64> {
    Connection::open(path)?.query_row("SELECT count(*) FROM readings", [], |r| r.get(0))
}

fn user_version(path: &Path) -> rusqlite::Result<i64> {
    Connection::open(path)?.pragma_query_value(None, "user_version", |r| r.get(0))
}

#[test]
fn every_field_reads_back_exactly() -> TestResult {
    let (_dir, path) = temp()?;
    let full = Reading {
        taken_at: time(2025, 6, 30, 23, 59, 59, 999),
        provider: "giga".into(),
        account: "work".into(),
        available: Some(1234.5678),
        used: Some(0.1 + 0.2),
        allotted: Some(0.0),
        plan: Some("Pro (annual) – 日本".into()),
        expires_at: Some(time(2026, 1, 1, 0, 0, 0, 1)),
        unit: Some("USD".into()),
        error_kind: None,
    };
    let empty = Reading {
        taken_at: time(2025, 6, 30, 23, 59, 59, 999),
        provider: "neo".into(),
        ..Reading::default()
    };
    let failed = Reading {
        taken_at: time(2025, 7, 1, 0, 0, 0, 0),
        provider: "aiml".into(),
        account: String::new(),
        error_kind: Some("http_401".into()),
        ..Reading::default()
    };
    let extremes = Reading {
        taken_at: time(1, 1, 1, 0, 0, 0, 0),
        provider: "anchor".into(),
        available: Some(f64::MAX),
        used: Some(f64::MIN_POSITIVE),
        allotted: Some(f64::INFINITY),
        expires_at: Some(time(9999, 12, 31, 23, 59, 59, 999)),
        plan: Some(String::new()),
        unit: Some("'; DROP TABLE readings; --".into()),
        ..Reading::default()
    };
    let written = vec![full, empty, failed, extremes];
    History::open(&path)?.record(&written)?;

    // A fresh handle, so nothing can come from memory.
    let read = History::open(&path)?.readings(&Filter::default())?;
    // Oldest first, ties (full and empty share a time) in recording order.
    let expected = vec![
        written[3].clone(),
        written[0].clone(),
        written[1].clone(),
        written[2].clone(),
    ];
    assert_eq!(read, expected);
    Ok(())
}

#[test]
fn times_are_kept_to_the_millisecond_and_nan_is_unknown() -> TestResult {
    let (_dir, path) = temp()?;
    let mut history = History::open(&path)?;
    let precise = time(2025, 1, 1, 0, 0, 0, 0) + Duration::nanoseconds(123_456_789);
    let mut r = reading("giga", precise, f64::NAN);
    r.expires_at = Some(precise);
    history.record(&[r])?;
    let back = history.readings(&Filter::default())?;
    let truncated = time(2025, 1, 1, 0, 0, 0, 123);
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].taken_at, truncated);
    assert_eq!(back[0].expires_at, Some(truncated));
    assert_eq!(back[0].available, None);
    Ok(())
}

#[test]
fn out_of_range_time_records_nothing_of_the_run() -> TestResult {
    let (_dir, path) = temp()?;
    let mut history = History::open(&path)?;
    let mut bad = reading("neo", time(2025, 1, 1, 0, 0, 0, 0), 1.0);
    bad.expires_at = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).single();
    let good = reading("giga", time(2025, 1, 1, 0, 0, 0, 0), 1.0);
    let err = history
        .record(&[good, bad])
        .err()
        .ok_or("a year-10000 expiry was recorded")?;
    assert!(
        matches!(
            err,
            Error::TimeOutOfRange {
                field: "expires_at",
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("neo") && message.contains("+10000"),
        "{message}"
    );
    assert_eq!(count_rows(&path)?, 0);
    Ok(())
}

#[test]
fn filter_by_provider_account_and_since() -> TestResult {
    let (_dir, path) = temp()?;
    let mut history = History::open(&path)?;
    let t = |minute| time(2025, 3, 1, 12, minute, 0, 0);
    let mut work = reading("giga", t(5), 7.0);
    work.account = "work".into();
    history.record(&[reading("giga", t(10), 3.0), reading("neo", t(0), 1.0)])?;
    history.record(&[work, reading("giga", t(0), 4.0)])?;

    let providers = |filter: Filter| -> Result<Vec<(String, String, i64)>, Error> {
        Ok(history
            .readings(&filter)?
            .into_iter()
            .map(|r| {
                let minute = (r.taken_at - t(0)).num_minutes();
                (r.provider, r.account, minute)
            })
            .collect())
    };
    let row = |p: &str, a: &str, m| (p.to_string(), a.to_string(), m);

    assert_eq!(
        providers(Filter::default())?,
        vec![
            row("neo", "", 0),
            row("giga", "", 0),
            row("giga", "work", 5),
            row("giga", "", 10)
        ]
    );
    assert_eq!(
        providers(Filter {
            provider: Some("giga".into()),
            ..Filter::default()
        })?,
        vec![
            row("giga", "", 0),
            row("giga", "work", 5),
            row("giga", "", 10)
        ]
    );
    assert_eq!(
        providers(Filter {
            provider: Some("giga".into()),
            account: Some(String::new()),
            ..Filter::default()
        })?,
        vec![row("giga", "", 0), row("giga", "", 10)]
    );
    assert_eq!(
        providers(Filter {
            since: Some(t(5)),
            ..Filter::default()
        })?,
        vec![row("giga", "work", 5), row("giga", "", 10)]
    );
    assert_eq!(
        providers(Filter {
            account: Some("work".into()),
            since: Some(t(6)),
            ..Filter::default()
        })?,
        vec![]
    );
    // Since before year 1 or after 9999: everything, nothing.
    assert_eq!(
        providers(Filter {
            since: Some(DateTime::<Utc>::MIN_UTC),
            ..Filter::default()
        })?
        .len(),
        4
    );
    assert_eq!(
        providers(Filter {
            since: Some(DateTime::<Utc>::MAX_UTC),
            ..Filter::default()
        })?,
        vec![]
    );
    assert_eq!(
        providers(Filter {
            provider: Some("nobody".into()),
            ..Filter::default()
        })?,
        vec![]
    );
    Ok(())
}

#[test]
fn fresh_file_gets_the_current_schema_version_and_wal() -> TestResult {
    let (dir, _) = temp()?;
    let path = dir.path().join("a").join("b").join("history.sqlite3");
    let history = History::open(&path)?;
    assert_eq!(user_version(&path)?, SCHEMA_VERSION);
    let conn = Connection::open(&path)?;
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
    assert_eq!(mode, "wal");
    let index: String = conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'readings'",
        [],
        |r| r.get(0),
    )?;
    assert!(index.contains("(provider, account, taken_at)"), "{index}");
    drop(history);
    Ok(())
}

#[test]
fn opening_twice_at_once_and_again_is_fine() -> TestResult {
    let (_dir, path) = temp()?;
    let mut first = History::open(&path)?;
    let mut second = History::open(&path)?;
    first.record(&[reading("giga", now(), 1.0)])?;
    second.record(&[reading("giga", now(), 2.0)])?;
    drop((first, second));
    let third = History::open(&path)?;
    assert_eq!(third.readings(&Filter::default())?.len(), 2);
    assert_eq!(user_version(&path)?, SCHEMA_VERSION);
    Ok(())
}

#[test]
fn newer_schema_is_refused_naming_the_file() -> TestResult {
    let (_dir, path) = temp()?;
    History::open(&path)?.record(&[reading("giga", now(), 1.0)])?;
    Connection::open(&path)?.pragma_update(None, "user_version", SCHEMA_VERSION + 1)?;

    let err = History::open(&path)
        .err()
        .ok_or("a file from the future was opened")?;
    assert!(matches!(err, Error::TooNew { found, .. } if found == SCHEMA_VERSION + 1));
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("newer") && message.contains("upgrade billfold"),
        "{message}"
    );
    // Left as it was.
    assert_eq!(user_version(&path)?, SCHEMA_VERSION + 1);
    assert_eq!(count_rows(&path)?, 1);
    Ok(())
}

#[test]
fn version_zero_file_of_another_program_is_left_alone() -> TestResult {
    let (_dir, path) = temp()?;
    {
        let conn = Connection::open(&path)?;
        conn.execute_batch(
            "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');",
        )?;
    }
    let err = History::open(&path)
        .err()
        .ok_or("another program's database was taken over")?;
    assert!(matches!(err, Error::NotHistory { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("`notes`"), "{message}");
    let conn = Connection::open(&path)?;
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE name = 'readings'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(tables, 0);
    assert_eq!(user_version(&path)?, 0);
    Ok(())
}

#[test]
fn version_zero_empty_files_are_migrated() -> TestResult {
    // A zero-byte file, and an SQLite file with no schema (only pragmas set).
    let (dir, empty) = temp()?;
    std::fs::write(&empty, b"")?;
    let bare = dir.path().join("bare.sqlite3");
    Connection::open(&bare)?.pragma_update(None, "page_size", 8192)?;
    for path in [empty, bare] {
        History::open(&path)?.record(&[reading("giga", now(), 1.0)])?;
        assert_eq!(user_version(&path)?, SCHEMA_VERSION);
        assert_eq!(count_rows(&path)?, 1);
    }
    Ok(())
}

#[test]
fn negative_schema_version_is_refused() -> TestResult {
    let (_dir, path) = temp()?;
    Connection::open(&path)?.pragma_update(None, "user_version", -1)?;
    let err = History::open(&path).err().ok_or("opened")?;
    assert!(matches!(err, Error::NotHistory { .. }), "{err:?}");
    assert!(err.to_string().contains("schema version is -1"), "{err}");
    Ok(())
}

#[test]
fn unopenable_path_names_the_path() -> TestResult {
    let (dir, _) = temp()?;
    let file = dir.path().join("plain-file");
    std::fs::write(&file, "not a directory")?;
    let path = file.join("history.sqlite3");
    let err = History::open(&path).err().ok_or("opened below a file")?;
    assert!(matches!(err, Error::CreateDir { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("--history PATH"), "{message}");
    assert_eq!(err.path(), path);
    Ok(())
}

#[test]
fn a_text_file_is_not_a_database() -> TestResult {
    let (_dir, path) = temp()?;
    let text = "balance notes, not SQLite\n".repeat(100);
    std::fs::write(&path, &text)?;
    let err = History::open(&path).err().ok_or("a text file was opened")?;
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("not an intact SQLite database"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&path)?, text);
    Ok(())
}

#[test]
fn a_directory_cannot_be_opened() -> TestResult {
    let (dir, _) = temp()?;
    let err = History::open(dir.path())
        .err()
        .ok_or("a directory was opened")?;
    assert!(matches!(err, Error::Open { .. }), "{err:?}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));
    Ok(())
}

#[test]
fn a_hand_edited_time_is_reported_with_its_row() -> TestResult {
    let (_dir, path) = temp()?;
    let history = History::open(&path)?;
    Connection::open(&path)?.execute(
        "INSERT INTO readings (taken_at, provider) VALUES ('yesterday', 'giga')",
        [],
    )?;
    let err = history
        .readings(&Filter::default())
        .err()
        .ok_or("a bad time was read")?;
    assert!(
        matches!(
            err,
            Error::BadRow {
                id: 1,
                column: "taken_at",
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("\"yesterday\""), "{message}");
    Ok(())
}

const RUNS: usize = 200;
const PER_RUN: usize = 3;

fn write_runs(path: &Path, writer: &str, runs: usize) -> Result<(), Error> {
    let mut history = History::open(path)?;
    for run in 0..runs {
        let now = now();
        let batch: Vec<Reading> = (0..PER_RUN)
            .map(|i| Reading {
                account: format!("{writer}-{run}"),
                ..reading(&format!("p{i}"), now, run as f64)
            })
            .collect();
        history.record(&batch)?;
    }
    Ok(())
}

#[test]
fn two_threads_writing_at_once_lose_nothing() -> TestResult {
    let (_dir, path) = temp()?;
    // Both open a file that does not exist yet at the same moment, so the creation and the
    // first migration race too.
    let start = Arc::new(Barrier::new(2));
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            let path = path.clone();
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                write_runs(&path, name, RUNS)
            })
        })
        .collect();
    for writer in writers {
        writer.join().map_err(|_| "writer thread panicked")??;
    }
    assert_eq!(count_rows(&path)?, (2 * RUNS * PER_RUN) as i64);
    assert_eq!(count_rows(&path)?, 1200);
    let history = History::open(&path)?;
    let all = history.readings(&Filter::default())?;
    for writer in ["a", "b"] {
        for run in [0, RUNS - 1] {
            let account = format!("{writer}-{run}");
            assert_eq!(all.iter().filter(|r| r.account == account).count(), PER_RUN);
        }
    }
    Ok(())
}

/// Set in the child processes of [`two_processes_writing_at_once_lose_nothing`].
const CHILD_ENV: &str = "BILLFOLD_HISTORY_TEST_CHILD";
const CHILD_RUNS: usize = 100;

/// Does nothing in a normal test run; in a child process started by the test below, writes
/// its share of runs to the file the parent names.
#[test]
fn child_writer() -> TestResult {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return Ok(());
    };
    let name = format!("pid{}", std::process::id());
    write_runs(Path::new(&path), &name, CHILD_RUNS)?;
    Ok(())
}

#[test]
fn two_processes_writing_at_once_lose_nothing() -> TestResult {
    let (_dir, path) = temp()?;
    let exe = std::env::current_exe()?;
    // Both started before either is waited for, so their writes overlap.
    let spawned = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args(["child_writer", "--exact", "--test-threads=1", "--quiet"])
                .env(CHILD_ENV, &path)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
        })
        .collect::<Result<Vec<_>, _>>()?;
    for child in spawned {
        let output = child.wait_with_output()?;
        assert!(
            output.status.success(),
            "child failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(count_rows(&path)?, (2 * CHILD_RUNS * PER_RUN) as i64);
    Ok(())
}
