//! `billfold balance`: fetch, record in the history, judge (low, unusable, failed), and print
//! as a table or JSON.

use std::time::Duration;

use billfold::balance::{Balance, BalanceError, ErrorKind};
use billfold_history::{Burn, History};
use serde::Serialize;

use crate::accounts::Target;
use crate::alerts;
use crate::notify::Notifier;
use crate::progress::Spinner;
use crate::query::{Queried, query};
use crate::recording::{self, Burns, Setting};
use crate::runway;
use crate::table;
use crate::thresholds::Thresholds;
use crate::{EXIT_CONFIG, EXIT_FAILED, EXIT_LOW, EXIT_OK};

/// What `billfold balance` was asked.
pub struct Request {
    /// What to query.
    pub targets: Vec<Target>,
    /// `--json`.
    pub json: bool,
    /// `--warn-below`, `--warn-days`.
    pub thresholds: Thresholds,
    /// `--timeout`.
    pub timeout: Option<Duration>,
    /// `--history`, `--no-history`.
    pub history: Setting,
    /// `--keep-raw`: how old readings are downsampled.
    pub downsampling: billfold_history::Downsampling,
    /// `--window`: how far back the burn rate looks.
    pub window: chrono::Duration,
    /// `--notify`, if given.
    pub notifier: Option<Notifier>,
}

/// One target's line of the report.
struct Line {
    target: Target,
    outcome: Result<Balance, BalanceError>,
    /// Burn rate and runway; unknown for a failed query.
    burn: Burn,
    /// Low by the provider's own flag or a `--warn-below` / `--warn-days` threshold.
    low: Option<bool>,
}

impl Line {
    fn status(&self) -> String {
        match &self.outcome {
            Err(e) if e.kind == ErrorKind::NotConfigured => "not configured".to_owned(),
            Err(e) => match e.status {
                Some(status) => format!("error: {} {status}", e.kind.as_str()),
                None => format!("error: {}", e.kind.as_str()),
            },
            Ok(balance) if balance.usable == Some(false) => "UNUSABLE".to_owned(),
            Ok(_) if self.low == Some(true) => "LOW".to_owned(),
            Ok(_) => "ok".to_owned(),
        }
    }
}

/// The exit status a set of lines calls for.
fn exit_code(lines: &[Line]) -> u8 {
    let configured = lines
        .iter()
        .filter(|l| !matches!(&l.outcome, Err(e) if e.kind == ErrorKind::NotConfigured))
        .count();
    let config_error = lines
        .iter()
        .any(|l| matches!(&l.outcome, Err(e) if e.kind == ErrorKind::Config));
    if configured == 0 || config_error {
        return EXIT_CONFIG;
    }
    let failed = lines
        .iter()
        .any(|l| matches!(&l.outcome, Err(e) if e.kind != ErrorKind::NotConfigured));
    if failed {
        return EXIT_FAILED;
    }
    let warning = lines
        .iter()
        .any(|l| l.low == Some(true) || matches!(&l.outcome, Ok(b) if b.usable == Some(false)));
    if warning { EXIT_LOW } else { EXIT_OK }
}

/// Records this run's readings and computes each account's burn from the window, or says why
/// not (a warning; then every burn is unknown, as without history). Returns the open history
/// too, for the notified states and downsampling.
fn burns(request: &Request, queried: &[Queried]) -> (Burns, Option<History>) {
    let taken_at = recording::now();
    let readings: Vec<_> = queried
        .iter()
        .filter_map(|q| recording::reading(&q.target, &q.outcome, taken_at))
        .collect();
    if readings.is_empty() {
        return Default::default();
    }
    let path = match &request.history {
        Setting::Off => return Default::default(),
        Setting::Nowhere => {
            eprintln!("billfold: warning: {}", recording::NOWHERE);
            return Default::default();
        }
        Setting::File(path) => path,
    };
    match History::open(path).and_then(|mut history| {
        let burns = recording::record_and_burn(&mut history, &readings, taken_at, request.window)?;
        Ok((burns, history))
    }) {
        Ok((burns, history)) => (burns, Some(history)),
        Err(e) => {
            eprintln!("billfold: warning: {e}");
            Default::default()
        }
    }
}

/// Sends `--notify` messages for the accounts whose state changed; every failure is a warning.
async fn notify(notifier: &Notifier, lines: &[Line], history: Option<&mut History>) {
    let at = recording::now();
    let candidates: Vec<_> = lines
        .iter()
        .filter_map(|l| alerts::event(&l.target, &l.outcome, l.low, l.burn, at))
        .collect();
    if history.is_none() {
        eprintln!(
            "billfold: warning: --notify without a history file keeps no state: every account \
             that is not ok is notified on every run"
        );
    }
    let events = match alerts::changed(history, &mut alerts::Memory::new(), candidates, at) {
        Ok(events) => events,
        Err(e) => {
            eprintln!("billfold: warning: no notification sent: {e}");
            return;
        }
    };
    for warning in notifier.send(&events).await {
        eprintln!("billfold: warning: {warning}");
    }
}

/// Runs `billfold balance`; returns the exit status.
pub async fn run(request: Request) -> u8 {
    let spinner = Spinner::start(
        format!("querying {} account(s)…", request.targets.len()),
        request.json,
    );
    let queried = query(&request.targets, request.timeout).await;
    spinner.stop();
    let (burns, mut history) = burns(&request, &queried);
    let lines: Vec<Line> = queried
        .into_iter()
        .map(|q| {
            let burn = match &q.outcome {
                Ok(_) => burns
                    .get(&(q.target.provider.id().to_owned(), q.target.account.clone()))
                    .copied()
                    .unwrap_or_default(),
                Err(_) => Burn::default(),
            };
            let low = q
                .outcome
                .as_ref()
                .ok()
                .and_then(|b| request.thresholds.low(b, burn.days_left));
            Line {
                target: q.target,
                outcome: q.outcome,
                burn,
                low,
            }
        })
        .collect();
    if request.json {
        println!("{}", render_json(&lines));
    } else {
        print!("{}", render_table(&lines));
        let configured = lines
            .iter()
            .any(|l| !matches!(&l.outcome, Err(e) if e.kind == ErrorKind::NotConfigured));
        if !configured {
            eprintln!(
                "no provider is configured: set {}",
                lines
                    .iter()
                    .map(|l| l.target.credential_hint())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if let Some(notifier) = &request.notifier {
        notify(notifier, &lines, history.as_mut()).await;
    }
    if let Some(history) = history.as_mut()
        && let Err(e) = history.downsample_if_due(recording::now(), request.downsampling)
    {
        eprintln!("billfold: warning: {e}");
    }
    exit_code(&lines)
}

fn render_table(lines: &[Line]) -> String {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|line| match &line.outcome {
            Ok(b) => vec![
                line.target.label(),
                table::number(b.available),
                table::number(b.used),
                table::number(b.allotted),
                b.unit.to_owned(),
                b.plan.clone().unwrap_or_else(|| "-".to_owned()),
                b.expires_at
                    .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string()),
                runway::rate(&line.burn),
                runway::runway(&line.burn),
                line.status(),
            ],
            Err(_) => {
                let mut row = vec![line.target.label()];
                row.extend(std::iter::repeat_n("-".to_owned(), 8));
                row.push(line.status());
                row
            }
        })
        .collect();
    let mut out = table::render(
        &[
            "provider",
            "available",
            "used",
            "allotted",
            "unit",
            "plan",
            "renews/expires",
            "burn/day",
            "runway",
            "status",
        ],
        &rows,
    );
    let notes: Vec<String> = lines
        .iter()
        .filter_map(|line| {
            line.outcome
                .as_ref()
                .err()
                .map(|e| format!("{}: {e}", line.target.label()))
        })
        .collect();
    if !notes.is_empty() {
        out.push('\n');
        for note in notes {
            out.push_str(&note);
            out.push('\n');
        }
    }
    out
}

#[derive(Serialize)]
struct JsonLine<'a> {
    provider: &'a str,
    /// The account's label; empty for the env-configured one.
    account: &'a str,
    ok: bool,
    #[serde(serialize_with = "table::json_amount")]
    available: Option<f64>,
    #[serde(serialize_with = "table::json_amount")]
    used: Option<f64>,
    #[serde(serialize_with = "table::json_amount")]
    allotted: Option<f64>,
    unit: Option<&'a str>,
    plan: Option<&'a str>,
    expires_at: Option<String>,
    usable: Option<bool>,
    low: Option<bool>,
    #[serde(serialize_with = "table::json_amount")]
    burn_per_day: Option<f64>,
    #[serde(serialize_with = "table::json_amount")]
    days_left: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    kind: &'a str,
    status: Option<u16>,
    message: &'a str,
}

fn render_json(lines: &[Line]) -> String {
    let items: Vec<JsonLine> = lines
        .iter()
        .map(|line| match &line.outcome {
            Ok(b) => JsonLine {
                provider: line.target.provider.id(),
                account: &line.target.account,
                ok: true,
                available: b.available,
                used: b.used,
                allotted: b.allotted,
                unit: Some(&b.unit),
                plan: b.plan.as_deref(),
                expires_at: b
                    .expires_at
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
                usable: b.usable,
                low: line.low,
                burn_per_day: line.burn.per_day,
                days_left: line.burn.days_left,
                error: None,
            },
            Err(e) => JsonLine {
                provider: line.target.provider.id(),
                account: &line.target.account,
                ok: false,
                available: None,
                used: None,
                allotted: None,
                unit: None,
                plan: None,
                expires_at: None,
                usable: None,
                low: None,
                burn_per_day: None,
                days_left: None,
                error: Some(JsonError {
                    // "not configured" is a configuration matter to a JSON consumer.
                    kind: match e.kind {
                        ErrorKind::NotConfigured => "config",
                        kind => kind.as_str(),
                    },
                    status: e.status,
                    message: &e.message,
                }),
            },
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|e| format!("[] (could not encode: {e})"))
}
