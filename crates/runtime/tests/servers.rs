//! An operation with a server of its own, sent the way its generated method sends it: the URL
//! built on `billfold_runtime::server_url(base, server)` instead of the base URL.

use billfold_runtime::{
    __private::RawError, AuthKind, ClientConfig, ClientParts, CredentialSpec, Error, Provider,
    ResponseValue, server_url,
};
use wiremock::matchers::{method, path};
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
async fn raw_get(parts: &ClientParts, server: &str) -> Result<ResponseValue<()>, RawError<()>> {
    let url = format!("{}/files/content", server_url(&parts.base_url, server));
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

#[tokio::test]
async fn absolute_servers_are_used_and_relative_ones_follow_the_base_url() {
    let base = MockServer::start().await;
    let upload = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/files/content"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&upload)
        .await;
    Mock::given(method("GET"))
        .and(path("/beta/files/content"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&base)
        .await;
    let parts = ClientConfig::new(&PROVIDER)
        .base_url(format!("{}/v1", base.uri()))
        .credential("bearer", "tok")
        .max_retries(0)
        .build()
        .unwrap();
    let absolute = format!("{}/api/2.0", upload.uri());
    let sent: Result<_, Error<()>> =
        billfold_runtime::call(&parts.runtime, "get", true, || raw_get(&parts, &absolute)).await;
    assert_eq!(sent.unwrap().status(), 204);
    let sent: Result<_, Error<()>> =
        billfold_runtime::call(&parts.runtime, "get", true, || raw_get(&parts, "/beta")).await;
    assert_eq!(sent.unwrap().status(), 204);
}
