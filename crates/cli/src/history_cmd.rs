//! `billfold history`: the readings `billfold balance` recorded, as a table with a sparkline of
//! each account's available credits, or as JSON.

use std::path::{Path, PathBuf};

use billfold::balance::ProviderId;
use billfold_history::{Filter, History, Point, Reading, sparkline};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::chart::{self, Chart};
use crate::dashboard::CHART_POINTS;
use crate::recording::now;
use crate::table;
use crate::{EXIT_CONFIG, EXIT_FAILED, EXIT_OK};

/// The most characters a sparkline gets; longer series are sampled evenly.
const SPARK_WIDTH: usize = 60;

/// One `--provider` of `billfold history`: `NAME` or `NAME:ACCOUNT`.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    provider: ProviderId,
    account: Option<String>,
}

/// Parses `NAME` or `NAME:ACCOUNT`.
pub fn parse_selector(text: &str) -> Result<Selector, String> {
    let (provider, account) = match text.split_once(':') {
        Some((provider, account)) => (provider, Some(account.to_owned())),
        None => (text, None),
    };
    Ok(Selector {
        provider: provider.parse()?,
        account,
    })
}

impl Selector {
    fn matches(&self, reading: &Reading) -> bool {
        reading.provider == self.provider.id()
            && self.account.as_ref().is_none_or(|a| *a == reading.account)
    }
}

/// What `billfold history` was asked.
pub struct Request<'a> {
    /// The history file (already resolved); `None` when there is nowhere to look.
    pub path: Option<&'a Path>,
    /// `--provider` (none: all).
    pub selectors: Vec<Selector>,
    /// `--since`.
    pub since: chrono::Duration,
    /// `--json`.
    pub json: bool,
    /// `--plot FILE.svg`.
    pub plot: Option<PathBuf>,
    /// `--window` (for the projection of `--plot`).
    pub window: chrono::Duration,
}

/// Runs `billfold history`; returns the exit status.
pub fn run(request: Request<'_>) -> u8 {
    let Some(path) = request.path else {
        eprintln!(
            "billfold: there is no place to look for the history file (HOME and XDG_DATA_HOME \
             are unset): name it with --history PATH or BILLFOLD_HISTORY"
        );
        return EXIT_CONFIG;
    };
    // Opening creates the file; a look must not.
    if !path.exists() {
        if request.json {
            println!("[]");
        }
        eprintln!(
            "billfold: no history yet: {} does not exist; `billfold balance` records a reading \
             of every provider each time it runs (unless --no-history)",
            path.display()
        );
        return EXIT_OK;
    }
    let now = now();
    let since = now
        .checked_sub_signed(request.since)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    if let Some(file) = &request.plot {
        return plot(&request, path, file, since, now);
    }
    let readings = History::open(path).and_then(|history| {
        history.readings(&Filter {
            since: Some(since),
            ..Filter::default()
        })
    });
    let readings: Vec<Reading> = match readings {
        Ok(readings) => readings
            .into_iter()
            .filter(|r| {
                request.selectors.is_empty() || request.selectors.iter().any(|s| s.matches(r))
            })
            .collect(),
        Err(e) => {
            eprintln!("billfold: {e}");
            return EXIT_CONFIG;
        }
    };
    if request.json {
        println!("{}", render_json(&readings));
    } else if readings.is_empty() {
        eprintln!(
            "billfold: no readings since {} in {} (widen with --since, e.g. --since 30d)",
            since.format("%Y-%m-%d %H:%M:%S UTC"),
            path.display()
        );
    } else {
        let (shown, per) = thin(&readings);
        if let Some(per) = per {
            eprintln!(
                "billfold: {} readings since {}: the table shows the last of each {per} for each \
                 account ({} rows); narrow with --since or --provider, or list every one with \
                 --json",
                readings.len(),
                since.format("%Y-%m-%d %H:%M:%S UTC"),
                shown.len()
            );
        }
        print!("{}", render_table(&shown, &readings));
    }
    EXIT_OK
}

/// The most rows the table lists; longer histories are thinned.
const MAX_ROWS: usize = 500;

/// The readings the table lists: all of them when there are at most [`MAX_ROWS`], else the
/// last of each hour (or, if still too many, of each day) of each account, with the unit.
fn thin(readings: &[Reading]) -> (Vec<Reading>, Option<&'static str>) {
    if readings.len() <= MAX_ROWS {
        return (readings.to_vec(), None);
    }
    let mut thinned = Vec::new();
    for (format, per) in [("%Y-%m-%d %H", "hour"), ("%Y-%m-%d", "day")] {
        thinned.clear();
        let mut last: std::collections::HashMap<String, usize> = Default::default();
        for reading in readings {
            let key = format!("{} {}", label(reading), reading.taken_at.format(format));
            match last.get(&key) {
                Some(&index) => thinned[index] = reading.clone(),
                None => {
                    last.insert(key, thinned.len());
                    thinned.push(reading.clone());
                }
            }
        }
        if thinned.len() <= MAX_ROWS || per == "day" {
            return (thinned, Some(per));
        }
    }
    (thinned, Some("day"))
}

/// `olostep` or `olostep:team-b`.
fn label(reading: &Reading) -> String {
    account_label(&reading.provider, &reading.account)
}

fn account_label(provider: &str, account: &str) -> String {
    if account.is_empty() {
        provider.to_owned()
    } else {
        format!("{provider}:{account}")
    }
}

/// `--plot FILE.svg`: one chart per selected account over `[since, now]`, written to `file`.
fn plot(
    request: &Request<'_>,
    path: &Path,
    file: &Path,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> u8 {
    type Series = (String, String, Vec<Point>, Option<f64>);
    let read = |history: &History| -> Result<Vec<Series>, billfold_history::Error> {
        let mut out = Vec::new();
        for (provider, account, unit) in history.accounts(since)? {
            let selected = request.selectors.is_empty()
                || request.selectors.iter().any(|s| {
                    s.provider.id() == provider && s.account.as_ref().is_none_or(|a| *a == account)
                });
            if !selected {
                continue;
            }
            let points = history.series(&provider, &account, since, now, CHART_POINTS)?;
            let burn = history.burn(&provider, &account, now, request.window)?;
            out.push((
                account_label(&provider, &account),
                unit.unwrap_or_else(|| "credits".to_owned()),
                points,
                burn.per_day,
            ));
        }
        Ok(out)
    };
    let series = match History::open(path).and_then(|history| read(&history)) {
        Ok(series) => series,
        Err(e) => {
            eprintln!("billfold: {e}");
            return EXIT_CONFIG;
        }
    };
    if series.is_empty() {
        eprintln!(
            "billfold: nothing to plot: no successful reading of the selected accounts since {} \
             in {} (widen with --since, e.g. --since 30d)",
            since.format("%Y-%m-%d %H:%M:%S UTC"),
            path.display()
        );
        return EXIT_CONFIG;
    }
    let charts: Vec<Chart<'_>> = series
        .iter()
        .map(|(label, unit, points, burn_per_day)| Chart {
            label,
            unit,
            points,
            from: since,
            to: now,
            burn_per_day: *burn_per_day,
        })
        .collect();
    match std::fs::write(file, chart::document(&charts)) {
        Ok(()) => {
            eprintln!(
                "billfold: wrote a chart of {} account(s) to {}",
                charts.len(),
                file.display()
            );
            EXIT_OK
        }
        Err(e) => {
            eprintln!(
                "billfold: cannot write the chart to {}: {e}; choose another file with --plot",
                file.display()
            );
            EXIT_FAILED
        }
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The table of `shown`, then the trend of each account over `all`.
fn render_table(shown: &[Reading], all: &[Reading]) -> String {
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|r| {
            vec![
                time(r.taken_at),
                label(r),
                table::number(r.available),
                table::number(r.used),
                table::number(r.allotted),
                r.unit.clone().unwrap_or_else(|| "-".to_owned()),
                r.plan.clone().unwrap_or_else(|| "-".to_owned()),
                r.expires_at
                    .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string()),
                match &r.error_kind {
                    Some(kind) => format!("error: {kind}"),
                    None => "ok".to_owned(),
                },
            ]
        })
        .collect();
    let mut out = table::render(
        &[
            "time (UTC)",
            "provider",
            "available",
            "used",
            "allotted",
            "unit",
            "plan",
            "renews/expires",
            "status",
        ],
        &rows,
    );
    out.push('\n');
    out.push_str(&table::render(
        &[
            "provider",
            "readings",
            "first",
            "latest",
            "available",
            "trend",
        ],
        &trends(all),
    ));
    out
}

/// One row per account, in order of first appearance: how many readings, the first and
/// latest available amounts, and a sparkline of them all.
fn trends(readings: &[Reading]) -> Vec<Vec<String>> {
    let mut series: Vec<(String, Vec<&Reading>)> = Vec::new();
    for reading in readings {
        let key = label(reading);
        match series.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(reading),
            None => series.push((key, vec![reading])),
        }
    }
    series
        .into_iter()
        .map(|(key, list)| {
            let values: Vec<f64> = list
                .iter()
                .filter(|r| r.error_kind.is_none())
                .filter_map(|r| r.available)
                .collect();
            let first = values.first().copied();
            let latest = values.last().copied();
            vec![
                key,
                list.len().to_string(),
                list.first().map_or_else(String::new, |r| time(r.taken_at)),
                list.last().map_or_else(String::new, |r| time(r.taken_at)),
                format!("{} → {}", table::number(first), table::number(latest)),
                sparkline(&sample(&values, SPARK_WIDTH)),
            ]
        })
        .collect()
}

/// At most `width` values, taken evenly (the last always kept) so a long series still fits.
fn sample(values: &[f64], width: usize) -> Vec<f64> {
    if values.len() <= width || width == 0 {
        return values.to_vec();
    }
    (1..=width)
        .filter_map(|i| values.get(i * values.len() / width - 1).copied())
        .collect()
}

#[derive(Serialize)]
struct JsonReading<'a> {
    taken_at: String,
    provider: &'a str,
    account: &'a str,
    #[serde(serialize_with = "table::json_amount")]
    available: Option<f64>,
    #[serde(serialize_with = "table::json_amount")]
    used: Option<f64>,
    #[serde(serialize_with = "table::json_amount")]
    allotted: Option<f64>,
    unit: Option<&'a str>,
    plan: Option<&'a str>,
    expires_at: Option<String>,
    error_kind: Option<&'a str>,
}

fn render_json(readings: &[Reading]) -> String {
    let rfc3339 = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let items: Vec<JsonReading> = readings
        .iter()
        .map(|r| JsonReading {
            taken_at: rfc3339(r.taken_at),
            provider: &r.provider,
            account: &r.account,
            available: r.available,
            used: r.used,
            allotted: r.allotted,
            unit: r.unit.as_deref(),
            plan: r.plan.as_deref(),
            expires_at: r.expires_at.map(rfc3339),
            error_kind: r.error_kind.as_deref(),
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|e| format!("[] (could not encode: {e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_series_are_sampled_to_the_width() {
        let values: Vec<f64> = (0..600).map(f64::from).collect();
        let sampled = sample(&values, 60);
        assert_eq!(sampled.len(), 60);
        assert_eq!(sampled.first(), Some(&9.0));
        assert_eq!(sampled.last(), Some(&599.0));
        assert_eq!(sample(&[1.0, 2.0], 60), [1.0, 2.0]);
    }

    #[test]
    fn long_histories_are_thinned_to_the_last_of_each_hour() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let minutes: Vec<Reading> = (0..24 * 60)
            .map(|m| Reading {
                taken_at: t0 + chrono::Duration::minutes(m),
                provider: "giga".into(),
                available: Some(m as f64),
                ..Reading::default()
            })
            .collect();
        let (shown, per) = thin(&minutes);
        assert_eq!((shown.len(), per), (24, Some("hour")));
        assert_eq!(shown[0].available, Some(59.0));
        assert_eq!(shown[23].available, Some(1439.0));
        let (few, per) = thin(&minutes[..10]);
        assert_eq!((few.len(), per), (10, None));
    }

    #[test]
    fn selectors_match_provider_and_account() {
        let reading = Reading {
            provider: "olostep".into(),
            account: "team-b".into(),
            ..Reading::default()
        };
        let matches = |text: &str| parse_selector(text).map(|s| s.matches(&reading));
        assert_eq!(matches("olostep"), Ok(true));
        assert_eq!(matches("olostep:team-b"), Ok(true));
        assert_eq!(matches("olostep:team-a"), Ok(false));
        assert_eq!(matches("olostep:"), Ok(false));
        assert_eq!(matches("giga"), Ok(false));
        assert!(parse_selector("nope").is_err());
    }
}
