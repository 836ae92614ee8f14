//! An operation with a server of its own, sent the way its generated method sends it: the URL
//! built on `billfold_runtime::server_url(base, default_base, server)` instead of the base URL.

use billfold_runtime::{
    __private::RawError, AuthKind, ClientConfig, ClientParts, CredentialSpec, Error, Provider,
    ResponseValue, server_url,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

static PROVIDER: Provider = Provider {
    id: "servers",
    name: "Servers",
    user_agent: "billfold-servers/0",
    default_base_url: None,
    base_url_env: "SERVERS_BASE_URL",
    credentials: &[CredentialSpec {
        scheme: "bearer",
        kind: AuthKind::Bearer,
        env_var: "SERVERS_TOKEN",
    }],
    security: &[],
};

/// progenitor's raw method with the generator's rewrite of its `let url = ...;` line.
async fn raw_get(
    parts: &ClientParts,
    provider: &Provider,
    server: &str,
) -> Result<ResponseValue<()>, RawError<()>> {
    let url = format!(
        "{}/files/content",
        server_url(&parts.base_url, provider.default_base_url, server)
    );
    let mut request = parts
        .http
        .get(url)
        .build()
        .map_err(RawError::CommunicationError)?;
    parts
        .runtime
        .prepare(&parts.http, &mut request, "get")
        .await
        .map_err(RawError::InvalidRequest)?;
    let response = parts
        .runtime
        .execute(&parts.http, request)
        .await
        .map_err(RawError::CommunicationError)?;
    match response.status().as_u16() {
        204 => Ok(ResponseValue::empty(response)),
        _ => Err(RawError::UnexpectedResponse(response)),
    }
}

async fn expect_get(server: &MockServer, at: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path(at))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(204))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn with_the_default_base_url_absolute_servers_are_used_and_relative_ones_follow_it() {
    let base = MockServer::start().await;
    let upload = MockServer::start().await;
    expect_get(&upload, "/api/2.0/files/content", 1).await;
    expect_get(&base, "/beta/files/content", 1).await;
    // The provider's default base URL is the one in use.
    let provider: &'static Provider = Box::leak(Box::new(Provider {
        default_base_url: Some(Box::leak(format!("{}/v1", base.uri()).into_boxed_str())),
        ..PROVIDER
    }));
    let parts = ClientConfig::new(provider)
        .credential("bearer", "tok")
        .max_retries(0)
        .build()
        .unwrap();
    let absolute = format!("{}/api/2.0", upload.uri());
    assert_eq!(get(&parts, provider, &absolute).await, 204);
    assert_eq!(get(&parts, provider, "/beta").await, 204);
}

/// The status of a call through the runtime, as a generated method makes it.
async fn get(parts: &ClientParts, provider: &Provider, server: &str) -> u16 {
    let sent: Result<_, Error<()>> = billfold_runtime::call(&parts.runtime, "get", true, || {
        raw_get(parts, provider, server)
    })
    .await;
    sent.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_configured_base_url_keeps_every_request_and_key_on_its_origin() {
    let base = MockServer::start().await;
    let upload = MockServer::start().await;
    expect_get(&upload, "/api/2.0/files/content", 0).await;
    expect_get(&base, "/files/content", 1).await;
    let parts = ClientConfig::new(&PROVIDER)
        .base_url(base.uri())
        .credential("bearer", "tok")
        .max_retries(0)
        .build()
        .unwrap();
    let absolute = format!("{}/api/2.0", upload.uri());
    assert_eq!(get(&parts, &PROVIDER, &absolute).await, 204);
    assert!(upload.received_requests().await.unwrap().is_empty());
}
