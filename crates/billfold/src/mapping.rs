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
    /// What names each row when the pointers hold a `[*]` segment (one row per element).
    pub(crate) row_label: &'static [&'static str],
}

impl BalanceMapping {
    /// The balance in `response` (the typed response, re-encoded as JSON), keeping `details`;
    /// `base_url` is the client's, when known (for `unit_by_host`). When the pointers hold a
    /// `[*]` segment, each element of that array is its own row: the balance is the first
    /// row, and [`Balance::rows`] holds them all.
    pub(crate) fn read(
        &self,
        provider: ProviderId,
        response: &Value,
        details: Details,
        base_url: Option<&str>,
    ) -> Balance {
        let Some(count) = self.row_count(response) else {
            return self.read_row(provider, response, details, base_url, None);
        };
        let rows: Vec<Balance> = (0..count)
            .map(|index| {
                let mut row =
                    self.read_row(provider, response, details.clone(), base_url, Some(index));
                row.row = Some(
                    first(response, self.row_label, Some(index))
                        .and_then(|v| match v {
                            Value::String(text) if !text.trim().is_empty() => {
                                Some(text.trim().to_owned())
                            }
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        })
                        .unwrap_or_else(|| index.to_string()),
                );
                row
            })
            .collect();
        match rows.first() {
            Some(first_row) => {
                let mut balance = first_row.clone();
                balance.rows = rows;
                balance
            }
            // An empty list: no row, and nothing the pointers could read.
            None => self.read_row(provider, response, details, base_url, Some(usize::MAX)),
        }
    }

    /// Every pointer of the mapping, in one list.
    fn all_pointers(&self) -> impl Iterator<Item = &'static str> + '_ {
        [
            self.available,
            self.used,
            self.allotted,
            self.plan,
            self.expires_at,
            self.usable,
            self.low,
            self.spend_limit,
            self.concurrency_limit,
            self.unit_pointer,
            self.row_label,
        ]
        .into_iter()
        .flatten()
        .copied()
    }

    /// How many rows the response has: the length of the array at the first `[*]` pointer's
    /// prefix (0 when it is missing or not an array); `None` when no pointer has `[*]`.
    fn row_count(&self, response: &Value) -> Option<usize> {
        let pointer = self.all_pointers().find(|p| p.contains("/[*]"))?;
        let prefix = &pointer[..pointer.find("/[*]")?];
        let prefix = prefix.strip_prefix('!').unwrap_or(prefix);
        Some(
            at(response, prefix, None)
                .and_then(Value::as_array)
                .map_or(0, Vec::len),
        )
    }

    /// One balance: the whole response's, or row `row`'s (`[*]` segments stand for it).
    fn read_row(
        &self,
        provider: ProviderId,
        response: &Value,
        details: Details,
        base_url: Option<&str>,
        row: Option<usize>,
    ) -> Balance {
        let mut balance = Balance::new(provider, details);
        let amount = |pointers: &[&str]| self.amount(response, pointers, row);
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
        balance.plan = first(response, self.plan, row).and_then(|v| match v {
            Value::String(text) => Some(text.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        balance.expires_at = first(response, self.expires_at, row).and_then(instant);
        balance.usable = flag(response, self.usable, row);
        balance.low = flag(response, self.low, row);
        balance.spend_limit = amount(self.spend_limit);
        balance.concurrency_limit =
            number(response, self.concurrency_limit, self.decimal_strings, row);
        balance.unit = first(response, self.unit_pointer, row)
            .and_then(Value::as_str)
            .filter(|u| !u.trim().is_empty())
            .map(|u| currency_case(u.trim()))
            .or_else(|| self.unit_for_host(base_url?).map(str::to_owned))
            .unwrap_or_else(|| self.unit.to_owned());
        balance
    }

    /// An amount: the number at the first pointer present, scaled and sign-flipped as the
    /// mapping says.
    fn amount(&self, response: &Value, pointers: &[&str], row: Option<usize>) -> Option<f64> {
        let value = number(response, pointers, self.decimal_strings, row)? * self.scale;
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
/// the element of an array whose `field` equals value (as a string, number or boolean), or
/// `[*]`, the element of row `row` (nothing when there is no row).
pub(crate) fn at<'a>(response: &'a Value, pointer: &str, row: Option<usize>) -> Option<&'a Value> {
    if !pointer.contains('[') {
        return response.pointer(pointer);
    }
    if pointer.is_empty() {
        return Some(response);
    }
    let mut here = response;
    for raw in pointer.strip_prefix('/')?.split('/') {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if segment == "[*]" {
            here = here.as_array()?.get(row?)?;
            continue;
        }
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

fn first<'a>(response: &'a Value, pointers: &[&str], row: Option<usize>) -> Option<&'a Value> {
    pointers
        .iter()
        .find_map(|p| at(response, p, row).filter(|v| !v.is_null()))
}

fn number(response: &Value, pointers: &[&str], strings: bool, row: Option<usize>) -> Option<f64> {
    pointers.iter().find_map(|p| match at(response, p, row)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if strings => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    })
}

fn flag(response: &Value, pointers: &[&str], row: Option<usize>) -> Option<bool> {
    pointers.iter().find_map(|p| {
        let (negate, p) = match p.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, *p),
        };
        at(response, p, row)
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
        assert_eq!(number(&response, &["/a", "/b"], false, None), Some(3.0));
        assert_eq!(number(&response, &["/missing"], false, None), None);
        assert_eq!(flag(&response, &["!/ok"], None), Some(true));
        assert_eq!(flag(&response, &["/ok"], None), Some(false));
    }

    #[test]
    fn strings_selectors_scale_sign_and_hosts() {
        let response = json!({"infos": [
            {"currency": "CNY", "total": "110.00"},
            {"currency": "USD", "total": " 15.5 "}
        ], "cents": "-2500", "n": 7});
        assert_eq!(
            number(&response, &["/infos/[currency=USD]/total"], true, None),
            Some(15.5)
        );
        assert_eq!(
            number(&response, &["/infos/[currency=USD]/total"], false, None),
            None
        );
        assert_eq!(
            number(&response, &["/infos/[currency=EUR]/total"], true, None),
            None
        );
        assert_eq!(
            at(&response, "/infos/1/currency", None),
            Some(&json!("USD"))
        );
        assert_eq!(
            at(&response, "/infos/[currency=CNY]/currency", None),
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
            row_label: &[],
        };
        assert_eq!(
            by_host.unit_for_host("https://API.moonshot.cn/v1"),
            Some("CNY")
        );
        assert_eq!(by_host.unit_for_host("https://api.moonshot.ai"), None);
        assert_eq!(by_host.amount(&response, &["/n"], None), Some(-0.07));
        assert_eq!(by_host.amount(&json!({"n": 0}), &["/n"], None), Some(0.0));
    }

    /// One balance row as the test compares it: (row, available, unit, usable).
    type Row<'a> = (Option<&'a str>, Option<f64>, &'a str, Option<bool>);

    #[test]
    fn a_star_segment_makes_one_row_per_element() {
        let Some(provider) = ProviderId::ALL.first().copied() else {
            return;
        };
        let details = || Balance::new(provider, Details::Custom(Value::Null)).details;
        let rows = BalanceMapping {
            available: &["/infos/[*]/total"],
            used: &[],
            allotted: &[],
            plan: &[],
            expires_at: &[],
            usable: &["/ok"],
            low: &[],
            spend_limit: &[],
            concurrency_limit: &[],
            unit: "credits",
            decimal_strings: true,
            scale: 1.0,
            negate: false,
            unit_pointer: &["/infos/[*]/currency"],
            unit_by_host: &[],
            row_label: &["/infos/[*]/currency"],
        };
        let response = json!({"ok": true, "infos": [
            {"currency": "CNY", "total": "110.00"},
            {"currency": "usd", "total": 15.5},
            {"total": 1}
        ]});
        let balance = rows.read(provider, &response, details(), None);
        let seen: Vec<Row> = balance
            .rows
            .iter()
            .map(|r| (r.row.as_deref(), r.available, r.unit.as_str(), r.usable))
            .collect();
        assert_eq!(
            seen,
            [
                (Some("CNY"), Some(110.0), "CNY", Some(true)),
                (Some("usd"), Some(15.5), "USD", Some(true)),
                // No label: its index; no unit: the literal.
                (Some("2"), Some(1.0), "credits", Some(true)),
            ]
        );
        // The balance itself is the first row.
        assert_eq!(
            (balance.row.as_deref(), balance.available),
            (Some("CNY"), Some(110.0))
        );
        assert!(balance.rows.iter().all(|r| r.rows.is_empty()));
        // No list, or an empty one: no rows, and nothing read through `[*]`.
        for empty in [
            json!({"ok": true}),
            json!({"ok": true, "infos": []}),
            json!({"infos": 3}),
        ] {
            let balance = rows.read(provider, &empty, details(), None);
            assert!(balance.rows.is_empty() && balance.row.is_none(), "{empty}");
            assert_eq!(balance.available, None);
        }
        // `[*]` outside a row reads nothing.
        assert_eq!(at(&response, "/infos/[*]/total", None), None);
        assert_eq!(at(&response, "/infos/[*]/total", Some(9)), None);
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
