//! `fetch_with_config` queries one account with its own credential and base URL.
#![cfg(all(feature = "olostep", feature = "aiml"))]

use billfold::balance::{ErrorKind, ProviderId, fetch_with_config};
use billfold::runtime::ClientConfig;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_given_credential_goes_to_the_given_base_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user/credits/info"))
        .and(header("authorization", "Bearer team-b-key"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"credits": 7, "allow_usage": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let config = ClientConfig::new(ProviderId::Olostep.provider())
        .credential("Authorization", "team-b-key")
        .base_url(server.uri());
    let balance = fetch_with_config(ProviderId::Olostep, config).await;
    assert_eq!(balance.map(|b| b.available), Ok(Some(7.0)));
}

#[tokio::test]
async fn a_configuration_for_another_provider_is_a_config_error() {
    let config = ClientConfig::new(ProviderId::Aiml.provider())
        .credential("bearerAuth", "k")
        .base_url("http://127.0.0.1:9");
    let err = fetch_with_config(ProviderId::Olostep, config)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Config, "{err}");
}
