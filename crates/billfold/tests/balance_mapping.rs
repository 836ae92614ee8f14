//! Each provider's documented response maps into `Balance` as the module docs say.

use billfold::balance::{Balance, Details, ProviderId};
use chrono::{TimeZone, Utc};
use serde_json::json;

fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("the example decodes")
}

#[test]
fn anchor_limits_count_beside_data() {
    let balance = Balance::from(decode::<billfold::anchor::types::BillingInfoResponse>(
        json!({
            "data": {"credits": 42.5, "credits_used": 12.5, "included_credits": 50, "billing_period": "2026-12",
                     "tier": "monthly_starter", "gifts_balance": 42.5},
            "max_concurrent_browsers": 25, "cost_limit": 100
        }),
    ));
    assert_eq!(balance.provider, ProviderId::Anchor);
    assert_eq!(
        (balance.available, balance.used, balance.allotted),
        (Some(42.5), Some(12.5), Some(50.0))
    );
    assert_eq!(balance.plan.as_deref(), Some("monthly_starter"));
    assert_eq!(
        balance.expires_at,
        Some(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap())
    );
    assert_eq!(
        (balance.spend_limit, balance.concurrency_limit),
        (Some(100.0), Some(25.0))
    );
    assert_eq!((balance.usable, balance.low), (None, None));
    assert!(matches!(balance.details, Details::Anchor(_)));
}

#[test]
fn anchor_limits_count_inside_data() {
    let balance = Balance::from(decode::<billfold::anchor::types::BillingInfoResponse>(
        json!({
            "data": {"credits": 1, "credits_used": 0, "included_credits": 1, "billing_period": "2026-04",
                     "tier": "free", "max_concurrent_browsers": -1, "cost_limit": 7.5}
        }),
    ));
    assert_eq!(
        (balance.spend_limit, balance.concurrency_limit),
        (Some(7.5), Some(-1.0))
    );
    assert_eq!(
        balance.expires_at,
        Some(Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap())
    );
}

#[test]
fn neo_maps_credits_and_expiry() {
    let balance = Balance::from(decode::<billfold::neo::types::BillingCreditsResponse>(
        json!({
            "available_credits": 0, "issued_credits": 100, "used_credits": 100,
            "expires_at": "2026-01-31T12:00:00Z", "is_expired": true
        }),
    ));
    assert_eq!(
        (balance.available, balance.used, balance.allotted),
        (Some(0.0), Some(100.0), Some(100.0))
    );
    assert_eq!(
        balance.expires_at,
        Some(Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap())
    );
    assert_eq!((balance.usable, balance.low), (Some(false), Some(true)));
}

#[test]
fn olostep_sums_lots_and_takes_the_earliest_live_expiry() {
    let balance = Balance::from(decode::<billfold::olostep::types::CreditsInfoResponse>(
        json!({
            "credits": 12500,
            "breakdown": [
                {"purchase_kind": "Subscription", "allocated_units": 10000, "remaining_units": 8500, "expiry_date": 1735689600},
                {"purchase_kind": "Top-up", "allocated_units": 5000, "remaining_units": 4000, "expiry_date": 1743465600},
                {"purchase_kind": "Manual", "allocated_units": 100, "remaining_units": 0, "expiry_date": 1700000000}
            ],
            "active_subscription": {"id": "SUB_PRO", "display_name": "Pro", "credits": 10000, "created_at": 1704067200},
            "allow_usage": true
        }),
    ));
    assert_eq!(balance.available, Some(12500.0));
    assert_eq!(balance.allotted, Some(15100.0));
    assert_eq!(balance.used, Some(2600.0));
    assert_eq!(
        balance.expires_at,
        Some(Utc.timestamp_opt(1735689600, 0).unwrap())
    );
    assert_eq!(balance.plan.as_deref(), Some("Pro"));
    assert_eq!((balance.usable, balance.low), (Some(true), Some(false)));
}

#[test]
fn aiml_reports_its_own_low_flag() {
    let balance = Balance::from(decode::<billfold::aiml::types::BalanceResponse>(json!({
        "balance": 551564495, "lowBalance": true, "lowBalanceThreshold": 10000
    })));
    assert_eq!(balance.available, Some(551564495.0));
    assert_eq!(balance.low, Some(true));
    assert_eq!(
        (balance.used, balance.allotted, balance.plan),
        (None, None, None)
    );
}

#[test]
fn giga_uses_total_balance_and_period_end() {
    let balance = Balance::from(decode::<billfold::giga::types::BillingInfoResponse>(
        json!({
            "success": true,
            "data": {"billing": {"plan": "starter-pro", "planCreditsRemaining": 74.5, "prepaidBalance": 50,
                                 "totalBalance": 124.5, "currentPeriodStart": "2024-03-01T00:00:00.000Z",
                                 "currentPeriodEnd": "2024-04-01T00:00:00.000Z"}}
        }),
    ));
    assert_eq!(balance.available, Some(124.5));
    assert_eq!(balance.plan.as_deref(), Some("starter-pro"));
    assert_eq!(
        balance.expires_at,
        Some(Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0).unwrap())
    );
}
