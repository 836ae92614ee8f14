//! Balance history for billfold: readings in an embedded SQLite file, and the burn rate, runway
//! and sparklines computed from them.
//!
//! - [`resolve`] / [`default_path`]: where the history file lives
//!   (`$XDG_DATA_HOME/billfold/history.sqlite3` or `~/.local/share/billfold/history.sqlite3`);
//! - [`History`]: the file itself: [`History::open`] creates and migrates it,
//!   [`History::record`] appends the [`Reading`]s of one run in one transaction, and
//!   [`History::readings`] reads them back through a [`Filter`]; [`History::burn`] gives an
//!   account's burn rate and runway, [`History::series`] the points of a chart, both at a cost
//!   that does not grow with the readings kept; [`History::downsample`] merges old readings
//!   (per hour after 30 days, per day after a year: [`Downsampling`]) so the file stays
//!   bounded; [`History::transitions`] keeps each account's last notified state;
//! - [`burn`] / [`burn_by_account`]: credits used per day and days left, from readings alone;
//! - [`sparkline`]: a one-line chart of a series of balances;
//! - [`parse_since`]: `30s`, `15m`, `12h`, `7d`, `2w` as a [`chrono::Duration`].
//!
//! Several processes may use one file at once (a cron job and a server, say): the file is in
//! WAL mode, waits up to [`BUSY_TIMEOUT`] for a lock, and each run's readings are written in one
//! `IMMEDIATE` transaction, so concurrent writers all succeed and nothing is lost.
//!
//! ```
//! use billfold_history::{History, Filter, Reading, burn};
//! use chrono::{Duration, TimeZone, Utc};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("history.sqlite3");
//! let mut history = History::open(&path)?;
//! let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().ok_or("bad date")?;
//! for (day, available) in [100.0, 90.0, 80.0].into_iter().enumerate() {
//!     history.record(&[Reading {
//!         taken_at: t0 + Duration::days(day as i64),
//!         provider: "giga".into(),
//!         available: Some(available),
//!         ..Reading::default()
//!     }])?;
//! }
//! let readings = history.readings(&Filter::default())?;
//! let rate = burn(&readings, t0 + Duration::days(2), Duration::days(7));
//! assert_eq!(rate.per_day, Some(10.0));
//! assert_eq!(rate.days_left, Some(8.0));
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod burn;
mod downsample;
mod path;
mod since;
mod spark;
mod store;
mod summary;
mod totals;

pub use burn::{Burn, burn, burn_by_account};
pub use downsample::{DOWNSAMPLE_EVERY, Downsampling};
pub use path::{ENV_VAR, default_path, resolve};
pub use since::{ParseSinceError, parse_since};
pub use spark::sparkline;
pub use store::{BUSY_TIMEOUT, Error, Filter, History, Reading, SCHEMA_VERSION};
pub use summary::{Point, Transition};
