//! `billfold`: every provider's credit balance at once.
//!
//! ```text
//! billfold balance [--provider NAME]... [--json] [--warn-below PROVIDER=AMOUNT]... [--timeout SECS]
//! billfold giga plans | subscribe PLAN | recharge AMOUNT
//! ```
//!
//! Exit codes: 0 all configured providers answered and none is low or unusable; 1 at least one
//! provider failed; 2 usage or configuration error; 3 all answered but one is low or unusable.

mod balance_report;
mod giga_commands;
mod progress;
mod table;

use std::process::ExitCode;
use std::time::Duration;

use billfold::balance::ProviderId;
use clap::{Parser, Subcommand};

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
/// Credentials and base URLs come from the environment (listed below).
#[derive(Debug, Parser)]
#[command(name = "billfold", version, after_help = environment_help())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show every configured provider's balance (exit 0 ok, 1 a provider failed, 2 usage or
    /// configuration error, 3 a balance is low or unusable).
    Balance(BalanceArgs),
    /// Giga's plans and checkout links (the only commands that POST).
    #[command(subcommand)]
    Giga(GigaCommand),
}

#[derive(Debug, clap::Args)]
struct BalanceArgs {
    /// Only these providers (repeatable): anchor, neo, olostep, aiml, giga.
    #[arg(long = "provider", value_name = "NAME")]
    providers: Vec<ProviderId>,
    /// Print a JSON array, one object per provider.
    #[arg(long)]
    json: bool,
    /// Mark PROVIDER low when its available credits are under AMOUNT (repeatable).
    #[arg(long = "warn-below", value_name = "PROVIDER=AMOUNT", value_parser = parse_threshold)]
    warn_below: Vec<(ProviderId, f64)>,
    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    timeout: Option<Duration>,
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

fn parse_threshold(text: &str) -> Result<(ProviderId, f64), String> {
    let (provider, amount) = text
        .split_once('=')
        .ok_or_else(|| format!("expected PROVIDER=AMOUNT, got {text:?}"))?;
    let provider: ProviderId = provider.parse()?;
    let amount: f64 = amount
        .trim()
        .parse()
        .ok()
        .filter(|a: &f64| a.is_finite())
        .ok_or_else(|| format!("{amount:?} is not a number"))?;
    Ok((provider, amount))
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?} is not a number of seconds between 0 and 3600"))
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
        text.push_str(&format!(
            "  {:<10} {}; {base}\n",
            p.id,
            p.credential_env_vars()
        ));
    }
    text
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Balance(args) => {
            let providers = if args.providers.is_empty() {
                ProviderId::ALL.to_vec()
            } else {
                // Each provider once, in the order first named.
                let mut chosen: Vec<ProviderId> = Vec::new();
                for provider in &args.providers {
                    if !chosen.contains(provider) {
                        chosen.push(*provider);
                    }
                }
                chosen
            };
            balance_report::run(&providers, args.json, &args.warn_below, args.timeout).await
        }
        Command::Giga(GigaCommand::Plans { timeout }) => giga_commands::plans(timeout).await,
        Command::Giga(GigaCommand::Subscribe { plan, timeout }) => {
            giga_commands::subscribe(&plan, timeout).await
        }
        Command::Giga(GigaCommand::Recharge { amount, timeout }) => {
            giga_commands::recharge(amount, timeout).await
        }
    };
    ExitCode::from(code)
}
