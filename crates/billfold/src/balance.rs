//! One view of every provider's balance: [`Balance`], and [`fetch_all`] to query them at once.
//!
//! Each provider's billing response maps into the same fields, with these semantics:
//!
//! | field | Anchor | Neo | Olostep | AIML API | Giga |
//! | --- | --- | --- | --- | --- | --- |
//! | `available` | `data.credits` | `available_credits` | `credits` | `balance` | `totalBalance` |
//! | `used` | `data.credits_used` | `used_credits` | Σ lots (allocated − remaining) | — | — |
//! | `allotted` | `data.included_credits` | `issued_credits` | Σ lots allocated | — | — |
//! | `unit` | credits | credits | credits | credits | credits |
//! | `plan` | `data.tier` | — | `active_subscription.display_name` | — | `plan` |
//! | `expires_at` | end of `data.billing_period` | `expires_at` | earliest expiry of a lot with credits left | — | `currentPeriodEnd` |
//! | `usable` | — | not `is_expired` | `allow_usage` | — | — |
//! | `low` | — | `is_expired` | not `allow_usage` | `lowBalance` | — |
//! | `spend_limit` | `cost_limit` (inside or beside `data`) | — | — | — | — |
//! | `concurrency_limit` | `max_concurrent_browsers` (inside or beside `data`; −1 = unlimited) | — | — | — | — |
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

/// The providers this build of billfold knows (one per enabled cargo feature).
///
/// ```
/// use billfold::balance::ProviderId;
/// let neo: ProviderId = "neo".parse().unwrap();
/// assert_eq!(neo.name(), "ProjectDiscovery Neo");
/// assert!("nope".parse::<ProviderId>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProviderId {
    /// Anchor Browser.
    #[cfg(feature = "anchor")]
    Anchor,
    /// ProjectDiscovery Neo.
    #[cfg(feature = "neo")]
    Neo,
    /// Olostep.
    #[cfg(feature = "olostep")]
    Olostep,
    /// AIML API.
    #[cfg(feature = "aiml")]
    Aiml,
    /// Giga.
    #[cfg(feature = "giga")]
    Giga,
}

impl ProviderId {
    /// Every provider of this build, in display order.
    pub const ALL: &'static [ProviderId] = &[
        #[cfg(feature = "anchor")]
        ProviderId::Anchor,
        #[cfg(feature = "neo")]
        ProviderId::Neo,
        #[cfg(feature = "olostep")]
        ProviderId::Olostep,
        #[cfg(feature = "aiml")]
        ProviderId::Aiml,
        #[cfg(feature = "giga")]
        ProviderId::Giga,
    ];

    /// What the provider's generated crate knows about it (env vars, default base URL).
    pub fn provider(self) -> &'static billfold_runtime::Provider {
        match self {
            #[cfg(feature = "anchor")]
            ProviderId::Anchor => &crate::anchor::PROVIDER,
            #[cfg(feature = "neo")]
            ProviderId::Neo => &crate::neo::PROVIDER,
            #[cfg(feature = "olostep")]
            ProviderId::Olostep => &crate::olostep::PROVIDER,
            #[cfg(feature = "aiml")]
            ProviderId::Aiml => &crate::aiml::PROVIDER,
            #[cfg(feature = "giga")]
            ProviderId::Giga => &crate::giga::PROVIDER,
        }
    }

    /// Short id (`olostep`).
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
            .ok_or_else(|| {
                let known: Vec<&str> = ProviderId::ALL.iter().map(|p| p.id()).collect();
                format!("unknown provider {s:?}; known: {}", known.join(", "))
            })
    }
}

/// A provider's full typed billing response, as returned by its client.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Details {
    /// Anchor Browser's `get_billing` response.
    #[cfg(feature = "anchor")]
    Anchor(crate::anchor::types::BillingInfoResponse),
    /// Neo's `get_v1_billing_credits` response.
    #[cfg(feature = "neo")]
    Neo(crate::neo::types::BillingCreditsResponse),
    /// Olostep's `get_credits_info` response.
    #[cfg(feature = "olostep")]
    Olostep(crate::olostep::types::CreditsInfoResponse),
    /// AIML API's `get_balance` response.
    #[cfg(feature = "aiml")]
    Aiml(crate::aiml::types::BalanceResponse),
    /// Giga's `get_billing` response.
    #[cfg(feature = "giga")]
    Giga(crate::giga::types::BillingInfoResponse),
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
    /// What the amounts count.
    pub unit: &'static str,
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
}

impl Balance {
    #[cfg_attr(
        not(any(
            feature = "anchor",
            feature = "neo",
            feature = "olostep",
            feature = "aiml",
            feature = "giga"
        )),
        allow(dead_code)
    )]
    fn new(provider: ProviderId, details: Details) -> Self {
        Self {
            provider,
            available: None,
            used: None,
            allotted: None,
            unit: "credits",
            plan: None,
            expires_at: None,
            usable: None,
            low: None,
            spend_limit: None,
            concurrency_limit: None,
            details,
        }
    }
}

#[cfg(feature = "anchor")]
impl From<crate::anchor::types::BillingInfoResponse> for Balance {
    fn from(response: crate::anchor::types::BillingInfoResponse) -> Self {
        let data = response.data.clone();
        let mut balance = Balance::new(ProviderId::Anchor, Details::Anchor(response.clone()));
        if let Some(data) = &data {
            balance.available = Some(data.credits);
            balance.used = Some(data.credits_used);
            balance.allotted = Some(data.included_credits);
            balance.plan = Some(data.tier.clone());
            balance.expires_at = end_of_month(&data.billing_period);
        }
        // Published example: beside `data`; schema: inside it. Either counts.
        balance.spend_limit = data
            .as_ref()
            .and_then(|d| d.cost_limit)
            .or(response.cost_limit);
        balance.concurrency_limit = data
            .as_ref()
            .and_then(|d| d.max_concurrent_browsers)
            .or(response.max_concurrent_browsers);
        balance
    }
}

/// The first instant after a `YYYY-MM` billing period.
#[cfg(feature = "anchor")]
fn end_of_month(period: &str) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, NaiveDate};
    let start = NaiveDate::parse_from_str(&format!("{}-01", period.trim()), "%Y-%m-%d").ok()?;
    let (year, month) = if start.month() == 12 {
        (start.year() + 1, 1)
    } else {
        (start.year(), start.month() + 1)
    };
    Some(
        NaiveDate::from_ymd_opt(year, month, 1)?
            .and_hms_opt(0, 0, 0)?
            .and_utc(),
    )
}

#[cfg(feature = "neo")]
impl From<crate::neo::types::BillingCreditsResponse> for Balance {
    fn from(response: crate::neo::types::BillingCreditsResponse) -> Self {
        let mut balance = Balance::new(ProviderId::Neo, Details::Neo(response.clone()));
        balance.available = Some(response.available_credits);
        balance.used = Some(response.used_credits);
        balance.allotted = Some(response.issued_credits);
        balance.expires_at = response.expires_at;
        balance.usable = response.is_expired.map(|expired| !expired);
        balance.low = response.is_expired;
        balance
    }
}

#[cfg(feature = "olostep")]
impl From<crate::olostep::types::CreditsInfoResponse> for Balance {
    fn from(response: crate::olostep::types::CreditsInfoResponse) -> Self {
        let mut balance = Balance::new(ProviderId::Olostep, Details::Olostep(response.clone()));
        balance.available = response.credits.map(|c| c as f64);
        let lots = &response.breakdown;
        if !lots.is_empty() {
            balance.allotted =
                Some(lots.iter().filter_map(|l| l.allocated_units).sum::<i64>() as f64);
            balance.used = Some(
                lots.iter()
                    .map(|l| l.allocated_units.unwrap_or(0) - l.remaining_units.unwrap_or(0))
                    .sum::<i64>() as f64,
            );
            balance.expires_at = lots
                .iter()
                .filter(|l| l.remaining_units.unwrap_or(0) > 0)
                .filter_map(|l| DateTime::from_timestamp(l.expiry_date?, 0))
                .min();
        }
        balance.plan = response
            .active_subscription
            .as_ref()
            .and_then(|s| s.display_name.clone());
        balance.usable = response.allow_usage;
        balance.low = response.allow_usage.map(|allowed| !allowed);
        balance
    }
}

#[cfg(feature = "aiml")]
impl From<crate::aiml::types::BalanceResponse> for Balance {
    fn from(response: crate::aiml::types::BalanceResponse) -> Self {
        let mut balance = Balance::new(ProviderId::Aiml, Details::Aiml(response.clone()));
        balance.available = Some(response.balance);
        balance.low = response.low_balance;
        balance
    }
}

#[cfg(feature = "giga")]
impl From<crate::giga::types::BillingInfoResponse> for Balance {
    fn from(response: crate::giga::types::BillingInfoResponse) -> Self {
        let billing = response.data.billing.clone();
        let mut balance = Balance::new(ProviderId::Giga, Details::Giga(response));
        balance.available = Some(billing.total_balance);
        balance.plan = Some(billing.plan);
        balance.expires_at = Some(billing.current_period_end);
        balance
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
    #[allow(unused_variables)] // with no provider feature enabled there is nothing to configure
    let config = options.config(provider.provider());
    match provider {
        #[cfg(feature = "anchor")]
        ProviderId::Anchor => {
            let client = crate::anchor::Client::from_config(config)?;
            Ok(client.get_billing().await?.into_inner().into())
        }
        #[cfg(feature = "neo")]
        ProviderId::Neo => {
            let client = crate::neo::Client::from_config(config)?;
            Ok(client.get_v1_billing_credits().await?.into_inner().into())
        }
        #[cfg(feature = "olostep")]
        ProviderId::Olostep => {
            let client = crate::olostep::Client::from_config(config)?;
            Ok(client.get_credits_info().await?.into_inner().into())
        }
        #[cfg(feature = "aiml")]
        ProviderId::Aiml => {
            let client = crate::aiml::Client::from_config(config)?;
            Ok(client.get_balance().await?.into_inner().into())
        }
        #[cfg(feature = "giga")]
        ProviderId::Giga => {
            let client = crate::giga::Client::from_config(config)?;
            Ok(client.get_billing().await?.into_inner().into())
        }
    }
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
