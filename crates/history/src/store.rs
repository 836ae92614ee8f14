//! The SQLite history file.

use std::collections::HashSet;
use std::collections::hash_map::Entry;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, Row, ToSql, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::totals::{self, Totals};

/// How long an operation waits for another process's lock on the file before failing.
///
/// ```
/// assert_eq!(billfold_history::BUSY_TIMEOUT.as_secs(), 5);
/// ```
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The schema version this code writes (SQLite's `PRAGMA user_version` of the file). Files
/// with a lower version are migrated forward by [`History::open`]; a higher one is refused.
///
/// ```
/// assert_eq!(billfold_history::SCHEMA_VERSION, 2);
/// ```
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `MIGRATIONS[n]` takes a file from schema version `n` to `n + 1`. Append only: a step that
/// has shipped is never edited, since files out there are already past it.
const MIGRATIONS: &[&str] = &[
    // 1: times are RFC 3339 UTC text with milliseconds (`2025-01-02T03:04:05.678Z`): readable
    // in the `sqlite3` shell, understood by SQLite's date functions, and, being fixed-width,
    // sorted by time when sorted as text (so the index serves time ranges).
    "CREATE TABLE readings (
         id INTEGER PRIMARY KEY,
         taken_at TEXT NOT NULL,
         provider TEXT NOT NULL,
         account TEXT NOT NULL DEFAULT '',
         available REAL,
         used REAL,
         allotted REAL,
         plan TEXT,
         expires_at TEXT,
         unit TEXT,
         error_kind TEXT
     );
     CREATE INDEX readings_by_account_time ON readings (provider, account, taken_at);",
    // 2: what keeps the cost of the burn rate and the size of the file bounded.
    // - `used_total`: the credits used by the account up to this reading (every drop between
    //   consecutive successful readings, rises ignored), and `seq`: the ordinal of this
    //   successful reading among the account's. Both are NULL for a failed reading (or an
    //   amount that is unknown or not finite). The burn over a window is then the difference
    //   of two rows' values, found by two index seeks, however many readings lie between.
    // - `merged`, `min_available`, `max_available`: a row that stands for several readings
    //   after downsampling (NULL for a plain reading): how many, and the least and most
    //   available among them (the row itself is the last of them).
    // - `readings_by_time`: downsampling selects the readings older than a time.
    // - `meta`: when the file was last downsampled; `alerts`: each account's last notified
    //   state, so that a restart does not notify again.
    "ALTER TABLE readings ADD COLUMN used_total REAL;
     ALTER TABLE readings ADD COLUMN seq INTEGER;
     ALTER TABLE readings ADD COLUMN merged INTEGER;
     ALTER TABLE readings ADD COLUMN min_available REAL;
     ALTER TABLE readings ADD COLUMN max_available REAL;
     CREATE INDEX readings_by_time ON readings (taken_at);
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE alerts (
         provider TEXT NOT NULL,
         account TEXT NOT NULL,
         state TEXT NOT NULL,
         since TEXT NOT NULL,
         PRIMARY KEY (provider, account)
     );
     WITH ok AS (
         SELECT id, provider, account, taken_at, available,
                LAG(available) OVER (PARTITION BY provider, account ORDER BY taken_at, id) AS prev
         FROM readings
         WHERE error_kind IS NULL AND available BETWEEN -1.7e308 AND 1.7e308
     ), totals AS (
         SELECT id,
                SUM(MAX(COALESCE(prev - available, 0), 0)) OVER running AS used_total,
                ROW_NUMBER() OVER running AS seq
         FROM ok
         WINDOW running AS (PARTITION BY provider, account ORDER BY taken_at, id
                            ROWS UNBOUNDED PRECEDING)
     )
     UPDATE readings SET used_total = totals.used_total, seq = totals.seq
     FROM totals WHERE totals.id = readings.id;",
];

/// What to tell a user whose history file cannot be used, after the specific advice.
const ELSEWHERE: &str = "or choose another history file with --history PATH or BILLFOLD_HISTORY, \
                         or turn history off with --no-history";

/// Everything that can go wrong with a history file. Each message says what failed, names the
/// file, includes the underlying cause and says what to do, so printing it with `{}` is
/// enough.
///
/// ```
/// use billfold_history::{Error, History};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let not_a_dir = dir.path().join("file");
/// std::fs::write(&not_a_dir, "")?;
/// let path = not_a_dir.join("history.sqlite3");
/// match History::open(&path) {
///     Err(err @ Error::CreateDir { .. }) => {
///         assert!(err.to_string().contains(&path.display().to_string()));
///         assert_eq!(err.path(), path);
///     }
///     other => panic!("expected CreateDir, got {other:?}"),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The history file's directory could not be created.
    #[error(
        "cannot create the directory {dir} for the history file {path}: {cause}; \
         create it yourself or make its parent writable, {ELSEWHERE}",
        dir = .dir.display(), path = .path.display()
    )]
    CreateDir {
        /// The history file.
        path: PathBuf,
        /// The directory that could not be created.
        dir: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// The file could not be opened or set up as an SQLite database.
    #[error(
        "cannot open the history file {path}: {cause}; {hint}",
        path = .path.display(), hint = hint(.cause)
    )]
    Open {
        /// The history file.
        path: PathBuf,
        /// Why.
        cause: rusqlite::Error,
    },
    /// The file is an SQLite database of another program (it has no schema version but
    /// already holds tables, or a negative schema version), so it is left alone rather than
    /// mixed with history.
    #[error(
        "the file {path} is an SQLite database of another program, not a billfold history \
         ({reason}), so billfold leaves it alone; move it away, {ELSEWHERE}",
        path = .path.display()
    )]
    NotHistory {
        /// The history file.
        path: PathBuf,
        /// What shows it: a table of its own, or a negative schema version.
        reason: String,
    },
    /// The file was written by a newer billfold whose schema this one does not know.
    #[error(
        "the history file {path} has schema version {found}, newer than the version {supported} \
         this billfold knows; upgrade billfold, {ELSEWHERE}",
        path = .path.display()
    )]
    TooNew {
        /// The history file.
        path: PathBuf,
        /// The file's schema version (`PRAGMA user_version`).
        found: i64,
        /// [`SCHEMA_VERSION`].
        supported: i64,
    },
    /// Bringing the file's schema up to date failed; the file is left at its old version.
    #[error(
        "cannot upgrade the history file {path} to schema version {version}: {cause}; {hint}",
        path = .path.display(), hint = hint(.cause)
    )]
    Migrate {
        /// The history file.
        path: PathBuf,
        /// The version the failed step leads to.
        version: i64,
        /// Why.
        cause: rusqlite::Error,
    },
    /// A reading has a time the file cannot store.
    #[error(
        "cannot record the reading of {provider} in the history file {path}: its {field} \
         {time} is outside the years 1 to 9999 that the file stores; nothing of this run was \
         recorded. Check the system clock (for taken_at) or leave the time out",
        path = .path.display()
    )]
    TimeOutOfRange {
        /// The history file.
        path: PathBuf,
        /// The reading's provider.
        provider: String,
        /// `taken_at` or `expires_at`.
        field: &'static str,
        /// The time, as RFC 3339.
        time: String,
    },
    /// Writing readings failed; none of the run's readings was recorded.
    #[error(
        "cannot record readings in the history file {path} (none of this run's were kept): \
         {cause}; {hint}",
        path = .path.display(), hint = hint(.cause)
    )]
    Write {
        /// The history file.
        path: PathBuf,
        /// Why.
        cause: rusqlite::Error,
    },
    /// Reading the history failed.
    #[error(
        "cannot read the history file {path}: {cause}; {hint}",
        path = .path.display(), hint = hint(.cause)
    )]
    Read {
        /// The history file.
        path: PathBuf,
        /// Why.
        cause: rusqlite::Error,
    },
    /// A stored time is not one this crate writes: the file was changed by something else.
    #[error(
        "row {id} of the history file {path} has a {column} that is not an RFC 3339 time \
         ({value:?}: {problem}); the file was changed by another program: fix or delete that \
         row (e.g. with the sqlite3 shell), {ELSEWHERE}",
        path = .path.display()
    )]
    BadRow {
        /// The history file.
        path: PathBuf,
        /// The row's `id`.
        id: i64,
        /// The column: `taken_at` or `expires_at`.
        column: &'static str,
        /// What it holds.
        value: String,
        /// Why it does not parse.
        problem: String,
    },
}

impl Error {
    /// The history file the error is about.
    ///
    /// ```
    /// use std::path::Path;
    /// use billfold_history::Error;
    ///
    /// let err = Error::TooNew { path: "/h.sqlite3".into(), found: 9, supported: 1 };
    /// assert_eq!(err.path(), Path::new("/h.sqlite3"));
    /// ```
    pub fn path(&self) -> &Path {
        match self {
            Error::CreateDir { path, .. }
            | Error::Open { path, .. }
            | Error::NotHistory { path, .. }
            | Error::TooNew { path, .. }
            | Error::Migrate { path, .. }
            | Error::TimeOutOfRange { path, .. }
            | Error::Write { path, .. }
            | Error::Read { path, .. }
            | Error::BadRow { path, .. } => path,
        }
    }
}

impl Error {
    /// Whether SQLite answered "busy": another connection held a lock.
    fn is_busy(&self) -> bool {
        let cause = match self {
            Error::Open { cause, .. }
            | Error::Migrate { cause, .. }
            | Error::Write { cause, .. }
            | Error::Read { cause, .. } => cause,
            _ => return false,
        };
        cause.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
    }
}

/// What to do about an SQLite error, by its kind.
fn hint(cause: &rusqlite::Error) -> String {
    let advice = match cause.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "another process kept the file locked for longer than 5 s; try again"
        }
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen) => {
            "check that the file and its directory exist and are writable by you"
        }
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            "the file is not an intact SQLite database; move it away"
        }
        Some(ErrorCode::DiskFull) => "free some disk space",
        Some(ErrorCode::SystemIoFailure) => "check the disk and the file system",
        _ => "check the file",
    };
    format!("{advice}, {ELSEWHERE}")
}

/// One balance reading of one account of one provider, as `billfold balance` took it.
///
/// A failed query is recorded too, with `error_kind` set and the amounts `None`, so gaps in
/// the history can be told apart from a quiet account.
///
/// ```
/// use billfold_history::Reading;
/// use chrono::{DateTime, Utc};
///
/// let now: DateTime<Utc> = std::time::SystemTime::now().into();
/// let ok = Reading {
///     taken_at: now,
///     provider: "giga".into(),
///     available: Some(42.5),
///     unit: Some("USD".into()),
///     ..Reading::default()
/// };
/// let failed = Reading {
///     taken_at: now,
///     provider: "neo".into(),
///     error_kind: Some("timeout".into()),
///     ..Reading::default()
/// };
/// assert!(ok.error_kind.is_none() && failed.available.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reading {
    /// When the balance was read. Stored to the millisecond (anything finer is dropped); years
    /// 1 to 9999.
    pub taken_at: DateTime<Utc>,
    /// The provider's id, e.g. `giga`.
    pub provider: String,
    /// The account, for providers with several; the empty string is the default account.
    pub account: String,
    /// Credits left. A NaN amount is stored as unknown (`None`).
    pub available: Option<f64>,
    /// Credits used in the current period, if the provider says.
    pub used: Option<f64>,
    /// Credits granted for the current period, if the provider says.
    pub allotted: Option<f64>,
    /// The plan's name, if the provider says.
    pub plan: Option<String>,
    /// When the credits or plan expire; stored like `taken_at`.
    pub expires_at: Option<DateTime<Utc>>,
    /// What the amounts count, e.g. `USD` or `credits`.
    pub unit: Option<String>,
    /// Why the query failed (a short machine-readable kind), or `None` if it succeeded.
    pub error_kind: Option<String>,
}

/// Which readings [`History::readings`] returns; `None` fields do not filter.
///
/// ```
/// use billfold_history::Filter;
/// use chrono::{DateTime, Duration, Utc};
///
/// let now: DateTime<Utc> = std::time::SystemTime::now().into();
/// let last_week_of_giga = Filter {
///     provider: Some("giga".into()),
///     since: Some(now - Duration::days(7)),
///     ..Filter::default()
/// };
/// assert!(last_week_of_giga.account.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    /// Only this provider.
    pub provider: Option<String>,
    /// Only this account (`Some(String::new())` is the default account).
    pub account: Option<String>,
    /// Only readings taken at or after this time (compared to the millisecond).
    pub since: Option<DateTime<Utc>>,
}

/// An open history file.
///
/// Each process (or thread) opens its own; any number may read and write the same file at
/// once. Not `Sync`: share it between threads behind a `Mutex`, or open one per thread.
///
/// ```
/// use billfold_history::{Filter, History, Reading};
/// use chrono::{DateTime, Utc};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("billfold").join("history.sqlite3");
/// let mut history = History::open(&path)?;
/// let now: DateTime<Utc> = std::time::SystemTime::now().into();
/// history.record(&[Reading { taken_at: now, provider: "giga".into(), ..Reading::default() }])?;
/// assert_eq!(history.readings(&Filter::default())?.len(), 1);
/// assert_eq!(history.path(), path);
/// # Ok(())
/// # }
/// ```
pub struct History {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History").field("path", &self.path).finish()
    }
}

const COLUMNS: &str = "id, taken_at, provider, account, available, used, allotted, plan, \
                       expires_at, unit, error_kind";

impl History {
    /// Opens the history file at `path`, creating it and its directories if needed, and brings
    /// its schema up to [`SCHEMA_VERSION`].
    ///
    /// The file is put in WAL mode (readers and a writer do not block each other) with
    /// `synchronous=NORMAL` (a power cut may lose the last runs, never corrupt the file), and
    /// waits up to [`BUSY_TIMEOUT`] for locks. Each migration step runs in its own
    /// transaction, so concurrent first opens are safe. Refused: a file of a newer schema
    /// ([`Error::TooNew`]), and an SQLite file of another program ([`Error::NotHistory`]).
    ///
    /// ```
    /// use billfold_history::History;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("new").join("dirs").join("history.sqlite3");
    /// History::open(&path)?;
    /// assert!(path.is_file());
    /// History::open(&path)?; // opening again is fine
    /// # Ok(())
    /// # }
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<History, Error> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|cause| Error::CreateDir {
                path: path.clone(),
                dir: dir.to_path_buf(),
                cause,
            })?;
        }
        let open_error = |cause| Error::Open {
            path: path.clone(),
            cause,
        };
        // No SQLITE_OPEN_URI: a path is a path, even one starting with `file:`.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&path, flags).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        let mut history = History { conn, path };
        // Switching a new file to WAL, and WAL recovery, can answer "busy" without waiting
        // for the lock (SQLite does not call the busy handler there, to avoid deadlocks), so
        // set-up is retried as a whole (every step is idempotent) until BUSY_TIMEOUT.
        let deadline = Instant::now() + BUSY_TIMEOUT;
        loop {
            match history.set_up() {
                Err(err) if err.is_busy() && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                result => return result.map(|()| history),
            }
        }
    }

    fn set_up(&mut self) -> Result<(), Error> {
        let open_error = |cause| Error::Open {
            path: self.path.clone(),
            cause,
        };
        // Answers the mode in force; on a file system without shared memory it stays the
        // rollback journal, which still works, with less concurrency.
        self.conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(open_error)?;
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_error)?;
        self.migrate()
    }

    /// The file this history was opened from.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("h.sqlite3");
    /// assert_eq!(billfold_history::History::open(&path)?.path(), path);
    /// # Ok(())
    /// # }
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
        conn.pragma_query_value(None, "user_version", |row| row.get(0))
    }

    /// Applies the missing migration steps, one transaction each. The version is read again
    /// under the write lock, so a step another process applied meanwhile is not applied twice.
    fn migrate(&mut self) -> Result<(), Error> {
        let path = &self.path;
        // The common case, an up-to-date file, takes no write lock.
        let found = Self::user_version(&self.conn).map_err(|cause| Error::Open {
            path: path.clone(),
            cause,
        })?;
        let mut found = check_version(path, found)?;
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        loop {
            let migrate_error = |version: i64| {
                move |cause| Error::Migrate {
                    path: path.clone(),
                    version: version + 1,
                    cause,
                }
            };
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(migrate_error(found))?;
            let version =
                check_version(path, Self::user_version(&tx).map_err(migrate_error(found))?)?;
            let Some(step) = usize::try_from(version)
                .ok()
                .and_then(|v| MIGRATIONS.get(v))
            else {
                return Ok(()); // up to date (maybe another process finished the job)
            };
            if version == 0 {
                let foreign: Option<String> = tx
                    .query_row(
                        "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' \
                         ORDER BY name LIMIT 1",
                        [],
                        |row| row.get(0),
                    )
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })
                    .map_err(migrate_error(version))?;
                if let Some(table) = foreign {
                    return Err(Error::NotHistory {
                        path: path.clone(),
                        reason: format!("it has no schema version but holds `{table}`"),
                    });
                }
            }
            tx.execute_batch(step).map_err(migrate_error(version))?;
            tx.pragma_update(None, "user_version", version + 1)
                .map_err(migrate_error(version))?;
            tx.commit().map_err(migrate_error(version))?;
            found = version + 1;
        }
    }

    /// Appends the readings of one run, all in one `IMMEDIATE` transaction: either all are
    /// recorded or none is, and concurrent writers (each with its own `History`) wait for each
    /// other, up to [`BUSY_TIMEOUT`], instead of failing or losing rows. Nothing to record is
    /// not an error.
    ///
    /// Times are kept to the millisecond and must lie in the years 1 to 9999
    /// ([`Error::TimeOutOfRange`] otherwise, checked before anything is written).
    ///
    /// ```
    /// use billfold_history::{Filter, History, Reading};
    /// use chrono::{DateTime, Utc};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut history = History::open(dir.path().join("h.sqlite3"))?;
    /// let now: DateTime<Utc> = std::time::SystemTime::now().into();
    /// history.record(&[
    ///     Reading { taken_at: now, provider: "giga".into(), available: Some(5.0), ..Reading::default() },
    ///     Reading { taken_at: now, provider: "neo".into(), error_kind: Some("auth".into()), ..Reading::default() },
    /// ])?;
    /// history.record(&[])?;
    /// assert_eq!(history.readings(&Filter::default())?.len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn record(&mut self, readings: &[Reading]) -> Result<(), Error> {
        if readings.is_empty() {
            return Ok(());
        }
        let times = readings
            .iter()
            .map(|r| {
                let stored = |field, time: DateTime<Utc>| {
                    format_time(time).ok_or_else(|| Error::TimeOutOfRange {
                        path: self.path.clone(),
                        provider: r.provider.clone(),
                        field,
                        time: time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                    })
                };
                Ok((
                    stored("taken_at", r.taken_at)?,
                    r.expires_at.map(|t| stored("expires_at", t)).transpose()?,
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;

        let path = &self.path;
        let write_error = |cause| Error::Write {
            path: path.clone(),
            cause,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(write_error)?;
        // The running totals (see `totals`), walking each account's readings in time order.
        let mut order: Vec<usize> = (0..readings.len()).collect();
        order.sort_by(|&a, &b| times[a].0.cmp(&times[b].0));
        let mut computed: Vec<Option<Totals>> = vec![None; readings.len()];
        let mut run = totals::Run::default();
        for &i in &order {
            let r = &readings[i];
            let Some(available) = totals::counts(r.error_kind.as_deref(), r.available) else {
                continue;
            };
            let key = (r.provider.clone(), r.account.clone());
            let taken_at = &times[i].0;
            let last = match run.last.entry(key) {
                Entry::Occupied(entry) => entry.into_mut(),
                Entry::Vacant(entry) => {
                    let (provider, account) = entry.key();
                    if totals::any_after(&tx, provider, account, taken_at).map_err(write_error)? {
                        run.late
                            .insert(entry.key().clone(), (taken_at.clone(), HashSet::new()));
                    }
                    let before = totals::at_or_before(&tx, provider, account, taken_at)
                        .map_err(write_error)?;
                    entry.insert(before)
                }
            };
            let next = Totals::next(*last, available, 1);
            *last = Some(next);
            computed[i] = Some(next);
        }
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO readings (taken_at, provider, account, available, used, \
                     allotted, plan, expires_at, unit, error_kind, used_total, seq) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(write_error)?;
            for ((r, (taken_at, expires_at)), totals) in readings.iter().zip(&times).zip(&computed)
            {
                let amount = |a: Option<f64>| a.filter(|a| !a.is_nan());
                let id = insert
                    .insert(params![
                        taken_at,
                        r.provider,
                        r.account,
                        amount(r.available),
                        amount(r.used),
                        amount(r.allotted),
                        r.plan,
                        expires_at,
                        r.unit,
                        r.error_kind,
                        totals.map(|t| t.used_total),
                        totals.map(|t| t.seq),
                    ])
                    .map_err(write_error)?;
                if let Some((_, ids)) = run.late.get_mut(&(r.provider.clone(), r.account.clone())) {
                    ids.insert(id);
                }
            }
        }
        for ((provider, account), (from, inserted)) in &run.late {
            totals::renumber(&tx, provider, account, from, inserted).map_err(write_error)?;
        }
        tx.commit().map_err(write_error)
    }

    /// The readings that pass `filter`, oldest first (ties in the order they were recorded).
    ///
    /// ```
    /// use billfold_history::{Filter, History, Reading};
    /// use chrono::{DateTime, Utc};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut history = History::open(dir.path().join("h.sqlite3"))?;
    /// let now: DateTime<Utc> = std::time::SystemTime::now().into();
    /// let reading = |provider: &str| Reading { taken_at: now, provider: provider.into(), ..Reading::default() };
    /// history.record(&[reading("giga"), reading("neo"), reading("giga")])?;
    /// let giga = Filter { provider: Some("giga".into()), ..Filter::default() };
    /// assert_eq!(history.readings(&giga)?.len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn readings(&self, filter: &Filter) -> Result<Vec<Reading>, Error> {
        let read_error = |cause| Error::Read {
            path: self.path.clone(),
            cause,
        };
        let since = match filter.since {
            None => None,
            Some(since) if since.year() < 1 => None,
            Some(since) => match format_time(since) {
                Some(text) => Some(text),
                None => return Ok(Vec::new()), // after the year 9999: nothing is that recent
            },
        };
        // Only the conditions in use, so that SQLite can use the index.
        let mut conditions = Vec::new();
        let mut values: Vec<&dyn ToSql> = Vec::new();
        if let Some(provider) = &filter.provider {
            conditions.push("provider = ?");
            values.push(provider);
        }
        if let Some(account) = &filter.account {
            conditions.push("account = ?");
            values.push(account);
        }
        if let Some(since) = &since {
            conditions.push("taken_at >= ?");
            values.push(since);
        }
        let mut sql = format!("SELECT {COLUMNS} FROM readings");
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(" ORDER BY taken_at, id");

        let mut query = self.conn.prepare(&sql).map_err(read_error)?;
        let mut rows = query.query(values.as_slice()).map_err(read_error)?;
        let mut readings = Vec::new();
        while let Some(row) = rows.next().map_err(read_error)? {
            readings.push(self.reading_from(row)?);
        }
        Ok(readings)
    }

    fn reading_from(&self, row: &Row<'_>) -> Result<Reading, Error> {
        let read_error = |cause| Error::Read {
            path: self.path.clone(),
            cause,
        };
        let id: i64 = row.get(0).map_err(read_error)?;
        let time = |column: &'static str, text: String| {
            DateTime::parse_from_rfc3339(&text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| Error::BadRow {
                    path: self.path.clone(),
                    id,
                    column,
                    value: text,
                    problem: e.to_string(),
                })
        };
        Ok(Reading {
            taken_at: time("taken_at", row.get(1).map_err(read_error)?)?,
            provider: row.get(2).map_err(read_error)?,
            account: row.get(3).map_err(read_error)?,
            available: row.get(4).map_err(read_error)?,
            used: row.get(5).map_err(read_error)?,
            allotted: row.get(6).map_err(read_error)?,
            plan: row.get(7).map_err(read_error)?,
            expires_at: row
                .get::<_, Option<String>>(8)
                .map_err(read_error)?
                .map(|text| time("expires_at", text))
                .transpose()?,
            unit: row.get(9).map_err(read_error)?,
            error_kind: row.get(10).map_err(read_error)?,
        })
    }
}

/// `found` if this code can use or migrate a file of that schema version.
fn check_version(path: &Path, found: i64) -> Result<i64, Error> {
    if found > SCHEMA_VERSION {
        return Err(Error::TooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < 0 {
        return Err(Error::NotHistory {
            path: path.to_path_buf(),
            reason: format!("its schema version is {found}"),
        });
    }
    Ok(found)
}

/// `time` as stored: RFC 3339 UTC to the millisecond, fixed width so that text order is time
/// order; `None` outside the years 1 to 9999, which that width cannot hold.
pub(crate) fn format_time(time: DateTime<Utc>) -> Option<String> {
    (1..=9999)
        .contains(&time.year())
        .then(|| time.to_rfc3339_opts(SecondsFormat::Millis, true))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn stored_times_are_fixed_width_and_truncated_to_milliseconds() {
        let t = Utc
            .with_ymd_and_hms(2025, 1, 2, 3, 4, 5)
            .single()
            .map(|t| t + chrono::Duration::nanoseconds(678_999_999));
        assert_eq!(
            t.and_then(format_time).as_deref(),
            Some("2025-01-02T03:04:05.678Z")
        );
        let whole = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single();
        assert_eq!(
            whole.and_then(format_time).as_deref(),
            Some("0001-01-01T00:00:00.000Z")
        );
        let too_late = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).single();
        assert_eq!(too_late.and_then(format_time), None);
        let too_early = Utc.with_ymd_and_hms(0, 12, 31, 0, 0, 0).single();
        assert_eq!(too_early.and_then(format_time), None);
    }

    #[test]
    fn every_error_names_its_file() {
        let path = PathBuf::from("/some/where/history.sqlite3");
        let sqlite = || {
            rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                None,
            )
        };
        let errors = [
            Error::CreateDir {
                path: path.clone(),
                dir: "/some/where".into(),
                cause: std::io::Error::other("boom"),
            },
            Error::Open {
                path: path.clone(),
                cause: sqlite(),
            },
            Error::NotHistory {
                path: path.clone(),
                reason: "it has no schema version but holds `t`".into(),
            },
            Error::TooNew {
                path: path.clone(),
                found: 2,
                supported: 1,
            },
            Error::Migrate {
                path: path.clone(),
                version: 1,
                cause: sqlite(),
            },
            Error::TimeOutOfRange {
                path: path.clone(),
                provider: "giga".into(),
                field: "taken_at",
                time: "+10000-01-01T00:00:00Z".into(),
            },
            Error::Write {
                path: path.clone(),
                cause: sqlite(),
            },
            Error::Read {
                path: path.clone(),
                cause: sqlite(),
            },
            Error::BadRow {
                path: path.clone(),
                id: 3,
                column: "taken_at",
                value: "yesterday".into(),
                problem: "input contains invalid characters".into(),
            },
        ];
        for err in errors {
            let message = err.to_string();
            assert!(message.contains("/some/where/history.sqlite3"), "{message}");
            assert_eq!(err.path(), path);
        }
        let busy = Error::Write {
            path,
            cause: sqlite(),
        }
        .to_string();
        assert!(
            busy.contains("locked for longer than 5 s; try again"),
            "{busy}"
        );
    }
}
