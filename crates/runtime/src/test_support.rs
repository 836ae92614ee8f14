//! What the runtime's unit tests share.

use crate::{AuthKind, ClientConfig, CredentialSpec, Provider, Runtime};

/// A provider with one Bearer scheme `b` and a local default base URL.
pub(crate) static PROVIDER: Provider = Provider {
    id: "p",
    name: "P",
    user_agent: "billfold-p/0",
    default_base_url: Some("http://127.0.0.1:9"),
    base_url_env: "P_BASE_URL",
    credentials: &[CredentialSpec {
        scheme: "b",
        kind: AuthKind::Bearer,
        env_var: "P_API_KEY",
    }],
    security: &[],
};

/// The runtime of a client of [`PROVIDER`] with the key `k` and no retries.
pub(crate) fn runtime() -> Runtime {
    ClientConfig::new(&PROVIDER)
        .credential("b", "k")
        .max_retries(0)
        .build()
        .unwrap()
        .runtime
}
