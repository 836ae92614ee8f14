//! Burn rate and runway, from readings alone.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::Reading;

/// How fast one account's credits go, and how long they last at that pace.
///
/// - `per_day`: credits used per day over the window, `None` when it cannot be known (fewer
///   than two usable readings, or all of them taken at the same instant). `Some(0.0)` means no
///   drop was seen.
/// - `days_left`: the latest available balance divided by `per_day`. `None` when `per_day` is
///   unknown or zero: a balance that is not draining has no end in sight, and `None` says so.
///   When the latest balance is zero or below it is `Some(0.0)`, whatever the rate: nothing is
///   left.
/// - `readings`: how many readings the figures come from (successful, in the window).
///
/// ```
/// use billfold_history::Burn;
///
/// let idle = Burn::default();
/// assert_eq!((idle.per_day, idle.days_left, idle.readings), (None, None, 0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Burn {
    /// Credits used per day; `None` if unknown, `Some(0.0)` if nothing was used.
    pub per_day: Option<f64>,
    /// Days until the balance reaches zero at `per_day`; `None` if unknown or not draining.
    pub days_left: Option<f64>,
    /// The number of readings used: successful ones within the window.
    pub readings: usize,
}

/// The burn rate and runway of ONE provider and account (group with [`burn_by_account`] if the
/// readings are mixed), from its readings taken in `[now - window, now]`.
///
/// Only successful readings count: those with no `error_kind` and a finite `available`. Sorted
/// by time, each drop between two consecutive readings counts as credits used; a rise (a
/// top-up, a new billing period) counts as nothing for that pair and is not subtracted. The
/// rate is the credits used divided by the time from the first to the last reading, however
/// short (readings seconds apart work). See [`Burn`] for what each field holds when a figure
/// cannot be known. A negative `window` selects nothing.
///
/// ```
/// use billfold_history::{Reading, burn};
/// use chrono::{Duration, TimeZone, Utc};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).single().ok_or("bad date")?;
/// let at = |hours: i64, available: f64| Reading {
///     taken_at: t0 + Duration::hours(hours),
///     provider: "neo".into(),
///     available: Some(available),
///     ..Reading::default()
/// };
/// // 30 used over 2 days (the top-up from 80 to 200 is not counted): 15 a day, 180 left.
/// let readings = [at(0, 100.0), at(24, 80.0), at(25, 200.0), at(48, 190.0)];
/// let rate = burn(&readings, t0 + Duration::hours(48), Duration::days(7));
/// assert_eq!(rate.per_day, Some(15.0));
/// assert_eq!(rate.days_left, Some(190.0 / 15.0));
/// assert_eq!(rate.readings, 4);
/// # Ok(())
/// # }
/// ```
pub fn burn(readings: &[Reading], now: DateTime<Utc>, window: Duration) -> Burn {
    let start = now
        .checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut points: Vec<(DateTime<Utc>, f64)> = readings
        .iter()
        .filter(|r| r.error_kind.is_none() && start <= r.taken_at && r.taken_at <= now)
        .filter_map(|r| {
            r.available
                .filter(|a| a.is_finite())
                .map(|a| (r.taken_at, a))
        })
        .collect();
    // Stable: readings taken at the same instant keep their order (the history's id order).
    points.sort_by_key(|&(taken_at, _)| taken_at);

    let (Some(&(first_at, _)), Some(&(last_at, latest))) = (points.first(), points.last()) else {
        return Burn::default();
    };
    let used: f64 = points
        .windows(2)
        .map(|pair| (pair[0].1 - pair[1].1).max(0.0))
        .sum();
    let elapsed_seconds = (last_at - first_at).as_seconds_f64();
    let per_day = (points.len() >= 2 && elapsed_seconds > 0.0)
        .then(|| used * SECONDS_PER_DAY / elapsed_seconds);
    let days_left = if latest <= 0.0 {
        Some(0.0)
    } else {
        per_day.filter(|&rate| rate > 0.0).map(|rate| latest / rate)
    };
    Burn {
        per_day,
        days_left,
        readings: points.len(),
    }
}

const SECONDS_PER_DAY: f64 = 86_400.0;

/// [`burn`] for each `(provider, account)` found in `readings`, which may be in any order.
/// Every pair present gets an entry, even one with no usable reading in the window (then it is
/// [`Burn::default`]), so a caller can show it as unknown rather than leave it out.
///
/// ```
/// use billfold_history::{Reading, burn_by_account};
/// use chrono::{DateTime, Duration, Utc};
///
/// let now: DateTime<Utc> = std::time::SystemTime::now().into();
/// let reading = |provider: &str, seconds_ago: i64, available: f64| Reading {
///     taken_at: now - Duration::seconds(seconds_ago),
///     provider: provider.into(),
///     available: Some(available),
///     ..Reading::default()
/// };
/// let readings = [reading("giga", 20, 10.0), reading("neo", 5, 3.0), reading("giga", 10, 9.0)];
/// let rates = burn_by_account(&readings, now, Duration::days(1));
/// assert_eq!(rates[&("giga".to_string(), String::new())].per_day, Some(8640.0));
/// assert_eq!(rates[&("neo".to_string(), String::new())].per_day, None);
/// ```
pub fn burn_by_account(
    readings: &[Reading],
    now: DateTime<Utc>,
    window: Duration,
) -> BTreeMap<(String, String), Burn> {
    let mut groups: BTreeMap<(String, String), Vec<Reading>> = BTreeMap::new();
    for reading in readings {
        groups
            .entry((reading.provider.clone(), reading.account.clone()))
            .or_default()
            .push(reading.clone());
    }
    groups
        .into_iter()
        .map(|(key, group)| (key, burn(&group, now, window)))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.timestamp_opt(1_735_689_600, 0)
            .single()
            .unwrap_or_default()
    }

    fn at(seconds: i64, available: f64) -> Reading {
        Reading {
            taken_at: t0() + Duration::seconds(seconds),
            provider: "giga".into(),
            available: Some(available),
            ..Reading::default()
        }
    }

    fn failed(seconds: i64) -> Reading {
        Reading {
            taken_at: t0() + Duration::seconds(seconds),
            provider: "giga".into(),
            error_kind: Some("timeout".into()),
            ..Reading::default()
        }
    }

    fn rate(readings: &[Reading], now_seconds: i64) -> Burn {
        burn(
            readings,
            t0() + Duration::seconds(now_seconds),
            Duration::days(7),
        )
    }

    #[test]
    fn readings_seconds_apart_give_a_daily_rate() {
        let b = rate(&[at(0, 100.0), at(10, 90.0), at(20, 80.0)], 20);
        assert_eq!(b.per_day, Some(86_400.0));
        assert_eq!(b.days_left, Some(80.0 / 86_400.0));
        assert_eq!(b.readings, 3);
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let b = rate(&[at(20, 80.0), at(0, 100.0), at(10, 90.0)], 20);
        assert_eq!(b.per_day, Some(86_400.0));
    }

    #[test]
    fn top_up_is_not_subtracted() {
        let b = rate(
            &[at(0, 100.0), at(10, 90.0), at(20, 200.0), at(30, 190.0)],
            30,
        );
        // 20 used over 30 s.
        assert_eq!(b.per_day, Some(20.0 * 86_400.0 / 30.0));
        assert_eq!(b.days_left, Some(190.0 / (20.0 * 86_400.0 / 30.0)));
    }

    #[test]
    fn a_single_reading_or_none_gives_no_rate() {
        let b = rate(&[at(0, 100.0)], 0);
        assert_eq!((b.per_day, b.days_left, b.readings), (None, None, 1));
        assert_eq!(rate(&[], 0), Burn::default());
    }

    #[test]
    fn readings_at_one_instant_give_no_rate() {
        let b = rate(&[at(5, 100.0), at(5, 90.0)], 5);
        assert_eq!((b.per_day, b.days_left, b.readings), (None, None, 2));
    }

    #[test]
    fn milliseconds_apart_still_work() {
        let mut second = at(0, 99.0);
        second.taken_at += Duration::milliseconds(500);
        let b = rate(&[at(0, 100.0), second], 1);
        assert_eq!(b.per_day, Some(172_800.0));
    }

    #[test]
    fn readings_outside_the_window_are_ignored() {
        let window = Duration::seconds(100);
        let now = t0() + Duration::seconds(1000);
        let readings = [
            at(0, 10_000.0),  // too old
            at(899, 5_000.0), // just too old
            at(900, 100.0),   // first in the window (inclusive)
            at(1000, 90.0),   // now (inclusive)
            at(1001, 0.0),    // in the future
        ];
        let b = burn(&readings, now, window);
        assert_eq!(b.readings, 2);
        assert_eq!(b.per_day, Some(10.0 * 86_400.0 / 100.0));
        assert_eq!(b.days_left, Some(90.0 / (10.0 * 86_400.0 / 100.0)));
    }

    #[test]
    fn no_drops_means_zero_rate_and_no_end() {
        let b = rate(&[at(0, 50.0), at(10, 50.0), at(20, 70.0)], 20);
        assert_eq!(b.per_day, Some(0.0));
        assert_eq!(b.days_left, None);
    }

    #[test]
    fn errored_and_unknown_readings_are_ignored() {
        let mut no_amount = at(15, 0.0);
        no_amount.available = None;
        let mut nan = at(16, 0.0);
        nan.available = Some(f64::NAN);
        let mut error_with_amount = at(17, 1.0);
        error_with_amount.error_kind = Some("http_500".into());
        let b = rate(
            &[
                failed(0),
                at(10, 100.0),
                no_amount,
                nan,
                error_with_amount,
                at(20, 90.0),
                failed(30),
            ],
            30,
        );
        assert_eq!(b.readings, 2);
        assert_eq!(b.per_day, Some(86_400.0));
        assert_eq!(b.days_left, Some(90.0 / 86_400.0));
    }

    #[test]
    fn an_empty_balance_has_no_days_left() {
        let b = rate(&[at(0, 10.0), at(10, 0.0)], 10);
        assert_eq!(b.days_left, Some(0.0));
        let b = rate(&[at(0, -3.0)], 10);
        assert_eq!((b.per_day, b.days_left), (None, Some(0.0)));
        let b = rate(&[at(0, 0.0), at(10, 0.0)], 10);
        assert_eq!((b.per_day, b.days_left), (Some(0.0), Some(0.0)));
    }

    #[test]
    fn negative_or_huge_windows_do_not_panic() {
        let readings = [at(0, 100.0), at(10, 90.0)];
        assert_eq!(
            burn(
                &readings,
                t0() + Duration::seconds(10),
                Duration::seconds(-1)
            ),
            Burn::default()
        );
        assert_eq!(
            burn(&readings, t0() + Duration::seconds(10), Duration::MAX).readings,
            2
        );
    }

    #[test]
    fn by_account_groups_provider_and_account() {
        let mut work = at(10, 50.0);
        work.account = "work".into();
        let mut other = at(0, 5.0);
        other.provider = "neo".into();
        let readings = [at(0, 100.0), work.clone(), at(10, 90.0), other, failed(5)];
        let mut work_earlier = work.clone();
        work_earlier.taken_at = t0();
        work_earlier.available = Some(60.0);
        let mut all = readings.to_vec();
        all.push(work_earlier);
        let rates = burn_by_account(&all, t0() + Duration::seconds(10), Duration::days(1));
        let key = |p: &str, a: &str| (p.to_string(), a.to_string());
        assert_eq!(rates.len(), 3);
        assert_eq!(rates[&key("giga", "")].per_day, Some(86_400.0));
        assert_eq!(rates[&key("giga", "work")].per_day, Some(86_400.0));
        assert_eq!(rates[&key("giga", "work")].days_left, Some(50.0 / 86_400.0));
        assert_eq!(
            rates[&key("neo", "")],
            Burn {
                per_day: None,
                days_left: None,
                readings: 1
            }
        );
    }
}
