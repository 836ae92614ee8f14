//! A provider defined at run time (`billfold::custom`) gets the runtime's guarantees: its key
//! goes only where the definition says and only to the configured origin (a redirect elsewhere
//! is not followed), transient failures are retried, error messages never hold the key.

use billfold::balance::{ErrorKind, FetchOptions, fetch, fetch_with_config};
use billfold::custom::{CustomAuth, CustomMapping, CustomProvider, SCHEME, register};
use billfold::runtime::ClientConfig;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "custom-secret-91c2";

fn definition(id: &str, base_url: &str) -> CustomProvider {
    CustomProvider {
        id: id.to_owned(),
        name: "Custom".to_owned(),
        base_url: base_url.to_owned(),
        path: "/v1/balance".to_owned(),
        auth: CustomAuth::Header("X-Api-Key".to_owned()),
        key_env: "BILLFOLD_TEST_CUSTOM_KEY_NEVER_SET".to_owned(),
        mapping: CustomMapping {
            available: vec!["/balance".to_owned()],
            unit: "USD".to_owned(),
            ..CustomMapping::default()
        },
    }
}

#[tokio::test]
async fn reads_retries_and_keeps_the_key_home() {
    let server = MockServer::start().await;
    let provider = register(definition("custom_ok", &server.uri())).unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/balance"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/balance"))
        .and(header("X-Api-Key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"balance": 7.5})))
        .mount(&server)
        .await;
    let config = ClientConfig::new(provider.provider()).credential(SCHEME, KEY);
    let balance = fetch_with_config(provider, config).await.unwrap();
    assert_eq!(
        (balance.available, balance.unit.as_str()),
        (Some(7.5), "USD")
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "one retry"
    );

    // Not configured: the env var is named, no request is sent.
    let error = fetch(provider, &FetchOptions::default()).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotConfigured);
    assert!(
        error.message.contains("BILLFOLD_TEST_CUSTOM_KEY_NEVER_SET"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_not_followed() {
    let elsewhere = MockServer::start().await;
    let server = MockServer::start().await;
    let provider = register(definition("custom_redirect", &server.uri())).unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/balance"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/v1/balance", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let config = ClientConfig::new(provider.provider()).credential(SCHEME, KEY);
    let error = fetch_with_config(provider, config).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Http, "{}", error.message);
    assert!(!error.message.contains(KEY));
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_error_status_is_typed_and_holds_no_key() {
    let server = MockServer::start().await;
    let provider = register(definition("custom_401", &server.uri())).unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/balance"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "bad key"})))
        .mount(&server)
        .await;
    let config = ClientConfig::new(provider.provider()).credential(SCHEME, KEY);
    let error = fetch_with_config(provider, config).await.unwrap_err();
    assert_eq!((error.kind, error.status), (ErrorKind::Auth, Some(401)));
    assert!(!error.message.contains(KEY), "{}", error.message);
}

#[tokio::test]
async fn one_row_per_element_by_configuration() {
    let server = MockServer::start().await;
    let mut rows = definition("custom_rows", &server.uri());
    rows.mapping = CustomMapping {
        available: vec!["/keys/[*]/left".to_owned()],
        row_label: vec!["/keys/[*]/name".to_owned()],
        ..CustomMapping::default()
    };
    let provider = register(rows).unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/balance"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"keys": [{"name": "prod", "left": 10}, {"name": "ci", "left": 2.5}]}),
        ))
        .mount(&server)
        .await;
    let config = ClientConfig::new(provider.provider()).credential(SCHEME, KEY);
    let balance = fetch_with_config(provider, config).await.unwrap();
    let seen: Vec<(Option<&str>, Option<f64>)> = balance
        .rows
        .iter()
        .map(|r| (r.row.as_deref(), r.available))
        .collect();
    assert_eq!(seen, [(Some("prod"), Some(10.0)), (Some("ci"), Some(2.5))]);

    // Rows of two arrays, or a label without rows, are refused with what to fix.
    let mut two = definition("custom_rows_two", &server.uri());
    two.mapping.available = vec!["/keys/[*]/left".to_owned()];
    two.mapping.used = vec!["/other/[*]/used".to_owned()];
    let error = register(two).unwrap_err();
    assert!(error.contains("the same array"), "{error}");
    let mut label = definition("custom_rows_label", &server.uri());
    label.mapping.row_label = vec!["/name".to_owned()];
    let error = register(label).unwrap_err();
    assert!(error.contains("no pointer has a `[*]` segment"), "{error}");
}

#[tokio::test]
async fn a_prefixed_header_key_by_configuration() {
    let server = MockServer::start().await;
    let mut prefixed = definition("custom_prefixed", &server.uri());
    prefixed.auth = CustomAuth::PrefixedHeader {
        name: "Authorization".to_owned(),
        prefix: "Key".to_owned(),
    };
    let provider = register(prefixed).unwrap();
    Mock::given(method("GET"))
        .and(path("/v1/balance"))
        .and(header("Authorization", format!("Key {KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"balance": 3})))
        .expect(1)
        .mount(&server)
        .await;
    let config = ClientConfig::new(provider.provider()).credential(SCHEME, KEY);
    let balance = fetch_with_config(provider, config).await.unwrap();
    assert_eq!(balance.available, Some(3.0));
    assert!(!format!("{balance:?}").contains(KEY));
    let mut bad = definition("custom_prefixed_bad", &server.uri());
    bad.auth = CustomAuth::PrefixedHeader {
        name: "Authorization".to_owned(),
        prefix: "Key ".to_owned(),
    };
    assert!(register(bad).unwrap_err().contains("auth_prefix"));
}
