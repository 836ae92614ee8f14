//! Reading a [`Balance`] out of a provider's JSON response with the pointers of its
//! `[<id>.balance]` entry in `specs/providers.toml` (the generated `providers` module holds one
//! [`BalanceMapping`] per provider).
// A build without any provider feature has no balance to read: `ProviderId` is empty and all
// of this is unused there.
#![allow(dead_code, unused_variables, unused_mut)]

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::Value;

use crate::balance::{Balance, Details, ProviderId};

/// Where each [`Balance`] field is in one provider's balance response: JSON pointers tried in
/// order (the first present, non-null value wins); a flag pointer starting with `!` negates.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BalanceMapping {
    pub(crate) available: &'static [&'static str],
    pub(crate) used: &'static [&'static str],
    pub(crate) allotted: &'static [&'static str],
    pub(crate) plan: &'static [&'static str],
    pub(crate) expires_at: &'static [&'static str],
    pub(crate) usable: &'static [&'static str],
    pub(crate) low: &'static [&'static str],
    pub(crate) spend_limit: &'static [&'static str],
    pub(crate) concurrency_limit: &'static [&'static str],
    pub(crate) unit: &'static str,
}

impl BalanceMapping {
    /// The balance in `response` (the typed response, re-encoded as JSON), keeping `details`.
    pub(crate) fn read(&self, provider: ProviderId, response: &Value, details: Details) -> Balance {
        let mut balance = Balance::new(provider, details);
        balance.available = number(response, self.available);
        balance.used = number(response, self.used);
        balance.allotted = number(response, self.allotted);
        balance.plan = first(response, self.plan).and_then(|v| match v {
            Value::String(text) => Some(text.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        balance.expires_at = first(response, self.expires_at).and_then(instant);
        balance.usable = flag(response, self.usable);
        balance.low = flag(response, self.low);
        balance.spend_limit = number(response, self.spend_limit);
        balance.concurrency_limit = number(response, self.concurrency_limit);
        balance.unit = self.unit;
        balance
    }
}

fn first<'a>(response: &'a Value, pointers: &[&str]) -> Option<&'a Value> {
    pointers
        .iter()
        .find_map(|p| response.pointer(p).filter(|v| !v.is_null()))
}

fn number(response: &Value, pointers: &[&str]) -> Option<f64> {
    pointers
        .iter()
        .find_map(|p| response.pointer(p).and_then(Value::as_f64))
}

fn flag(response: &Value, pointers: &[&str]) -> Option<bool> {
    pointers.iter().find_map(|p| {
        let (negate, p) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, *p),
        };
        response
            .pointer(p)
            .and_then(Value::as_bool)
            .map(|b| b != negate)
    })
}

/// An instant from an RFC 3339 string, unix seconds, or a `YYYY-MM` period (its end: the first
/// instant of the next month).
fn instant(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(n) => {
            let seconds = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?;
            DateTime::from_timestamp(seconds, 0)
        }
        Value::String(text) => DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| end_of_month(text)),
        _ => None,
    }
}

/// The first instant after a `YYYY-MM` period.
fn end_of_month(period: &str) -> Option<DateTime<Utc>> {
    let start = NaiveDate::parse_from_str(&format!("{}-01", period.trim()), "%Y-%m-%d").ok()?;
    let (year, month) = if start.month() == 12 {
        (start.year() + 1, 1)
    } else {
        (start.year(), start.month() + 1)
    };
    Some(
        NaiveDate::from_ymd_opt(year, month, 1)?
            .and_hms_opt(0, 0, 0)?
            .and_utc(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn instants_in_every_accepted_form() {
        let at = |v: Value| instant(&v).map(|t| t.to_rfc3339());
        assert_eq!(
            at(json!("2026-04")),
            Some("2026-05-01T00:00:00+00:00".into())
        );
        assert_eq!(
            at(json!("2026-12")),
            Some("2027-01-01T00:00:00+00:00".into())
        );
        assert_eq!(
            at(json!(1735689600)),
            Some("2025-01-01T00:00:00+00:00".into())
        );
        assert_eq!(
            at(json!("2024-04-01T00:00:00.000Z")),
            Some("2024-04-01T00:00:00+00:00".into())
        );
        assert_eq!(at(json!("soon")), None);
        assert_eq!(at(json!(true)), None);
    }

    #[test]
    fn lists_try_in_order_and_flags_negate() {
        let response = json!({"a": null, "b": 3, "ok": false});
        assert_eq!(number(&response, &["/a", "/b"]), Some(3.0));
        assert_eq!(number(&response, &["/missing"]), None);
        assert_eq!(flag(&response, &["!/ok"]), Some(true));
        assert_eq!(flag(&response, &["/ok"]), Some(false));
    }
}
