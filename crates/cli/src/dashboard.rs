//! The page `billfold serve` answers at `/`: every account's balance, unit, burn per day,
//! runway and status, and a chart of each account's available credits over a range, with the
//! projected run-out.
//!
//! One HTML document, no script: the style sheet (`assets/dashboard.css`, about 2 KB) is
//! embedded in the binary and inlined in the page, the charts are inline SVG drawn on the
//! server, ranges are links (`/?range=30d`), and a `<meta http-equiv="refresh">` reloads the
//! page on the refresh interval. Nothing is fetched from elsewhere, so it works offline. The
//! pages of the four ranges are rendered once per refresh; a request copies one.

use std::fmt::Write;

use billfold_history::{Burn, Point};
use chrono::{DateTime, Duration, Utc};

use crate::chart::{self, Chart, escape};
use crate::runway;
use crate::status::State;

/// The style sheet, inlined in every page.
pub const CSS: &str = include_str!("assets/dashboard.css");

/// The ranges a chart can show: the query value, the link's text, the length.
pub const RANGES: [(&str, &str, i64); 4] = [
    ("24h", "24 h", 1),
    ("7d", "7 d", 7),
    ("30d", "30 d", 30),
    ("1y", "1 y", 365),
];

/// The range shown without `?range=`.
pub const DEFAULT_RANGE: usize = 1;

/// How many points a chart reads from the history (it is about 570 units wide).
pub const CHART_POINTS: usize = 240;

/// The length of range `index` of [`RANGES`].
pub fn range_length(index: usize) -> Duration {
    Duration::days(RANGES.get(index).map_or(7, |r| r.2))
}

/// The index in [`RANGES`] asked for by a request's query string (`range=30d`), else the
/// default.
pub fn range_of(query: Option<&str>) -> usize {
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|pair| pair.strip_prefix("range="))
        .find_map(|value| RANGES.iter().position(|r| r.0 == value))
        .unwrap_or(DEFAULT_RANGE)
}

/// One account's line of the page.
pub struct Row {
    /// `olostep` or `olostep:team-b`.
    pub label: String,
    /// Credits available (the last good reading when the query failed).
    pub available: Option<f64>,
    /// What the amounts count.
    pub unit: String,
    /// Burn rate and runway.
    pub burn: Burn,
    /// Its state; `failing` carries the error kind.
    pub state: State,
    /// For a failing account: what failed (`timeout`, `http 500`).
    pub error: Option<String>,
    /// Chart points for each of [`RANGES`].
    pub charts: Vec<Vec<Point>>,
}

/// What the page shows: the rows of one refresh.
pub struct Snapshot {
    /// When the refresh ended.
    pub at: DateTime<Utc>,
    /// Seconds between refreshes (the page reloads as often).
    pub interval_secs: u64,
    /// Whether charts can be drawn (a history file is in use).
    pub history: bool,
    /// One row per configured account.
    pub rows: Vec<Row>,
}

/// The page shown before the first refresh ends.
pub fn waiting(interval_secs: u64) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"2\"><title>billfold</title><style>{CSS}</style>\
         </head><body><header><h1>billfold</h1><p class=\"updated\">querying every account \
         (every {interval_secs} s)…</p></header></body></html>"
    )
}

/// The page for range `range` (an index in [`RANGES`]).
pub fn page(snapshot: &Snapshot, range: usize) -> String {
    let mut out = String::with_capacity(16 * 1024 + snapshot.rows.len() * 8 * 1024);
    let refresh = snapshot.interval_secs.clamp(5, 3600);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"{refresh}\">\
         <title>billfold: credits</title><style>{CSS}</style></head><body><header>\
         <h1>billfold</h1><p class=\"updated\" data-at=\"{at}\">updated {at_text} · every \
         {interval} s</p><nav aria-label=\"range\">",
        at = snapshot
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        at_text = snapshot.at.format("%Y-%m-%d %H:%M:%S UTC"),
        interval = snapshot.interval_secs,
    );
    for (i, (value, text, _)) in RANGES.iter().enumerate() {
        let current = if i == range {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(out, "<a href=\"/?range={value}\"{current}>{text}</a>");
    }
    out.push_str(
        "</nav></header><main><table class=\"accounts\"><thead><tr><th>account</th>\
         <th>available</th><th>unit</th><th>burn/day</th><th>runway</th><th>runs out</th>\
         <th>status</th></tr></thead><tbody>",
    );
    let to = snapshot.at;
    let from = to - range_length(range);
    let charts: Vec<Chart<'_>> = snapshot
        .rows
        .iter()
        .map(|row| Chart {
            label: &row.label,
            unit: &row.unit,
            points: row.charts.get(range).map_or(&[][..], Vec::as_slice),
            from,
            to,
            burn_per_day: row.burn.per_day,
        })
        .collect();
    for (row, chart) in snapshot.rows.iter().zip(&charts) {
        let state = row.state.as_str();
        let status = match (&row.state, &row.error) {
            (State::Failing, Some(error)) => format!("error: {error}"),
            (State::Ok, _) => "ok".to_owned(),
            (other, _) => other.as_str().to_uppercase(),
        };
        let runs_out = match row.burn.days_left {
            Some(_) => chart
                .runout()
                .or_else(|| {
                    let days = row.burn.days_left?;
                    to.checked_add_signed(Duration::milliseconds((days * 86_400_000.0) as i64))
                })
                .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string()),
            None => "-".to_owned(),
        };
        let _ = write!(
            out,
            "<tr class=\"account s-{state}\" data-account=\"{label}\">\
             <td data-label=\"account\">{label}</td>\
             <td class=\"num available\" data-label=\"available\">{available}</td>\
             <td data-label=\"unit\">{unit}</td>\
             <td class=\"num burn\" data-label=\"burn/day\">{burn}</td>\
             <td class=\"num runway\" data-label=\"runway\">{runway}</td>\
             <td class=\"runs-out\" data-label=\"runs out\">{runs_out}</td>\
             <td class=\"status\" data-label=\"status\">{status}</td></tr>",
            label = escape(&row.label),
            available = row
                .available
                .map_or_else(|| "-".to_owned(), |v| v.to_string()),
            unit = escape(&row.unit),
            burn = runway::rate(&row.burn),
            runway = runway::runway(&row.burn),
            status = escape(&status),
        );
    }
    out.push_str("</tbody></table>");
    if snapshot.rows.is_empty() {
        out.push_str("<p class=\"note\">No account is configured.</p>");
    }
    if snapshot.history {
        out.push_str("<section class=\"charts\">");
        for chart in &charts {
            out.push_str("<figure>");
            out.push_str(&chart::svg(chart, 0.0, 0.0));
            out.push_str("</figure>");
        }
        out.push_str("</section>");
    } else {
        out.push_str(
            "<p class=\"note\">No charts: history is off (--no-history), and charts are drawn \
             from it.</p>",
        );
    }
    out.push_str("</main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn ranges_come_from_the_query() {
        assert_eq!(range_of(None), DEFAULT_RANGE);
        assert_eq!(range_of(Some("range=30d")), 2);
        assert_eq!(range_of(Some("x=1&range=1y")), 3);
        assert_eq!(range_of(Some("range=<script>")), DEFAULT_RANGE);
    }

    #[test]
    fn the_page_has_a_row_and_a_chart_per_account() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let point = |hours: i64, available: f64| Point {
            taken_at: at - Duration::hours(hours),
            available,
            min: None,
            max: None,
        };
        let snapshot = Snapshot {
            at,
            interval_secs: 60,
            history: true,
            rows: vec![
                Row {
                    label: "olostep".into(),
                    available: Some(900.0),
                    unit: "credits".into(),
                    burn: Burn {
                        per_day: Some(100.0),
                        days_left: Some(9.0),
                        readings: 3,
                    },
                    state: State::Low,
                    error: None,
                    charts: vec![vec![point(2, 1000.0), point(1, 950.0), point(0, 900.0)]; 4],
                },
                Row {
                    label: "neo".into(),
                    available: None,
                    unit: "credits".into(),
                    burn: Burn::default(),
                    state: State::Failing,
                    error: Some("http 500".into()),
                    charts: vec![Vec::new(); 4],
                },
            ],
        };
        let html = page(&snapshot, 0);
        assert!(html.contains("data-account=\"olostep\""), "{html}");
        assert!(html.contains(">900<"), "{html}");
        assert!(html.contains(">LOW<"), "{html}");
        assert!(html.contains(">error: http 500<"), "{html}");
        assert!(html.contains(">2026-12-10<"), "{html}");
        assert!(html.contains("data-points=\"3\""), "{html}");
        assert!(html.contains("runs out 2026-12-10"), "{html}");
        assert!(html.contains("href=\"/?range=24h\" aria-current"), "{html}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{html}"
        );
    }
}
