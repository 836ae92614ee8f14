//! `/metrics` of `billfold serve` under many concurrent scrapes.
//!
//! The server is the real binary, started as a user would (`billfold serve --listen
//! 127.0.0.1:0 --no-history`), its providers pointed at local servers. Each of CONCURRENCY
//! tasks keeps one HTTP/1.1 connection and scrapes `/metrics` back to back for the duration;
//! the client is a few lines over a TCP stream, so that what is timed is the server's answer
//! more than a client library's bookkeeping. The server's peak RSS is its `VmHWM`, read from
//! `/proc` before it is stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader as AsyncBufReader};
use tokio::net::TcpStream;

use crate::percentile;

/// Runs the measurement; `env` points the providers at local servers.
pub fn run(
    billfold: &Path,
    env: Vec<(String, Option<String>)>,
    concurrency: usize,
    duration: Duration,
) -> serde_json::Value {
    let config_home = std::env::temp_dir().join(format!("billfold-bench-{}", std::process::id()));
    std::fs::create_dir_all(&config_home).expect("a config directory");
    let mut command = Command::new(billfold);
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "60",
            "--no-history",
        ])
        .env_clear()
        .env("XDG_CONFIG_HOME", &config_home)
        .env("XDG_DATA_HOME", &config_home)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in &env {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    let mut server = command.spawn().expect("billfold serve starts");
    let pid = server.id();
    let mut stderr = BufReader::new(server.stderr.take().expect("stderr"));
    let address = loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("server stderr") == 0 {
            panic!("billfold serve exited before listening");
        }
        if let Some(rest) = line.split("http://").nth(1) {
            break rest
                .split('/')
                .next()
                .expect("an address")
                .trim()
                .to_owned();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while stderr.read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (latencies, errors, scrapes, sample) = runtime.block_on(async {
        let first = wait_for_providers(&address).await;
        let deadline = Instant::now() + duration;
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let address = address.clone();
            tasks.push(tokio::spawn(async move {
                scrape_until(&address, deadline).await
            }));
        }
        let mut latencies = Vec::new();
        let mut errors = 0usize;
        for task in tasks {
            let (mut l, e) = task.await.expect("scraper");
            latencies.append(&mut l);
            errors += e;
        }
        let scrapes = latencies.len() + errors;
        (latencies, errors, scrapes, first)
    });
    let peak_rss_kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(f64::NAN);
    let stopping = Instant::now();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let status = server.wait().expect("billfold serve exits");
    let stop_ms = stopping.elapsed().as_secs_f64() * 1e3;
    let _ = std::fs::remove_dir_all(&config_home);

    let mut sorted = latencies;
    sorted.sort_by(f64::total_cmp);
    let (median, p99, max) = if sorted.is_empty() {
        (f64::NAN, f64::NAN, f64::NAN)
    } else {
        (
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99),
            sorted[sorted.len() - 1],
        )
    };
    json!({
        "concurrency": concurrency,
        "seconds": duration.as_secs_f64(),
        "scrapes": scrapes,
        "errors": errors,
        "median_ms": median,
        "p99_ms": p99,
        "max_ms": max,
        "peak_rss_mib": peak_rss_kib / 1024.0,
        "sigterm_exit_code": status.code(),
        "sigterm_stop_ms": stop_ms,
        "metrics_bytes": sample.len(),
    })
}

/// Scrapes until every provider has been queried once (a `billfold_provider_up` line each);
/// returns that exposition.
async fn wait_for_providers(address: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(stream) = TcpStream::connect(address).await
            && let Ok(body) = Connection::new(stream, address).get().await
            && body
                .lines()
                .filter(|l| l.starts_with("billfold_provider_up{"))
                .count()
                >= 5
        {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "billfold serve did not export every provider within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Scrapes back to back over one connection until `deadline`: (latencies in ms, errors).
async fn scrape_until(address: &str, deadline: Instant) -> (Vec<f64>, usize) {
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut connection = None;
    while Instant::now() < deadline {
        if connection.is_none() {
            match TcpStream::connect(address).await {
                Ok(stream) => connection = Some(Connection::new(stream, address)),
                Err(_) => {
                    errors += 1;
                    continue;
                }
            }
        }
        let Some(open) = connection.as_mut() else {
            continue;
        };
        let started = Instant::now();
        match open.get().await {
            Ok(body) if body.contains("billfold_credits_available") => {
                latencies.push(started.elapsed().as_secs_f64() * 1e3);
            }
            _ => {
                errors += 1;
                connection = None;
            }
        }
    }
    (latencies, errors)
}

/// A keep-alive HTTP/1.1 connection asking for `/metrics`: the request written once, one
/// read buffer for the connection's life, so that the client costs the shared cores little.
struct Connection {
    stream: AsyncBufReader<TcpStream>,
    request: Vec<u8>,
    line: String,
}

impl Connection {
    fn new(stream: TcpStream, address: &str) -> Self {
        Self {
            stream: AsyncBufReader::new(stream),
            request: format!("GET /metrics HTTP/1.1\r\nHost: {address}\r\n\r\n").into_bytes(),
            line: String::new(),
        }
    }

    /// One `GET /metrics`; the body, or why not.
    async fn get(&mut self) -> Result<String, String> {
        self.stream
            .get_mut()
            .write_all(&self.request)
            .await
            .map_err(|e| e.to_string())?;
        self.line.clear();
        self.stream
            .read_line(&mut self.line)
            .await
            .map_err(|e| e.to_string())?;
        if !self.line.starts_with("HTTP/1.1 200") {
            return Err(format!("status line {:?}", self.line));
        }
        let mut length = None;
        loop {
            self.line.clear();
            self.stream
                .read_line(&mut self.line)
                .await
                .map_err(|e| e.to_string())?;
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let length = length.ok_or("no content-length")?;
        let mut body = vec![0; length];
        self.stream
            .read_exact(&mut body)
            .await
            .map_err(|e| e.to_string())?;
        String::from_utf8(body).map_err(|e| e.to_string())
    }
}
