//! No credential in Debug, Display or tracing output. A test binary of its own: `tracing`
//! caches per call site whether anyone listens, so a test in the same process that reaches a
//! call site before this one installs its subscriber could hide events from it.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use billfold::{aiml, anchor, giga, neo, olostep};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-9d1e77c4";

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn nothing_shows_the_key_not_even_tracing() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user/credits/info"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/user/credits/info"))
        .respond_with(ResponseTemplate::new(402))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = olostep::Client::from_config(
        olostep::Client::config()
            .credential("Authorization", KEY)
            .base_url(server.uri())
            .retry_backoff(Duration::from_millis(10), Duration::from_millis(50)),
    )
    .unwrap();
    let err = client.get_credits_info().await.unwrap_err();

    let anchor = anchor::Client::with_api_key(KEY).unwrap();
    let neo = neo::Client::with_bearer_token(KEY).unwrap();
    let aiml = aiml::Client::with_bearer_token(KEY).unwrap();
    let giga = giga::Client::with_bearer_token("http://127.0.0.1:9", KEY).unwrap();
    let config = olostep::Client::config().credential("Authorization", KEY);
    let config_error = giga::Client::config()
        .credential("bearerAuth", format!("{KEY}\r\n"))
        .build()
        .unwrap_err();
    let texts = [
        format!("{client:?}"),
        format!("{anchor:?}"),
        format!("{neo:?}"),
        format!("{aiml:?}"),
        format!("{giga:?}"),
        format!("{config:?}"),
        format!("{err} {err:?}"),
        format!("{config_error} {config_error:?}"),
    ];
    for text in &texts {
        assert!(!text.contains(KEY), "key leaked: {text}");
    }
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("billfold.request"), "{log}");
    assert!(
        log.contains("provider=\"olostep\"") || log.contains("provider=olostep"),
        "{log}"
    );
    assert!(log.contains("retrying"), "{log}");
    assert!(
        log.contains("attempt=1") && log.contains("attempt=2"),
        "every attempt is traced: {log}"
    );
    assert!(log.contains("attempts=2"), "{log}");
    assert!(log.contains("status=402"), "{log}");
    assert!(!log.contains(KEY), "key in tracing output: {log}");
}
