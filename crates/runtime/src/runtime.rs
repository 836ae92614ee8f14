//! The per-client state a generated client carries, and what it does around each request.

use std::fmt;

use crate::auth::Credentials;
use crate::call::record_response;
use crate::provider::Provider;
use crate::retry::RetryPolicy;

/// The state a generated client carries: which provider it talks to and its credential.
///
/// Made when a client is built from a [`ClientConfig`](crate::ClientConfig); the hooks that
/// [`client!`](crate::client) defines call `prepare` and `execute` for every request. Its
/// `Debug` output never shows the credential.
///
/// ```
/// # use billfold_runtime::{AuthKind, ClientConfig, CredentialSpec, Provider};
/// # static P: Provider = Provider {
/// #     id: "anchor", name: "Anchor Browser", user_agent: "billfold-anchor/0.1.0",
/// #     default_base_url: Some("https://api.anchorbrowser.io"), base_url_env: "ANCHOR_BASE_URL",
/// #     credentials: &[CredentialSpec { scheme: "api_key_header", kind: AuthKind::ApiKeyHeader("anchor-api-key"), env_var: "ANCHOR_API_KEY" }],
/// #     security: &[],
/// # };
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let runtime = ClientConfig::new(&P).credential("api_key_header", "sk-1").build().unwrap().runtime;
/// let mut request = reqwest::Request::new(reqwest::Method::GET, "https://api.anchorbrowser.io/v1/billing".parse().unwrap());
/// runtime.prepare(&reqwest::Client::new(), &mut request, "get_billing").await.unwrap();
/// assert_eq!(request.headers()["anchor-api-key"], "sk-1");
/// assert!(request.headers()["anchor-api-key"].is_sensitive());
/// assert!(!format!("{runtime:?}").contains("sk-1"));
/// # });
/// ```
#[derive(Clone)]
pub struct Runtime {
    provider: &'static Provider,
    credentials: Credentials,
    retry: RetryPolicy,
    max_response_bytes: u64,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("provider", &self.provider.id)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

impl Runtime {
    pub(crate) fn new(
        provider: &'static Provider,
        credentials: Credentials,
        retry: RetryPolicy,
        max_response_bytes: u64,
    ) -> Self {
        Self {
            provider,
            credentials,
            retry,
            max_response_bytes,
        }
    }

    /// The provider this client talks to.
    pub fn provider(&self) -> &'static Provider {
        self.provider
    }

    /// The security schemes this client has credentials for, in the order configured.
    pub fn credential_schemes(&self) -> Vec<&'static str> {
        self.credentials.schemes().collect()
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

    /// Puts the credentials `operation` needs (by its security requirements) on a request the
    /// generated code built: headers marked sensitive, query parameters or cookies, an OAuth2
    /// token fetched with `http` when none is current. Fails, naming the env vars to set, when
    /// none of the operation's requirements is configured. (The generator removes progenitor's
    /// undeclared `api-version` header from the generated code, so there is nothing to take
    /// off here.)
    #[doc(hidden)]
    pub async fn prepare(
        &self,
        http: &reqwest::Client,
        request: &mut reqwest::Request,
        operation: &str,
    ) -> Result<(), String> {
        self.credentials
            .apply(self.provider, http, request, operation)
            .await?;
        crate::multipart::attach(request);
        Ok(())
    }

    /// The largest response body this client reads, in bytes.
    pub fn max_response_bytes(&self) -> u64 {
        self.max_response_bytes
    }

    /// Sends a prepared request once and records its status for the error mapping (retries
    /// happen a level up, in [`call`](crate::call), which rebuilds the request each attempt).
    /// A body that may be larger than [`Runtime::max_response_bytes`] is read through a limit
    /// that fails as soon as it is passed.
    #[doc(hidden)]
    pub async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let response = http.execute(request).await?;
        record_response(&response);
        Ok(limit_body(response, self.max_response_bytes))
    }
}

/// The response, with its body limited to `limit` bytes unless its declared length already is.
fn limit_body(response: reqwest::Response, limit: u64) -> reqwest::Response {
    // The common case costs nothing: hyper enforces a declared Content-Length.
    if response
        .content_length()
        .is_some_and(|length| length <= limit)
    {
        return response;
    }
    let response: http::Response<reqwest::Body> = response.into();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    response
        .map(|body| reqwest::Body::wrap(http_body_util::Limited::new(body, limit)))
        .into()
}
