//! Arbitrary bytes as a response body, with any status, through each generated client's real
//! decode path: the result is a value or an error, never a panic.

use std::sync::{Arc, Mutex};

use billfold::runtime::Error;
use billfold::{aiml, anchor, giga, neo, olostep};
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server answers next: status and body.
type Reply = Arc<Mutex<(u16, Vec<u8>)>>;

/// A minimal HTTP/1.1 server on 127.0.0.1 that answers every request with the current reply.
async fn serve(reply: Reply) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let (status, body) = reply.lock().unwrap().clone();
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    format!("http://{address}")
}

/// Bodies: arbitrary bytes, and JSON-ish text that gets further into decoding.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        "[{}\\[\\]\":,0-9a-z_. -]{0,120}".prop_map(String::into_bytes),
        Just(br#"{"credits": 1e999, "data": {"credits": -0.0}, "balance": null}"#.to_vec()),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200),
        Just(401),
        Just(402),
        Just(500),
        Just(502),
        200u16..600
    ]
}

/// Checks an outcome: a value, or an error that kept the status.
fn judge<T, E: std::fmt::Debug + serde::Serialize>(
    status: u16,
    outcome: Result<T, Error<E>>,
) -> Result<(), TestCaseError> {
    match outcome {
        Ok(_) => prop_assert!((200..300).contains(&status)),
        Err(error) => {
            let kept = error.status().map(|s| s.as_u16());
            prop_assert!(
                kept == Some(status),
                "status {status} became {kept:?}: {error:?}"
            );
            let _ = error.to_string();
        }
    }
    Ok(())
}

#[test]
fn arbitrary_bodies_never_panic_any_client() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let reply: Reply = Arc::new(Mutex::new((200, Vec::new())));
    let base = runtime.block_on(serve(reply.clone()));
    let config = |c: billfold::runtime::ClientConfig| c.base_url(&base).max_retries(0);
    let anchor = anchor::Client::from_config(config(
        anchor::Client::config().credential("api_key_header", "k"),
    ))
    .unwrap();
    let neo = neo::Client::from_config(config(neo::Client::config().credential("BearerAuth", "k")))
        .unwrap();
    let olostep = olostep::Client::from_config(config(
        olostep::Client::config().credential("Authorization", "k"),
    ))
    .unwrap();
    let aiml =
        aiml::Client::from_config(config(aiml::Client::config().credential("bearerAuth", "k")))
            .unwrap();
    let giga =
        giga::Client::from_config(config(giga::Client::config().credential("bearerAuth", "k")))
            .unwrap();

    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(96));
    runner
        .run(&(status(), body()), |(status, body)| {
            *reply.lock().unwrap() = (status, body);
            runtime.block_on(async {
                judge(status, anchor.get_billing().await)?;
                judge(status, neo.get_v1_billing_credits().await)?;
                judge(status, olostep.get_credits_info().await)?;
                judge(status, aiml.get_balance().await)?;
                judge(status, giga.get_billing().await)?;
                judge(status, giga.list_plans().await)?;
                let plan = giga::types::SubscribeRequest {
                    plan_id: "p".into(),
                };
                judge(status, giga.subscribe(&plan).await)?;
                judge(
                    status,
                    giga.recharge(&giga::types::RechargeRequest { amount: 1.0 })
                        .await,
                )
            })
        })
        .unwrap();
}
