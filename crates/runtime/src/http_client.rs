//! The HTTP clients behind billfold clients, shared by settings.
//!
//! Building a `reqwest::Client` loads the platform's root certificates, which costs
//! milliseconds; clients configured alike (timeouts, user agent) share one, and with it one
//! connection pool, so making a billfold client is cheap and `fetch_all` does not pay five
//! certificate loads before its requests can start.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use reqwest::header::HeaderValue;

/// What makes two HTTP clients interchangeable.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Settings {
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: HeaderValue,
}

/// The shared client for these settings, built on first use.
pub(crate) fn shared(
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: HeaderValue,
) -> reqwest::Result<reqwest::Client> {
    static CLIENTS: OnceLock<Mutex<HashMap<Settings, reqwest::Client>>> = OnceLock::new();
    let settings = Settings {
        timeout,
        connect_timeout,
        user_agent,
    };
    let clients = CLIENTS.get_or_init(Default::default);
    // A poisoned lock only means another thread panicked mid-insert; the map is still usable.
    let mut clients = clients
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(client) = clients.get(&settings) {
        return Ok(client.clone());
    }
    crate::tls::ensure_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.connect_timeout)
        .user_agent(settings.user_agent.clone())
        .build()?;
    clients.insert(settings, client.clone());
    Ok(client)
}
