//! The static description of a provider that each generated crate emits from its spec.

/// How a credential is put on a request, as the spec's `securitySchemes` declare it.
///
/// ```
/// use billfold_runtime::AuthKind;
/// assert_eq!(AuthKind::ApiKeyHeader("anchor-api-key").header_name(), Some("anchor-api-key"));
/// assert_eq!(AuthKind::Bearer.header_name(), Some("authorization"));
/// assert_eq!(AuthKind::ApiKeyQuery("api_key").header_name(), None);
/// assert_eq!(AuthKind::Basic.describe(), "Authorization: Basic <user:password>");
/// let fal = AuthKind::ApiKeyHeaderPrefixed { header: "Authorization", prefix: "Key" };
/// assert_eq!(fal.header_name(), Some("Authorization"));
/// assert_eq!(fal.describe(), "Authorization: Key <key>");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// `Authorization: Bearer <secret>` (`type: http, scheme: bearer`, and OAuth2 or OpenID
    /// Connect schemes whose access token the user obtains).
    Bearer,
    /// `Authorization: Basic <base64 of the secret>` (`type: http, scheme: basic`): the secret
    /// is `user:password`; one without `:` is the user name with an empty password (as
    /// providers that take the key as the user name expect).
    Basic,
    /// `<header>: <secret>` (`type: apiKey, in: header`).
    ApiKeyHeader(&'static str),
    /// `<header>: <prefix> <secret>`: an API key sent after a fixed word, as
    /// `Authorization: Key <key>` (a `type: http` scheme whose `scheme` is another RFC 7235
    /// auth-scheme than bearer or basic, or an `apiKey` header scheme given a
    /// `credential_prefix` in `specs/providers.toml`). A secret that already starts with
    /// `<prefix> ` (any case) is sent as it is, not prefixed twice.
    ApiKeyHeaderPrefixed {
        /// The header's name.
        header: &'static str,
        /// The word before the key (an RFC 7235 token, sent followed by one space).
        prefix: &'static str,
    },
    /// `?<name>=<secret>` (`type: apiKey, in: query`).
    ApiKeyQuery(&'static str),
    /// `Cookie: <name>=<secret>` (`type: apiKey, in: cookie`).
    ApiKeyCookie(&'static str),
    /// OAuth2 client credentials (`type: oauth2` with a `clientCredentials` flow): the secret
    /// is `client_id:client_secret`; the client fetches an access token from `token_url`
    /// (absolute, or relative to the base URL), keeps it until it expires, and sends it as a
    /// bearer token.
    OAuth2ClientCredentials {
        /// The token endpoint the spec declares.
        token_url: &'static str,
        /// The scopes to request, space-separated (empty: none requested).
        scopes: &'static str,
    },
}

impl AuthKind {
    /// The (lower-case, for the fixed ones) name of the header this scheme sets, if it sets
    /// one.
    pub fn header_name(&self) -> Option<&'static str> {
        match self {
            AuthKind::Bearer | AuthKind::Basic | AuthKind::OAuth2ClientCredentials { .. } => {
                Some("authorization")
            }
            AuthKind::ApiKeyHeader(name) => Some(name),
            AuthKind::ApiKeyHeaderPrefixed { header, .. } => Some(header),
            AuthKind::ApiKeyQuery(_) => None,
            AuthKind::ApiKeyCookie(_) => Some("cookie"),
        }
    }

    /// How the credential goes on the wire, for docs and messages (never the secret).
    pub fn describe(&self) -> String {
        match self {
            AuthKind::Bearer => "Authorization: Bearer <token>".to_owned(),
            AuthKind::Basic => "Authorization: Basic <user:password>".to_owned(),
            AuthKind::ApiKeyHeader(name) => format!("{name}: <key>"),
            AuthKind::ApiKeyHeaderPrefixed { header, prefix } => {
                format!("{header}: {prefix} <key>")
            }
            AuthKind::ApiKeyQuery(name) => format!("query parameter {name}=<key>"),
            AuthKind::ApiKeyCookie(name) => format!("cookie {name}=<key>"),
            AuthKind::OAuth2ClientCredentials { token_url, .. } => format!(
                "Authorization: Bearer <token from {token_url}, for client_id:client_secret>"
            ),
        }
    }
}

/// Which credentials one operation needs, from its security requirements.
///
/// ```
/// use billfold_runtime::OperationAuth;
/// // Either an API key alone, or a bearer token and a team id sent together.
/// let auth = OperationAuth { operation: "list_sandboxes", requirements: &[&["ApiKeyAuth"], &["Bearer", "Team"]] };
/// assert_eq!(auth.requirements[1].len(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationAuth {
    /// The operation (its method name, as progenitor's `OperationInfo` gives it).
    pub operation: &'static str,
    /// Alternatives, in the spec's order; each names the schemes sent together. An empty
    /// alternative means the operation may be called without a credential; no alternatives
    /// at all, that it takes none.
    pub requirements: &'static [&'static [&'static str]],
}

/// One credential a provider accepts: a security scheme of its spec and the env var it is read from.
///
/// ```
/// use billfold_runtime::{AuthKind, CredentialSpec};
/// let spec = CredentialSpec { scheme: "ApiKeyAuth", kind: AuthKind::ApiKeyHeader("X-Api-Key"), env_var: "NEO_API_KEY" };
/// assert_eq!(spec.kind.header_name(), Some("X-Api-Key"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CredentialSpec {
    /// Name of the security scheme in the spec (`components.securitySchemes`).
    pub scheme: &'static str,
    /// How the credential is sent.
    pub kind: AuthKind,
    /// Environment variable [`ClientConfig::from_env`](crate::ClientConfig::from_env) reads it from.
    pub env_var: &'static str,
}

/// What a generated crate knows about its provider, from its spec and `specs/providers.toml`.
///
/// ```
/// use billfold_runtime::{AuthKind, CredentialSpec, Provider};
/// static P: Provider = Provider {
///     id: "giga",
///     name: "Giga",
///     user_agent: "billfold-giga/0.1.0",
///     default_base_url: None,
///     base_url_env: "GIGA_BASE_URL",
///     credentials: &[CredentialSpec { scheme: "bearerAuth", kind: AuthKind::Bearer, env_var: "GIGA_API_KEY" }],
///     security: &[],
/// };
/// assert_eq!(P.credential_env_vars(), "GIGA_API_KEY");
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Provider {
    /// Short id (`olostep`), as used in `specs/<id>/`.
    pub id: &'static str,
    /// Display name (`Olostep`).
    pub name: &'static str,
    /// Default `User-Agent` header (`billfold-<id>/<version>`).
    pub user_agent: &'static str,
    /// Base URL used when none is configured; `None` when the provider publishes none.
    pub default_base_url: Option<&'static str>,
    /// Environment variable that overrides the base URL.
    pub base_url_env: &'static str,
    /// Accepted credentials, in the order the spec lists them.
    pub credentials: &'static [CredentialSpec],
    /// Which credentials each operation needs. An operation not listed takes the first
    /// configured credential, in the order of [`Provider::credentials`].
    pub security: &'static [OperationAuth],
}

impl Provider {
    /// The credential env vars, joined with " or ", for messages.
    pub fn credential_env_vars(&self) -> String {
        self.credentials
            .iter()
            .map(|c| c.env_var)
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// The security requirements of an operation, if the provider lists them.
    pub fn requirements_of(&self, operation: &str) -> Option<&'static [&'static [&'static str]]> {
        self.security
            .iter()
            .find(|auth| auth.operation == operation)
            .map(|auth| auth.requirements)
    }

    /// The credential spec for a security scheme name.
    pub fn credential_spec(&self, scheme: &str) -> Option<&'static CredentialSpec> {
        self.credentials.iter().find(|c| c.scheme == scheme)
    }
}
