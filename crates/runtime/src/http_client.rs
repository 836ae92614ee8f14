//! The HTTP clients behind billfold clients, shared by settings.
//!
//! Building a `reqwest::Client` loads the platform's root certificates, which costs
//! milliseconds; clients configured alike (timeouts, user agent) share one, and with it one
//! connection pool, so making a billfold client is cheap and `fetch_all` does not pay five
//! certificate loads before its requests can start.
//!
//! Every client follows redirects only within the origin (scheme, host and port) of the
//! request's URL, at most [`MAX_REDIRECTS`] of them. reqwest removes only `Authorization` (and
//! cookies) when a redirect leaves the origin; a credential in any other header (`X-Api-Key`,
//! `anchor-api-key`) would go along, so such a redirect is not followed at all: the 3xx response
//! comes back and becomes [`Error::Redirect`](crate::Error::Redirect).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;
use reqwest::redirect::{Attempt, Policy};

/// Most redirects followed for one request (all within its origin).
pub const MAX_REDIRECTS: usize = 5;

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
        .redirect(Policy::custom(same_origin_only))
        .build()?;
    clients.insert(settings, client.clone());
    Ok(client)
}

/// The redirect policy: follow a redirect that stays on the first URL's origin, up to
/// [`MAX_REDIRECTS`]; stop (returning the 3xx response) otherwise.
fn same_origin_only(attempt: Attempt<'_>) -> reqwest::redirect::Action {
    // `previous` holds the URLs requested so far, the original one first.
    let stays = attempt
        .previous()
        .first()
        .is_some_and(|first| same_origin(first, attempt.url()));
    if stays && attempt.previous().len() <= MAX_REDIRECTS {
        attempt.follow()
    } else {
        attempt.stop()
    }
}

/// Whether two URLs share scheme, host and port (the port a scheme implies included).
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn origin_is_scheme_host_and_port() {
        assert!(same_origin(
            &url("https://api.x.io/a"),
            &url("https://API.x.io:443/b?c")
        ));
        assert!(!same_origin(
            &url("https://api.x.io/a"),
            &url("http://api.x.io/a")
        ));
        assert!(!same_origin(
            &url("https://api.x.io/a"),
            &url("https://evil.io/a")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:80/"),
            &url("http://127.0.0.1:81/")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:8080/"),
            &url("http://localhost:8080/")
        ));
    }
}
