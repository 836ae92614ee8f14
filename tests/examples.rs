//! Every example in every effective spec decodes with the generated types, and re-encoding it
//! gives the same JSON back: nothing in it is lost (unknown fields would be dropped silently).

use billfold::{aiml, anchor, giga, neo, olostep};
use billfold_tests::generated;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Decodes `example` as `T`, re-encodes it, and compares.
fn round_trip<T: DeserializeOwned + Serialize>(example: &Value) -> Result<(), String> {
    let typed: T =
        serde_json::from_value(example.clone()).map_err(|e| format!("does not decode: {e}"))?;
    let back = serde_json::to_value(&typed).map_err(|e| format!("does not encode: {e}"))?;
    same(example, &back, "")
}

/// JSON equality where numbers compare by value (`50` == `50.0`) and a null field equals an
/// absent one (optional fields are skipped when empty).
fn same(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => Ok(()),
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = format!("{at}/{key}");
                match b.get(key) {
                    Some(other) => same(value, other, &here)?,
                    None if value.is_null() => {}
                    None => return Err(format!("{here} is lost: {value}")),
                }
            }
            for (key, value) in b {
                if !a.contains_key(key) && !value.is_null() && value != &Value::Array(Vec::new()) {
                    return Err(format!("{at}/{key} appears from nowhere: {value}"));
                }
            }
            Ok(())
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .try_for_each(|(i, (x, y))| same(x, y, &format!("{at}/{i}"))),
        (a, b) if a == b => Ok(()),
        (a, b) if a.is_string() && b.is_string() => {
            // Dates are re-encoded in RFC 3339 with another precision: compare the instants.
            let parse = |v: &Value| {
                v.as_str()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            };
            match (parse(a), parse(b)) {
                (Some(x), Some(y)) if x == y => Ok(()),
                _ => Err(format!("{at}: {a} became {b}")),
            }
        }
        (a, b) => Err(format!("{at}: {a} became {b}")),
    }
}

/// Which generated type an example of (provider, operationId, place) must decode as.
fn check(
    provider: &str,
    operation: &str,
    place: &str,
    example: &Value,
) -> Option<Result<(), String>> {
    Some(match (provider, operation, place) {
        ("anchor", "get_billing", "200") => {
            round_trip::<anchor::types::BillingInfoResponse>(example)
        }
        ("anchor", "get_billing", "401" | "500") => {
            round_trip::<anchor::types::ErrorResponse>(example)
        }
        ("neo", "get-v1-billing-credits", "200") => {
            round_trip::<neo::types::BillingCreditsResponse>(example)
        }
        ("neo", "get-v1-billing-credits", "401" | "500") => {
            round_trip::<neo::types::ErrorResponse>(example)
        }
        ("olostep", "get_credits_info", "200") => {
            round_trip::<olostep::types::CreditsInfoResponse>(example)
        }
        ("olostep", "get_credits_info", "500") => {
            round_trip::<olostep::types::ErrorResponse>(example)
        }
        ("aiml", "get_balance", "200") => round_trip::<aiml::types::BalanceResponse>(example),
        ("giga", "get_billing", "200") => round_trip::<giga::types::BillingInfoResponse>(example),
        ("giga", "list_plans", "200") => round_trip::<giga::types::PlansResponse>(example),
        ("giga", "subscribe" | "recharge", "200") => {
            round_trip::<giga::types::CheckoutResponse>(example)
        }
        ("giga", "subscribe", "request") => round_trip::<giga::types::SubscribeRequest>(example),
        ("giga", "recharge", "request") => round_trip::<giga::types::RechargeRequest>(example),
        _ => return None,
    })
}

/// The examples of one JSON media type object: `example` and every `examples.*.value`.
fn media_examples(media: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(example) = media.get("example") {
        out.push(("example".to_owned(), example.clone()));
    }
    if let Some(Value::Object(examples)) = media.get("examples") {
        for (name, example) in examples {
            if let Some(value) = example.get("value") {
                out.push((name.clone(), value.clone()));
            }
        }
    }
    out
}

#[test]
fn every_example_decodes_and_nothing_is_lost() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for g in generated() {
        let id = g.provider.id.as_str();
        let paths = g.effective["paths"].as_object().expect("paths");
        for item in paths.values() {
            for op in item.as_object().expect("path item").values() {
                let Some(operation) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let mut places: Vec<(String, &Value)> = Vec::new();
                if let Some(Value::Object(responses)) = op.get("responses") {
                    for (status, response) in responses {
                        if let Some(media) = response.pointer("/content/application~1json") {
                            places.push((status.clone(), media));
                        }
                    }
                }
                if let Some(media) = op.pointer("/requestBody/content/application~1json") {
                    places.push(("request".to_owned(), media));
                }
                for (place, media) in places {
                    for (name, example) in media_examples(media) {
                        match check(id, operation, &place, &example) {
                            Some(Ok(())) => checked += 1,
                            Some(Err(e)) => failures.push(format!("{id} {operation} {place} {name}: {e}")),
                            None => failures.push(format!(
                                "{id} {operation} {place} {name}: no type mapped for this example; add it to `check`"
                            )),
                        }
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // anchor 1, olostep 2, aiml 1, giga 6 (4 responses + 2 requests).
    assert_eq!(checked, 10, "the number of examples in the specs changed");
}

#[test]
fn anchor_keeps_limits_beside_data_as_published() {
    let g = billfold_tests::provider("anchor");
    let example = g
        .effective
        .pointer("/paths/~1v1~1billing/get/responses/200/content/application~1json/examples/billingInfo/value")
        .expect("the published example");
    let decoded: anchor::types::BillingInfoResponse =
        serde_json::from_value(example.clone()).unwrap();
    assert_eq!(decoded.max_concurrent_browsers, Some(25.0));
    assert_eq!(decoded.cost_limit, Some(100.0));
    assert_eq!(decoded.data.as_ref().map(|d| d.credits), Some(42.5));
}

#[test]
fn anchor_keeps_limits_inside_data_as_the_schema_says() {
    let body = serde_json::json!({"data": {
        "credits": 1, "credits_used": 2, "included_credits": 3, "billing_period": "2026-04",
        "tier": "t", "max_concurrent_browsers": -1, "cost_limit": null
    }});
    let decoded: anchor::types::BillingInfoResponse = serde_json::from_value(body.clone()).unwrap();
    let data = decoded.data.as_ref().unwrap();
    assert_eq!(data.max_concurrent_browsers, Some(-1.0));
    assert_eq!(data.cost_limit, None);
    assert_eq!(decoded.max_concurrent_browsers, None);
    same(&body, &serde_json::to_value(&decoded).unwrap(), "").unwrap();
}

#[test]
fn the_comparison_catches_a_lost_field() {
    let with_extra = serde_json::json!({"balance": 1, "surprise": true});
    let err = round_trip::<aiml::types::BalanceResponse>(&with_extra).unwrap_err();
    assert!(err.contains("/surprise is lost"), "{err}");
}
