//! `--notify URL`: a message when an account becomes low, unusable or failing, and when it
//! recovers, to Slack or Discord webhooks, ntfy, or any URL as JSON.
//!
//! Which changes to send is decided by the caller from the states kept in the history file
//! ([`billfold_history::History::transitions`]), so a change is sent once, not on every
//! refresh, and not again after a restart. Here: formats, sending with retries, and warnings
//! that never show a URL's path or query (where webhook tokens live).

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use serde_json::json;
use tokio::task::JoinSet;

use crate::status::State;

/// Attempts per message (the first and two retries).
const ATTEMPTS: u32 = 3;
/// The wait before the first retry; doubled for each next one.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// Per attempt.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How a message is written for its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A Slack incoming webhook: `{"text": ...}`.
    Slack,
    /// A Discord webhook: `{"content": ...}`.
    Discord,
    /// An ntfy topic: the text as the body, with `Title`, `Priority` and `Tags` headers.
    Ntfy,
    /// Any other URL: one JSON object with every field.
    Json,
}

impl Format {
    const NAMES: [(&'static str, Format); 4] = [
        ("slack", Format::Slack),
        ("discord", Format::Discord),
        ("ntfy", Format::Ntfy),
        ("json", Format::Json),
    ];

    /// The format a URL's host implies.
    fn for_host(url: &Url) -> Format {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let under = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
        if under("hooks.slack.com") {
            Format::Slack
        } else if under("discord.com") || under("discordapp.com") {
            Format::Discord
        } else if under("ntfy.sh") {
            Format::Ntfy
        } else {
            Format::Json
        }
    }

    /// Parses `slack`, `discord`, `ntfy` or `json`.
    pub fn parse(text: &str) -> Result<Format, String> {
        Format::NAMES
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, format)| *format)
            .ok_or_else(|| {
                format!("{text:?} is not a notification format: use slack, discord, ntfy or json")
            })
    }

    fn name(self) -> &'static str {
        Format::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("json", |(name, _)| name)
    }
}

/// One `--notify` destination.
#[derive(Clone)]
pub struct Destination {
    url: Url,
    /// Set by a `FORMAT+` prefix; else `--notify-format`, else the host decides.
    format: Option<Format>,
}

impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Destination({})", self.redacted())
    }
}

/// Parses `--notify`: an `http(s)` URL, optionally prefixed with its format (`ntfy+https://…`).
/// The error never repeats the URL, which may hold a token.
pub fn parse_destination(text: &str) -> Result<Destination, String> {
    let (format, rest) = match text.split_once('+') {
        Some((prefix, rest)) if Format::NAMES.iter().any(|(name, _)| *name == prefix) => {
            (Some(Format::parse(prefix)?), rest)
        }
        _ => (None, text),
    };
    let url = Url::parse(rest)
        .map_err(|e| format!("not a URL ({e}); the value is not shown as it may hold a token"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "the URL must be http:// or https:// with a host (got a {}: URL; the rest is not \
             shown as it may hold a token)",
            url.scheme()
        ));
    }
    Ok(Destination { url, format })
}

impl Destination {
    /// The URL as it may be printed: scheme, host and port; the path and query, where
    /// webhook tokens and ntfy topics are, replaced by `…`.
    pub fn redacted(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{}://{host}:{port}/…", self.url.scheme()),
            None => format!("{}://{host}/…", self.url.scheme()),
        }
    }

    fn format(&self, default: Option<Format>) -> Format {
        self.format
            .or(default)
            .unwrap_or_else(|| Format::for_host(&self.url))
    }
}

/// One account's change of state, to be told.
#[derive(Clone, Debug)]
pub struct Event {
    /// The provider's id.
    pub provider: String,
    /// The account (empty for the default one).
    pub account: String,
    /// The state before; `None` when it was never recorded.
    pub from: Option<State>,
    /// The state now.
    pub to: State,
    /// Credits available now (a failing account: unknown).
    pub available: Option<f64>,
    /// What they count.
    pub unit: Option<String>,
    /// Credits used per day.
    pub burn_per_day: Option<f64>,
    /// Days left at that rate.
    pub days_left: Option<f64>,
    /// For a failing account, what failed (`timeout`, `http 500`); never a message body.
    pub error: Option<String>,
    /// When it was seen.
    pub at: chrono::DateTime<chrono::Utc>,
}

impl Event {
    fn label(&self) -> String {
        if self.account.is_empty() {
            self.provider.clone()
        } else {
            format!("{}:{}", self.provider, self.account)
        }
    }

    fn word(state: State) -> &'static str {
        match state {
            State::Ok => "ok",
            State::Low => "LOW",
            State::Unusable => "UNUSABLE",
            State::Failing => "FAILING",
        }
    }

    /// A one-line message: `billfold: olostep is LOW: 900 credits left, runway 3.5d (was ok)`.
    pub fn text(&self) -> String {
        let label = self.label();
        let amount = match (self.available, &self.unit) {
            (Some(a), Some(unit)) => format!("{a} {unit}"),
            (Some(a), None) => a.to_string(),
            _ => "balance unknown".to_owned(),
        };
        let runway = self
            .days_left
            .map(|d| {
                format!(
                    ", runway {}",
                    crate::runway::runway(&billfold_history::Burn {
                        per_day: self.burn_per_day,
                        days_left: Some(d),
                        readings: 2,
                    })
                )
            })
            .unwrap_or_default();
        let what = match self.to {
            State::Ok => format!("{label} is ok again: {amount}{runway}"),
            State::Low => format!("{label} is LOW: {amount} left{runway}"),
            State::Unusable => format!(
                "{label} is UNUSABLE: the provider says its credits cannot be used ({amount})"
            ),
            State::Failing => format!(
                "{label} is FAILING: its balance cannot be read ({})",
                self.error.as_deref().unwrap_or("error")
            ),
        };
        let was = self
            .from
            .map(|f| format!(" (was {})", Event::word(f)))
            .unwrap_or_default();
        format!("billfold: {what}{was}")
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "source": "billfold",
            "provider": self.provider,
            "account": self.account,
            "state": self.to.as_str(),
            "previous": self.from.map(State::as_str),
            "available": self.available,
            "unit": self.unit,
            "burn_per_day": self.burn_per_day,
            "days_left": self.days_left,
            "error": self.error,
            "at": self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "message": self.text(),
        })
    }
}

/// The request one event becomes for one format.
fn request(
    client: &reqwest::Client,
    url: &Url,
    format: Format,
    event: &Event,
) -> reqwest::RequestBuilder {
    let post = client.post(url.clone());
    match format {
        Format::Slack => post.json(&json!({ "text": event.text() })),
        Format::Discord => post.json(&json!({ "content": event.text() })),
        Format::Ntfy => {
            let (priority, tags) = match event.to {
                State::Ok => ("default", "white_check_mark"),
                State::Low => ("high", "warning"),
                State::Unusable | State::Failing => ("high", "rotating_light"),
            };
            post.header(
                "Title",
                format!("billfold: {} {}", event.label(), event.to.as_str()),
            )
            .header("Priority", priority)
            .header("Tags", tags)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(event.text())
        }
        Format::Json => post.json(&event.json()),
    }
}

/// Sends notifications to every `--notify` destination.
#[derive(Clone, Debug)]
pub struct Notifier {
    destinations: Vec<Destination>,
    default_format: Option<Format>,
    client: reqwest::Client,
}

impl Notifier {
    /// A notifier for these destinations (`None` when there is none), the format of those
    /// without a prefix set by `--notify-format` if given.
    pub fn new(
        destinations: Vec<Destination>,
        default_format: Option<Format>,
    ) -> Result<Option<Notifier>, String> {
        if destinations.is_empty() {
            return Ok(None);
        }
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Err only means another thread installed one first, which is as good.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            // A redirect could take the message (and a token in a header) elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("billfold/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                format!(
                    "cannot set up the HTTP client for --notify: {}",
                    e.without_url()
                )
            })?;
        Ok(Some(Notifier {
            destinations,
            default_format,
            client,
        }))
    }

    /// What each destination is, for the start-up line: `https://hooks.slack.com/… (slack)`.
    pub fn describe(&self) -> String {
        self.destinations
            .iter()
            .map(|d| {
                format!(
                    "{} ({})",
                    d.redacted(),
                    d.format(self.default_format).name()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Sends every event to every destination, all at once, each with retries; returns the
    /// warnings of those that could not be delivered (URLs redacted).
    pub async fn send(&self, events: &[Event]) -> Vec<String> {
        let mut tasks = JoinSet::new();
        for destination in &self.destinations {
            for event in events {
                let format = destination.format(self.default_format);
                let builder = request(&self.client, &destination.url, format, event);
                let redacted = destination.redacted();
                let what = format!("{} {}", event.label(), event.to.as_str());
                tasks.spawn(async move {
                    deliver(builder)
                        .await
                        .err()
                        .map(|why| format!("notification ({what}) to {redacted} failed: {why}"))
                });
            }
        }
        let mut warnings = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok(Some(warning)) => warnings.push(warning),
                Ok(None) => {}
                Err(e) => warnings.push(format!("a notification task failed: {e}")),
            }
        }
        warnings
    }
}

/// Sends one request, retrying connection failures, timeouts, 429 and 5xx answers with
/// backoff; other answers are final. The error names the last failure, never the URL.
async fn deliver(builder: reqwest::RequestBuilder) -> Result<(), String> {
    let mut backoff = FIRST_BACKOFF;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        let Some(request) = builder.try_clone() else {
            return Err("the request could not be built".to_owned());
        };
        match request.send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => {
                let status = response.status();
                last = format!("HTTP {status}");
                let retry = status.is_server_error() || status.as_u16() == 429;
                if !retry {
                    return Err(format!(
                        "{last} (not retried; check the URL and the format)"
                    ));
                }
            }
            Err(e) => last = e.without_url().to_string(),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }
    Err(format!("{last}, after {ATTEMPTS} attempts"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(to: State, from: Option<State>) -> Event {
        Event {
            provider: "olostep".into(),
            account: "team-b".into(),
            from,
            to,
            available: Some(900.0),
            unit: Some("credits".into()),
            burn_per_day: Some(100.0),
            days_left: Some(9.0),
            error: None,
            at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn formats_follow_the_host_or_the_prefix() -> Result<(), String> {
        let format = |text: &str| parse_destination(text).map(|d| d.format(None));
        assert_eq!(
            format("https://hooks.slack.com/services/T0/B0/xyz")?,
            Format::Slack
        );
        assert_eq!(
            format("https://discord.com/api/webhooks/1/abc")?,
            Format::Discord
        );
        assert_eq!(format("https://ntfy.sh/my-topic")?, Format::Ntfy);
        assert_eq!(format("https://example.com/hook?token=t")?, Format::Json);
        assert_eq!(format("ntfy+http://127.0.0.1:8080/topic")?, Format::Ntfy);
        let plain = parse_destination("http://127.0.0.1/x")?;
        assert_eq!(plain.format(Some(Format::Slack)), Format::Slack);
        Ok(())
    }

    #[test]
    fn secrets_in_the_url_are_never_shown() -> Result<(), String> {
        let d = parse_destination("https://hooks.slack.com/services/T0/B0/secret-token")?;
        assert_eq!(d.redacted(), "https://hooks.slack.com/…");
        let d = parse_destination("http://127.0.0.1:9000/hook?token=secret-token")?;
        assert_eq!(d.redacted(), "http://127.0.0.1:9000/…");
        assert!(!format!("{d:?}").contains("secret-token"));
        for bad in [
            "ftp://h/secret-token",
            "secret-token",
            "mailto:secret-token@x",
        ] {
            let err = parse_destination(bad).map(|_| ()).unwrap_err();
            assert!(!err.contains("secret-token"), "{err}");
        }
        Ok(())
    }

    #[test]
    fn messages_say_what_changed() {
        assert_eq!(
            event(State::Low, Some(State::Ok)).text(),
            "billfold: olostep:team-b is LOW: 900 credits left, runway 9d (was ok)"
        );
        assert_eq!(
            event(State::Ok, Some(State::Low)).text(),
            "billfold: olostep:team-b is ok again: 900 credits, runway 9d (was LOW)"
        );
        let mut failing = event(State::Failing, Some(State::Ok));
        failing.error = Some("timeout".into());
        assert_eq!(
            failing.text(),
            "billfold: olostep:team-b is FAILING: its balance cannot be read (timeout) (was ok)"
        );
        let json = event(State::Low, None).json();
        assert_eq!(json["state"], "low");
        assert_eq!(json["previous"], serde_json::Value::Null);
    }
}
