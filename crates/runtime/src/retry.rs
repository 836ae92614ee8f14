//! When and how long to wait before trying a request again.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Default number of retries after the first attempt.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Default delay before the first retry (doubled for each further one, with jitter).
pub const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Default longest delay between two attempts when the server does not say.
pub const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Default longest `Retry-After` honoured; a server asking for more gets no retry.
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// Statuses worth retrying: timeouts, rate limits and transient server errors.
const RETRYABLE_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];

/// How a client retries.
///
#[doc = include_str!("../doc/retry-rules.md")]
///
/// ```
/// use std::time::Duration;
/// use billfold_runtime::RetryPolicy;
/// let policy = RetryPolicy::default();
/// assert_eq!(policy.max_retries, 2);
/// let none = RetryPolicy { max_retries: 0, ..RetryPolicy::default() };
/// assert_eq!(none.max_retries, 0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// Delay before the first retry; doubled for each further one, then jittered.
    pub initial_backoff: Duration,
    /// Longest computed delay between attempts.
    pub max_backoff: Duration,
    /// Longest server-requested delay (`Retry-After`, Olostep's `retry_after`) honoured; a
    /// longer one ends the retries and the caller gets the response.
    pub max_retry_wait: Duration,
    /// Also retry POST and PATCH (opt-in, for requests known to be safe to repeat).
    pub non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_retry_wait: DEFAULT_MAX_RETRY_WAIT,
            non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// Whether an operation may be sent again: idempotent ones always (the generator marks
    /// every operation that is not POST or PATCH idempotent), others only when opted in.
    pub fn allows_retry(&self, idempotent: bool) -> bool {
        idempotent || self.non_idempotent
    }

    /// The jittered exponential delay before retry number `retry` (1-based): between half and
    /// all of `initial * 2^(retry-1)`, capped at `max_backoff`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let full = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let jitter = 0.5 + 0.5 * random_fraction();
        full.mul_f64(jitter)
    }
}

/// Whether a status is worth retrying.
pub fn is_retryable_status(status: StatusCode) -> bool {
    RETRYABLE_STATUSES.contains(&status.as_u16())
}

/// The delay a `Retry-After` header asks for: delta-seconds or an HTTP date.
pub fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = parse_http_date(value)?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Parses an HTTP date in the IMF-fixdate form every server sends today
/// (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7). The obsolete RFC 850 and asctime forms
/// give `None`, and the caller falls back to its own backoff.
///
/// Written here rather than taken from the httpdate crate: every generated crate depends on this
/// one, and this is all of HTTP dates it needs.
pub fn parse_http_date(text: &str) -> Option<SystemTime> {
    let mut parts = text.split_ascii_whitespace();
    let weekday = parts.next()?;
    if !weekday.ends_with(',') || weekday.len() != 4 {
        return None;
    }
    let day: u64 = parts.next().filter(|d| d.len() == 2)?.parse().ok()?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as u64 + 1;
    let year: u64 = parts.next().filter(|y| y.len() == 4)?.parse().ok()?;
    let mut clock = parts.next()?.split(':');
    let mut field = |max: u64| -> Option<u64> {
        clock
            .next()
            .filter(|c| c.len() == 2)?
            .parse()
            .ok()
            .filter(|v| *v <= max)
    };
    let (hour, minute, second) = (field(23)?, field(59)?, field(60)?);
    if parts.next() != Some("GMT")
        || parts.next().is_some()
        || !(1..=31).contains(&day)
        || year < 1970
    {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = (era * 146_097 + day_of_era).checked_sub(719_468)?;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// The delay a JSON body's `retry_after` field (seconds, as Olostep sends) asks for.
pub fn retry_after_body(body: &[u8]) -> Option<Duration> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let seconds = value.get("retry_after")?;
    seconds.as_u64().map(Duration::from_secs).or_else(|| {
        seconds
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
    })
}

/// A fraction in [0, 1) from std's randomly keyed hasher (no RNG crate needed for jitter).
fn random_fraction() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(
                first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
                "{first:?}"
            );
            let second = policy.backoff(2);
            assert!(
                second >= Duration::from_millis(100) && second <= Duration::from_millis(200),
                "{second:?}"
            );
            assert!(policy.backoff(30) <= Duration::from_millis(300));
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after_header(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            RETRY_AFTER,
            "Fri, 01 Jan 2100 00:00:00 GMT".parse().unwrap(),
        );
        let wait = retry_after_header(&headers).unwrap();
        assert!(wait > Duration::from_secs(70 * 365 * 86_400), "{wait:?}");
        headers.insert(
            RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(
            retry_after_header(&headers),
            Some(Duration::ZERO),
            "a past date means now"
        );
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after_header(&headers), None);
    }

    #[test]
    fn http_dates_parse_to_the_right_instant() {
        let at = |s: &str| {
            parse_http_date(s).map(|t| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs())
        };
        assert_eq!(at("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(at("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(at("Tue, 29 Feb 2028 23:59:59 GMT"), Some(1_835_481_599));
        for bad in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_from_an_olostep_body() {
        assert_eq!(
            retry_after_body(br#"{"error":"cooldown","retry_after":2}"#),
            Some(Duration::from_secs(2))
        );
        assert_eq!(retry_after_body(br#"{"retry_after":-1}"#), None);
        assert_eq!(retry_after_body(b"<html>"), None);
    }

    #[test]
    fn only_idempotent_operations_by_default() {
        let policy = RetryPolicy::default();
        assert!(policy.allows_retry(true));
        assert!(!policy.allows_retry(false));
        assert!(
            RetryPolicy {
                non_idempotent: true,
                ..policy
            }
            .allows_retry(false)
        );
    }
}
