//! The static description of a provider that each generated crate emits from its spec.

/// How a credential is put on a request, as the spec's `securitySchemes` declare it.
///
/// ```
/// use billfold_runtime::AuthKind;
/// assert_eq!(AuthKind::ApiKeyHeader("anchor-api-key").header_name(), "anchor-api-key");
/// assert_eq!(AuthKind::Bearer.header_name(), "authorization");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    /// `Authorization: Bearer <secret>` (`type: http, scheme: bearer`).
    Bearer,
    /// `<header>: <secret>` (`type: apiKey, in: header`).
    ApiKeyHeader(&'static str),
}

impl AuthKind {
    /// The (lower-case) name of the header this scheme sets.
    pub fn header_name(&self) -> &'static str {
        match self {
            AuthKind::Bearer => "authorization",
            AuthKind::ApiKeyHeader(name) => name,
        }
    }
}

/// One credential a provider accepts: a security scheme of its spec and the env var it is read from.
///
/// ```
/// use billfold_runtime::{AuthKind, CredentialSpec};
/// let spec = CredentialSpec { scheme: "ApiKeyAuth", kind: AuthKind::ApiKeyHeader("X-Api-Key"), env_var: "NEO_API_KEY" };
/// assert_eq!(spec.kind.header_name(), "X-Api-Key");
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
    /// Accepted credentials, in the order the spec lists them (the first configured one wins).
    pub credentials: &'static [CredentialSpec],
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

    /// The credential spec for a security scheme name.
    pub fn credential_spec(&self, scheme: &str) -> Option<&'static CredentialSpec> {
        self.credentials.iter().find(|c| c.scheme == scheme)
    }
}
