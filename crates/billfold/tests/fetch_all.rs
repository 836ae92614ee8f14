//! `fetch_all` queries every provider concurrently and reports each one, failures included.
//! One test, so no other thread reads the environment while it changes.

use std::time::{Duration, Instant};

use billfold::balance::{ErrorKind, FetchOptions, ProviderId, fetch_all};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server(status: u16, body: serde_json::Value, delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(status)
                .set_body_json(body)
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

fn set(var: &str, value: &str) {
    // SAFETY: this binary has a single test, and no other thread reads the environment.
    unsafe { std::env::set_var(var, value) }
}

#[tokio::test]
async fn one_outcome_per_provider_concurrently() {
    let delay = Duration::from_millis(400);
    let anchor = server(
        401,
        json!({"error": {"code": 401, "message": "Invalid API Key"}}),
        delay,
    )
    .await;
    let neo = server(
        200,
        json!({"available_credits": 5, "issued_credits": 10, "used_credits": 5}),
        delay,
    )
    .await;
    let olostep = server(200, json!({"credits": 3, "allow_usage": true}), delay).await;
    let aiml = server(200, json!({"balance": 9}), delay).await;
    for (var, value) in [
        ("ANCHOR_API_KEY", "a"),
        ("NEO_API_KEY", "n"),
        ("OLOSTEP_API_KEY", "o"),
        ("AIML_API_KEY", "m"),
        ("ANCHOR_BASE_URL", &anchor.uri()),
        ("NEO_BASE_URL", &neo.uri()),
        ("OLOSTEP_BASE_URL", &olostep.uri()),
        ("AIML_BASE_URL", &aiml.uri()),
    ] {
        set(var, value);
    }
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var("GIGA_API_KEY") };

    let options = FetchOptions {
        timeout: Some(Duration::from_secs(5)),
    };
    let started = Instant::now();
    let results = fetch_all(ProviderId::ALL, &options).await;
    let elapsed = started.elapsed();
    let summary: Vec<(ProviderId, Result<Option<f64>, ErrorKind>)> = results
        .iter()
        .map(|r| {
            (
                r.provider,
                r.outcome.as_ref().map(|b| b.available).map_err(|e| e.kind),
            )
        })
        .collect();
    // One outcome per provider, in order; those without a key here are not configured.
    let expected: Vec<(ProviderId, Result<Option<f64>, ErrorKind>)> = ProviderId::ALL
        .iter()
        .map(|&provider| {
            let outcome = match provider {
                ProviderId::Anchor => Err(ErrorKind::Auth),
                ProviderId::Neo => Ok(Some(5.0)),
                ProviderId::Olostep => Ok(Some(3.0)),
                ProviderId::Aiml => Ok(Some(9.0)),
                _ => Err(ErrorKind::NotConfigured),
            };
            (provider, outcome)
        })
        .collect();
    assert_eq!(summary, expected);
    // Four providers answering after 400 ms each, concurrently: well under 2 × 400 ms.
    assert!(elapsed < delay * 2, "not concurrent: {elapsed:?}");
    let anchor = results
        .iter()
        .find(|r| r.provider == ProviderId::Anchor)
        .unwrap();
    assert_eq!(anchor.outcome.as_ref().unwrap_err().status, Some(401));
}
