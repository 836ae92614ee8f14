//! Every kind of credential against a local server: where it goes on the wire, that OAuth2
//! tokens are fetched once and reused, that no kind follows a redirect to another origin, and
//! that no secret shows in `Debug` or in an error.

use billfold_runtime::{AuthKind, ClientConfig, CredentialSpec, OperationAuth, Provider};
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "s3cr3t-value";

static SPECS: [CredentialSpec; 7] = [
    CredentialSpec {
        scheme: "bearer",
        kind: AuthKind::Bearer,
        env_var: "T_TOKEN",
    },
    CredentialSpec {
        scheme: "basic",
        kind: AuthKind::Basic,
        env_var: "T_BASIC",
    },
    CredentialSpec {
        scheme: "header",
        kind: AuthKind::ApiKeyHeader("X-Api-Key"),
        env_var: "T_HEADER",
    },
    CredentialSpec {
        scheme: "query",
        kind: AuthKind::ApiKeyQuery("api_key"),
        env_var: "T_QUERY",
    },
    CredentialSpec {
        scheme: "cookie",
        kind: AuthKind::ApiKeyCookie("session"),
        env_var: "T_COOKIE",
    },
    CredentialSpec {
        scheme: "oauth",
        kind: AuthKind::OAuth2ClientCredentials {
            token_url: "/oauth/token",
            scopes: "read write",
        },
        env_var: "T_CLIENT",
    },
    CredentialSpec {
        scheme: "prefixed",
        kind: AuthKind::ApiKeyHeaderPrefixed {
            header: "Authorization",
            prefix: "Key",
        },
        env_var: "T_PREFIXED",
    },
];

/// One operation per scheme, each requiring only that scheme.
static PROVIDER: Provider = Provider {
    id: "kinds",
    name: "Kinds",
    user_agent: "billfold-kinds/0",
    default_base_url: None,
    base_url_env: "KINDS_BASE_URL",
    credentials: &SPECS,
    security: &[
        OperationAuth {
            operation: "bearer",
            requirements: &[&["bearer"]],
        },
        OperationAuth {
            operation: "basic",
            requirements: &[&["basic"]],
        },
        OperationAuth {
            operation: "header",
            requirements: &[&["header"]],
        },
        OperationAuth {
            operation: "query",
            requirements: &[&["query"]],
        },
        OperationAuth {
            operation: "cookie",
            requirements: &[&["cookie"]],
        },
        OperationAuth {
            operation: "oauth",
            requirements: &[&["oauth"]],
        },
        OperationAuth {
            operation: "prefixed",
            requirements: &[&["prefixed"]],
        },
    ],
};

fn config(server: &MockServer, scheme: &str, secret: &str) -> billfold_runtime::ClientParts {
    ClientConfig::new(&PROVIDER)
        .base_url(server.uri())
        .credential(scheme, secret)
        .max_retries(0)
        .build()
        .unwrap()
}

/// Sends `GET /x` for `operation` through the runtime, as a generated client does.
async fn send(
    parts: &billfold_runtime::ClientParts,
    operation: &str,
) -> Result<reqwest::Response, String> {
    let url = format!("{}/x", parts.base_url);
    let mut request = reqwest::Request::new(reqwest::Method::GET, url.parse().unwrap());
    parts
        .runtime
        .prepare(&parts.http, &mut request, operation)
        .await?;
    parts
        .runtime
        .execute(&parts.http, request)
        .await
        .map_err(|e| e.without_url().to_string())
}

#[tokio::test]
async fn each_kind_is_sent_where_its_scheme_says() {
    let server = MockServer::start().await;
    let ok = || ResponseTemplate::new(200);
    Mock::given(path("/x"))
        .and(header("authorization", format!("Bearer {SECRET}")))
        .respond_with(ok())
        .expect(1)
        .named("bearer")
        .mount(&server)
        .await;
    // base64("user:s3cr3t-value")
    Mock::given(path("/x"))
        .and(header("authorization", "Basic dXNlcjpzM2NyM3QtdmFsdWU="))
        .respond_with(ok())
        .expect(1)
        .named("basic")
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .and(header("x-api-key", SECRET))
        .respond_with(ok())
        .expect(1)
        .named("header")
        .mount(&server)
        .await;
    // A prefixed key: `Key <key>`, also when the user's env var already holds `Key <key>`.
    Mock::given(path("/x"))
        .and(header("authorization", format!("Key {SECRET}")))
        .respond_with(ok())
        .expect(2)
        .named("prefixed")
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .and(query_param("api_key", SECRET))
        .respond_with(ok())
        .expect(1)
        .named("query")
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .and(header("cookie", format!("session={SECRET}")))
        .respond_with(ok())
        .expect(1)
        .named("cookie")
        .mount(&server)
        .await;
    for (scheme, secret) in [
        ("bearer", SECRET.to_owned()),
        ("basic", format!("user:{SECRET}")),
        ("header", SECRET.to_owned()),
        ("query", SECRET.to_owned()),
        ("cookie", SECRET.to_owned()),
        ("prefixed", SECRET.to_owned()),
        ("prefixed", format!("key {SECRET}")),
    ] {
        let parts = config(&server, scheme, &secret);
        assert!(!format!("{parts:?}").contains(SECRET), "{scheme}: Debug");
        let response = send(&parts, scheme).await.unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
    }
    // An operation whose scheme is not configured fails before sending, naming the env var.
    let parts = config(&server, "bearer", SECRET);
    let err = send(&parts, "query").await.unwrap_err();
    assert!(err.contains("set T_QUERY"), "{err}");
    // A prefixed key that cannot be a header value is refused without echoing it.
    let err = ClientConfig::new(&PROVIDER)
        .base_url(server.uri())
        .credential("prefixed", format!("{SECRET}\nX"))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot be sent") && !err.contains(SECRET),
        "{err}"
    );
}

#[tokio::test]
async fn oauth2_tokens_are_fetched_once_and_reused() {
    let server = MockServer::start().await;
    // client_id:client_secret = "app:s3cr3t-value", sent as HTTP basic to the token URL.
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(header("authorization", "Basic YXBwOnMzY3IzdC12YWx1ZQ=="))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("scope=read+write"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "tok-123", "token_type": "Bearer", "expires_in": 3600
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .and(header("authorization", "Bearer tok-123"))
        .respond_with(ResponseTemplate::new(200))
        .expect(3)
        .mount(&server)
        .await;
    let parts = config(&server, "oauth", &format!("app:{SECRET}"));
    for _ in 0..3 {
        assert_eq!(send(&parts, "oauth").await.unwrap().status(), 200);
    }
}

#[tokio::test]
async fn a_failing_token_endpoint_is_reported_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client", "error_description": format!("bad secret {SECRET}")
        })))
        .mount(&server)
        .await;
    let parts = config(&server, "oauth", &format!("app:{SECRET}"));
    let err = send(&parts, "oauth").await.unwrap_err();
    assert!(
        err.contains("401") && err.contains("invalid_client"),
        "{err}"
    );
    assert!(!err.contains(SECRET) && !err.contains("app:"), "{err}");
}

#[tokio::test]
async fn no_kind_follows_a_redirect_to_another_origin() {
    let elsewhere = MockServer::start().await;
    Mock::given(path("/stolen"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("{}/stolen", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    for (scheme, secret) in [
        ("bearer", SECRET.to_owned()),
        ("basic", format!("user:{SECRET}")),
        ("header", SECRET.to_owned()),
        ("query", SECRET.to_owned()),
        ("cookie", SECRET.to_owned()),
        ("prefixed", SECRET.to_owned()),
    ] {
        let parts = config(&server, scheme, &secret);
        let response = send(&parts, scheme).await.unwrap();
        assert_eq!(
            response.status(),
            302,
            "{scheme}: the redirect is not followed"
        );
    }
}
