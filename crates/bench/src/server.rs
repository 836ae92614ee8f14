//! A minimal keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request with one JSON
//! body, after an optional delay. It runs on its own thread and runtime, so that serving does
//! not share the measured client's thread.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Starts `count` servers; returns their base URLs.
pub fn start(body: Vec<u8>, delay: Duration, count: usize) -> Vec<String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let mut listeners = Vec::new();
            for _ in 0..count {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let _ = sender.send(format!(
                    "http://{}",
                    listener.local_addr().expect("address")
                ));
                listeners.push(listener);
            }
            let mut tasks = Vec::new();
            for listener in listeners {
                let body = body.clone();
                tasks.push(tokio::spawn(serve(listener, body, delay)));
            }
            for task in tasks {
                let _ = task.await;
            }
        });
    });
    (0..count)
        .map(|_| receiver.recv().expect("server address"))
        .collect()
}

async fn serve(listener: TcpListener, body: Vec<u8>, delay: Duration) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let mut response = head.into_bytes();
    response.extend_from_slice(&body);
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let response = response.clone();
        tokio::spawn(async move {
            let mut pending = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                // One request per header block (the clients send bodiless GETs).
                while !pending.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => pending.extend_from_slice(&buf[..n]),
                    }
                }
                let end = pending
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .unwrap_or(0)
                    + 4;
                pending.drain(..end);
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                if stream.write_all(&response).await.is_err() {
                    return;
                }
            }
        });
    }
}
