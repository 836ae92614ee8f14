//! `billfold balance`: fetch, judge (low, unusable, failed), and print as a table or JSON.

use std::time::Duration;

use billfold::balance::{Balance, BalanceError, ErrorKind, FetchOptions, ProviderId, fetch_all};
use serde::Serialize;

use crate::progress::Spinner;
use crate::table;
use crate::{EXIT_CONFIG, EXIT_FAILED, EXIT_LOW, EXIT_OK};

/// One provider's line of the report.
struct Line {
    provider: ProviderId,
    outcome: Result<Balance, BalanceError>,
    /// Low by the provider's own flag or by a `--warn-below` threshold.
    low: Option<bool>,
}

impl Line {
    fn new(
        provider: ProviderId,
        outcome: Result<Balance, BalanceError>,
        thresholds: &[(ProviderId, f64)],
    ) -> Self {
        let low = outcome.as_ref().ok().and_then(|balance| {
            let threshold = thresholds
                .iter()
                .rev()
                .find(|(p, _)| *p == provider)
                .map(|(_, amount)| *amount);
            let below = match (threshold, balance.available) {
                (Some(amount), Some(available)) => Some(available < amount),
                (Some(_), None) => None,
                (None, _) => None,
            };
            match (balance.low, below) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (None, None) => None,
                _ => Some(false),
            }
        });
        Self {
            provider,
            outcome,
            low,
        }
    }

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

/// Runs `billfold balance`; returns the exit status.
pub async fn run(
    providers: &[ProviderId],
    json: bool,
    thresholds: &[(ProviderId, f64)],
    timeout: Option<Duration>,
) -> u8 {
    let spinner = Spinner::start(format!("querying {} provider(s)…", providers.len()), json);
    let outcomes = fetch_all(providers, &FetchOptions { timeout }).await;
    spinner.stop();
    let lines: Vec<Line> = outcomes
        .into_iter()
        .map(|entry| Line::new(entry.provider, entry.outcome, thresholds))
        .collect();
    if json {
        println!("{}", render_json(&lines));
    } else {
        print!("{}", render_table(&lines));
        let configured = lines
            .iter()
            .any(|l| !matches!(&l.outcome, Err(e) if e.kind == ErrorKind::NotConfigured));
        if !configured {
            eprintln!(
                "no provider is configured: set {}",
                providers
                    .iter()
                    .map(|p| p.provider().credential_env_vars())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    exit_code(&lines)
}

fn render_table(lines: &[Line]) -> String {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|line| match &line.outcome {
            Ok(b) => vec![
                line.provider.id().to_owned(),
                table::number(b.available),
                table::number(b.used),
                table::number(b.allotted),
                b.unit.to_owned(),
                b.plan.clone().unwrap_or_else(|| "-".to_owned()),
                b.expires_at
                    .map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d").to_string()),
                line.status(),
            ],
            Err(_) => {
                let mut row = vec![line.provider.id().to_owned()];
                row.extend(std::iter::repeat_n("-".to_owned(), 6));
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
                .map(|e| format!("{}: {e}", line.provider.id()))
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
    ok: bool,
    #[serde(serialize_with = "amount")]
    available: Option<f64>,
    #[serde(serialize_with = "amount")]
    used: Option<f64>,
    #[serde(serialize_with = "amount")]
    allotted: Option<f64>,
    unit: Option<&'a str>,
    plan: Option<&'a str>,
    expires_at: Option<String>,
    usable: Option<bool>,
    low: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    kind: &'a str,
    status: Option<u16>,
    message: &'a str,
}

/// Whole amounts as JSON integers (`12500`, not `12500.0`), others as they are.
fn amount<S: serde::Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => serializer.serialize_i64(*v as i64),
        Some(v) => serializer.serialize_f64(*v),
        None => serializer.serialize_none(),
    }
}

fn render_json(lines: &[Line]) -> String {
    let items: Vec<JsonLine> = lines
        .iter()
        .map(|line| match &line.outcome {
            Ok(b) => JsonLine {
                provider: line.provider.id(),
                ok: true,
                available: b.available,
                used: b.used,
                allotted: b.allotted,
                unit: Some(b.unit),
                plan: b.plan.as_deref(),
                expires_at: b
                    .expires_at
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
                usable: b.usable,
                low: line.low,
                error: None,
            },
            Err(e) => JsonLine {
                provider: line.provider.id(),
                ok: false,
                available: None,
                used: None,
                allotted: None,
                unit: None,
                plan: None,
                expires_at: None,
                usable: None,
                low: None,
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
