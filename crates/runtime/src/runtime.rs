//! The per-client state a generated client carries, and what it does around each request.

use std::fmt;

use reqwest::header::{HeaderName, HeaderValue};

use std::time::{Duration, Instant};

use crate::call::record_response;
use crate::provider::{CredentialSpec, Provider};
use crate::retry::{RetryPolicy, is_retryable_status, retry_after_body, retry_after_header};

/// Headers progenitor adds to every request that no provider asked for.
const UNDECLARED_HEADERS: &[&str] = &["api-version"];

/// The state a generated client carries: which provider it talks to and its credential.
///
/// Built by [`ClientConfig::build`](crate::ClientConfig::build); the generated crate's hooks call
/// [`Runtime::prepare`] and [`Runtime::execute`] for every request. Its `Debug` output never
/// shows the credential.
///
/// ```
/// # use billfold_runtime::{AuthKind, ClientConfig, CredentialSpec, Provider};
/// # static P: Provider = Provider {
/// #     id: "anchor", name: "Anchor Browser", user_agent: "billfold-anchor/0.1.0",
/// #     default_base_url: Some("https://api.anchorbrowser.io"), base_url_env: "ANCHOR_BASE_URL",
/// #     credentials: &[CredentialSpec { scheme: "api_key_header", kind: AuthKind::ApiKeyHeader("anchor-api-key"), env_var: "ANCHOR_API_KEY" }],
/// # };
/// let runtime = ClientConfig::new(&P).credential("api_key_header", "sk-1").build().unwrap().runtime;
/// let mut request = reqwest::Request::new(reqwest::Method::GET, "https://api.anchorbrowser.io/v1/billing".parse().unwrap());
/// request.headers_mut().insert("api-version", "1.0.0".parse().unwrap());
/// runtime.prepare(&mut request);
/// assert_eq!(request.headers()["anchor-api-key"], "sk-1");
/// assert!(request.headers().get("api-version").is_none());
/// assert!(!format!("{runtime:?}").contains("sk-1"));
/// ```
#[derive(Clone)]
pub struct Runtime {
    provider: &'static Provider,
    credential: &'static CredentialSpec,
    auth_name: HeaderName,
    auth_value: HeaderValue,
    retry: RetryPolicy,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("provider", &self.provider.id)
            .field("credential_scheme", &self.credential.scheme)
            .field("credential", &"<redacted>")
            .field("retry", &self.retry)
            .finish()
    }
}

impl Runtime {
    pub(crate) fn new(
        provider: &'static Provider,
        credential: &'static CredentialSpec,
        auth_name: HeaderName,
        auth_value: HeaderValue,
        retry: RetryPolicy,
    ) -> Self {
        Self {
            provider,
            credential,
            auth_name,
            auth_value,
            retry,
        }
    }

    /// The provider this client talks to.
    pub fn provider(&self) -> &'static Provider {
        self.provider
    }

    /// The security scheme whose credential this client sends.
    pub fn credential_scheme(&self) -> &'static CredentialSpec {
        self.credential
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The same runtime, but also retrying POST and PATCH requests (for requests the caller
    /// knows are safe to repeat).
    pub fn with_non_idempotent_retries(&self) -> Self {
        let mut copy = self.clone();
        copy.retry.non_idempotent = true;
        copy
    }

    /// Prepares a request built by the generated code: removes headers the provider never asked
    /// for and sets the credential header the spec names (marked sensitive).
    pub fn prepare(&self, request: &mut reqwest::Request) {
        let headers = request.headers_mut();
        for name in UNDECLARED_HEADERS {
            headers.remove(*name);
        }
        headers.insert(self.auth_name.clone(), self.auth_value.clone());
    }

    /// Sends a prepared request, retrying as the [`RetryPolicy`] allows: idempotent requests
    /// only (unless opted in), on connection errors and retryable statuses, waiting the
    /// jittered backoff or what the server asks for (`Retry-After`, or a JSON `retry_after`
    /// field) up to [`RetryPolicy::max_retry_wait`]. Timeouts are not retried: the configured
    /// timeout bounds what the caller waits for an unresponsive server. Each attempt is a
    /// tracing event.
    pub async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let may_retry = self.retry.may_retry(request.method());
        let mut request = request;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let spare = if may_retry && attempt <= self.retry.max_retries {
                request.try_clone()
            } else {
                None
            };
            let started = Instant::now();
            let outcome = http.execute(request).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            tracing::Span::current().record("attempts", attempt);
            let delay = match (outcome, spare) {
                (Ok(response), Some(spare)) if is_retryable_status(response.status()) => {
                    let status = response.status().as_u16();
                    tracing::debug!(attempt, status, elapsed_ms, "retryable response");
                    match self.server_delay(response, attempt).await? {
                        Ok(delay) => {
                            request = spare;
                            delay
                        }
                        Err(response) => {
                            record_response(&response);
                            return Ok(response);
                        }
                    }
                }
                (Ok(response), _) => {
                    tracing::debug!(
                        attempt,
                        status = response.status().as_u16(),
                        elapsed_ms,
                        "response"
                    );
                    record_response(&response);
                    return Ok(response);
                }
                (Err(error), Some(spare)) if error.is_connect() && !error.is_timeout() => {
                    tracing::debug!(attempt, elapsed_ms, error = %error, "connection failed");
                    request = spare;
                    self.retry.backoff(attempt)
                }
                (Err(error), _) => {
                    tracing::debug!(attempt, elapsed_ms, error = %error, "request failed");
                    return Err(error);
                }
            };
            tracing::info!(attempt, delay_ms = delay.as_millis() as u64, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// How long to wait before retrying after a retryable response: `Ok(delay)`, or
    /// `Err(response)` (whole again) when the server asks for longer than the policy allows.
    async fn server_delay(
        &self,
        response: reqwest::Response,
        attempt: u32,
    ) -> reqwest::Result<Result<Duration, reqwest::Response>> {
        if let Some(delay) = retry_after_header(response.headers()) {
            return Ok(self.allowed(delay, attempt).ok_or(response));
        }
        let (status, version, headers) = (
            response.status(),
            response.version(),
            response.headers().clone(),
        );
        let body = response.bytes().await?;
        Ok(match retry_after_body(&body) {
            Some(delay) => self
                .allowed(delay, attempt)
                .ok_or_else(|| rebuild(status, version, headers, body)),
            None => Ok(self.retry.backoff(attempt)),
        })
    }

    /// A server-requested delay, if the policy allows waiting that long.
    fn allowed(&self, delay: Duration, attempt: u32) -> Option<Duration> {
        if delay <= self.retry.max_retry_wait {
            Some(delay)
        } else {
            tracing::info!(
                attempt,
                asked_ms = delay.as_millis() as u64,
                "the server asks to wait longer than max_retry_wait; not retrying"
            );
            None
        }
    }
}

/// A response whose body was read, made whole again.
fn rebuild(
    status: reqwest::StatusCode,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    body: bytes::Bytes,
) -> reqwest::Response {
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.version_mut() = version;
    *response.headers_mut() = headers;
    reqwest::Response::from(response)
}
