//! One view of every provider's balance: [`Balance`], and [`fetch_all`] to query them at once.
//!
//! Each provider's balance response maps into the same fields. Where each field is in a
//! provider's response is data, not code: the `[<id>.balance]` entry of `specs/providers.toml`
//! names the operation and a JSON pointer (or a list tried in order) per field, checked against
//! the response schema by `cargo xtask regen`, which derives [`ProviderId`], [`Details`] and the
//! dispatch from it. Amounts are numbers; `expires_at` is an RFC 3339 string, unix seconds or a
//! `YYYY-MM` period (its end); `usable` and `low` are booleans (`!` negates). What pointers
//! cannot say (Olostep's sums over credit lots) is a hand-written function the entry names
//! with `computed`.
//!
//! "—" is `None`: the provider does not say. The full typed response stays reachable in
//! [`Balance::details`].
//!
//! ```no_run
//! # async fn run() {
//! use billfold::balance::{FetchOptions, ProviderId, fetch_all};
//! for entry in fetch_all(ProviderId::ALL, &FetchOptions::default()).await {
//!     match entry.outcome {
//!         Ok(balance) => println!("{}: {:?} {}", entry.provider, balance.available, balance.unit),
//!         Err(error) => eprintln!("{}: {error}", entry.provider),
//!     }
//! }
//! # }
//! ```

use std::fmt;
use std::time::Duration;

use billfold_runtime::{ClientConfig, ConfigError, Error, TransportKind};

use chrono::{DateTime, Utc};

pub use crate::providers::{Details, ProviderId};

impl ProviderId {
    /// Short id (`olostep`), as in `specs/providers.toml`.
    pub fn id(self) -> &'static str {
        self.provider().id
    }

    /// Display name (`Olostep`).
    pub fn name(self) -> &'static str {
        self.provider().name
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for ProviderId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        ProviderId::ALL
            .iter()
            .copied()
            .find(|p| p.id().eq_ignore_ascii_case(s.trim()))
            .or_else(|| crate::custom::find(s))
            .ok_or_else(|| {
                let known: Vec<&str> = ProviderId::ALL
                    .iter()
                    .copied()
                    .chain(crate::custom::registered())
                    .map(|p| p.id())
                    .collect();
                format!("unknown provider {s:?}; known: {}", known.join(", "))
            })
    }
}

/// One provider's balance in common terms (see the [module docs](self) for each provider's
/// mapping). `None` means the provider does not report that value.
///
/// ```
/// # #[cfg(feature = "aiml")] {
/// use billfold::balance::Balance;
/// let response: billfold::aiml::types::BalanceResponse =
///     serde_json::from_str(r#"{"balance": 120, "lowBalance": true}"#).unwrap();
/// let balance = Balance::from(response);
/// assert_eq!(balance.available, Some(120.0));
/// assert_eq!(balance.low, Some(true));
/// assert_eq!(balance.used, None);
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Balance {
    /// Whose balance this is.
    pub provider: ProviderId,
    /// Credits available now.
    pub available: Option<f64>,
    /// Credits used in the current period.
    pub used: Option<f64>,
    /// Credits allotted: the plan's included or the issued credits.
    pub allotted: Option<f64>,
    /// What the amounts count: `credits`, or a currency (`USD`, `CNY`) when the provider's
    /// amounts are money (from the manifest's `unit`, `unit_pointer` or `unit_by_host`).
    pub unit: String,
    /// Plan or tier name.
    pub plan: Option<String>,
    /// When the current period ends or the credits expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether the provider currently allows usage.
    pub usable: Option<bool>,
    /// Whether the provider itself flags the balance as low (or expired).
    pub low: Option<bool>,
    /// A configured spend limit, in `unit`.
    pub spend_limit: Option<f64>,
    /// Concurrency limit (Anchor: concurrent browsers; −1 means unlimited).
    pub concurrency_limit: Option<f64>,
    /// The provider's full response.
    pub details: Details,
    /// Which element of the response this balance is, for a provider whose balance is one
    /// row per element of a list (a `[*]` segment in its mapping: one row per currency, per
    /// key): the element's `row_label` (`USD`), else its index. `None` for a provider with
    /// one balance.
    pub row: Option<String>,
    /// Every row, in the response's order, when the provider's balance is one row per
    /// element (this balance is the first of them); empty otherwise.
    pub rows: Vec<Balance>,
}

impl Balance {
    /// A balance with nothing known yet but the provider and its response.
    #[allow(dead_code)] // unused in a build without any provider feature
    pub(crate) fn new(provider: ProviderId, details: Details) -> Self {
        Self {
            provider,
            available: None,
            used: None,
            allotted: None,
            unit: "credits".to_owned(),
            plan: None,
            expires_at: None,
            usable: None,
            low: None,
            spend_limit: None,
            concurrency_limit: None,
            details,
            row: None,
            rows: Vec::new(),
        }
    }
}

/// What kind of failure a [`BalanceError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No credential is configured for this provider.
    NotConfigured,
    /// The configuration is incomplete or invalid (base URL, malformed key).
    Config,
    /// The provider rejected the credential (401 or 403).
    Auth,
    /// Any other error status.
    Http,
    /// The request timed out.
    Timeout,
    /// The provider could not be reached (DNS, connection, TLS).
    Network,
    /// The response did not match the spec.
    Decode,
}

impl ErrorKind {
    /// Lower-case name (`not_configured`, `config`, `auth`, `http`, `timeout`, `network`, `decode`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotConfigured => "not_configured",
            ErrorKind::Config => "config",
            ErrorKind::Auth => "auth",
            ErrorKind::Http => "http",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Network => "network",
            ErrorKind::Decode => "decode",
        }
    }
}

/// Why one provider's balance could not be had. Never contains a credential.
///
/// ```
/// use billfold::balance::{BalanceError, ErrorKind};
/// fn is_transient(err: &BalanceError) -> bool {
///     matches!(err.kind, ErrorKind::Timeout | ErrorKind::Network)
/// }
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct BalanceError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// A readable explanation (names the env var to set for configuration problems).
    pub message: String,
}

impl From<ConfigError> for BalanceError {
    fn from(error: ConfigError) -> Self {
        let kind = match error {
            ConfigError::MissingCredential { .. } => ErrorKind::NotConfigured,
            _ => ErrorKind::Config,
        };
        BalanceError {
            kind,
            status: None,
            message: error.to_string(),
        }
    }
}

impl<E: fmt::Debug + serde::Serialize> From<Error<E>> for BalanceError {
    fn from(error: Error<E>) -> Self {
        let status = error.status().map(|s| s.as_u16());
        let kind = match &error {
            Error::Config(_) | Error::InvalidRequest { .. } => ErrorKind::Config,
            Error::Api(api) if matches!(api.status.as_u16(), 401 | 403) => ErrorKind::Auth,
            // A redirect away from the configured origin (not followed) or an oversized body
            // is an HTTP-level failure with its status.
            Error::Api(_) | Error::Redirect { .. } | Error::ResponseTooLarge { .. } => {
                ErrorKind::Http
            }
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            } => ErrorKind::Timeout,
            Error::Transport { .. } => ErrorKind::Network,
            Error::Decode(_) => ErrorKind::Decode,
            _ => ErrorKind::Http,
        };
        BalanceError {
            kind,
            status,
            message: error.to_string(),
        }
    }
}

/// Settings for [`fetch`] and [`fetch_all`] on top of each provider's environment.
///
/// ```
/// use std::time::Duration;
/// let options = billfold::balance::FetchOptions { timeout: Some(Duration::from_secs(5)) };
/// ```
#[derive(Clone, Debug, Default)]
pub struct FetchOptions {
    /// Per-request timeout; `None` keeps the client default (30 s).
    pub timeout: Option<Duration>,
}

impl FetchOptions {
    fn config(&self, provider: &'static billfold_runtime::Provider) -> ClientConfig {
        let config = ClientConfig::from_env(provider);
        match self.timeout {
            Some(timeout) => config.timeout(timeout),
            None => config,
        }
    }
}

/// One provider's outcome in [`fetch_all`].
#[derive(Clone, Debug)]
pub struct ProviderBalance {
    /// The provider.
    pub provider: ProviderId,
    /// Its balance, or why it could not be had.
    pub outcome: Result<Balance, BalanceError>,
}

/// Queries one provider's balance, configured from its environment variables
/// (`<PROVIDER>_API_KEY`-style credential and `<PROVIDER>_BASE_URL`).
///
/// ```no_run
/// # async fn run() -> Result<(), billfold::balance::BalanceError> {
/// # #[cfg(feature = "olostep")] {
/// use billfold::balance::{FetchOptions, ProviderId, fetch};
/// let balance = fetch(ProviderId::Olostep, &FetchOptions::default()).await?;
/// println!("{:?} credits left", balance.available);
/// # }
/// # Ok(()) }
/// ```
pub async fn fetch(provider: ProviderId, options: &FetchOptions) -> Result<Balance, BalanceError> {
    crate::providers::fetch(provider, options.config(provider.provider())).await
}

/// Queries one provider's balance with an explicit configuration instead of the environment:
/// one of several accounts of a provider, each with its own credential and base URL, say. The
/// credential goes only to `config`'s base URL (the client follows no redirect to another
/// origin). A `config` made for another provider is an [`ErrorKind::Config`] error; set the
/// timeout on `config` itself.
///
/// ```no_run
/// # async fn run() -> Result<(), billfold::balance::BalanceError> {
/// # #[cfg(feature = "olostep")] {
/// use billfold::balance::{ProviderId, fetch_with_config};
/// use billfold::runtime::ClientConfig;
/// let config = ClientConfig::new(ProviderId::Olostep.provider())
///     .credential_from_env("Authorization", "OLOSTEP_TEAM_B_KEY");
/// let balance = fetch_with_config(ProviderId::Olostep, config).await?;
/// println!("team B: {:?} credits left", balance.available);
/// # }
/// # Ok(()) }
/// ```
pub async fn fetch_with_config(
    provider: ProviderId,
    config: ClientConfig,
) -> Result<Balance, BalanceError> {
    crate::providers::fetch(provider, config).await
}

/// Queries several providers concurrently; one outcome per provider, in the order given. A
/// provider that fails (or has no credentials: [`ErrorKind::NotConfigured`]) never hides the
/// others. Must run inside a tokio runtime.
pub async fn fetch_all(providers: &[ProviderId], options: &FetchOptions) -> Vec<ProviderBalance> {
    let mut tasks = tokio::task::JoinSet::new();
    let mut slots = std::collections::HashMap::new();
    for (index, provider) in providers.iter().copied().enumerate() {
        let options = options.clone();
        let handle = tasks.spawn(async move { fetch(provider, &options).await });
        slots.insert(handle.id(), index);
    }
    let mut outcomes: Vec<Option<Result<Balance, BalanceError>>> = vec![None; providers.len()];
    while let Some(joined) = tasks.join_next_with_id().await {
        let (id, outcome) = match joined {
            Ok((id, outcome)) => (id, outcome),
            // A panicking task is a bug; it becomes that provider's failure, not everyone's.
            Err(error) => (
                error.id(),
                Err(BalanceError {
                    kind: ErrorKind::Http,
                    status: None,
                    message: format!("the request task failed: {error}"),
                }),
            ),
        };
        if let Some(&index) = slots.get(&id) {
            outcomes[index] = Some(outcome);
        }
    }
    providers
        .iter()
        .zip(outcomes)
        .map(|(provider, outcome)| ProviderBalance {
            provider: *provider,
            outcome: outcome.unwrap_or_else(|| {
                Err(BalanceError {
                    kind: ErrorKind::Http,
                    status: None,
                    message: "no outcome".to_owned(),
                })
            }),
        })
        .collect()
}
