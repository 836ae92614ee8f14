//! The gauges `billfold serve` exports, in the OpenMetrics text format.
//!
//! They change only when a refresh ends, so the text is encoded then, under the lock that
//! guards the registry, and a scrape only copies a reference to it: scrapes cost no encoding
//! and never query a provider.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

/// The content type of [`Metrics::body`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The labels of every gauge: the provider's id and the account's label (empty for the
/// account configured by the provider's env vars; Prometheus treats an empty label as absent).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Labels {
    /// Provider id, e.g. `olostep`.
    pub provider: String,
    /// Account label, e.g. `team-b`, or empty.
    pub account: String,
}

type Gauges = Family<Labels, Gauge<f64, AtomicU64>>;

/// What one refresh found out about one account.
#[derive(Clone, Debug)]
pub enum Observation {
    /// The balance was read; `None` values are unknown and not exported.
    Success {
        /// Credits available.
        available: Option<f64>,
        /// Credits used this period.
        used: Option<f64>,
        /// Credits allotted.
        allotted: Option<f64>,
        /// Low by the same rules as the balance table.
        low: Option<bool>,
        /// Runway in days.
        days_left: Option<f64>,
        /// When it was read, in unix seconds.
        at: f64,
    },
    /// The query failed: the last good values stay, `billfold_provider_up` goes to 0.
    Failure,
}

struct Inner {
    registry: Registry,
    available: Gauges,
    used: Gauges,
    allotted: Gauges,
    low: Gauges,
    up: Gauges,
    last_success: Gauges,
    days_left: Gauges,
    duration: Gauges,
    body: Bytes,
}

/// The registry and its gauges, behind one lock, with the encoded text of the last update.
pub struct Metrics {
    inner: RwLock<Inner>,
}

impl Metrics {
    /// An empty registry with every gauge registered.
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::default();
        let mut gauge = |name: &str, help: &str, unit: Option<Unit>| {
            let family = Gauges::default();
            match unit {
                Some(unit) => registry.register_with_unit(name, help, unit, family.clone()),
                None => registry.register(name, help, family.clone()),
            }
            family
        };
        let available = gauge("billfold_credits_available", "Credits available now", None);
        let used = gauge(
            "billfold_credits_used",
            "Credits used in the current period",
            None,
        );
        let allotted = gauge(
            "billfold_credits_allotted",
            "Credits allotted for the current period",
            None,
        );
        let low = gauge(
            "billfold_balance_low",
            "1 when the balance is low (the provider's flag, --warn-below or --warn-days)",
            None,
        );
        let up = gauge(
            "billfold_provider_up",
            "1 when the last query of the account succeeded, else 0",
            None,
        );
        let last_success = gauge(
            "billfold_last_success_timestamp",
            "When the account was last read successfully (unix time)",
            Some(Unit::Seconds),
        );
        let days_left = gauge(
            "billfold_days_until_empty",
            "Days until the credits run out at the burn rate of the window",
            None,
        );
        let duration = gauge(
            "billfold_refresh_duration",
            "How long the last query of the account took",
            Some(Unit::Seconds),
        );
        let mut inner = Inner {
            registry,
            available,
            used,
            allotted,
            low,
            up,
            last_success,
            days_left,
            duration,
            body: Bytes::new(),
        };
        inner.encode();
        Arc::new(Metrics {
            inner: RwLock::new(inner),
        })
    }

    /// Applies one refresh's observations (with how long each query took) and encodes the text.
    pub fn update(&self, observations: Vec<(Labels, Observation, Duration)>) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        for (labels, observation, took) in observations {
            inner.observe(&labels, observation, took);
        }
        inner.encode();
    }

    /// The encoded text of the last update (cheap: a reference count).
    pub fn body(&self) -> Bytes {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .body
            .clone()
    }
}

impl Inner {
    fn observe(&mut self, labels: &Labels, observation: Observation, took: Duration) {
        self.duration.get_or_create(labels).set(took.as_secs_f64());
        let set = |family: &Gauges, value: Option<f64>| match value.filter(|v| v.is_finite()) {
            Some(v) => {
                family.get_or_create(labels).set(v);
            }
            None => {
                family.remove(labels);
            }
        };
        match observation {
            Observation::Success {
                available,
                used,
                allotted,
                low,
                days_left,
                at,
            } => {
                set(&self.available, available);
                set(&self.used, used);
                set(&self.allotted, allotted);
                set(&self.low, low.map(|l| if l { 1.0 } else { 0.0 }));
                set(&self.days_left, days_left);
                set(&self.last_success, Some(at));
                set(&self.up, Some(1.0));
            }
            Observation::Failure => set(&self.up, Some(0.0)),
        }
    }

    fn encode(&mut self) {
        let mut text = String::with_capacity(self.body.len().max(1024));
        match prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            Ok(()) => self.body = Bytes::from(text),
            // Writing to a String cannot fail; were it to, the previous text stays.
            Err(_) => eprintln!("billfold: warning: could not encode the metrics"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels {
            provider: "olostep".into(),
            account: "team-b".into(),
        }
    }

    fn body(metrics: &Metrics) -> String {
        String::from_utf8_lossy(&metrics.body()).into_owned()
    }

    #[test]
    fn failures_keep_the_last_good_values() {
        let metrics = Metrics::new();
        assert!(body(&metrics).ends_with("# EOF\n"));
        metrics.update(vec![(
            labels(),
            Observation::Success {
                available: Some(90.0),
                used: None,
                allotted: None,
                low: Some(false),
                days_left: Some(4.5),
                at: 1_700_000_000.0,
            },
            Duration::from_millis(250),
        )]);
        let text = body(&metrics);
        let line = r#"{provider="olostep",account="team-b"}"#;
        for expected in [
            format!("billfold_credits_available{line} 90.0"),
            format!("billfold_provider_up{line} 1.0"),
            format!("billfold_days_until_empty{line} 4.5"),
            format!("billfold_balance_low{line} 0.0"),
            format!("billfold_refresh_duration_seconds{line} 0.25"),
            "# UNIT billfold_last_success_timestamp_seconds seconds".to_owned(),
        ] {
            assert!(text.contains(&expected), "{expected} not in\n{text}");
        }
        assert!(!text.contains("billfold_credits_used{"), "{text}");
        metrics.update(vec![(
            labels(),
            Observation::Failure,
            Duration::from_secs(1),
        )]);
        let text = body(&metrics);
        assert!(
            text.contains(&format!("billfold_provider_up{line} 0.0")),
            "{text}"
        );
        assert!(
            text.contains(&format!("billfold_credits_available{line} 90.0")),
            "{text}"
        );
    }
}
