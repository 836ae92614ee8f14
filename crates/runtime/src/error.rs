//! The error every generated operation returns.

use std::fmt;

use bytes::Bytes;
use reqwest::StatusCode;

use crate::config::ConfigError;

/// Longest part of a response body quoted in an error message.
const SNIPPET_LIMIT: usize = 300;

/// What went wrong with a call to a provider.
///
/// `E` is the typed error body the provider's spec declares (or `()` when it declares none).
/// Match on the variant to tell configuration, network, API and decoding problems apart:
///
/// ```
/// use billfold_runtime::{ApiError, Error, ErrorBody};
/// fn describe(err: &Error<()>) -> String {
///     match err {
///         Error::Api(api) if api.status.as_u16() == 402 => "out of credits".into(),
///         Error::Api(api) => format!("HTTP {}", api.status),
///         Error::Transport { .. } => "network trouble".into(),
///         other => other.to_string(),
///     }
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<E> {
    /// The client is misconfigured (missing key, bad base URL, ...).
    Config(ConfigError),
    /// The request could not be sent or the response not received (connect, TLS, timeout).
    Transport {
        /// Provider name.
        provider: &'static str,
        /// Operation (method) name.
        operation: &'static str,
        /// What kind of failure.
        kind: TransportKind,
        /// The underlying error.
        source: reqwest::Error,
    },
    /// The provider answered with an error status.
    Api(ApiError<E>),
    /// A success response whose body does not match the spec.
    Decode(DecodeError),
    /// The provider answered with a redirect that was not followed: to another origin (scheme,
    /// host or port than the configured base URL's, https to http included), or more than
    /// five in a row. Credentials are never sent beyond the configured origin.
    Redirect {
        /// Provider name.
        provider: &'static str,
        /// Operation (method) name.
        operation: &'static str,
        /// The redirect status (301, 302, 303, 307, 308).
        status: StatusCode,
        /// The `Location` the provider pointed to, as sent (absent if it sent none).
        location: Option<String>,
    },
    /// The response body was larger than the configured limit
    /// ([`ClientConfig::max_response_bytes`](crate::ClientConfig::max_response_bytes)); the
    /// call ended as soon as the limit was passed, without reading the rest.
    ResponseTooLarge {
        /// Provider name.
        provider: &'static str,
        /// Operation (method) name.
        operation: &'static str,
        /// The response status.
        status: StatusCode,
        /// The limit, in bytes.
        limit: u64,
    },
    /// One server-sent event was larger than the stream's bound
    /// ([`EventStream::max_event_bytes`](crate::EventStream::max_event_bytes)); the stream
    /// ended there, without holding more of it.
    EventTooLarge {
        /// Provider name.
        provider: &'static str,
        /// Operation (method) name.
        operation: &'static str,
        /// The bound, in bytes.
        limit: usize,
    },
    /// The request could not be built from the arguments given.
    InvalidRequest {
        /// Provider name.
        provider: &'static str,
        /// Operation (method) name.
        operation: &'static str,
        /// What is wrong.
        message: String,
    },
}

// Display and Error are written out rather than derived with thiserror: every generated crate
// depends on this one, and thiserror would add two crates (and a proc-macro build) to each.
impl<E: serde::Serialize> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(error) => error.fmt(f),
            Error::Transport {
                provider,
                operation,
                kind,
                source,
            } => write!(f, "{provider} {operation}: {kind}: {source}"),
            Error::Api(error) => error.fmt(f),
            Error::Decode(error) => error.fmt(f),
            Error::Redirect {
                provider,
                operation,
                status,
                location,
            } => write!(
                f,
                "{provider} {operation}: HTTP {status}, a redirect to {} that was not followed: \
                 billfold follows redirects only within the configured base URL's origin (at \
                 most {}), so credentials never leave it; if the provider moved, set the new \
                 base URL",
                location.as_deref().unwrap_or("(no Location header)"),
                crate::http_client::MAX_REDIRECTS,
            ),
            Error::ResponseTooLarge {
                provider,
                operation,
                status,
                limit,
            } => write!(
                f,
                "{provider} {operation}: HTTP {status} response body is larger than the {limit} \
                 byte limit; raise ClientConfig::max_response_bytes if this is expected"
            ),
            Error::EventTooLarge {
                provider,
                operation,
                limit,
            } => write!(
                f,
                "{provider} {operation}: a server-sent event is larger than the {limit} byte \
                 bound; raise it with EventStream::max_event_bytes if this is expected"
            ),
            Error::InvalidRequest {
                provider,
                operation,
                message,
            } => write!(f, "{provider} {operation}: invalid request: {message}"),
        }
    }
}

impl<E: fmt::Debug + serde::Serialize> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(error) => error.source(),
            Error::Transport { source, .. } => Some(source),
            Error::Decode(error) => Some(&error.source),
            Error::Api(_)
            | Error::Redirect { .. }
            | Error::ResponseTooLarge { .. }
            | Error::EventTooLarge { .. }
            | Error::InvalidRequest { .. } => None,
        }
    }
}

impl<E> From<ConfigError> for Error<E> {
    fn from(error: ConfigError) -> Self {
        Error::Config(error)
    }
}

impl<E> Error<E> {
    /// The HTTP status of the response, when there was one.
    ///
    /// ```
    /// # use billfold_runtime::Error;
    /// fn status(err: &Error<()>) -> Option<u16> { err.status().map(|s| s.as_u16()) }
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode(decode) => Some(decode.status),
            Error::Redirect { status, .. } | Error::ResponseTooLarge { status, .. } => {
                Some(*status)
            }
            Error::Transport { source, .. } => source.status(),
            Error::Config(_) | Error::InvalidRequest { .. } | Error::EventTooLarge { .. } => None,
        }
    }

    /// Whether trying again later may succeed: connection failures, timeouts, and the statuses
    /// 408, 429, 500, 502, 503 and 504. (Idempotent calls were already retried by the policy.)
    ///
    /// ```
    /// # use billfold_runtime::Error;
    /// fn should_alert(err: &Error<()>) -> bool { !err.is_retryable() }
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(api) => crate::retry::is_retryable_status(api.status),
            Error::Transport { kind, .. } => {
                matches!(kind, TransportKind::Connect | TransportKind::Timeout)
            }
            Error::Config(_)
            | Error::Decode(_)
            | Error::Redirect { .. }
            | Error::ResponseTooLarge { .. }
            | Error::EventTooLarge { .. }
            | Error::InvalidRequest { .. } => false,
        }
    }

    /// The provider's request id, when the response carried one (`x-request-id` and kin).
    ///
    /// ```
    /// # use billfold_runtime::Error;
    /// fn report(err: &Error<()>) -> String {
    ///     format!("{err} (request {})", err.request_id().unwrap_or("unknown"))
    /// }
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.request_id.as_deref(),
            Error::Decode(decode) => decode.request_id.as_deref(),
            _ => None,
        }
    }
}

/// Kinds of transport failure.
///
/// ```
/// use billfold_runtime::TransportKind;
/// assert_eq!(TransportKind::Timeout.to_string(), "timed out");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be established (DNS, refused, reset).
    Connect,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// The request or connection timed out.
    Timeout,
    /// The response body could not be read.
    Body,
    /// Anything else reqwest reports.
    Other,
}

impl TransportKind {
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if std::error::Error::source(error).is_some_and(caused_by_tls) {
            return TransportKind::Tls;
        }
        if error.is_timeout() {
            TransportKind::Timeout
        } else if error.is_connect() {
            TransportKind::Connect
        } else if error.is_body() || error.is_decode() {
            TransportKind::Body
        } else {
            TransportKind::Other
        }
    }
}

/// Whether a rustls error is in this error's chain. rustls errors reach reqwest wrapped in
/// `io::Error`s, whose `source` skips the wrapped error, so those are opened too.
fn caused_by_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.is::<rustls::Error>() {
        return true;
    }
    let wrapped = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .is_some_and(|inner| caused_by_tls(inner));
    wrapped || error.source().is_some_and(caused_by_tls)
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "could not connect",
            TransportKind::Tls => "TLS handshake failed",
            TransportKind::Timeout => "timed out",
            TransportKind::Body => "could not read the response",
            TransportKind::Other => "request failed",
        })
    }
}

/// An error status from the provider, with its body.
///
/// ```
/// use billfold_runtime::{ApiError, ErrorBody};
/// fn is_out_of_credits(err: &ApiError<()>) -> bool {
///     err.status.as_u16() == 402 && matches!(&err.body, ErrorBody::Raw(raw) if raw.is_empty())
/// }
/// ```
#[derive(Debug)]
pub struct ApiError<E> {
    /// Provider name.
    pub provider: &'static str,
    /// Operation (method) name.
    pub operation: &'static str,
    /// The response status.
    pub status: StatusCode,
    /// The response body: typed when the spec declares one for this status and it decoded.
    pub body: ErrorBody<E>,
    /// The provider's request id header, when present.
    pub request_id: Option<String>,
    /// How long the provider asks to wait before trying again (`Retry-After`, or a JSON
    /// `retry_after` field), when it says.
    pub retry_after: Option<std::time::Duration>,
}

/// The body of an error response.
///
/// ```
/// use billfold_runtime::ErrorBody;
/// let body: ErrorBody<()> = ErrorBody::Raw(bytes::Bytes::from_static(b"<html>bad gateway</html>"));
/// assert!(body.typed().is_none());
/// ```
#[derive(Debug)]
pub enum ErrorBody<E> {
    /// The body decoded as the type the spec declares for this status.
    Typed(E),
    /// The raw body: the spec declares none for this status, or it did not match (may be empty).
    Raw(Bytes),
}

impl<E> ErrorBody<E> {
    /// The typed body, if it decoded.
    pub fn typed(&self) -> Option<&E> {
        match self {
            ErrorBody::Typed(body) => Some(body),
            ErrorBody::Raw(_) => None,
        }
    }
}

impl<E: serde::Serialize> fmt::Display for ApiError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: HTTP {}",
            self.provider, self.operation, self.status
        )?;
        match &self.body {
            ErrorBody::Typed(body) => match serde_json::to_vec(body) {
                Ok(json) => write!(f, ": {}", snippet(&json))?,
                Err(_) => f.write_str(" (typed body)")?,
            },
            ErrorBody::Raw(raw) if raw.is_empty() => f.write_str(" (empty body)")?,
            ErrorBody::Raw(raw) => write!(f, ": {}", snippet(raw))?,
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

/// A success response whose body does not match the spec's schema.
///
/// ```
/// # use billfold_runtime::DecodeError;
/// fn report(err: &DecodeError) -> String { format!("{} {}", err.status, err.snippet) }
/// ```
#[derive(Debug)]
pub struct DecodeError {
    /// Provider name.
    pub provider: &'static str,
    /// Operation (method) name.
    pub operation: &'static str,
    /// The response status.
    pub status: StatusCode,
    /// The start of the body (at most a few hundred characters).
    pub snippet: String,
    /// The provider's request id header, when present.
    pub request_id: Option<String>,
    /// Why it did not decode.
    pub source: serde_json::Error,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: HTTP {} response does not match the spec: {}; body starts: {}",
            self.provider, self.operation, self.status, self.source, self.snippet
        )
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The start of a body as text, bounded, for messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(SNIPPET_LIMIT).collect();
    if text.chars().nth(SNIPPET_LIMIT).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_is_bounded_and_lossy() {
        let long = "x".repeat(1000);
        let s = snippet(long.as_bytes());
        assert_eq!(s.chars().count(), SNIPPET_LIMIT + 1);
        assert!(s.ends_with('…'));
        assert_eq!(snippet(b"\xff{"), "\u{fffd}{");
    }
}
