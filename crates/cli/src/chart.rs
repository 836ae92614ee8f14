//! A chart of one account's available credits over a range, with the projected run-out (shown
//! when it falls within half a range after the end; else its date is written), as a
//! small hand-written SVG: inline in the dashboard, or in a file (`billfold history --plot`).
//!
//! Colours are presentation attributes on the elements, so a file renders the same anywhere.
//! Every element a reader (or a test) looks for has a class: `balance` (the line, one vertex
//! per point), `point` (the last reading), `projection` (dashed, from the last reading toward
//! zero at the burn rate), `runout` and `runout-label` (the projected run-out, when it falls in
//! the chart).

use std::fmt::Write;

use billfold_history::Point;
use chrono::{DateTime, Duration, Utc};

/// The chart's size in SVG units (it scales to its container in the dashboard).
pub const WIDTH: f64 = 640.0;
/// See [`WIDTH`].
pub const HEIGHT: f64 = 220.0;

const LEFT: f64 = 58.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 26.0;

const LINE: &str = "#2563eb";
const PROJECTION: &str = "#dc2626";
const GRID: &str = "#d4d4d8";
const TEXT: &str = "#52525b";

/// What one chart shows.
pub struct Chart<'a> {
    /// The account's label (`olostep`, `olostep:team-b`).
    pub label: &'a str,
    /// What the amounts count.
    pub unit: &'a str,
    /// Readings, oldest first.
    pub points: &'a [Point],
    /// The range shown: `[from, to]` (then a quarter more when a projection is drawn).
    pub from: DateTime<Utc>,
    /// See `from`.
    pub to: DateTime<Utc>,
    /// Credits used per day, for the projection.
    pub burn_per_day: Option<f64>,
}

impl Chart<'_> {
    /// When the credits run out at the burn rate, counted from the last reading.
    pub fn runout(&self) -> Option<DateTime<Utc>> {
        let last = self.points.last()?;
        let rate = self.burn_per_day.filter(|r| r.is_finite() && *r > 0.0)?;
        let days = (last.available.max(0.0) / rate).min(365.0 * 1000.0);
        last.taken_at
            .checked_add_signed(Duration::milliseconds((days * 86_400_000.0) as i64))
    }
}

/// The chart as an `<svg>` element `WIDTH` × `HEIGHT` at (`x`, `y`) of its parent (0, 0 for a
/// page), scaled to the width of its container.
pub fn svg(chart: &Chart<'_>, x: f64, y: f64) -> String {
    let runout = chart.runout();
    let span = (chart.to - chart.from).max(Duration::seconds(1));
    let project = chart.burn_per_day.is_some_and(|r| r > 0.0) && !chart.points.is_empty();
    // The projection gets a quarter of the range, or up to as much as the range to reach the
    // run-out.
    let end = match runout {
        _ if !project => chart.to,
        Some(t) if t > chart.to && t <= chart.to + span => (t + span / 20).max(chart.to + span / 4),
        _ => chart.to + span / 4,
    };
    let seconds = |t: DateTime<Utc>| (t - chart.from).as_seconds_f64();
    let total = seconds(end).max(1.0);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let px = |t: DateTime<Utc>| LEFT + (seconds(t) / total).clamp(0.0, 1.0) * plot_w;

    let values = chart
        .points
        .iter()
        .flat_map(|p| [Some(p.available), p.min, p.max])
        .flatten()
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let hi = if hi <= lo {
        lo + 1.0
    } else {
        hi + (hi - lo) * 0.05
    };
    let py = |v: f64| TOP + (1.0 - ((v - lo) / (hi - lo)).clamp(0.0, 1.0)) * plot_h;

    let mut out = String::with_capacity(4096 + chart.points.len() * 16);
    let runout_attr = runout
        .map(|t| format!(" data-runout=\"{}\"", t.format("%Y-%m-%d")))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<svg class=\"chart\" x=\"{x}\" y=\"{y}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" data-account=\"{label}\" \
         data-points=\"{n}\"{runout_attr} font-family=\"system-ui, sans-serif\" font-size=\"11\">\
         <title>{label}: available {unit}</title>",
        label = escape(chart.label),
        unit = escape(chart.unit),
        n = chart.points.len(),
    );
    let _ = write!(
        out,
        "<text x=\"{LEFT}\" y=\"16\" font-size=\"13\" font-weight=\"600\" fill=\"#18181b\">{} \
         <tspan fill=\"{TEXT}\" font-weight=\"400\">({})</tspan></text>",
        escape(chart.label),
        escape(chart.unit)
    );
    // Grid and axes: three levels, three times.
    for level in [lo, (lo + hi) / 2.0, hi] {
        let y = py(level);
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"{GRID}\" \
             stroke-width=\"1\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" \
             fill=\"{TEXT}\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            compact(level)
        );
    }
    let format = if span <= Duration::hours(36) {
        "%H:%M"
    } else if span <= Duration::days(120) {
        "%b %d"
    } else {
        "%Y-%m"
    };
    for (t, anchor) in [
        (chart.from, "start"),
        (chart.from + span / 2, "middle"),
        (chart.to, "end"),
    ] {
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"{TEXT}\">{}</text>",
            px(t),
            HEIGHT - 8.0,
            t.format(format)
        );
    }
    if project {
        // The projected part of the chart, shaded.
        let _ = write!(
            out,
            "<rect class=\"future\" x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{plot_h}\" \
             fill=\"#f4f4f5\"/>",
            px(chart.to),
            px(end) - px(chart.to)
        );
    }
    if chart.points.is_empty() {
        let _ = write!(
            out,
            "<text class=\"empty\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" \
             fill=\"{TEXT}\">no readings in this range</text></svg>",
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
        return out;
    }
    // The band between the least and most of downsampled readings.
    if chart.points.iter().any(|p| p.min.is_some()) {
        let upper = chart
            .points
            .iter()
            .map(|p| (px(p.taken_at), py(p.max.unwrap_or(p.available))));
        let lower = chart
            .points
            .iter()
            .rev()
            .map(|p| (px(p.taken_at), py(p.min.unwrap_or(p.available))));
        out.push_str("<polygon class=\"range\" fill=\"#bfdbfe\" points=\"");
        for (x, y) in upper.chain(lower) {
            let _ = write!(out, "{x:.1},{y:.1} ");
        }
        out.push_str("\"/>");
    }
    out.push_str(&format!(
        "<polyline class=\"balance\" fill=\"none\" stroke=\"{LINE}\" stroke-width=\"2\" \
         stroke-linejoin=\"round\" points=\""
    ));
    for p in chart.points {
        let _ = write!(out, "{:.1},{:.1} ", px(p.taken_at), py(p.available));
    }
    out.push_str("\"/>");
    if let Some(last) = chart.points.last() {
        let (x0, y0) = (px(last.taken_at), py(last.available));
        if let Some(rate) = chart.burn_per_day.filter(|r| *r > 0.0) {
            // Toward zero at the burn rate, as far as the chart goes.
            let (x1, y1) = match runout {
                Some(t) if t <= end => (px(t), py(0.0)),
                _ => {
                    let days = (end - last.taken_at).as_seconds_f64() / 86_400.0;
                    (px(end), py(last.available - rate * days))
                }
            };
            let _ = write!(
                out,
                "<line class=\"projection\" x1=\"{x0:.1}\" y1=\"{y0:.1}\" x2=\"{x1:.1}\" \
                 y2=\"{y1:.1}\" stroke=\"{PROJECTION}\" stroke-width=\"1.5\" \
                 stroke-dasharray=\"5 4\"/>"
            );
        }
        let _ = write!(
            out,
            "<circle class=\"point\" cx=\"{x0:.1}\" cy=\"{y0:.1}\" r=\"3\" fill=\"{LINE}\"/>"
        );
    }
    if let Some(t) = runout {
        let label = format!("runs out {}", t.format("%Y-%m-%d %H:%M UTC"));
        if t <= end {
            let _ = write!(
                out,
                "<circle class=\"runout\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{PROJECTION}\"/>",
                px(t),
                py(0.0)
            );
            // Its date on the time axis, where it does not run into the range's last label.
            if px(t) - px(chart.to) > 56.0 {
                let _ = write!(
                    out,
                    "<text class=\"runout-date\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" \
                     fill=\"{PROJECTION}\">{}</text>",
                    px(t).min(WIDTH - RIGHT - 18.0),
                    HEIGHT - 8.0,
                    t.format(format)
                );
            }
        }
        let _ = write!(
            out,
            "<text class=\"runout-label\" x=\"{:.1}\" y=\"16\" text-anchor=\"end\" \
             fill=\"{PROJECTION}\">{label}</text>",
            WIDTH - RIGHT
        );
    }
    out.push_str("</svg>");
    out
}

/// A standalone SVG document with one chart per account, one above the other.
pub fn document(charts: &[Chart<'_>]) -> String {
    let height = HEIGHT * charts.len().max(1) as f64;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
    for (i, chart) in charts.iter().enumerate() {
        out.push_str(&svg(chart, 0.0, HEIGHT * i as f64));
    }
    out.push_str("</svg>\n");
    out
}

/// `1.2k`, `35M`, `0.5`: short axis labels.
pub fn compact(value: f64) -> String {
    let (scaled, suffix) = match value.abs() {
        v if v >= 1e9 => (value / 1e9, "G"),
        v if v >= 1e6 => (value / 1e6, "M"),
        v if v >= 1e4 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    let text = if scaled.abs() >= 100.0 {
        format!("{scaled:.0}")
    } else {
        format!("{scaled:.1}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    format!("{text}{suffix}")
}

/// Text made safe for HTML and XML content and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn point(hours: i64, available: f64) -> Point {
        Point {
            taken_at: t0() + Duration::hours(hours),
            available,
            min: None,
            max: None,
        }
    }

    #[test]
    fn a_draining_balance_shows_its_runout() {
        let points = [point(0, 100.0), point(24, 90.0), point(48, 80.0)];
        let chart = Chart {
            label: "olostep:<b>",
            unit: "credits",
            points: &points,
            from: t0(),
            to: t0() + Duration::days(2),
            burn_per_day: Some(80.0),
        };
        assert_eq!(chart.runout(), Some(t0() + Duration::days(3)));
        let svg = svg(&chart, 0.0, 0.0);
        assert!(svg.contains("data-points=\"3\""), "{svg}");
        assert!(svg.contains("data-runout=\"2026-01-04\""), "{svg}");
        assert!(svg.contains("runs out 2026-01-04 00:00 UTC"), "{svg}");
        assert!(svg.contains("class=\"runout\""), "{svg}");
        assert!(svg.contains("olostep:&lt;b&gt;"), "{svg}");
        assert!(!svg.contains("<b>"), "{svg}");
        // Three vertices on the line.
        let line = svg.split("class=\"balance\"").nth(1).unwrap_or_default();
        let points_attr = line.split("points=\"").nth(1).unwrap_or_default();
        let vertices = points_attr.split('"').next().unwrap_or_default();
        assert_eq!(vertices.split_whitespace().count(), 3);
    }

    #[test]
    fn a_steady_or_empty_balance_has_no_runout() {
        let points = [point(0, 100.0), point(1, 100.0)];
        let chart = Chart {
            label: "neo",
            unit: "credits",
            points: &points,
            from: t0(),
            to: t0() + Duration::hours(1),
            burn_per_day: Some(0.0),
        };
        let svg = svg(&chart, 0.0, 0.0);
        assert!(!svg.contains("runout"), "{svg}");
        let empty = Chart {
            points: &[],
            ..chart
        };
        assert!(svg_contains(&empty, "no readings in this range"));
    }

    fn svg_contains(chart: &Chart<'_>, text: &str) -> bool {
        svg(chart, 0.0, 0.0).contains(text)
    }

    #[test]
    fn axis_labels_are_short() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(42.5), "42.5");
        assert_eq!(compact(12_500.0), "12.5k");
        assert_eq!(compact(551_564_495.0), "552M");
        assert_eq!(compact(-3.0), "-3");
    }
}
