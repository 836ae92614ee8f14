//! Client configuration, from the environment or from code.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::auth::Credentials;
use crate::provider::Provider;
use crate::retry::RetryPolicy;
use crate::runtime::Runtime;
use crate::secret::Secret;

/// Default total time allowed for one request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time allowed to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default largest response body read (16 MiB); a larger one ends the call with
/// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// Where a configured value came from, so errors can say what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// An env var: one of the provider's, or one named at run time
    /// ([`ClientConfig::credential_from_env`]).
    Env(Cow<'static, str>),
    Code,
    Default,
    /// A place the caller described ([`ClientConfig::base_url_from`]).
    Described(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Env(var) => write!(f, "env var {var}"),
            Origin::Code => f.write_str("the value passed in code"),
            Origin::Default => f.write_str("the default of the spec"),
            Origin::Described(place) => f.write_str(place),
        }
    }
}

/// A configuration problem, found before any request is sent.
///
/// Every message names what to set or fix, and none contains a credential.
///
/// ```
/// use billfold_runtime::{AuthKind, ClientConfig, ConfigError, CredentialSpec, Provider};
/// static P: Provider = Provider {
///     id: "giga", name: "Giga", user_agent: "billfold-giga/0.1.0",
///     default_base_url: None, base_url_env: "GIGA_BASE_URL",
///     credentials: &[CredentialSpec { scheme: "bearerAuth", kind: AuthKind::Bearer, env_var: "GIGA_API_KEY" }],
///     security: &[],
/// };
/// let err = ClientConfig::new(&P).credential("bearerAuth", "k").build().unwrap_err();
/// assert!(matches!(err, ConfigError::MissingBaseUrl { .. }));
/// assert!(err.to_string().contains("GIGA_BASE_URL"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// No credential was configured.
    MissingCredential {
        /// Provider name.
        provider: &'static str,
        /// The env vars that would provide one, joined with " or ".
        env_vars: String,
    },
    /// The provider publishes no base URL and none was configured.
    MissingBaseUrl {
        /// Provider name.
        provider: &'static str,
        /// The env var that sets it.
        env_var: &'static str,
    },
    /// The base URL is not an absolute http(s) URL.
    InvalidBaseUrl {
        /// Provider name.
        provider: &'static str,
        /// The rejected value.
        url: String,
        /// Where it came from (an env var, code or the spec).
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A credential cannot be sent as an HTTP header value.
    InvalidCredential {
        /// Provider name.
        provider: &'static str,
        /// Where it came from (an env var or code); never the value.
        origin: String,
    },
    /// A credential was given for a scheme the spec does not declare.
    UnknownScheme {
        /// Provider name.
        provider: &'static str,
        /// The scheme asked for.
        scheme: String,
        /// The schemes the spec declares, comma-separated.
        known: String,
    },
    /// An env var is set but is not valid Unicode.
    NotUnicode {
        /// Provider name.
        provider: &'static str,
        /// The env var.
        env_var: &'static str,
    },
    /// The env var named with [`ClientConfig::credential_from_env`] is set but is not valid
    /// Unicode (like [`ConfigError::NotUnicode`], for a name known only at run time).
    NamedEnvNotUnicode {
        /// Provider name.
        provider: &'static str,
        /// The env var.
        env_var: String,
    },
    /// A `User-Agent` that is not a valid header value.
    InvalidUserAgent {
        /// Provider name.
        provider: &'static str,
        /// The rejected value.
        user_agent: String,
    },
    /// A configuration made for one provider was given to another provider's client.
    WrongProvider {
        /// The provider the configuration is for.
        configured: &'static str,
        /// The provider of the client it was given to.
        expected: &'static str,
    },
    /// The HTTP client could not be built (TLS set-up).
    HttpClient {
        /// Provider name.
        provider: &'static str,
        /// The underlying error.
        source: reqwest::Error,
    },
}

// Display and Error are written out rather than derived: every generated crate depends on this
// one, and thiserror would add two crates (and a proc-macro build) to each of them.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::MissingCredential { provider, env_vars } => write!(
                f,
                "{provider}: no credential configured: set {env_vars}, or pass one in code"
            ),
            ConfigError::MissingBaseUrl { provider, env_var } => write!(
                f,
                "{provider}: no base URL configured and the provider publishes none: set {env_var} \
         to the API's URL (a key is never sent to a guessed host)"
            ),
            ConfigError::InvalidBaseUrl {
                provider,
                url,
                origin,
                reason,
            } => write!(
                f,
                "{provider}: invalid base URL {url:?} from {origin}: {reason}"
            ),
            ConfigError::InvalidCredential { provider, origin } => write!(
                f,
                "{provider}: the credential from {origin} cannot be sent as its scheme asks \
         (it is empty or contains a control character such as CR or LF, a non-ASCII byte, or \
         `;` in a cookie): check {origin}"
            ),
            ConfigError::UnknownScheme {
                provider,
                scheme,
                known,
            } => write!(
                f,
                "{provider}: unknown credential scheme {scheme:?}; the spec declares: {known}"
            ),
            ConfigError::NotUnicode { provider, env_var } => write!(
                f,
                "{provider}: env var {env_var} is set but is not valid Unicode"
            ),
            ConfigError::NamedEnvNotUnicode { provider, env_var } => write!(
                f,
                "{provider}: env var {env_var} is set but is not valid Unicode"
            ),
            ConfigError::InvalidUserAgent {
                provider,
                user_agent,
            } => write!(
                f,
                "{provider}: the user agent {user_agent:?} is not a valid HTTP header value"
            ),
            ConfigError::WrongProvider {
                configured,
                expected,
            } => write!(
                f,
                "a configuration for {configured} was given to the {expected} client: start from that client's `config()`"
            ),
            ConfigError::HttpClient { provider, source } => {
                write!(f, "{provider}: could not build the HTTP client: {source}")
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::HttpClient { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Configuration of one provider client: base URL, credential, timeouts, user agent.
///
/// Start from [`ClientConfig::from_env`] (reads `<PROVIDER>_API_KEY`-style and
/// `<PROVIDER>_BASE_URL` variables) or [`ClientConfig::new`] (spec defaults only), adjust with
/// the builder methods, and hand it to the generated client's `from_config`, which reports any
/// problem as a [`ConfigError`].
///
/// ```
/// # use billfold_runtime::{AuthKind, ClientConfig, CredentialSpec, Provider};
/// # static P: Provider = Provider {
/// #     id: "olostep", name: "Olostep", user_agent: "billfold-olostep/0.1.0",
/// #     default_base_url: Some("https://api.olostep.com"), base_url_env: "OLOSTEP_BASE_URL",
/// #     credentials: &[CredentialSpec { scheme: "Authorization", kind: AuthKind::Bearer, env_var: "OLOSTEP_API_KEY" }],
/// #     security: &[],
/// # };
/// use std::time::Duration;
/// let config = ClientConfig::new(&P)
///     .credential("Authorization", "my-key")
///     .base_url("http://127.0.0.1:8080/")
///     .timeout(Duration::from_secs(5));
/// let parts = config.build().unwrap();
/// assert_eq!(parts.base_url, "http://127.0.0.1:8080");
/// ```
#[derive(Clone)]
pub struct ClientConfig {
    provider: &'static Provider,
    base_url: Option<(String, Origin)>,
    /// Every credential configured: (scheme, secret, where it came from).
    credentials: Vec<(String, Secret, Origin)>,
    /// An OAuth2 token URL that replaces the spec's.
    token_url: Option<String>,
    env_error: Option<&'static str>,
    /// Set by [`ClientConfig::credential_from_env`]: the env var the credential is read from,
    /// and whether it is set but not Unicode.
    named_credential_env: Option<(String, bool)>,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    max_response_bytes: u64,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("provider", &self.provider.id)
            .field("base_url", &self.base_url.as_ref().map(|(url, _)| url))
            .field(
                "credentials",
                &self
                    .credentials
                    .iter()
                    .map(|(scheme, _, origin)| format!("{scheme} from {origin} (redacted)"))
                    .collect::<Vec<_>>(),
            )
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// What [`ClientConfig::build`] produces: everything a generated client is made of.
///
/// ```
/// # use billfold_runtime::{AuthKind, ClientConfig, CredentialSpec, Provider};
/// # static P: Provider = Provider {
/// #     id: "aiml", name: "AIML API", user_agent: "billfold-aiml/0.1.0",
/// #     default_base_url: Some("https://billing.aimlapi.com"), base_url_env: "AIML_BASE_URL",
/// #     credentials: &[CredentialSpec { scheme: "bearerAuth", kind: AuthKind::Bearer, env_var: "AIML_API_KEY" }],
/// #     security: &[],
/// # };
/// let parts = ClientConfig::new(&P).credential("bearerAuth", "k").build().unwrap();
/// assert_eq!(parts.runtime.provider().id, "aiml");
/// ```
#[derive(Debug)]
pub struct ClientParts {
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// The HTTP client, with timeouts and user agent set.
    pub http: reqwest::Client,
    /// The per-request state (credential) the generated client carries.
    pub runtime: Runtime,
}

impl ClientConfig {
    /// A configuration with the spec's defaults: default base URL (if the provider has one),
    /// no credential, default timeouts and user agent.
    pub fn new(provider: &'static Provider) -> Self {
        Self {
            provider,
            base_url: provider
                .default_base_url
                .map(|url| (url.to_owned(), Origin::Default)),
            credentials: Vec::new(),
            token_url: None,
            env_error: None,
            named_credential_env: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: provider.user_agent.to_owned(),
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// A configuration read from the environment: the base URL from the provider's
    /// `<PROVIDER>_BASE_URL` (else the spec's default), every credential whose env var is set
    /// and non-empty (each operation sends the first of its requirements whose credentials
    /// are all set), and an OAuth2 token URL from `<PROVIDER>_TOKEN_URL` if set.
    pub fn from_env(provider: &'static Provider) -> Self {
        let mut config = Self::new(provider);
        match read_env(provider.base_url_env) {
            Ok(Some(url)) => {
                config.base_url = Some((url, Origin::Env(Cow::Borrowed(provider.base_url_env))))
            }
            Ok(None) => {}
            Err(var) => config.env_error = Some(var),
        }
        if let Ok(url) = std::env::var(token_url_env(provider))
            && !url.trim().is_empty()
        {
            config.token_url = Some(url);
        }
        for spec in provider.credentials {
            match read_env(spec.env_var) {
                Ok(Some(secret)) => {
                    config.credentials.push((
                        spec.scheme.to_owned(),
                        Secret::new(secret),
                        Origin::Env(Cow::Borrowed(spec.env_var)),
                    ));
                }
                Ok(None) => {}
                Err(var) => {
                    config.env_error.get_or_insert(var);
                }
            }
        }
        config
    }

    /// Sets the base URL (scheme, host, optional port and path prefix).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some((url.into(), Origin::Code));
        self
    }

    /// Sets the base URL like [`ClientConfig::base_url`], saying where it came from (for example
    /// `base_url of account "team-b" in /home/me/.config/billfold/config.toml`), so that an
    /// invalid URL is reported with that place instead of "the value passed in code".
    ///
    /// ```
    /// # use billfold_runtime::{AuthKind, ClientConfig, CredentialSpec, Provider};
    /// # static P: Provider = Provider {
    /// #     id: "aiml", name: "AIML API", user_agent: "billfold-aiml/0.1.0",
    /// #     default_base_url: Some("https://billing.aimlapi.com"), base_url_env: "AIML_BASE_URL",
    /// #     credentials: &[CredentialSpec { scheme: "bearerAuth", kind: AuthKind::Bearer, env_var: "AIML_API_KEY" }],
    /// #     security: &[],
    /// # };
    /// let err = ClientConfig::new(&P)
    ///     .credential("bearerAuth", "k")
    ///     .base_url_from("not a url", "base_url in config.toml")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("from base_url in config.toml"), "{err}");
    /// ```
    pub fn base_url_from(mut self, url: impl Into<String>, origin: impl Into<String>) -> Self {
        self.base_url = Some((url.into(), Origin::Described(origin.into())));
        self
    }

    /// Sets the credential for one of the spec's security schemes (by its name in the spec),
    /// beside any others already set (one per scheme; setting a scheme again replaces it).
    /// What the secret holds depends on the scheme: a token or key, `user:password` for HTTP
    /// basic, `client_id:client_secret` for OAuth2 client credentials.
    pub fn credential(mut self, scheme: &str, secret: impl Into<Secret>) -> Self {
        self.credentials.retain(|(s, _, _)| s != scheme);
        self.credentials
            .push((scheme.to_owned(), secret.into(), Origin::Code));
        self
    }

    /// Sets the OAuth2 token URL, replacing the one the spec declares (a staging or local
    /// token server). `<PROVIDER>_TOKEN_URL` does the same from the environment.
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// Replaces the credential with the one in the env var `env_var`, a name known only at run
    /// time (one account's variable from a configuration file, say), sent with `scheme` (a
    /// security scheme of the spec). The variable is read now. Every error then names
    /// `env_var`, never its value: unset or blank is [`ConfigError::MissingCredential`] saying
    /// to set `env_var`; not Unicode is [`ConfigError::NamedEnvNotUnicode`]. Problems with
    /// the provider's own credential variables no longer matter once this is called.
    ///
    /// ```
    /// # use billfold_runtime::{AuthKind, ClientConfig, ConfigError, CredentialSpec, Provider};
    /// # static P: Provider = Provider {
    /// #     id: "aiml", name: "AIML API", user_agent: "billfold-aiml/0.1.0",
    /// #     default_base_url: Some("https://billing.aimlapi.com"), base_url_env: "AIML_BASE_URL",
    /// #     credentials: &[CredentialSpec { scheme: "bearerAuth", kind: AuthKind::Bearer, env_var: "AIML_API_KEY" }],
    /// #     security: &[],
    /// # };
    /// let err = ClientConfig::new(&P)
    ///     .credential_from_env("bearerAuth", "BILLFOLD_DOC_UNSET_TEAM_KEY")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(matches!(err, ConfigError::MissingCredential { .. }));
    /// assert!(err.to_string().contains("set BILLFOLD_DOC_UNSET_TEAM_KEY"), "{err}");
    /// ```
    pub fn credential_from_env(mut self, scheme: &str, env_var: impl Into<String>) -> Self {
        let env_var = env_var.into();
        let mut not_unicode = false;
        self.credentials = match std::env::var(&env_var) {
            Ok(value) if value.trim().is_empty() => Vec::new(),
            Ok(value) => vec![(
                scheme.to_owned(),
                Secret::new(value),
                Origin::Env(Cow::Owned(env_var.clone())),
            )],
            Err(std::env::VarError::NotPresent) => Vec::new(),
            Err(std::env::VarError::NotUnicode(_)) => {
                not_unicode = true;
                Vec::new()
            }
        };
        // Only a failure to read the base URL's variable still counts.
        self.env_error = self
            .env_error
            .filter(|var| *var == self.provider.base_url_env);
        self.named_credential_env = Some((env_var, not_unicode));
        self
    }

    /// Sets the total time allowed for one request, body included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the time allowed to establish a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Replaces the `User-Agent` header (default `billfold-<provider>/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets how many times a failed idempotent request is retried (default 2; 0 disables).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// Sets the backoff between retries: the first delay, doubled each time (with jitter) up
    /// to `max` (defaults 500 ms and 8 s).
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry.initial_backoff = initial;
        self.retry.max_backoff = max;
        self
    }

    /// Sets the longest server-requested wait (`Retry-After`) honoured before a retry
    /// (default 60 s); a server asking for more gets no retry and the caller the response.
    pub fn max_retry_wait(mut self, wait: Duration) -> Self {
        self.retry.max_retry_wait = wait;
        self
    }

    /// Sets the largest response body read, in bytes (default 16 MiB). A body passing it ends
    /// the call with [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge) as soon as the
    /// limit is passed; the rest is never read or buffered.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Replaces the whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The provider this configuration is for.
    pub fn provider(&self) -> &'static Provider {
        self.provider
    }

    /// Checks that this configuration is for `provider` (generated clients call this).
    #[doc(hidden)]
    pub fn for_provider(self, provider: &'static Provider) -> Result<Self, ConfigError> {
        if self.provider.id == provider.id {
            Ok(self)
        } else {
            Err(ConfigError::WrongProvider {
                configured: self.provider.name,
                expected: provider.name,
            })
        }
    }

    /// Validates the configuration and builds the HTTP client and runtime state (generated
    /// clients call this from `from_config`).
    #[doc(hidden)]
    pub fn build(self) -> Result<ClientParts, ConfigError> {
        let provider = self.provider;
        if let Some(env_var) = self.env_error {
            return Err(ConfigError::NotUnicode {
                provider: provider.name,
                env_var,
            });
        }
        if let Some((env_var, true)) = &self.named_credential_env {
            return Err(ConfigError::NamedEnvNotUnicode {
                provider: provider.name,
                env_var: env_var.clone(),
            });
        }
        // The credential first: with nothing set, "not configured" is the clearer message. A
        // provider whose spec declares no scheme needs none.
        let named_env = self.named_credential_env;
        if self.credentials.is_empty() && !provider.credentials.is_empty() {
            return Err(ConfigError::MissingCredential {
                provider: provider.name,
                env_vars: named_env
                    .map(|(var, _)| var)
                    .unwrap_or_else(|| provider.credential_env_vars()),
            });
        }
        let (url, url_origin) = self.base_url.ok_or(ConfigError::MissingBaseUrl {
            provider: provider.name,
            env_var: provider.base_url_env,
        })?;
        let base_url = validate_base_url(&url).map_err(|reason| ConfigError::InvalidBaseUrl {
            provider: provider.name,
            url: url.clone(),
            origin: url_origin.to_string(),
            reason,
        })?;

        let mut specs = Vec::new();
        for (scheme, secret, origin) in &self.credentials {
            let spec =
                provider
                    .credential_spec(scheme)
                    .ok_or_else(|| ConfigError::UnknownScheme {
                        provider: provider.name,
                        scheme: scheme.clone(),
                        known: provider
                            .credentials
                            .iter()
                            .map(|c| c.scheme)
                            .collect::<Vec<_>>()
                            .join(", "),
                    })?;
            specs.push((spec, secret, origin));
        }
        let credentials = Credentials::new(
            specs
                .iter()
                .map(|(spec, secret, _)| (*spec, *secret))
                .collect(),
            &base_url,
            self.token_url.as_deref(),
        )
        .map_err(|(spec, _)| ConfigError::InvalidCredential {
            provider: provider.name,
            origin: specs
                .iter()
                .find(|(s, _, _)| s.scheme == spec.scheme)
                .map(|(_, _, origin)| origin.to_string())
                .unwrap_or_default(),
        })?;

        let user_agent =
            HeaderValue::from_str(&self.user_agent).map_err(|_| ConfigError::InvalidUserAgent {
                provider: provider.name,
                user_agent: self.user_agent.clone(),
            })?;
        let http = crate::http_client::shared(self.timeout, self.connect_timeout, user_agent)
            .map_err(|source| ConfigError::HttpClient {
                provider: provider.name,
                source,
            })?;

        Ok(ClientParts {
            base_url,
            http,
            runtime: Runtime::new(provider, credentials, self.retry, self.max_response_bytes),
        })
    }
}

/// Reads an env var: `Ok(None)` when unset or blank, `Err(name)` when not Unicode.
fn read_env(var: &'static str) -> Result<Option<String>, &'static str> {
    match std::env::var(var) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(var),
    }
}

/// Checks that `url` is an absolute http(s) URL and returns it without a trailing slash.
fn validate_base_url(url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("scheme {:?} is not http or https", parsed.scheme()));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("it has no host".to_owned());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err("a base URL cannot have a query or fragment".to_owned());
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// The env var that overrides a provider's OAuth2 token URL: its base URL variable with
/// `_TOKEN_URL` for `_BASE_URL` (`ACME_BASE_URL` → `ACME_TOKEN_URL`).
pub(crate) fn token_url_env(provider: &Provider) -> String {
    let stem = provider
        .base_url_env
        .strip_suffix("_BASE_URL")
        .unwrap_or(provider.base_url_env);
    format!("{stem}_TOKEN_URL")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthKind, CredentialSpec};

    static P: Provider = Provider {
        id: "neo",
        name: "ProjectDiscovery Neo",
        user_agent: "billfold-neo/0.1.0",
        default_base_url: Some("https://neo.example"),
        base_url_env: "BILLFOLD_TEST_NEO_BASE_URL",
        credentials: &[
            CredentialSpec {
                scheme: "BearerAuth",
                kind: AuthKind::Bearer,
                env_var: "BILLFOLD_TEST_NEO_TOKEN",
            },
            CredentialSpec {
                scheme: "ApiKeyAuth",
                kind: AuthKind::ApiKeyHeader("X-Api-Key"),
                env_var: "BILLFOLD_TEST_NEO_API_KEY",
            },
        ],
        security: &[],
    };

    #[test]
    fn missing_credential_names_every_env_var() {
        let err = ClientConfig::new(&P).build().unwrap_err();
        assert_eq!(
            err.to_string(),
            "ProjectDiscovery Neo: no credential configured: set BILLFOLD_TEST_NEO_TOKEN or \
             BILLFOLD_TEST_NEO_API_KEY, or pass one in code"
        );
    }

    #[test]
    fn credential_with_newline_is_rejected_without_echoing_it() {
        let err = ClientConfig::new(&P)
            .credential("ApiKeyAuth", "abc\r\nX-Evil: 1")
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::InvalidCredential { .. }));
        let text = format!("{err} {err:?}");
        assert!(!text.contains("abc"), "{text}");
        assert!(!text.contains("X-Evil"), "{text}");
    }

    #[test]
    fn unknown_scheme_lists_known_ones() {
        let err = ClientConfig::new(&P)
            .credential("Basic", "k")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("BearerAuth, ApiKeyAuth"), "{err}");
    }

    #[test]
    fn base_url_is_validated_and_normalised() {
        let ok = ClientConfig::new(&P)
            .credential("BearerAuth", "t")
            .base_url("http://127.0.0.1:9/prefix/")
            .build()
            .unwrap();
        assert_eq!(ok.base_url, "http://127.0.0.1:9/prefix");
        for bad in ["127.0.0.1:9", "ftp://x", "not a url", "https://x/?q=1"] {
            let err = ClientConfig::new(&P)
                .credential("BearerAuth", "t")
                .base_url(bad)
                .build()
                .unwrap_err();
            assert!(
                matches!(err, ConfigError::InvalidBaseUrl { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn debug_of_config_and_parts_is_redacted() {
        let config = ClientConfig::new(&P).credential("BearerAuth", "s3cr3t-token");
        assert!(!format!("{config:?}").contains("s3cr3t"));
        let parts = config.build().unwrap();
        assert!(!format!("{parts:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_named_env_var_that_is_unset_is_named_in_the_error() {
        let err = ClientConfig::from_env(&P)
            .credential_from_env("ApiKeyAuth", "BILLFOLD_TEST_UNSET_TEAM_KEY")
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::MissingCredential { .. }));
        assert_eq!(
            err.to_string(),
            "ProjectDiscovery Neo: no credential configured: set BILLFOLD_TEST_UNSET_TEAM_KEY, \
             or pass one in code"
        );
    }

    #[test]
    fn a_named_env_var_is_read_and_sent_with_the_scheme() {
        // PATH is set in any test environment and is a valid header value.
        let Ok(path) = std::env::var("PATH") else {
            return;
        };
        let config = ClientConfig::new(&P).credential_from_env("ApiKeyAuth", "PATH");
        assert!(!format!("{config:?}").contains(&path));
        let parts = config.build().unwrap();
        assert!(!format!("{parts:?}").contains(&path));
        let err = ClientConfig::new(&P)
            .credential_from_env("Nope", "PATH")
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::UnknownScheme { .. }), "{err}");
    }

    #[test]
    fn a_described_base_url_is_reported_with_its_place() {
        let err = ClientConfig::new(&P)
            .credential("BearerAuth", "t")
            .base_url_from("ftp://x", "base_url of account \"b\" in c.toml")
            .build()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("\"ftp://x\" from base_url of account \"b\" in c.toml"),
            "{err}"
        );
    }
}
