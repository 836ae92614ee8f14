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
    /// Amounts may be decimal strings (`"110.00"`).
    pub(crate) decimal_strings: bool,
    /// Every amount is multiplied by this (`0.01` for cents).
    pub(crate) scale: f64,
    /// Every amount's sign is flipped.
    pub(crate) negate: bool,
    /// Where the unit or currency is in the response, if it says.
    pub(crate) unit_pointer: &'static [&'static str],
    /// The unit by the base URL's host: (host, unit).
    pub(crate) unit_by_host: &'static [(&'static str, &'static str)],
}

impl BalanceMapping {
    /// The balance in `response` (the typed response, re-encoded as JSON), keeping `details`;
    /// `base_url` is the client's, when known (for `unit_by_host`).
    pub(crate) fn read(
        &self,
        provider: ProviderId,
        response: &Value,
        details: Details,
        base_url: Option<&str>,
    ) -> Balance {
        let mut balance = Balance::new(provider, details);
        let amount = |pointers: &[&str]| self.amount(response, pointers);
        balance.available = amount(self.available);
        balance.used = amount(self.used);
        balance.allotted = amount(self.allotted);
        // A provider that reports only what was allotted and what was used has the difference
        // left.
        if balance.available.is_none()
            && self.available.is_empty()
            && let (Some(allotted), Some(used)) = (balance.allotted, balance.used)
        {
            balance.available = Some(allotted - used);
        }
        balance.plan = first(response, self.plan).and_then(|v| match v {
            Value::String(text) => Some(text.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        balance.expires_at = first(response, self.expires_at).and_then(instant);
        balance.usable = flag(response, self.usable);
        balance.low = flag(response, self.low);
        balance.spend_limit = amount(self.spend_limit);
        balance.concurrency_limit = number(response, self.concurrency_limit, self.decimal_strings);
        balance.unit = first(response, self.unit_pointer)
            .and_then(Value::as_str)
            .filter(|u| !u.trim().is_empty())
            .map(|u| currency_case(u.trim()))
            .or_else(|| self.unit_for_host(base_url?).map(str::to_owned))
            .unwrap_or_else(|| self.unit.to_owned());
        balance
    }

    /// An amount: the number at the first pointer present, scaled and sign-flipped as the
    /// mapping says.
    fn amount(&self, response: &Value, pointers: &[&str]) -> Option<f64> {
        let value = number(response, pointers, self.decimal_strings)? * self.scale;
        // `0.0 * -1.0` is `-0.0`; keep a plain zero.
        Some(if self.negate && value != 0.0 {
            -value
        } else {
            value
        })
    }

    /// The unit `unit_by_host` names for the host of `base_url`.
    fn unit_for_host(&self, base_url: &str) -> Option<&'static str> {
        let host = host_of(base_url);
        self.unit_by_host
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(host))
            .map(|(_, unit)| *unit)
    }
}

/// A balance operation's path or query parameter, read from the env var the manifest names
/// (`[<id>.balance] parameters`); a missing or empty one is a configuration error naming it.
pub(crate) fn parameter(
    provider: ProviderId,
    name: &str,
    env_var: &str,
) -> Result<String, crate::balance::BalanceError> {
    match std::env::var(env_var) {
        Ok(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
        _ => Err(crate::balance::BalanceError {
            kind: crate::balance::ErrorKind::Config,
            status: None,
            message: format!(
                "{}: the balance request needs its `{name}` parameter: set {env_var}",
                provider.name()
            ),
        }),
    }
}

/// A unit read from a response: three ASCII letters are a currency code (ISO 4217), shown
/// upper-case (`usd` → `USD`); anything else as sent.
fn currency_case(unit: &str) -> String {
    if unit.len() == 3 && unit.chars().all(|c| c.is_ascii_alphabetic()) {
        unit.to_ascii_uppercase()
    } else {
        unit.to_owned()
    }
}

/// The host of a URL (`https://api.moonshot.cn/v1` → `api.moonshot.cn`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    }
}

/// The value at `pointer`: a JSON pointer whose segments may also be `[field=value]`, picking
/// the element of an array whose `field` equals `value` (as a string, number or boolean).
pub(crate) fn at<'a>(response: &'a Value, pointer: &str) -> Option<&'a Value> {
    if !pointer.contains('[') {
        return response.pointer(pointer);
    }
    if pointer.is_empty() {
        return Some(response);
    }
    let mut here = response;
    for raw in pointer.strip_prefix('/')?.split('/') {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        here = match segment
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.split_once('='))
        {
            Some((field, wanted)) => {
                here.as_array()?.iter().find(|item| match item.get(field) {
                    Some(Value::String(s)) => s == wanted,
                    Some(other @ (Value::Number(_) | Value::Bool(_))) => {
                        wanted.parse::<Value>().is_ok_and(|w| w == *other)
                    }
                    _ => false,
                })?
            }
            None => match here {
                Value::Object(map) => map.get(&segment)?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            },
        };
    }
    Some(here)
}

fn first<'a>(response: &'a Value, pointers: &[&str]) -> Option<&'a Value> {
    pointers
        .iter()
        .find_map(|p| at(response, p).filter(|v| !v.is_null()))
}

fn number(response: &Value, pointers: &[&str], strings: bool) -> Option<f64> {
    pointers.iter().find_map(|p| match at(response, p)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if strings => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    })
}

fn flag(response: &Value, pointers: &[&str]) -> Option<bool> {
    pointers.iter().find_map(|p| {
        let (negate, p) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, *p),
        };
        at(response, p)
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
            // A date and time without an offset is taken as UTC; a date alone as its start.
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|t| t.and_utc())
            })
            .or_else(|| {
                NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc())
            })
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
        assert_eq!(
            at(json!("2026-12-17")),
            Some("2026-12-17T00:00:00+00:00".into())
        );
        assert_eq!(
            at(json!("2022-02-11T00:00:00")),
            Some("2022-02-11T00:00:00+00:00".into())
        );
        assert_eq!(at(json!("soon")), None);
        assert_eq!(at(json!(true)), None);
    }

    #[test]
    fn lists_try_in_order_and_flags_negate() {
        let response = json!({"a": null, "b": 3, "ok": false});
        assert_eq!(number(&response, &["/a", "/b"], false), Some(3.0));
        assert_eq!(number(&response, &["/missing"], false), None);
        assert_eq!(flag(&response, &["!/ok"]), Some(true));
        assert_eq!(flag(&response, &["/ok"]), Some(false));
    }

    #[test]
    fn strings_selectors_scale_sign_and_hosts() {
        let response = json!({"infos": [
            {"currency": "CNY", "total": "110.00"},
            {"currency": "USD", "total": " 15.5 "}
        ], "cents": "-2500", "n": 7});
        assert_eq!(
            number(&response, &["/infos/[currency=USD]/total"], true),
            Some(15.5)
        );
        assert_eq!(
            number(&response, &["/infos/[currency=USD]/total"], false),
            None
        );
        assert_eq!(
            number(&response, &["/infos/[currency=EUR]/total"], true),
            None
        );
        assert_eq!(at(&response, "/infos/1/currency"), Some(&json!("USD")));
        assert_eq!(
            at(&response, "/infos/[currency=CNY]/currency"),
            Some(&json!("CNY"))
        );
        assert_eq!(host_of("https://api.moonshot.cn/v1"), "api.moonshot.cn");
        assert_eq!(host_of("http://user@127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_of("api.x.ai"), "api.x.ai");
        assert_eq!(currency_case("usd"), "USD");
        assert_eq!(currency_case("credits"), "credits");
        let by_host = BalanceMapping {
            available: &["/n"],
            used: &[],
            allotted: &[],
            plan: &[],
            expires_at: &[],
            usable: &[],
            low: &[],
            spend_limit: &[],
            concurrency_limit: &[],
            unit: "USD",
            decimal_strings: false,
            scale: 0.01,
            negate: true,
            unit_pointer: &[],
            unit_by_host: &[("api.moonshot.cn", "CNY")],
        };
        assert_eq!(
            by_host.unit_for_host("https://API.moonshot.cn/v1"),
            Some("CNY")
        );
        assert_eq!(by_host.unit_for_host("https://api.moonshot.ai"), None);
        assert_eq!(by_host.amount(&response, &["/n"]), Some(-0.07));
        assert_eq!(by_host.amount(&json!({"n": 0}), &["/n"]), Some(0.0));
    }

    #[test]
    fn a_missing_parameter_names_its_setting() {
        let Some(provider) = ProviderId::ALL.first().copied() else {
            return;
        };
        let error = parameter(provider, "team_id", "BILLFOLD_TEST_NEVER_SET_TEAM").unwrap_err();
        assert_eq!(error.kind, crate::balance::ErrorKind::Config);
        assert!(
            error
                .message
                .ends_with("needs its `team_id` parameter: set BILLFOLD_TEST_NEVER_SET_TEAM"),
            "{}",
            error.message
        );
    }
}
