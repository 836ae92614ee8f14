//! Form and raw request bodies on the wire, sent the way the generated methods send them: the
//! request built as progenitor's raw method builds it (with the generator's rewrite of its body
//! line), authenticated and sent through `billfold_runtime::call`.

use billfold_runtime::{
    __private::RawError, AuthKind, ClientConfig, ClientParts, CredentialSpec, Error, Provider,
    ResponseValue,
};
use wiremock::matchers::{body_bytes, body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

static PROVIDER: Provider = Provider {
    id: "bodies",
    name: "Bodies",
    user_agent: "billfold-bodies/0",
    default_base_url: None,
    base_url_env: "BODIES_BASE_URL",
    credentials: &[CredentialSpec {
        scheme: "bearer",
        kind: AuthKind::Bearer,
        env_var: "BODIES_TOKEN",
    }],
    security: &[],
};

fn parts(server: &MockServer) -> ClientParts {
    ClientConfig::new(&PROVIDER)
        .base_url(server.uri())
        .credential("bearer", "tok")
        .max_retries(0)
        .build()
        .unwrap()
}

/// Sends a built request as progenitor's raw method does, expecting 204.
async fn send(
    parts: &ClientParts,
    mut request: reqwest::Request,
    operation: &str,
) -> Result<ResponseValue<()>, RawError<()>> {
    parts
        .runtime
        .prepare(&parts.http, &mut request, operation)
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

#[derive(Clone, serde::Serialize)]
struct Message {
    to: String,
    tags: Vec<String>,
    ids: Vec<i64>,
    meta: std::collections::BTreeMap<String, String>,
    note: Option<String>,
}

/// What the generator writes for a form body: `encode_form` with the spec's `encoding`.
async fn raw_send_message(
    parts: &ClientParts,
    body: &Message,
) -> Result<ResponseValue<()>, RawError<()>> {
    let request = parts
        .http
        .post(format!("{}/messages", parts.base_url))
        .header(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/x-www-form-urlencoded"),
        )
        .body(
            billfold_runtime::encode_form(
                body,
                &[("ids", "form", false), ("meta", "deepObject", true)],
            )
            .map_err(RawError::InvalidRequest)?,
        )
        .build()
        .map_err(RawError::CommunicationError)?;
    send(parts, request, "send_message").await
}

#[tokio::test]
async fn a_form_body_is_encoded_with_arrays_and_nested_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/messages"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("authorization", "Bearer tok"))
        .and(body_string(
            "ids=1%2C2&meta%5Bkind%5D=greeting&meta%5Blang%5D=en&tags=a&tags=b+c&to=%2B15550100",
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let parts = parts(&server);
    let body = Message {
        to: "+15550100".into(),
        tags: vec!["a".into(), "b c".into()],
        ids: vec![1, 2],
        meta: [("lang", "en"), ("kind", "greeting")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        note: None,
    };
    let result: Result<_, Error<()>> =
        billfold_runtime::call(&parts.runtime, "send_message", false, || {
            raw_send_message(&parts, &body)
        })
        .await;
    assert_eq!(result.unwrap().status(), 204);
}

/// What the generator writes for a raw body: progenitor's octet-stream line with the spec's
/// media type (`B: Into<reqwest::Body> + Clone`, cloned per attempt).
async fn raw_transcribe<B: Into<reqwest::Body>>(
    parts: &ClientParts,
    body: B,
) -> Result<ResponseValue<()>, RawError<()>> {
    let request = parts
        .http
        .post(format!("{}/speech", parts.base_url))
        .header(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("audio/wav"),
        )
        .body(body)
        .build()
        .map_err(RawError::CommunicationError)?;
    send(parts, request, "transcribe").await
}

#[tokio::test]
async fn a_raw_body_is_sent_as_given_with_its_media_type_on_every_attempt() {
    let server = MockServer::start().await;
    let audio: Vec<u8> = (0u8..=255).collect();
    Mock::given(method("POST"))
        .and(path("/speech"))
        .and(header("content-type", "audio/wav"))
        .and(body_bytes(audio.clone()))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/speech"))
        .and(header("content-type", "audio/wav"))
        .and(body_bytes(audio.clone()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let parts = ClientConfig::new(&PROVIDER)
        .base_url(server.uri())
        .credential("bearer", "tok")
        .max_retries(1)
        .build()
        .unwrap();
    let runtime = parts.runtime.with_non_idempotent_retries();
    let result: Result<_, Error<()>> =
        billfold_runtime::call(&runtime, "transcribe", false, || {
            raw_transcribe(&parts, audio.clone())
        })
        .await;
    assert_eq!(result.unwrap().status(), 204);
}
