//! Putting the configured credentials on a request, as each operation's security requirements
//! ask.
//!
//! A client holds every credential it was configured with. For each request it takes the
//! operation's requirements (alternatives, each a set of schemes sent together, in the spec's
//! order), picks the first alternative whose credentials are all configured, and sends those:
//! headers marked sensitive, query parameters, cookies, HTTP basic, or an OAuth2 access token
//! fetched with client credentials and kept until it expires. An operation the provider does
//! not list takes the first configured credential.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderName, HeaderValue};

use crate::provider::{AuthKind, CredentialSpec, Provider};
use crate::secret::Secret;

/// How long before its stated expiry an OAuth2 token is fetched anew.
const TOKEN_EXPIRY_MARGIN: Duration = Duration::from_secs(30);
/// The lifetime assumed for a token whose response states none.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The largest token response read.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;

/// One configured credential, ready to send.
#[derive(Clone)]
struct Configured {
    spec: &'static CredentialSpec,
    wire: Wire,
}

/// What a credential puts on the wire, prepared once when the client is built.
#[derive(Clone)]
enum Wire {
    Header(HeaderName, HeaderValue),
    Query(&'static str, Secret),
    Cookie(String),
    OAuth2(Arc<TokenSource>),
}

/// An OAuth2 client-credentials token endpoint, its client and the token it last gave.
struct TokenSource {
    token_url: String,
    scopes: &'static str,
    client: HeaderValue,
    cached: Mutex<Option<(HeaderValue, Instant)>>,
}

/// Every credential a client was configured with.
#[derive(Clone)]
pub(crate) struct Credentials {
    configured: Vec<Configured>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.configured
                    .iter()
                    .map(|c| format!("{} (redacted)", c.spec.scheme)),
            )
            .finish()
    }
}

/// Why a secret cannot be sent as its scheme asks (the message never holds the secret).
#[derive(Debug)]
pub(crate) struct Unsendable;

impl Credentials {
    /// Prepares each (scheme, secret) for the wire; `base_url` resolves a relative OAuth2
    /// token URL, and `token_url` overrides the spec's.
    pub(crate) fn new(
        specs: Vec<(&'static CredentialSpec, &Secret)>,
        base_url: &str,
        token_url: Option<&str>,
    ) -> Result<Self, (&'static CredentialSpec, Unsendable)> {
        let mut configured = Vec::new();
        for (spec, secret) in specs {
            let wire = wire(spec, secret, base_url, token_url).ok_or((spec, Unsendable))?;
            configured.push(Configured { spec, wire });
        }
        Ok(Self { configured })
    }

    /// The schemes configured, in order.
    pub(crate) fn schemes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.configured.iter().map(|c| c.spec.scheme)
    }

    fn get(&self, scheme: &str) -> Option<&Configured> {
        self.configured.iter().find(|c| c.spec.scheme == scheme)
    }

    /// The credentials to send for `operation`, or a message naming what to set.
    fn chosen(
        &self,
        provider: &'static Provider,
        operation: &str,
    ) -> Result<Vec<&Configured>, String> {
        let Some(requirements) = provider.requirements_of(operation) else {
            // Not listed: the first configured credential, in the provider's order.
            return Ok(provider
                .credentials
                .iter()
                .find_map(|spec| self.get(spec.scheme))
                .into_iter()
                .collect());
        };
        if requirements.is_empty() {
            return Ok(Vec::new());
        }
        for alternative in requirements.iter().filter(|a| !a.is_empty()) {
            let found: Vec<&Configured> = alternative.iter().filter_map(|s| self.get(s)).collect();
            if found.len() == alternative.len() {
                return Ok(found);
            }
        }
        if requirements.iter().any(|a| a.is_empty()) {
            return Ok(Vec::new());
        }
        let wanted: Vec<String> = requirements
            .iter()
            .map(|alternative| {
                alternative
                    .iter()
                    .map(|scheme| {
                        provider
                            .credential_spec(scheme)
                            .map_or(*scheme, |spec| spec.env_var)
                    })
                    .collect::<Vec<_>>()
                    .join(" and ")
            })
            .collect();
        Err(format!(
            "{} {operation} needs a credential this client was not given: set {}",
            provider.name,
            wanted.join(", or ")
        ))
    }

    /// Puts the credentials `operation` needs on `request`, fetching an OAuth2 token with
    /// `http` when one is needed and none is current.
    pub(crate) async fn apply(
        &self,
        provider: &'static Provider,
        http: &reqwest::Client,
        request: &mut reqwest::Request,
        operation: &str,
    ) -> Result<(), String> {
        for credential in self.chosen(provider, operation)? {
            match &credential.wire {
                Wire::Header(name, value) => {
                    request.headers_mut().insert(name.clone(), value.clone());
                }
                Wire::Query(name, secret) => {
                    request
                        .url_mut()
                        .query_pairs_mut()
                        .append_pair(name, secret.expose());
                }
                Wire::Cookie(pair) => add_cookie(request, pair),
                Wire::OAuth2(source) => {
                    let token = source.token(http).await?;
                    request.headers_mut().insert(AUTHORIZATION, token);
                }
            }
        }
        Ok(())
    }
}

/// Appends `name=value` to the request's `Cookie` header (marked sensitive).
fn add_cookie(request: &mut reqwest::Request, pair: &str) {
    let joined = match request.headers().get(COOKIE).and_then(|v| v.to_str().ok()) {
        Some(existing) if !existing.is_empty() => format!("{existing}; {pair}"),
        _ => pair.to_owned(),
    };
    if let Ok(mut value) = HeaderValue::from_str(&joined) {
        value.set_sensitive(true);
        request.headers_mut().insert(COOKIE, value);
    }
}

/// A header value marked sensitive, if `text` is a valid one.
fn sensitive(text: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(text).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// `<prefix> <secret>`; a secret that already starts with `<prefix> ` (in any case: a user who
/// copied `Key abc` from the provider's docs) is not prefixed twice. `None` when the prefix is
/// not one RFC 7235 token.
fn prefixed(prefix: &str, secret: &str) -> Option<String> {
    let token = !prefix.is_empty()
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        return None;
    }
    let rest = secret
        .get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .and_then(|_| secret.get(prefix.len()..))
        .and_then(|rest| rest.strip_prefix(' '))
        .map(str::trim_start);
    Some(format!("{prefix} {}", rest.unwrap_or(secret)))
}

/// `Basic <base64 of user:password>`; a secret without `:` is the user with no password.
fn basic(secret: &str) -> Option<HeaderValue> {
    let pair = if secret.contains(':') {
        secret.to_owned()
    } else {
        format!("{secret}:")
    };
    sensitive(&format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

fn wire(
    spec: &'static CredentialSpec,
    secret: &Secret,
    base_url: &str,
    token_url: Option<&str>,
) -> Option<Wire> {
    let raw = secret.expose().trim();
    if raw.is_empty() || raw.chars().any(char::is_control) {
        return None;
    }
    Some(match spec.kind {
        AuthKind::Bearer => Wire::Header(AUTHORIZATION, sensitive(&format!("Bearer {raw}"))?),
        AuthKind::Basic => Wire::Header(AUTHORIZATION, basic(raw)?),
        AuthKind::ApiKeyHeader(name) => Wire::Header(
            HeaderName::from_bytes(name.as_bytes()).ok()?,
            sensitive(raw)?,
        ),
        AuthKind::ApiKeyHeaderPrefixed { header, prefix } => Wire::Header(
            HeaderName::from_bytes(header.as_bytes()).ok()?,
            sensitive(&prefixed(prefix, raw)?)?,
        ),
        AuthKind::ApiKeyQuery(name) => Wire::Query(name, Secret::new(raw)),
        AuthKind::ApiKeyCookie(name) => {
            if raw.contains(';') {
                return None;
            }
            Wire::Cookie(format!("{name}={raw}"))
        }
        AuthKind::OAuth2ClientCredentials {
            token_url: declared,
            scopes,
        } => Wire::OAuth2(Arc::new(TokenSource {
            token_url: resolve(token_url.unwrap_or(declared), base_url)?,
            scopes,
            client: basic(raw)?,
            cached: Mutex::new(None),
        })),
    })
}

/// An absolute token URL as it is; a relative one against the base URL.
fn resolve(token_url: &str, base_url: &str) -> Option<String> {
    if let Ok(url) = reqwest::Url::parse(token_url) {
        return Some(url.to_string());
    }
    let base = reqwest::Url::parse(&format!("{}/", base_url.trim_end_matches('/'))).ok()?;
    let joined = if token_url.starts_with('/') {
        base.join(token_url).ok()?
    } else {
        base.join(token_url.trim_start_matches("./")).ok()?
    };
    Some(joined.to_string())
}

impl TokenSource {
    /// The current access token as an `Authorization` value, fetched when there is none or
    /// it is about to expire.
    async fn token(&self, http: &reqwest::Client) -> Result<HeaderValue, String> {
        if let Ok(cached) = self.cached.lock()
            && let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.fetch(http).await?;
        let until = Instant::now() + lifetime.saturating_sub(TOKEN_EXPIRY_MARGIN);
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((token.clone(), until));
        }
        Ok(token)
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<(HeaderValue, Duration), String> {
        let failed =
            |what: String| format!("fetching an OAuth2 token from {}: {what}", self.token_url);
        let mut form =
            reqwest::Url::parse("http://form.invalid/").map_err(|e| failed(e.to_string()))?;
        form.query_pairs_mut()
            .append_pair("grant_type", "client_credentials");
        if !self.scopes.is_empty() {
            form.query_pairs_mut().append_pair("scope", self.scopes);
        }
        let body = form.query().unwrap_or_default().to_owned();
        let response = http
            .post(&self.token_url)
            .header(AUTHORIZATION, self.client.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let json: serde_json::Value = if bytes.len() <= MAX_TOKEN_RESPONSE_BYTES {
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
        } else {
            serde_json::Value::Null
        };
        if !status.is_success() {
            // RFC 6749's `error` code says what is wrong without echoing anything secret.
            let code = json
                .get("error")
                .and_then(|e| e.as_str())
                .map(|code| format!(" ({code})"))
                .unwrap_or_default();
            return Err(failed(format!("HTTP {status}{code}")));
        }
        let token = json
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| failed("the response has no access_token".to_owned()))?;
        let value = sensitive(&format!("Bearer {token}"))
            .ok_or_else(|| failed("the access_token is not a valid header value".to_owned()))?;
        let lifetime = json
            .get("expires_in")
            .and_then(|e| e.as_u64().or_else(|| e.as_str()?.parse().ok()))
            .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
        Ok((value, lifetime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OperationAuth;

    static SPECS: [CredentialSpec; 4] = [
        CredentialSpec {
            scheme: "key",
            kind: AuthKind::ApiKeyQuery("api_key"),
            env_var: "T_KEY",
        },
        CredentialSpec {
            scheme: "basic",
            kind: AuthKind::Basic,
            env_var: "T_BASIC",
        },
        CredentialSpec {
            scheme: "team",
            kind: AuthKind::ApiKeyCookie("team"),
            env_var: "T_TEAM",
        },
        CredentialSpec {
            scheme: "bearer",
            kind: AuthKind::Bearer,
            env_var: "T_TOKEN",
        },
    ];
    static P: Provider = Provider {
        id: "t",
        name: "T",
        user_agent: "t/0",
        default_base_url: None,
        base_url_env: "T_BASE_URL",
        credentials: &SPECS,
        security: &[
            OperationAuth {
                operation: "open",
                requirements: &[],
            },
            OperationAuth {
                operation: "pair",
                requirements: &[&["key"], &["bearer", "team"]],
            },
        ],
    };

    fn request() -> reqwest::Request {
        reqwest::Request::new(
            reqwest::Method::GET,
            "http://127.0.0.1:9/x?a=1".parse().unwrap(),
        )
    }

    async fn sent(credentials: &Credentials, operation: &str) -> Result<reqwest::Request, String> {
        let mut request = request();
        crate::tls::ensure_crypto_provider();
        credentials
            .apply(&P, &reqwest::Client::new(), &mut request, operation)
            .await?;
        Ok(request)
    }

    #[tokio::test]
    async fn each_kind_goes_where_its_scheme_says() {
        let secrets = [Secret::new("u:p"), Secret::new("k&1"), Secret::new("t")];
        let configured = Credentials::new(
            vec![
                (&SPECS[1], &secrets[0]),
                (&SPECS[0], &secrets[1]),
                (&SPECS[3], &secrets[2]),
            ],
            "http://127.0.0.1:9",
            None,
        )
        .unwrap();
        // Not listed: the first configured credential in the provider's order (the query key).
        let r = sent(&configured, "other").await.unwrap();
        assert_eq!(r.url().query(), Some("a=1&api_key=k%261"));
        assert!(r.headers().get(AUTHORIZATION).is_none());
        // No requirements: nothing sent.
        let r = sent(&configured, "open").await.unwrap();
        assert_eq!(r.url().query(), Some("a=1"));
        // Basic alone.
        let basic_only =
            Credentials::new(vec![(&SPECS[1], &secrets[0])], "http://h", None).unwrap();
        let r = sent(&basic_only, "other").await.unwrap();
        assert_eq!(r.headers()[AUTHORIZATION], "Basic dTpw");
        assert!(r.headers()[AUTHORIZATION].is_sensitive());
        assert!(!format!("{basic_only:?}").contains("u:p"));
    }

    #[tokio::test]
    async fn two_schemes_required_together_are_sent_together() {
        let token = Secret::new("tok");
        let team = Secret::new("acme");
        let both = Credentials::new(
            vec![(&SPECS[3], &token), (&SPECS[2], &team)],
            "http://h",
            None,
        )
        .unwrap();
        let r = sent(&both, "pair").await.unwrap();
        assert_eq!(r.headers()[AUTHORIZATION], "Bearer tok");
        assert_eq!(r.headers()[COOKIE], "team=acme");
        // Half of a pair is not enough, and the message names what to set.
        let half = Credentials::new(vec![(&SPECS[3], &token)], "http://h", None).unwrap();
        let err = sent(&half, "pair").await.unwrap_err();
        assert_eq!(
            err,
            "T pair needs a credential this client was not given: set T_KEY, or T_TOKEN and T_TEAM"
        );
        assert!(!err.contains("tok"));
    }

    #[test]
    fn secrets_that_cannot_be_sent_are_refused() {
        let bad = Secret::new("a\r\nb");
        assert!(Credentials::new(vec![(&SPECS[3], &bad)], "http://h", None).is_err());
        let semicolon = Secret::new("a;b");
        assert!(Credentials::new(vec![(&SPECS[2], &semicolon)], "http://h", None).is_err());
    }

    #[test]
    fn a_prefix_is_added_once() {
        assert_eq!(prefixed("Key", "abc").as_deref(), Some("Key abc"));
        assert_eq!(prefixed("Key", "key  abc").as_deref(), Some("Key abc"));
        assert_eq!(prefixed("Key", "Keyabc").as_deref(), Some("Key Keyabc"));
        assert_eq!(prefixed("Key", "é").as_deref(), Some("Key é"));
        assert_eq!(prefixed("Two words", "abc"), None);
        assert_eq!(prefixed("", "abc"), None);
    }

    #[test]
    fn token_urls_resolve_against_the_base_url() {
        assert_eq!(
            resolve("/oauth/token", "http://h:1/api").as_deref(),
            Some("http://h:1/oauth/token")
        );
        assert_eq!(
            resolve("oauth/token", "http://h:1/api").as_deref(),
            Some("http://h:1/api/oauth/token")
        );
        assert_eq!(
            resolve("https://auth.example/t", "http://h").as_deref(),
            Some("https://auth.example/t")
        );
    }
}
