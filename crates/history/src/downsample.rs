//! Downsampling: old readings merged into one row per account per hour (then per day), so the
//! file stops growing with the readings taken.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use crate::store::format_time;
use crate::{Error, History};

/// How long readings are kept as taken, and how long as one row per hour, before they become
/// one row per day. Each merged row is the last reading of its hour (or day), with the least
/// and most available of the readings it stands for and their number; failed readings of an
/// hour become one row the same way.
///
/// ```
/// use billfold_history::Downsampling;
/// use chrono::Duration;
///
/// let default = Downsampling::default();
/// assert_eq!(default.raw_for, Duration::days(30));
/// assert_eq!(default.hourly_for, Duration::days(365));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Downsampling {
    /// Readings younger than this are kept as they are (default 30 days).
    pub raw_for: Duration,
    /// Readings younger than this (and older than `raw_for`) are kept one per hour; older ones
    /// one per day (default 365 days). Taken as `raw_for` when shorter.
    pub hourly_for: Duration,
}

impl Default for Downsampling {
    fn default() -> Self {
        Downsampling {
            raw_for: Duration::days(30),
            hourly_for: Duration::days(365),
        }
    }
}

/// How often [`History::downsample_if_due`] does the work.
pub const DOWNSAMPLE_EVERY: Duration = Duration::hours(1);

/// The `meta` key of the last downsampling's time.
const LAST_RUN: &str = "downsampled_at";

/// The tiers: the length of the stored time's prefix that names the bucket (`2025-01-02T03`
/// is an hour, `2025-01-02` a day), and the `meta` key of the tier's last cutoff.
const HOURLY: (usize, &str) = (13, "downsampled_hourly_before");
const DAILY: (usize, &str) = (10, "downsampled_daily_before");

impl History {
    /// Merges the readings older than `policy.raw_for` (counted back from `now`; whole hours
    /// only, the hour the limit falls in waits for the next call) into one row per account and
    /// hour, and those older than `policy.hourly_for` into one per day (whole days), all in one
    /// transaction: stopped at any point (even by `kill -9`), the file holds either
    /// every reading as before or the result. The last reading of each bucket is the row kept,
    /// so the newest reading of every account stays, and the running totals behind
    /// [`History::burn`] are unchanged. Returns the number of rows removed. Each call looks
    /// only at the readings that became old enough since the previous one (an index range).
    ///
    /// ```
    /// use billfold_history::{Downsampling, Filter, History, Reading};
    /// use chrono::{Duration, TimeZone, Utc};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut history = History::open(dir.path().join("h.sqlite3"))?;
    /// let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().ok_or("bad date")?;
    /// let minutes: Vec<Reading> = (0..120)
    ///     .map(|m| Reading {
    ///         taken_at: t0 + Duration::minutes(m),
    ///         provider: "giga".into(),
    ///         available: Some(1000.0 - m as f64),
    ///         ..Reading::default()
    ///     })
    ///     .collect();
    /// history.record(&minutes)?;
    /// let removed = history.downsample(t0 + Duration::days(31), Downsampling::default())?;
    /// assert_eq!(removed, 118); // two hours of 60 readings: one row each is left
    /// let left = history.readings(&Filter::default())?;
    /// assert_eq!(left.last().and_then(|r| r.available), Some(881.0));
    /// # Ok(())
    /// # }
    /// ```
    pub fn downsample(&mut self, now: DateTime<Utc>, policy: Downsampling) -> Result<usize, Error> {
        let path = &self.path;
        let write_error = |cause| Error::Write {
            path: path.clone(),
            cause,
        };
        let cutoff = |age: Duration| {
            now.checked_sub_signed(age)
                .and_then(format_time)
                .unwrap_or_default()
        };
        let hourly_for = policy.hourly_for.max(policy.raw_for);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(write_error)?;
        let mut removed = merge(&tx, HOURLY, &cutoff(policy.raw_for)).map_err(write_error)?;
        removed += merge(&tx, DAILY, &cutoff(hourly_for)).map_err(write_error)?;
        set_meta(&tx, LAST_RUN, &format_time(now).unwrap_or_default()).map_err(write_error)?;
        tx.commit().map_err(write_error)?;
        Ok(removed)
    }

    /// [`History::downsample`] if it has not run in the last [`DOWNSAMPLE_EVERY`] (by the time
    /// stored in the file, so several processes share the work); `None` when not due. Not due
    /// costs one look-up.
    ///
    /// ```
    /// use billfold_history::{Downsampling, History};
    /// use chrono::Utc;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut history = History::open(dir.path().join("h.sqlite3"))?;
    /// let now: chrono::DateTime<Utc> = std::time::SystemTime::now().into();
    /// assert_eq!(history.downsample_if_due(now, Downsampling::default())?, Some(0));
    /// assert_eq!(history.downsample_if_due(now, Downsampling::default())?, None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn downsample_if_due(
        &mut self,
        now: DateTime<Utc>,
        policy: Downsampling,
    ) -> Result<Option<usize>, Error> {
        let last: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                params![LAST_RUN],
                |row| row.get(0),
            )
            .optional()
            .map_err(|cause| Error::Read {
                path: self.path.clone(),
                cause,
            })?;
        let due_after = now
            .checked_sub_signed(DOWNSAMPLE_EVERY)
            .and_then(format_time)
            .unwrap_or_default();
        if last.is_some_and(|last| last > due_after) {
            return Ok(None);
        }
        self.downsample(now, policy).map(Some)
    }
}

fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![key, value],
    )
    .map(drop)
}

/// Merges the rows taken before `cutoff` (stored text) into one per account and bucket (one
/// for successful readings, one for failures); returns the rows removed.
fn merge(tx: &Transaction<'_>, (len, key): (usize, &str), cutoff: &str) -> rusqlite::Result<usize> {
    // Whole buckets only: everything before the cutoff's bucket.
    let cutoff: String = cutoff.chars().take(len).collect();
    let previous: String = tx
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            params![key],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or_default();
    if cutoff <= previous {
        return Ok(0);
    }
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS merging (
             id INTEGER PRIMARY KEY, keep INTEGER, lo REAL, hi REAL, total INTEGER
         );
         DELETE FROM temp.merging;",
    )?;
    tx.execute(
        "INSERT INTO temp.merging (id, keep, lo, hi, total)
         SELECT id, rn = 1, lo, hi, total FROM (
             SELECT id,
                    ROW_NUMBER() OVER (PARTITION BY provider, account, substr(taken_at, 1, ?1),
                                       used_total IS NULL
                                       ORDER BY taken_at DESC, id DESC) AS rn,
                    MIN(COALESCE(min_available, available)) OVER bucket AS lo,
                    MAX(COALESCE(max_available, available)) OVER bucket AS hi,
                    SUM(COALESCE(merged, 1)) OVER bucket AS total,
                    COUNT(*) OVER bucket AS n
             FROM readings
             WHERE taken_at >= ?2 AND taken_at < ?3
             WINDOW bucket AS (PARTITION BY provider, account, substr(taken_at, 1, ?1),
                               used_total IS NULL)
         ) WHERE n > 1",
        params![len as i64, previous, cutoff],
    )?;
    tx.execute(
        "UPDATE readings SET merged = m.total,
             min_available = CASE WHEN readings.used_total IS NULL THEN NULL ELSE m.lo END,
             max_available = CASE WHEN readings.used_total IS NULL THEN NULL ELSE m.hi END
         FROM temp.merging AS m WHERE m.keep AND m.id = readings.id",
        [],
    )?;
    let removed = tx.execute(
        "DELETE FROM readings WHERE id IN (SELECT id FROM temp.merging WHERE NOT keep)",
        [],
    )?;
    tx.execute("DELETE FROM temp.merging", [])?;
    set_meta(tx, key, &cutoff)?;
    Ok(removed)
}
