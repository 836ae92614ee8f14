//! Credentials never leave the configured origin: a redirect to another origin (another host or
//! port here; another scheme is covered by the runtime's unit tests) is not followed, whatever
//! the credential kind, while redirects within the origin still work (at most five).

use billfold::runtime::{ClientConfig, Error};
use billfold::{anchor, neo, olostep};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-redirect-5f0c2a9e";

/// A credential kind to test: the client, the path it calls and the header the key goes in.
struct Case {
    name: &'static str,
    route: &'static str,
    body: serde_json::Value,
    client: fn(ClientConfig) -> Result<(), String>,
    config: fn() -> ClientConfig,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "anchor (anchor-api-key header)",
            route: "/v1/billing",
            body: json!({"data": {"credits": 1, "credits_used": 0, "included_credits": 1,
                                  "billing_period": "2026-04", "tier": "t", "gifts_balance": 0}}),
            config: || anchor::Client::config().credential("api_key_header", KEY),
            client: |config| {
                let client = anchor::Client::from_config(config).map_err(|e| e.to_string())?;
                block(client.get_billing()).map(drop).map_err(outcome)
            },
        },
        Case {
            name: "neo (X-Api-Key header)",
            route: "/api/v1/billing/credits",
            body: neo_body(),
            config: || neo::Client::config().credential("ApiKeyAuth", KEY),
            client: neo_call,
        },
        Case {
            name: "neo (Bearer)",
            route: "/api/v1/billing/credits",
            body: neo_body(),
            config: || neo::Client::config().credential("BearerAuth", KEY),
            client: neo_call,
        },
        Case {
            name: "olostep (Bearer)",
            route: "/user/credits/info",
            body: json!({"credits": 7}),
            config: || olostep::Client::config().credential("Authorization", KEY),
            client: |config| {
                let client = olostep::Client::from_config(config).map_err(|e| e.to_string())?;
                block(client.get_credits_info()).map(drop).map_err(outcome)
            },
        },
    ]
}

fn neo_body() -> serde_json::Value {
    json!({"available_credits": 1, "issued_credits": 1, "used_credits": 0})
}

fn neo_call(config: ClientConfig) -> Result<(), String> {
    let client = neo::Client::from_config(config).map_err(|e| e.to_string())?;
    block(client.get_v1_billing_credits())
        .map(drop)
        .map_err(outcome)
}

/// Runs a client future on a fresh runtime (the cases are plain functions).
fn block<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// An error as "Redirect <status> <location>" plus its Display and Debug, for the assertions.
fn outcome<E: std::fmt::Debug + serde::Serialize>(error: Error<E>) -> String {
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(KEY), "the key is in the error: {shown}");
    match &error {
        Error::Redirect {
            status, location, ..
        } => format!(
            "Redirect {} {}",
            status.as_u16(),
            location.as_deref().unwrap_or("-")
        ),
        other => format!("other: {other}"),
    }
}

/// Whether any request that reached `server` carried the key, in any header.
async fn saw_key(server: &MockServer) -> bool {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .any(|request| {
            request
                .headers
                .values()
                .any(|v| String::from_utf8_lossy(v.as_bytes()).contains(KEY))
        })
}

async fn run(case: &Case, config: ClientConfig) -> Result<(), String> {
    let call = case.client;
    tokio::task::spawn_blocking(move || call(config))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed_and_the_key_stays_home() {
    for case in cases() {
        for (from_host, to_host) in [("127.0.0.1", "localhost"), ("localhost", "127.0.0.1")] {
            for status in [301, 302, 307, 308] {
                let case = &case;
                let home = MockServer::start().await;
                let elsewhere = MockServer::start().await;
                let target = format!(
                    "http://{to_host}:{}{}",
                    elsewhere.address().port(),
                    case.route
                );
                Mock::given(method("GET"))
                    .and(path(case.route))
                    .respond_with(ResponseTemplate::new(status).insert_header("location", &target))
                    .mount(&home)
                    .await;
                Mock::given(method("GET"))
                    .respond_with(ResponseTemplate::new(200).set_body_json(&case.body))
                    .mount(&elsewhere)
                    .await;
                let base = format!("http://{from_host}:{}", home.address().port());
                let result = run(case, (case.config)().base_url(base)).await;
                assert_eq!(
                    result,
                    Err(format!("Redirect {status} {target}")),
                    "{}: {from_host} -> {to_host}, {status}",
                    case.name
                );
                assert!(
                    elsewhere.received_requests().await.unwrap().is_empty(),
                    "{}: the other origin was contacted",
                    case.name
                );
                assert!(!saw_key(&elsewhere).await, "{}", case.name);
                assert!(
                    saw_key(&home).await,
                    "{}: the home origin got the key",
                    case.name
                );
            }
        }
    }
}

#[tokio::test]
async fn same_host_on_another_port_is_another_origin() {
    for case in cases() {
        let home = MockServer::start().await;
        let elsewhere = MockServer::start().await;
        let target = format!("{}{}", elsewhere.uri(), case.route);
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(302).insert_header("location", &target))
            .mount(&home)
            .await;
        let result = run(&case, (case.config)().base_url(home.uri())).await;
        assert_eq!(
            result,
            Err(format!("Redirect 302 {target}")),
            "{}",
            case.name
        );
        assert!(elsewhere.received_requests().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn redirects_within_the_origin_are_followed_up_to_five() {
    for case in cases() {
        // Five hops (relative and absolute Locations), then the answer.
        let server = MockServer::start().await;
        let hops: Vec<String> = (1..=5).map(|i| format!("/hop{i}")).collect();
        let mut from = case.route.to_owned();
        for (i, hop) in hops.iter().enumerate() {
            let location = if i % 2 == 0 {
                hop.clone()
            } else {
                format!("{}{hop}", server.uri())
            };
            Mock::given(method("GET"))
                .and(path(from.as_str()))
                .respond_with(ResponseTemplate::new(302).insert_header("location", location))
                .mount(&server)
                .await;
            from = hop.clone();
        }
        Mock::given(method("GET"))
            .and(path(from.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(&case.body))
            .mount(&server)
            .await;
        let result = run(&case, (case.config)().base_url(server.uri())).await;
        assert_eq!(result, Ok(()), "{}", case.name);
        // Every hop is on the home origin, so every request carried the key.
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 6, "{}", case.name);

        // A sixth hop is one too many: the redirect comes back as an error.
        let server = MockServer::start().await;
        for i in 0..6 {
            let from = if i == 0 {
                case.route.to_owned()
            } else {
                format!("/loop{i}")
            };
            Mock::given(method("GET"))
                .and(path(from.as_str()))
                .respond_with(
                    ResponseTemplate::new(302).insert_header("location", format!("/loop{}", i + 1)),
                )
                .mount(&server)
                .await;
        }
        let result = run(&case, (case.config)().base_url(server.uri())).await;
        assert_eq!(
            result,
            Err("Redirect 302 /loop6".to_owned()),
            "{}",
            case.name
        );
        assert_eq!(server.received_requests().await.unwrap().len(), 6);
    }
}
