//! Operations the spec sends to a server of their own (path- or operation-level `servers`).

/// The base of an operation's URL when the spec gives it its own server. Generated methods
/// call it in place of the base URL, with the provider's default base URL:
///
/// - a relative `server` is resolved against the client's `base` URL as a link is (RFC 3986:
///   `/v2` replaces the path, `v2` its last segment, an empty one is the base itself);
/// - an absolute `server` (an upload host) is used as it is while the client uses the
///   provider's default base URL; once a base URL is configured (a proxy, a mock server), the
///   request goes to that base URL instead, so nothing, and no key, leaves the configured origin.
///
/// ```
/// use billfold_runtime::server_url;
/// let default = Some("https://api.x.com/v1");
/// assert_eq!(server_url("https://api.x.com/v1", default, "https://upload.x.com/2.0"), "https://upload.x.com/2.0");
/// assert_eq!(server_url("https://api.x.com/v1", default, "/v2"), "https://api.x.com/v2");
/// assert_eq!(server_url("http://127.0.0.1:4010", default, "/beta"), "http://127.0.0.1:4010/beta");
/// assert_eq!(server_url("http://127.0.0.1:4010", default, "https://upload.x.com/2.0"), "http://127.0.0.1:4010");
/// ```
pub fn server_url(base: &str, default_base: Option<&str>, server: &str) -> String {
    let base = base.trim_end_matches('/');
    if server.contains("://") {
        let configured = default_base.is_none_or(|d| d.trim_end_matches('/') != base);
        return if configured {
            base.to_owned()
        } else {
            server.trim_end_matches('/').to_owned()
        };
    }
    match reqwest::Url::parse(base).and_then(|base| base.join(server)) {
        Ok(url) => url.as_str().trim_end_matches('/').to_owned(),
        Err(_) => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_servers_follow_the_base_url() {
        let default = Some("https://h.com/v1/");
        assert_eq!(
            server_url("https://h.com/v1", default, ""),
            "https://h.com/v1"
        );
        assert_eq!(
            server_url("https://h.com/api/v1", default, "v2"),
            "https://h.com/api/v2"
        );
        assert_eq!(
            server_url("https://h.com/v1", default, "https://o.com/"),
            "https://o.com"
        );
        // A configured base URL (or none by default) keeps every request on its origin.
        assert_eq!(
            server_url("http://mock:1/x", default, "https://o.com/"),
            "http://mock:1/x"
        );
        assert_eq!(
            server_url("http://mock:1", None, "https://o.com/"),
            "http://mock:1"
        );
        assert_eq!(server_url("not a url", default, "/v2"), "not a url");
    }
}
