//! Production behaviour of every generated client, against local servers on 127.0.0.1:
//! retries (and when not to), `Retry-After`, timeouts, typed errors for bad responses,
//! redaction in Debug/Display/tracing, user agent and TLS failures.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use billfold::runtime::{ClientConfig, Error, ErrorBody, TransportKind};
use billfold::{aiml, anchor, giga, neo, olostep};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-9d1e77c4";

/// Fast retries, so the tests stay short.
fn quick(config: ClientConfig, server: &MockServer) -> ClientConfig {
    config
        .base_url(server.uri())
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(50))
}

fn olostep_client(server: &MockServer) -> olostep::Client {
    olostep::Client::from_config(quick(
        olostep::Client::config().credential("Authorization", KEY),
        server,
    ))
    .unwrap()
}

fn giga_client(server: &MockServer) -> giga::Client {
    giga::Client::from_config(quick(
        giga::Client::config().credential("bearerAuth", KEY),
        server,
    ))
    .unwrap()
}

/// `first` for the first `times` requests to `route`, then `then`.
async fn sequence(
    server: &MockServer,
    verb: &str,
    route: &str,
    first: ResponseTemplate,
    times: u64,
    then: ResponseTemplate,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(then)
        .with_priority(2)
        .mount(server)
        .await;
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn olostep_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"credits": 7, "allow_usage": true}))
}

#[tokio::test]
async fn status_429_with_retry_after_waits_then_succeeds() {
    let server = MockServer::start().await;
    sequence(
        &server,
        "GET",
        "/user/credits/info",
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        1,
        olostep_ok(),
    )
    .await;
    let started = Instant::now();
    let info = olostep_client(&server).get_credits_info().await.unwrap();
    assert_eq!(info.credits, Some(7));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn olostep_retry_after_body_field_is_honoured() {
    let server = MockServer::start().await;
    let cooldown =
        ResponseTemplate::new(429).set_body_json(json!({"error": "cooldown", "retry_after": 1}));
    sequence(
        &server,
        "GET",
        "/user/credits/info",
        cooldown,
        1,
        olostep_ok(),
    )
    .await;
    let started = Instant::now();
    olostep_client(&server).get_credits_info().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_hostile_retry_after_is_not_waited_for() {
    let server = MockServer::start().await;
    sequence(
        &server,
        "GET",
        "/user/credits/info",
        ResponseTemplate::new(429).insert_header("retry-after", "100000"),
        5,
        olostep_ok(),
    )
    .await;
    let started = Instant::now();
    let err = olostep_client(&server)
        .get_credits_info()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert!(err.is_retryable());
    assert_eq!(request_count(&server).await, 1);
}

/// 503, 503, then 200 for one provider's GET, with the default retry policy.
macro_rules! twice_503_then_ok {
    ($module:ident, $scheme:literal, $route:literal, $call:ident, $body:expr) => {{
        let server = MockServer::start().await;
        sequence(
            &server,
            "GET",
            $route,
            ResponseTemplate::new(503),
            2,
            ResponseTemplate::new(200).set_body_json($body),
        )
        .await;
        let config = $module::Client::config()
            .credential($scheme, KEY)
            .base_url(server.uri());
        let client = $module::Client::from_config(config).unwrap();
        let result = client.$call().await;
        assert!(
            result.is_ok(),
            "{}: {:?}",
            stringify!($module),
            result.err()
        );
        assert_eq!(request_count(&server).await, 3, "{}", stringify!($module));
    }};
}

#[tokio::test]
async fn twice_503_then_200_succeeds_with_the_default_policy_for_every_client() {
    tokio::join!(
        async {
            twice_503_then_ok!(
                anchor,
                "api_key_header",
                "/v1/billing",
                get_billing,
                json!({})
            )
        },
        async {
            twice_503_then_ok!(
                neo,
                "ApiKeyAuth",
                "/api/v1/billing/credits",
                get_v1_billing_credits,
                json!({"available_credits": 1, "issued_credits": 1, "used_credits": 0})
            )
        },
        async {
            twice_503_then_ok!(
                olostep,
                "Authorization",
                "/user/credits/info",
                get_credits_info,
                json!({})
            )
        },
        async {
            twice_503_then_ok!(
                aiml,
                "bearerAuth",
                "/v1/billing/balance",
                get_balance,
                json!({"balance": 3})
            )
        },
        async {
            twice_503_then_ok!(
                giga,
                "bearerAuth",
                "/api/billing/plans",
                list_plans,
                json!({"success": true, "data": {"plans": []}})
            )
        },
    );
}

#[tokio::test]
async fn a_post_is_sent_once_unless_opted_in() {
    let server = MockServer::start().await;
    let checkout = ResponseTemplate::new(200)
        .set_body_json(json!({"success": true, "data": {"checkoutUrl": "u"}}));
    sequence(
        &server,
        "POST",
        "/api/billing/subscribe",
        ResponseTemplate::new(503),
        1,
        checkout,
    )
    .await;
    let request = giga::types::SubscribeRequest {
        plan_id: "max".into(),
    };
    let client = giga_client(&server);
    let err = client.subscribe(&request).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(
        request_count(&server).await,
        1,
        "a POST must not be retried by default"
    );

    server.reset().await;
    sequence(
        &server,
        "POST",
        "/api/billing/subscribe",
        ResponseTemplate::new(503),
        1,
        ResponseTemplate::new(200)
            .set_body_json(json!({"success": true, "data": {"checkoutUrl": "u"}})),
    )
    .await;
    let checkout = client
        .with_non_idempotent_retries()
        .subscribe(&request)
        .await
        .unwrap();
    assert_eq!(checkout.data.checkout_url, "u");
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn zero_retries_disables_retrying() {
    let server = MockServer::start().await;
    sequence(
        &server,
        "GET",
        "/user/credits/info",
        ResponseTemplate::new(503),
        5,
        olostep_ok(),
    )
    .await;
    let config = quick(
        olostep::Client::config().credential("Authorization", KEY),
        &server,
    )
    .max_retries(0);
    let err = olostep::Client::from_config(config)
        .unwrap()
        .get_credits_info()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_server_that_never_answers_hits_the_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    // Accept connections and never answer.
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8).flatten() {
            keep.lock().unwrap().push(stream);
        }
    });
    let config = olostep::Client::config()
        .credential("Authorization", KEY)
        .base_url(format!("http://{address}"))
        .timeout(Duration::from_millis(300));
    let client = olostep::Client::from_config(config).unwrap();
    let started = Instant::now();
    let err = client.get_credits_info().await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(1300),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_after_retries() {
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = olostep::Client::config()
        .credential("Authorization", KEY)
        .base_url(format!("http://{address}"))
        .retry_backoff(Duration::from_millis(5), Duration::from_millis(10));
    let err = olostep::Client::from_config(config)
        .unwrap()
        .get_credits_info()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn tls_to_a_plain_http_server_is_a_tls_error() {
    let server = MockServer::start().await;
    let config = olostep::Client::config()
        .credential("Authorization", KEY)
        .base_url(server.uri().replace("http://", "https://"))
        .max_retries(0);
    let err = olostep::Client::from_config(config)
        .unwrap()
        .get_credits_info()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Tls,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!format!("{err} {err:?}").contains(KEY));
}

#[tokio::test]
async fn bad_responses_give_the_right_error_and_keep_the_status() {
    let server = MockServer::start().await;
    let client = olostep::Client::from_config(
        quick(
            olostep::Client::config().credential("Authorization", KEY),
            &server,
        )
        .max_retries(0),
    )
    .unwrap();
    let cases: Vec<(ResponseTemplate, &str)> = vec![
        (
            ResponseTemplate::new(502)
                .set_body_raw("<html><h1>502 Bad Gateway</h1></html>", "text/html"),
            "html 502",
        ),
        (
            ResponseTemplate::new(200).set_body_raw(
                r#"{"credits": 12, "breakdown": [{"purch"#,
                "application/json",
            ),
            "truncated",
        ),
        (
            ResponseTemplate::new(200)
                .set_body_json(json!({"credits": "lots", "allow_usage": "yes"})),
            "wrong types",
        ),
        (ResponseTemplate::new(402), "empty 402"),
        (
            ResponseTemplate::new(500).set_body_raw("not json", "text/plain"),
            "500 not as documented",
        ),
        (
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-42")
                .set_body_raw("", "application/json"),
            "empty 200",
        ),
    ];
    for (response, case) in cases {
        server.reset().await;
        Mock::given(method("GET"))
            .respond_with(response)
            .mount(&server)
            .await;
        let err = client.get_credits_info().await.unwrap_err();
        match (case, &err) {
            ("html 502", Error::Api(api)) => {
                assert_eq!(api.status, 502);
                assert!(matches!(&api.body, ErrorBody::Raw(raw) if raw.starts_with(b"<html>")));
                assert!(err.to_string().contains("502 Bad Gateway"), "{err}");
            }
            ("truncated" | "wrong types", Error::Decode(decode)) => {
                assert_eq!(decode.status, 200);
                assert!(decode.snippet.contains("credits"), "{}", decode.snippet);
            }
            ("empty 402", Error::Api(api)) => {
                assert_eq!(api.status, 402);
                assert!(matches!(&api.body, ErrorBody::Raw(raw) if raw.is_empty()));
            }
            ("500 not as documented", Error::Api(api)) => {
                assert_eq!(api.status, 500);
                assert!(matches!(&api.body, ErrorBody::Raw(raw) if raw.as_ref() == b"not json"));
            }
            ("empty 200", Error::Decode(decode)) => {
                assert_eq!(decode.status, 200);
                assert_eq!(err.request_id(), Some("req-42"));
            }
            _ => panic!("{case}: unexpected {err:?}"),
        }
        assert!(!format!("{err} {err:?}").contains(KEY), "{case}");
    }
}

#[tokio::test]
async fn the_user_agent_is_set_and_overridable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(olostep_ok())
        .mount(&server)
        .await;
    olostep_client(&server).get_credits_info().await.unwrap();
    let config = quick(
        olostep::Client::config().credential("Authorization", KEY),
        &server,
    )
    .user_agent("my-app/2.0");
    olostep::Client::from_config(config)
        .unwrap()
        .get_credits_info()
        .await
        .unwrap();
    let agents: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.headers["user-agent"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        agents,
        [
            format!("billfold-olostep/{}", env!("CARGO_PKG_VERSION")),
            "my-app/2.0".to_owned()
        ]
    );
}

/// A server that answers every connection with `status` and a chunked body of spaces (valid
/// JSON whitespace) without end, counting what it managed to send. Returns its URL and counter.
async fn endless_body_server(status: u16) -> (String, Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                );
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b' '; 64 * 1024];
                let framed = [
                    format!("{:x}\r\n", chunk.len()).into_bytes(),
                    chunk,
                    b"\r\n".to_vec(),
                ]
                .concat();
                // Up to 1 GiB; the client hangs up long before.
                for _ in 0..16 * 1024 {
                    if socket.write_all(&framed).await.is_err() {
                        return;
                    }
                    counter.fetch_add(64 * 1024, Ordering::Relaxed);
                }
            });
        }
    });
    (url, sent)
}

#[tokio::test]
async fn a_body_over_the_limit_ends_the_call_without_reading_the_rest() {
    use std::sync::atomic::Ordering;
    const LIMIT: u64 = 1024 * 1024;
    for status in [200u16, 500] {
        let (url, sent) = endless_body_server(status).await;
        let client = olostep::Client::from_config(
            olostep::Client::config()
                .credential("Authorization", KEY)
                .base_url(url)
                .max_retries(0)
                .max_response_bytes(LIMIT),
        )
        .unwrap();
        let started = Instant::now();
        let error = client.get_credits_info().await.unwrap_err();
        match &error {
            Error::ResponseTooLarge {
                status: got, limit, ..
            } => {
                assert_eq!(got.as_u16(), status);
                assert_eq!(*limit, LIMIT);
            }
            other => panic!("expected ResponseTooLarge, got {other:?}"),
        }
        assert!(error.to_string().contains("max_response_bytes"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(10));
        // Give the server a moment to notice the hang-up, then check it was cut short: what
        // was sent is about the limit plus socket buffers, nowhere near the 1 GiB on offer.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent = sent.load(Ordering::Relaxed);
        assert!(sent < 64 * LIMIT, "the server sent {sent} bytes");
    }
}

#[tokio::test]
async fn a_declared_length_over_the_limit_fails_and_one_under_it_passes() {
    let server = MockServer::start().await;
    let big = format!("{{\"credits\": 7, \"pad\": \"{}\"}}", "x".repeat(300_000));
    Mock::given(method("GET"))
        .and(path("/user/credits/info"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(big.clone(), "application/json"))
        .mount(&server)
        .await;
    let config = || {
        olostep::Client::config()
            .credential("Authorization", KEY)
            .base_url(server.uri())
    };
    let small = olostep::Client::from_config(config().max_response_bytes(100_000)).unwrap();
    assert!(matches!(
        small.get_credits_info().await,
        Err(Error::ResponseTooLarge { limit: 100_000, .. })
    ));
    let roomy =
        olostep::Client::from_config(config().max_response_bytes(big.len() as u64)).unwrap();
    assert_eq!(roomy.get_credits_info().await.unwrap().credits, Some(7));
    // The default (16 MiB) takes it too.
    let default = olostep::Client::from_config(config()).unwrap();
    assert_eq!(default.get_credits_info().await.unwrap().credits, Some(7));
}
