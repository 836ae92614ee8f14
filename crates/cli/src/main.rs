//! `billfold`: every provider's credit balance at once, its history, burn rate and runway.
//!
//! ```text
//! billfold balance [--provider NAME]... [--json] [--warn-below PROVIDER=AMOUNT]...
//!                  [--warn-days [PROVIDER=]N]... [--window 7d] [--timeout SECS]
//!                  [--history PATH | --no-history] [--config PATH]
//!                  [--notify URL]... [--notify-format FORMAT] [--keep-raw 30d]
//! billfold history [--provider NAME[:ACCOUNT]]... [--since 7d] [--json] [--history PATH]
//!                  [--plot FILE.svg [--window 7d]]
//! billfold serve   [--listen 127.0.0.1:9464] [--interval 60] [--provider NAME]...
//!                  [--warn-below PROVIDER=AMOUNT]... [--warn-days [PROVIDER=]N]... [--window 7d]
//!                  [--timeout SECS] [--history PATH | --no-history] [--config PATH]
//!                  [--notify URL]... [--notify-format FORMAT] [--keep-raw 30d]
//! billfold giga plans | subscribe PLAN | recharge AMOUNT
//! ```
//!
//! `balance` exit codes: 0 all configured providers answered and none is low or unusable; 1 at
//! least one provider failed; 2 usage or configuration error; 3 all answered but one is low or
//! unusable. Every `balance` run records one reading per queried account in the history file
//! (`$XDG_DATA_HOME/billfold/history.sqlite3`, else `~/.local/share/billfold/history.sqlite3`;
//! `BILLFOLD_HISTORY` or `--history PATH` overrides it), from which the burn rate and runway
//! are computed. Accounts come from each provider's env vars, or, when it exists, from the
//! accounts file (`$XDG_CONFIG_HOME/billfold/config.toml`, else
//! `~/.config/billfold/config.toml`, or `--config PATH`), which then lists exactly what to
//! query.

mod accounts;
mod alerts;
mod balance_report;
mod chart;
mod dashboard;
mod giga_commands;
mod history_cmd;
mod metrics;
mod notify;
mod progress;
mod query;
mod recording;
mod runway;
mod serve;
mod status;
mod table;
mod thresholds;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use billfold::balance::ProviderId;
use clap::{Parser, Subcommand};

use crate::history_cmd::Selector;
use crate::recording::Setting;
use crate::thresholds::{Thresholds, WarnDays};

/// Exit status: every configured provider answered, none low or unusable.
pub const EXIT_OK: u8 = 0;
/// Exit status: at least one provider failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: usage or configuration error (clap uses 2 for usage errors too).
pub const EXIT_CONFIG: u8 = 2;
/// Exit status: all answered, but at least one balance is low or unusable.
pub const EXIT_LOW: u8 = 3;

/// Every provider's credit balance, at once.
///
/// Credentials and base URLs come from the environment (listed below), or from the accounts
/// file for several accounts of a provider.
#[derive(Debug, Parser)]
#[command(name = "billfold", version, after_help = environment_help())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show every configured account's balance, burn rate and runway, and record them in the
    /// history (exit 0 ok, 1 a provider failed, 2 usage or configuration error, 3 a balance is
    /// low or unusable).
    Balance(BalanceArgs),
    /// List the recorded readings, with a sparkline of each account's available credits.
    History(HistoryArgs),
    /// Query every configured account on an interval and serve a dashboard on /, the balances
    /// as Prometheus / OpenMetrics gauges on /metrics, and /healthz; SIGTERM or Ctrl-C stops it.
    Serve(ServeArgs),
    /// Giga's plans and checkout links (the only commands that POST).
    #[command(subcommand)]
    Giga(GigaCommand),
}

/// `--history` and `--no-history`.
#[derive(Debug, clap::Args)]
struct RecordArgs {
    /// History file [default: $BILLFOLD_HISTORY, else $XDG_DATA_HOME/billfold/history.sqlite3,
    /// else ~/.local/share/billfold/history.sqlite3].
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
    /// Record nothing (the burn rate and runway are then unknown).
    #[arg(long, conflicts_with = "history")]
    no_history: bool,
    /// Keep readings as taken for this long; older ones are merged into one per account and
    /// hour (after a year, per day), at most once an hour: 12h, 30d, 8w.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_duration)]
    keep_raw: chrono::Duration,
}

impl RecordArgs {
    /// Where readings go, as these flags and the environment decide.
    fn setting(&self) -> Setting {
        Setting::choose(self.no_history, self.history.as_deref())
    }

    /// How old readings are downsampled.
    fn downsampling(&self) -> billfold_history::Downsampling {
        let default = billfold_history::Downsampling::default();
        billfold_history::Downsampling {
            raw_for: self.keep_raw,
            hourly_for: default.hourly_for.max(self.keep_raw),
        }
    }
}

/// What to query, and when a balance is low.
#[derive(Debug, clap::Args)]
struct QueryArgs {
    /// Only these providers (repeatable): the ids listed below, or one the accounts file
    /// defines with [[provider]].
    #[arg(long = "provider", value_name = "NAME")]
    providers: Vec<ProviderId>,
    /// Accounts file [default: $XDG_CONFIG_HOME/billfold/config.toml, else
    /// ~/.config/billfold/config.toml, used when it exists]. When there is one, it lists
    /// exactly the accounts to query.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Mark PROVIDER low when its available credits are under AMOUNT (repeatable).
    #[arg(long = "warn-below", value_name = "PROVIDER=AMOUNT", value_parser = thresholds::parse_warn_below)]
    warn_below: Vec<(ProviderId, f64)>,
    /// Mark a provider low when its runway is under N days: `N` for all providers, or
    /// `PROVIDER=N` (repeatable; wins over `N` for that provider).
    #[arg(long = "warn-days", value_name = "[PROVIDER=]N", value_parser = thresholds::parse_warn_days)]
    warn_days: Vec<WarnDays>,
    /// How far back the burn rate looks: 30s, 15m, 12h, 7d, 2w.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    window: chrono::Duration,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    timeout: Option<Duration>,
    /// Send a message to URL when an account becomes low, unusable or failing, and when it
    /// recovers (repeatable). Slack and Discord webhooks and ntfy.sh are recognised by host;
    /// any other URL gets JSON; prefix `slack+`, `discord+`, `ntfy+` or `json+` to choose.
    // Parsed by `notifier`, not by clap, whose errors would repeat the value (and its token).
    #[arg(long = "notify", value_name = "URL")]
    notify: Vec<String>,
    /// The format for every --notify URL without a prefix: slack, discord, ntfy or json
    /// [default: by the URL's host].
    #[arg(long, value_name = "FORMAT", value_parser = notify::Format::parse)]
    notify_format: Option<notify::Format>,
}

impl QueryArgs {
    /// The notifier for `--notify`, or the exit status after printing why it cannot be set up.
    fn notifier(&self) -> Result<Option<notify::Notifier>, u8> {
        let mut destinations = Vec::new();
        for (i, text) in self.notify.iter().enumerate() {
            match notify::parse_destination(text) {
                Ok(destination) => destinations.push(destination),
                Err(e) => {
                    eprintln!("billfold: --notify number {}: {e}", i + 1);
                    return Err(EXIT_CONFIG);
                }
            }
        }
        notify::Notifier::new(destinations, self.notify_format).map_err(|e| {
            eprintln!("billfold: {e}");
            EXIT_CONFIG
        })
    }

    fn thresholds(&self) -> Thresholds {
        Thresholds {
            below: self.warn_below.clone(),
            days: self.warn_days.clone(),
        }
    }

    /// The accounts to query, or the exit status after printing why there are none.
    fn targets(&self) -> Result<Vec<accounts::Target>, u8> {
        let providers = accounts::dedup(&self.providers);
        accounts::load(self.config.as_deref())
            .and_then(|file| accounts::targets(file.as_ref(), &providers))
            .map_err(|e| {
                eprintln!("billfold: {e}");
                EXIT_CONFIG
            })
    }
}

#[derive(Debug, clap::Args)]
struct BalanceArgs {
    #[command(flatten)]
    query: QueryArgs,
    /// Print a JSON array, one object per account.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    record: RecordArgs,
}

#[derive(Debug, clap::Args)]
struct HistoryArgs {
    /// Only this provider, or one account of it (`olostep:team-b`) (repeatable).
    #[arg(long = "provider", value_name = "NAME[:ACCOUNT]", value_parser = history_cmd::parse_selector)]
    providers: Vec<Selector>,
    /// Only readings taken since this long ago: 30s, 15m, 12h, 7d, 2w.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    since: chrono::Duration,
    /// Print a JSON array of readings.
    #[arg(long)]
    json: bool,
    /// History file [default: as for `billfold balance`].
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
    /// Write a chart of each account's available credits over --since, with the projected
    /// run-out, to FILE (SVG) instead of listing the readings.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// With --plot: how far back the burn rate for the projection looks.
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = parse_duration)]
    window: chrono::Duration,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to serve on (port 0: any free port; the one bound is printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    listen: SocketAddr,
    /// Seconds between two queries of every account (at least 1).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_interval)]
    interval: Duration,
    #[command(flatten)]
    query: QueryArgs,
    #[command(flatten)]
    record: RecordArgs,
}

#[derive(Debug, Subcommand)]
enum GigaCommand {
    /// List Giga's plans.
    Plans {
        /// Per-request timeout in seconds.
        #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
        timeout: Option<Duration>,
    },
    /// Start a checkout for PLAN and print its URL.
    Subscribe {
        /// Plan id, as `billfold giga plans` lists them.
        plan: String,
        /// Per-request timeout in seconds.
        #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
        timeout: Option<Duration>,
    },
    /// Start a checkout adding AMOUNT (USD) of prepaid credits and print its URL.
    Recharge {
        /// USD amount to add.
        #[arg(value_parser = parse_amount)]
        amount: f64,
        /// Per-request timeout in seconds.
        #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
        timeout: Option<Duration>,
    },
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?} is not a number of seconds between 0 and 3600"))
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && (1.0..=86_400.0).contains(s))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?} is not a number of seconds between 1 and 86400"))
}

fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    billfold_history::parse_since(text).map_err(|e| e.to_string())
}

fn parse_amount(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|a| a.is_finite() && *a > 0.0)
        .ok_or_else(|| format!("{text:?} is not a positive amount"))
}

/// The env vars of every provider this build knows, from their generated crates.
fn environment_help() -> String {
    let mut text = String::from("Environment (credential, then base URL):\n");
    for provider in ProviderId::ALL {
        let p = provider.provider();
        let base = match p.default_base_url {
            Some(_) => format!("{} to override the base URL", p.base_url_env),
            None => format!("{} (required: no base URL is published)", p.base_url_env),
        };
        let kind = provider
            .key_kind()
            .map(|kind| format!(" ({kind})"))
            .unwrap_or_default();
        let settings: String = provider
            .balance_settings()
            .iter()
            .map(|(name, var)| format!("; {var} ({name})"))
            .collect();
        text.push_str(&format!(
            "  {:<13} {}{kind}{settings}; {base}\n",
            p.id,
            p.credential_env_vars()
        ));
    }
    text.push_str(&format!(
        "  {:<13} the history file\n\n\
         Accounts file (several accounts of a provider; keys stay in env vars):\n  \
         [[account]]\n  label = \"team-b\"\n  provider = \"olostep\"\n  \
         key_env = \"OLOSTEP_TEAM_B_KEY\"\n  base_url = \"https://api.olostep.com\"   # optional\n",
        billfold_history::ENV_VAR
    ));
    text
}

/// A tokio runtime: one thread for the one-shot commands; for `serve`, one worker beside the
/// thread that accepts connections (history writes go to the blocking pool). A scrape is a copy
/// of text encoded at the last refresh: one worker answered about 150 000 scrapes a second in
/// `cargo xtask bench`, and a second one only added thread switches on the shared cores
/// (p99 with 200 concurrent scrapers: about 5 ms with two workers, about 3 ms with one).
fn runtime(serve: bool) -> std::io::Result<tokio::runtime::Runtime> {
    if serve {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
}

fn main() -> ExitCode {
    // Providers defined in the accounts file must be known before `--provider NAME` and
    // `--warn-below NAME=...` are parsed; a bad file is reported later, where it is used.
    accounts::register_early(std::env::args_os().skip(1));
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve(_));
    let runtime = match runtime(serving) {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("billfold: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Balance(args) => {
                let targets = match args.query.targets() {
                    Ok(targets) => targets,
                    Err(code) => return code,
                };
                let notifier = match args.query.notifier() {
                    Ok(notifier) => notifier,
                    Err(code) => return code,
                };
                balance_report::run(balance_report::Request {
                    targets,
                    json: args.json,
                    thresholds: args.query.thresholds(),
                    timeout: args.query.timeout,
                    history: args.record.setting(),
                    downsampling: args.record.downsampling(),
                    window: args.query.window,
                    notifier,
                })
                .await
            }
            Command::History(args) => {
                let path = billfold_history::resolve(args.history.as_deref());
                history_cmd::run(history_cmd::Request {
                    path: path.as_deref(),
                    selectors: args.providers,
                    since: args.since,
                    json: args.json,
                    plot: args.plot,
                    window: args.window,
                })
            }
            Command::Serve(args) => {
                let targets = match args.query.targets() {
                    Ok(targets) => targets,
                    Err(code) => return code,
                };
                let notifier = match args.query.notifier() {
                    Ok(notifier) => notifier,
                    Err(code) => return code,
                };
                serve::run(serve::Options {
                    listen: args.listen,
                    interval: args.interval,
                    thresholds: args.query.thresholds(),
                    timeout: args.query.timeout,
                    history: args.record.setting(),
                    downsampling: args.record.downsampling(),
                    window: args.query.window,
                    targets,
                    notifier,
                })
                .await
            }
            Command::Giga(GigaCommand::Plans { timeout }) => giga_commands::plans(timeout).await,
            Command::Giga(GigaCommand::Subscribe { plan, timeout }) => {
                giga_commands::subscribe(&plan, timeout).await
            }
            Command::Giga(GigaCommand::Recharge { amount, timeout }) => {
                giga_commands::recharge(amount, timeout).await
            }
        }
    });
    // Whatever is still running (a connection, a history write) gets a moment, not forever.
    runtime.shutdown_timeout(Duration::from_secs(2));
    ExitCode::from(code)
}
