//! What the history answers without reading every reading: the burn rate of a window, chart
//! points over a range, and each account's last notified state.

use chrono::{DateTime, Datelike, Duration, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::store::format_time;
use crate::{Burn, Error, History};

/// One point of a chart of an account's available credits: a successful reading, with the
/// least and most available among the readings it stands for when it was downsampled.
///
/// ```
/// use billfold_history::Point;
///
/// let p = Point { taken_at: Default::default(), available: 5.0, min: None, max: None };
/// assert_eq!(p.available, 5.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// When it was read.
    pub taken_at: DateTime<Utc>,
    /// Credits available then.
    pub available: f64,
    /// The least available among the readings it stands for (downsampled rows only).
    pub min: Option<f64>,
    /// The most available among the readings it stands for (downsampled rows only).
    pub max: Option<f64>,
}

/// One account's change of state, as [`History::transitions`] found it.
///
/// ```
/// use billfold_history::Transition;
///
/// let t = Transition { provider: "giga".into(), account: String::new(), from: None, to: "low".into() };
/// assert!(t.from.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The provider's id.
    pub provider: String,
    /// The account (empty for the default one).
    pub account: String,
    /// The state stored before, `None` for an account never seen.
    pub from: Option<String>,
    /// The state now.
    pub to: String,
}

/// A row a chart reads: id, taken_at, available, min_available, max_available.
type ChartRow = (i64, String, f64, Option<f64>, Option<f64>);

/// A time as stored, for a range bound: times before the year 1 compare below every stored
/// time, times after 9999 above.
fn bound(time: DateTime<Utc>) -> String {
    match format_time(time) {
        Some(text) => text,
        None if time.year() < 1 => String::new(),
        None => "A".to_owned(), // above every digit
    }
}

impl History {
    /// The burn rate and runway of one account over the `window` ending at `now`: the same
    /// figures as [`burn`](crate::burn) over its readings, found from the running totals
    /// stored with them by two index look-ups, so the cost does not grow with the readings kept
    /// (downsampled readings keep the drops they stand for).
    ///
    /// ```
    /// use billfold_history::{History, Reading};
    /// use chrono::{Duration, TimeZone, Utc};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut history = History::open(dir.path().join("h.sqlite3"))?;
    /// let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().ok_or("bad date")?;
    /// for (day, available) in [100.0, 90.0, 95.0, 80.0].into_iter().enumerate() {
    ///     history.record(&[Reading {
    ///         taken_at: t0 + Duration::days(day as i64),
    ///         provider: "giga".into(),
    ///         available: Some(available),
    ///         ..Reading::default()
    ///     }])?;
    /// }
    /// let rate = history.burn("giga", "", t0 + Duration::days(3), Duration::days(7))?;
    /// assert_eq!(rate.per_day, Some(25.0 / 3.0)); // 10 + 15 used (the top-up of 5 is not)
    /// assert_eq!(rate.readings, 4);
    /// # Ok(())
    /// # }
    /// ```
    pub fn burn(
        &self,
        provider: &str,
        account: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Burn, Error> {
        if window < Duration::zero() {
            return Ok(Burn::default());
        }
        let start = bound(
            now.checked_sub_signed(window)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        );
        let end = bound(now);
        let read_error = |cause| Error::Read {
            path: self.path.clone(),
            cause,
        };
        let end_row = |order: &str| {
            self.conn
                .prepare_cached(&format!(
                    "SELECT taken_at, available, used_total, seq FROM readings \
                     WHERE provider = ?1 AND account = ?2 AND taken_at >= ?3 AND taken_at <= ?4 \
                     AND used_total IS NOT NULL \
                     ORDER BY taken_at {order}, id {order} LIMIT 1"
                ))?
                .query_row(params![provider, account, start, end], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, f64>(1)?,
                        row.get::<_, f64>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                })
                .optional()
        };
        let (Some(first), Some(last)) = (
            end_row("ASC").map_err(read_error)?,
            end_row("DESC").map_err(read_error)?,
        ) else {
            return Ok(Burn::default());
        };
        let time = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .ok()
        };
        let readings = usize::try_from(last.3 - first.3 + 1).unwrap_or(0);
        let elapsed = match (time(&first.0), time(&last.0)) {
            (Some(a), Some(b)) => (b - a).as_seconds_f64(),
            _ => 0.0,
        };
        let used = (last.2 - first.2).max(0.0);
        let per_day = (readings >= 2 && elapsed > 0.0).then(|| used * 86_400.0 / elapsed);
        let latest = last.1;
        let days_left = if latest <= 0.0 {
            Some(0.0)
        } else {
            per_day.filter(|&rate| rate > 0.0).map(|rate| latest / rate)
        };
        Ok(Burn {
            per_day,
            days_left,
            readings,
        })
    }

    /// At most `points + 1` points of one account's available credits over `[from, to]`, for a
    /// chart: the first successful reading of the range, then the last one taken at or before
    /// each of `points` evenly spaced times (a reading is given once). The cost is `points`
    /// index look-ups, however many readings the range holds.
    ///
    /// ```
    /// use billfold_history::{History, Reading};
    /// use chrono::{Duration, TimeZone, Utc};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut history = History::open(dir.path().join("h.sqlite3"))?;
    /// let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().ok_or("bad date")?;
    /// let minutes: Vec<Reading> = (0..600)
    ///     .map(|m| Reading {
    ///         taken_at: t0 + Duration::minutes(m),
    ///         provider: "giga".into(),
    ///         available: Some(1000.0 - m as f64),
    ///         ..Reading::default()
    ///     })
    ///     .collect();
    /// history.record(&minutes)?;
    /// let chart = history.series("giga", "", t0, t0 + Duration::minutes(599), 10)?;
    /// assert_eq!(chart.len(), 11);
    /// assert_eq!(chart[0].available, 1000.0);
    /// assert_eq!(chart[10].available, 401.0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn series(
        &self,
        provider: &str,
        account: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        points: usize,
    ) -> Result<Vec<Point>, Error> {
        let read_error = |cause| Error::Read {
            path: self.path.clone(),
            cause,
        };
        if to < from {
            return Ok(Vec::new());
        }
        let start = bound(from);
        let mut first = self
            .conn
            .prepare_cached(
                "SELECT id, taken_at, available, min_available, max_available FROM readings \
                 WHERE provider = ?1 AND account = ?2 AND taken_at >= ?3 AND taken_at <= ?4 \
                 AND used_total IS NOT NULL ORDER BY taken_at, id LIMIT 1",
            )
            .map_err(read_error)?;
        let mut at_or_before = self
            .conn
            .prepare_cached(
                "SELECT id, taken_at, available, min_available, max_available FROM readings \
                 WHERE provider = ?1 AND account = ?2 AND taken_at >= ?3 AND taken_at <= ?4 \
                 AND used_total IS NOT NULL ORDER BY taken_at DESC, id DESC LIMIT 1",
            )
            .map_err(read_error)?;
        let row = |row: &rusqlite::Row<'_>| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, f64>(2)?,
                row.get::<_, Option<f64>>(3)?,
                row.get::<_, Option<f64>>(4)?,
            ))
        };
        let mut out = Vec::new();
        let mut last_id = None;
        let span = to - from;
        let steps = points.max(1);
        let mut push = |found: Option<ChartRow>| {
            let Some((id, taken_at, available, min, max)) = found else {
                return;
            };
            if last_id == Some(id) {
                return;
            }
            last_id = Some(id);
            if let Ok(t) = DateTime::parse_from_rfc3339(&taken_at) {
                out.push(Point {
                    taken_at: t.with_timezone(&Utc),
                    available,
                    min,
                    max,
                });
            }
        };
        push(
            first
                .query_row(params![provider, account, start, bound(to)], row)
                .optional()
                .map_err(read_error)?,
        );
        for step in 1..=steps {
            let at = if step == steps {
                to
            } else {
                let millis = span.num_milliseconds() as f64 * step as f64 / steps as f64;
                from + Duration::milliseconds(millis as i64)
            };
            push(
                at_or_before
                    .query_row(params![provider, account, start, bound(at)], row)
                    .optional()
                    .map_err(read_error)?,
            );
        }
        Ok(out)
    }

    /// The accounts with a successful reading taken at or after `since`, with the unit of the
    /// latest, sorted by provider and account.
    ///
    /// ```
    /// use billfold_history::{History, Reading};
    /// use chrono::{DateTime, Duration, Utc};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut history = History::open(dir.path().join("h.sqlite3"))?;
    /// let now: DateTime<Utc> = std::time::SystemTime::now().into();
    /// let unit = Some("USD".to_owned());
    /// history.record(&[Reading { taken_at: now, provider: "giga".into(), available: Some(1.0), unit, ..Reading::default() }])?;
    /// let accounts = history.accounts(now - Duration::days(1))?;
    /// assert_eq!(accounts, [("giga".to_owned(), String::new(), Some("USD".to_owned()))]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn accounts(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, String, Option<String>)>, Error> {
        let read_error = |cause| Error::Read {
            path: self.path.clone(),
            cause,
        };
        let mut query = self
            .conn
            .prepare_cached(
                "SELECT provider, account, unit, MAX(taken_at) FROM readings \
                 WHERE taken_at >= ?1 AND used_total IS NOT NULL \
                 GROUP BY provider, account ORDER BY provider, account",
            )
            .map_err(read_error)?;
        let rows = query
            .query_map(params![bound(since)], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .map_err(read_error)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(read_error)
    }

    /// Stores each account's state (`ok`, `low`, ... any short word) at `at`, and returns the
    /// accounts whose state changed: those stored with another state, and those never seen
    /// before. One `IMMEDIATE` transaction, so that of two processes recording the same change
    /// (`billfold serve` and a cron job), only one is told of it; and the states survive a
    /// restart.
    ///
    /// ```
    /// use billfold_history::History;
    /// use chrono::Utc;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let mut history = History::open(dir.path().join("h.sqlite3"))?;
    /// let now: chrono::DateTime<Utc> = std::time::SystemTime::now().into();
    /// let changed = history.transitions(&[("giga", "", "low")], now)?;
    /// assert_eq!(changed.len(), 1);
    /// assert!(history.transitions(&[("giga", "", "low")], now)?.is_empty());
    /// let back = history.transitions(&[("giga", "", "ok")], now)?;
    /// assert_eq!(back[0].from.as_deref(), Some("low"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn transitions(
        &mut self,
        states: &[(&str, &str, &str)],
        at: DateTime<Utc>,
    ) -> Result<Vec<Transition>, Error> {
        let path = &self.path;
        let write_error = |cause| Error::Write {
            path: path.clone(),
            cause,
        };
        let at = bound(at);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(write_error)?;
        let mut changed = Vec::new();
        {
            let mut get = tx
                .prepare_cached("SELECT state FROM alerts WHERE provider = ?1 AND account = ?2")
                .map_err(write_error)?;
            let mut set = tx
                .prepare_cached(
                    "INSERT INTO alerts (provider, account, state, since) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (provider, account) DO UPDATE SET state = ?3, since = ?4",
                )
                .map_err(write_error)?;
            for &(provider, account, state) in states {
                let from: Option<String> = get
                    .query_row(params![provider, account], |row| row.get(0))
                    .optional()
                    .map_err(write_error)?;
                if from.as_deref() == Some(state) {
                    continue;
                }
                set.execute(params![provider, account, state, at])
                    .map_err(write_error)?;
                changed.push(Transition {
                    provider: provider.to_owned(),
                    account: account.to_owned(),
                    from,
                    to: state.to_owned(),
                });
            }
        }
        tx.commit().map_err(write_error)?;
        Ok(changed)
    }
}
