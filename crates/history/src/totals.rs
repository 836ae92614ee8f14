//! Each account's running totals, stored on every successful reading: the credits used so far
//! (`used_total`) and the reading's ordinal (`seq`). The burn rate over a window is the
//! difference of two rows' totals, so its cost does not grow with the readings kept.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, Transaction, params};

/// The totals at one successful reading: what the next one continues from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Totals {
    /// Credits available at that reading.
    pub available: f64,
    /// Credits used by the account up to it.
    pub used_total: f64,
    /// Its ordinal among the account's successful readings (downsampled ones counted).
    pub seq: i64,
}

impl Totals {
    /// The totals of a successful reading of `available` after `previous` (the account's first
    /// when `None`), standing for `merged` readings.
    pub fn next(previous: Option<Totals>, available: f64, merged: i64) -> Totals {
        match previous {
            None => Totals {
                available,
                used_total: 0.0,
                seq: merged,
            },
            Some(p) => Totals {
                available,
                used_total: p.used_total + (p.available - available).max(0.0),
                seq: p.seq + merged,
            },
        }
    }
}

/// Whether an amount counts for the burn rate (a successful reading with a finite amount).
pub(crate) fn counts(error_kind: Option<&str>, available: Option<f64>) -> Option<f64> {
    available.filter(|a| error_kind.is_none() && a.is_finite())
}

/// The totals of the account's last successful reading taken at or before `taken_at` (stored
/// text), ties broken by insertion order.
pub(crate) fn at_or_before(
    tx: &Transaction<'_>,
    provider: &str,
    account: &str,
    taken_at: &str,
) -> rusqlite::Result<Option<Totals>> {
    last_before(tx, provider, account, taken_at, "<=")
}

/// The totals of the account's last successful reading taken `op` (`<` or `<=`) `taken_at`.
fn last_before(
    tx: &Transaction<'_>,
    provider: &str,
    account: &str,
    taken_at: &str,
    op: &str,
) -> rusqlite::Result<Option<Totals>> {
    tx.prepare_cached(&format!(
        "SELECT available, used_total, seq FROM readings \
         WHERE provider = ?1 AND account = ?2 AND taken_at {op} ?3 AND used_total IS NOT NULL \
         ORDER BY taken_at DESC, id DESC LIMIT 1"
    ))?
    .query_row(params![provider, account, taken_at], |row| {
        Ok(Totals {
            available: row.get(0)?,
            used_total: row.get(1)?,
            seq: row.get(2)?,
        })
    })
    .optional()
}

/// Whether the account has a successful reading taken after `taken_at`: then a reading
/// recorded at `taken_at` arrived late (another process wrote meanwhile) and the totals after
/// it must be [`renumber`]ed.
pub(crate) fn any_after(
    tx: &Transaction<'_>,
    provider: &str,
    account: &str,
    taken_at: &str,
) -> rusqlite::Result<bool> {
    tx.prepare_cached(
        "SELECT 1 FROM readings \
         WHERE provider = ?1 AND account = ?2 AND taken_at > ?3 AND used_total IS NOT NULL \
         LIMIT 1",
    )?
    .query_row(params![provider, account, taken_at], |_| Ok(()))
    .optional()
    .map(|found| found.is_some())
}

/// Recomputes the totals of the account's successful readings from `from` (stored text) on,
/// after the readings `inserted` were put among them. Between two readings that were already
/// neighbours the old difference is kept (it may include drops inside a downsampled row);
/// next to an inserted one it is computed from the amounts.
pub(crate) fn renumber(
    tx: &Transaction<'_>,
    provider: &str,
    account: &str,
    from: &str,
    inserted: &HashSet<i64>,
) -> rusqlite::Result<()> {
    let mut previous = last_before(tx, provider, account, from, "<")?;
    // (id, available, old used_total, old seq, merged)
    let rows: Vec<(i64, f64, f64, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, available, used_total, seq, COALESCE(merged, 1) FROM readings \
             WHERE provider = ?1 AND account = ?2 AND taken_at >= ?3 AND used_total IS NOT NULL \
             ORDER BY taken_at, id",
        )?
        .query_map(params![provider, account, from], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut update =
        tx.prepare_cached("UPDATE readings SET used_total = ?2, seq = ?3 WHERE id = ?1")?;
    // The previous row's old totals, when it was already stored before this run (the row
    // before `from` is not changed, so its old totals are its totals).
    let mut previous_old: Option<(f64, i64)> = previous.map(|p| (p.used_total, p.seq));
    for (id, available, old_used, old_seq, merged) in rows {
        let is_new = inserted.contains(&id);
        let totals = match (previous, previous_old, is_new) {
            (Some(p), Some((p_used, p_seq)), false) => Totals {
                available,
                used_total: p.used_total + (old_used - p_used),
                seq: p.seq + (old_seq - p_seq),
            },
            _ => Totals::next(previous, available, merged),
        };
        update.execute(params![id, totals.used_total, totals.seq])?;
        previous = Some(totals);
        previous_old = (!is_new).then_some((old_used, old_seq));
    }
    Ok(())
}

/// The per-account bookkeeping of one [`History::record`](crate::History::record) call.
#[derive(Default)]
pub(crate) struct Run {
    /// The totals reached so far, per account.
    pub last: HashMap<(String, String), Option<Totals>>,
    /// Accounts whose later readings must be renumbered, from which time, and the ids inserted.
    pub late: HashMap<(String, String), (String, HashSet<i64>)>,
}
