//! Recording readings in the history file, and reading back the window the burn rate needs.
//!
//! A history that cannot be used never hides the balances: the caller prints the warning and
//! goes on as if history were off.

use std::path::{Path, PathBuf};

use billfold::balance::{Balance, BalanceError, ErrorKind};
use std::collections::BTreeMap;

use billfold_history::{Burn, History, Reading};
use chrono::{DateTime, Utc};

use crate::accounts::Target;

/// Where readings go, as `--history PATH`, `--no-history` and the environment decide.
#[derive(Clone, Debug, PartialEq)]
pub enum Setting {
    /// `--no-history`: nothing is written or read.
    Off,
    /// The history file.
    File(PathBuf),
    /// No path could be found (no `--history`, `BILLFOLD_HISTORY`, `XDG_DATA_HOME` or `HOME`).
    Nowhere,
}

impl Setting {
    /// The setting for `--no-history` and `--history PATH`.
    pub fn choose(no_history: bool, explicit: Option<&Path>) -> Setting {
        if no_history {
            return Setting::Off;
        }
        match billfold_history::resolve(explicit) {
            Some(path) => Setting::File(path),
            None => Setting::Nowhere,
        }
    }
}

/// The warning for [`Setting::Nowhere`].
pub const NOWHERE: &str = "no history is kept: there is no place for the history file (HOME \
                           and XDG_DATA_HOME are unset); name one with --history PATH or \
                           BILLFOLD_HISTORY, or turn history off with --no-history";

/// Now, as chrono has no clock here.
pub fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

/// The reading of one target's outcome, taken at `taken_at`; `None` for a target that is not
/// configured (that is no reading).
pub fn reading(
    target: &Target,
    outcome: &Result<Balance, BalanceError>,
    taken_at: DateTime<Utc>,
) -> Option<Reading> {
    let base = Reading {
        taken_at,
        provider: target.provider.id().to_owned(),
        account: target.account.clone(),
        ..Reading::default()
    };
    match outcome {
        Err(e) if e.kind == ErrorKind::NotConfigured => None,
        Err(e) => Some(Reading {
            error_kind: Some(e.kind.as_str().to_owned()),
            ..base
        }),
        Ok(b) => Some(Reading {
            available: b.available,
            used: b.used,
            allotted: b.allotted,
            plan: b.plan.clone(),
            expires_at: b.expires_at,
            unit: Some(b.unit.to_owned()),
            ..base
        }),
    }
}

/// The burn of each `(provider, account)`.
pub type Burns = BTreeMap<(String, String), Burn>;

/// Records `readings` in `history` (one transaction), then returns the burn of every account
/// among them over the `window` ending at `now`, these readings included. Each burn is two
/// index look-ups in the history (its running totals), whatever the number of readings kept.
pub fn record_and_burn(
    history: &mut History,
    readings: &[Reading],
    now: DateTime<Utc>,
    window: chrono::Duration,
) -> Result<Burns, billfold_history::Error> {
    history.record(readings)?;
    let mut burns = BTreeMap::new();
    for reading in readings {
        let key = (reading.provider.clone(), reading.account.clone());
        if let std::collections::btree_map::Entry::Vacant(entry) = burns.entry(key) {
            let (provider, account) = entry.key();
            let burn = history.burn(provider, account, now, window)?;
            entry.insert(burn);
        }
    }
    Ok(burns)
}

/// A warning that is printed once until it changes (for `billfold serve`, which would
/// otherwise repeat it every refresh).
#[derive(Debug, Default)]
pub struct Warnings {
    last: Option<String>,
}

impl Warnings {
    /// Prints `message` on stderr unless it is the one printed last.
    pub fn warn(&mut self, message: String) {
        if self.last.as_deref() != Some(message.as_str()) {
            eprintln!("billfold: warning: {message}");
            self.last = Some(message);
        }
    }

    /// Notes that things work again: the next warning is printed even if it is the last one.
    pub fn clear(&mut self, recovered: impl FnOnce() -> String) {
        if self.last.take().is_some() {
            eprintln!("billfold: {}", recovered());
        }
    }
}
