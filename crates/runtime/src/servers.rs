//! Operations the spec sends to a server of their own (path- or operation-level `servers`).

/// The base of an operation's URL when the spec gives it its own server: an absolute `server`
/// as it is; a relative one resolved against the client's `base` URL as a link is (RFC 3986:
/// `/v2` replaces the path, `v2` its last segment, an empty one is the base itself), so a base
/// URL set in the configuration still applies. Generated methods call it in place of the base
/// URL.
///
/// ```
/// use billfold_runtime::server_url;
/// assert_eq!(server_url("https://api.x.com/v1", "https://upload.x.com/2.0"), "https://upload.x.com/2.0");
/// assert_eq!(server_url("https://api.x.com/v1", "/v2"), "https://api.x.com/v2");
/// assert_eq!(server_url("http://127.0.0.1:4010", "/beta"), "http://127.0.0.1:4010/beta");
/// ```
pub fn server_url(base: &str, server: &str) -> String {
    if server.contains("://") {
        return server.trim_end_matches('/').to_owned();
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
        assert_eq!(server_url("https://h.com/v1", ""), "https://h.com/v1");
        assert_eq!(
            server_url("https://h.com/api/v1", "v2"),
            "https://h.com/api/v2"
        );
        assert_eq!(
            server_url("https://h.com/v1", "https://o.com/"),
            "https://o.com"
        );
        assert_eq!(server_url("not a url", "/v2"), "not a url");
    }
}
