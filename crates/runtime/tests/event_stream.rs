//! A server-sent event stream read as a generated streaming method reads it: the request built
//! and authenticated as progenitor's raw method does, sent through `billfold_runtime::call`,
//! and the streamed body handed to `EventStream` with the spec's sentinel.

use std::pin::Pin;

use billfold_runtime::{
    __private::RawError, AuthKind, ByteStream, ClientConfig, ClientParts, CredentialSpec, Error,
    EventFormat, EventStream, Provider, ResponseValue,
};
use futures_core::Stream;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

static PROVIDER: Provider = Provider {
    id: "sse",
    name: "Sse",
    user_agent: "billfold-sse/0",
    default_base_url: None,
    base_url_env: "SSE_BASE_URL",
    credentials: &[CredentialSpec {
        scheme: "bearer",
        kind: AuthKind::Bearer,
        env_var: "SSE_TOKEN",
    }],
    security: &[],
};

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Chunk {
    delta: String,
}

/// What progenitor's raw method does for a `text/event-stream` response: build, authenticate,
/// send, and return the body unread.
async fn raw_chat(parts: &ClientParts) -> Result<ResponseValue<ByteStream>, RawError<()>> {
    let mut request = parts
        .http
        .post(format!("{}/chat", parts.base_url))
        .header("accept", "text/event-stream")
        .body(r#"{"stream":true}"#)
        .build()
        .map_err(RawError::CommunicationError)?;
    parts
        .runtime
        .prepare(&parts.http, &mut request, "chat_stream")
        .await
        .map_err(RawError::InvalidRequest)?;
    let response = parts
        .runtime
        .execute(&parts.http, request)
        .await
        .map_err(RawError::CommunicationError)?;
    match response.status().as_u16() {
        200 => Ok(ResponseValue::stream(response)),
        _ => Err(RawError::UnexpectedResponse(response)),
    }
}

/// The generated wrapper: `call`, then the typed stream.
async fn chat_stream(parts: &ClientParts) -> Result<EventStream<Chunk>, Error<()>> {
    let response =
        billfold_runtime::call(&parts.runtime, "chat_stream", false, || raw_chat(parts)).await?;
    Ok(EventStream::new(
        response,
        &parts.runtime,
        "chat_stream",
        EventFormat {
            envelope: false,
            sentinel: Some("[DONE]"),
        },
    ))
}

async fn next<T, E>(stream: &mut EventStream<T, E>) -> Option<Result<T, Error<E>>> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

fn parts(server: &MockServer) -> ClientParts {
    ClientConfig::new(&PROVIDER)
        .base_url(server.uri())
        .credential("bearer", "tok")
        .max_retries(0)
        .build()
        .unwrap()
}

#[tokio::test]
async fn events_are_typed_and_end_at_the_sentinel() {
    let server = MockServer::start().await;
    let body = ": hello\r\n\r\ndata: {\"delta\": \"Hel\"}\r\n\r\nevent: chunk\ndata: {\"delta\":\ndata: \"lo\"}\n\ndata: [DONE]\n\ndata: {\"delta\": \"after\"}\n\n";
    Mock::given(method("POST"))
        .and(path("/chat"))
        .and(header("authorization", "Bearer tok"))
        .and(header("accept", "text/event-stream"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
        .expect(1)
        .mount(&server)
        .await;
    let parts = parts(&server);
    let mut events = chat_stream(&parts).await.unwrap();
    assert_eq!(next(&mut events).await.unwrap().unwrap().delta, "Hel");
    // Two `data:` lines make one JSON document.
    assert_eq!(next(&mut events).await.unwrap().unwrap().delta, "lo");
    assert!(next(&mut events).await.is_none());
}

#[tokio::test]
async fn an_error_status_is_an_api_error_before_any_event() {
    let server = MockServer::start().await;
    Mock::given(path("/chat"))
        .respond_with(ResponseTemplate::new(429).set_body_string("slow down"))
        .mount(&server)
        .await;
    let parts = parts(&server);
    match chat_stream(&parts).await {
        Err(Error::Api(api)) => assert_eq!(api.status, 429),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_oversized_event_ends_the_stream_with_an_error() {
    let server = MockServer::start().await;
    let body = format!(
        "data: {{\"delta\": \"ok\"}}\n\ndata: {}\n\n",
        "x".repeat(10_000)
    );
    Mock::given(path("/chat"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream"))
        .mount(&server)
        .await;
    let parts = parts(&server);
    let mut events = chat_stream(&parts).await.unwrap().max_event_bytes(1024);
    assert!(next(&mut events).await.unwrap().is_ok());
    match next(&mut events).await {
        Some(Err(Error::EventTooLarge { limit: 1024, .. })) => {}
        other => panic!("{other:?}"),
    }
    assert!(next(&mut events).await.is_none());
}
