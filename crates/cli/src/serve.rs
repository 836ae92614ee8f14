//! `billfold serve`: every account queried on an interval in the background, readings
//! recorded, and the gauges served on `/metrics` (OpenMetrics text) with `/healthz` beside.
//!
//! The HTTP side is hyper's HTTP/1 server on tokio (hyper and hyper-util are in the tree
//! already, through reqwest). A scrape never queries a provider: it is answered with the text
//! encoded at the end of the last refresh. SIGTERM or Ctrl-C stops the server (exit 0).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use billfold_history::{Downsampling, History, Point, Reading};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

use crate::accounts::Target;
use crate::alerts;
use crate::dashboard;
use crate::metrics::{self, Labels, Metrics, Observation};
use crate::notify::{Event, Notifier};
use crate::query::{Queried, query};
use crate::recording::{self, Burns, Setting, Warnings};
use crate::status::State;
use crate::thresholds::Thresholds;
use crate::{EXIT_CONFIG, EXIT_FAILED, EXIT_OK};

/// At most this many connections are served at once; one more is closed as soon as accepted.
const MAX_CONNECTIONS: usize = 512;

/// A connection is closed (gracefully, between two requests) after this long. With
/// [`MAX_CONNECTIONS`] it bounds what idle or slow clients can hold, for the cost of one timer
/// per connection. hyper's header-read timeout arms a timer per request instead, which cost
/// about 15% of the scrapes and doubled the p99 (3 → 5–6 ms) in the 200-scraper bench.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

/// What `billfold serve` was asked.
pub struct Options {
    /// `--listen`.
    pub listen: SocketAddr,
    /// `--interval`.
    pub interval: Duration,
    /// What to query.
    pub targets: Vec<Target>,
    /// `--timeout`.
    pub timeout: Option<Duration>,
    /// `--warn-below`, `--warn-days`.
    pub thresholds: Thresholds,
    /// `--history`, `--no-history`.
    pub history: Setting,
    /// `--keep-raw`.
    pub downsampling: billfold_history::Downsampling,
    /// `--window`.
    pub window: chrono::Duration,
    /// `--notify`, if given.
    pub notifier: Option<Notifier>,
}

/// The dashboard's pages, one per range, rendered at the end of each refresh.
pub struct Pages {
    pages: RwLock<Vec<Bytes>>,
}

impl Pages {
    fn new(interval: Duration) -> Arc<Pages> {
        let waiting = Bytes::from(dashboard::waiting(interval.as_secs()));
        Arc::new(Pages {
            pages: RwLock::new(vec![waiting; dashboard::RANGES.len()]),
        })
    }

    fn set(&self, snapshot: &dashboard::Snapshot) {
        let pages = (0..dashboard::RANGES.len())
            .map(|range| Bytes::from(dashboard::page(snapshot, range)))
            .collect();
        *self.pages.write().unwrap_or_else(|e| e.into_inner()) = pages;
    }

    /// The page of `range` (cheap: a reference count).
    fn get(&self, range: usize) -> Bytes {
        let pages = self.pages.read().unwrap_or_else(|e| e.into_inner());
        pages.get(range).cloned().unwrap_or_default()
    }
}

/// Runs `billfold serve` until SIGTERM or Ctrl-C; returns the exit status.
pub async fn run(request: Options) -> u8 {
    // Before anything is printed, so that a stop sent as soon as the address is known is
    // caught rather than killing the process.
    let mut stop = match Stop::listen() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("billfold: cannot listen for SIGTERM / Ctrl-C: {e}");
            return EXIT_CONFIG;
        }
    };
    let listener = match TcpListener::bind(request.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "billfold: cannot listen on {}: {e}; choose another address with --listen \
                 (e.g. --listen 127.0.0.1:0 for any free port)",
                request.listen
            );
            return EXIT_CONFIG;
        }
    };
    let address = listener.local_addr().unwrap_or(request.listen);
    eprintln!("billfold: serving metrics on http://{address}/metrics");
    eprintln!("billfold: dashboard on http://{address}/");
    if let Some(notifier) = &request.notifier {
        eprintln!("billfold: notifying {}", notifier.describe());
    }

    let metrics = Metrics::new();
    let pages = Pages::new(request.interval);
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let (fatal_tx, mut fatal_rx) = oneshot::channel();
    let refresher = tokio::spawn(refresh_forever(
        request,
        metrics.clone(),
        pages.clone(),
        fatal_tx,
    ));
    let code = loop {
        tokio::select! {
            () = stop.wait() => {
                eprintln!("billfold: stopping");
                break EXIT_OK;
            }
            fatal = &mut fatal_rx => match fatal {
                Ok(code) => break code,
                // The refresher ended without a word: a bug (a panic). Stale gauges would lie.
                Err(_) => {
                    eprintln!("billfold: the refresh loop stopped unexpectedly; stopping");
                    break EXIT_FAILED;
                }
            },
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let Ok(permit) = connections.clone().try_acquire_owned() else {
                        continue;
                    };
                    // Answers are written whole; do not let Nagle hold them back.
                    let _ = stream.set_nodelay(true);
                    let metrics = metrics.clone();
                    let pages = pages.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let metrics = metrics.clone();
                            let pages = pages.clone();
                            async move { Ok::<_, Infallible>(answer(&req, &metrics, &pages)) }
                        });
                        // A connection that fails (a client gone, a slow one) concerns only it.
                        let connection = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service);
                        tokio::pin!(connection);
                        tokio::select! {
                            _ = connection.as_mut() => {}
                            _ = tokio::time::sleep(CONNECTION_LIFETIME) => {
                                connection.as_mut().graceful_shutdown();
                                let _ = tokio::time::timeout(
                                    Duration::from_secs(5),
                                    connection,
                                )
                                .await;
                            }
                        }
                        drop(permit);
                    });
                }
                // Out of file descriptors, say: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
        }
    };
    refresher.abort();
    code
}

/// The dashboard may use its inline style and nothing from anywhere else.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// The answer to one request.
fn answer(request: &Request<Incoming>, metrics: &Metrics, pages: &Pages) -> Response<Full<Bytes>> {
    let (body, content_type) = match request.uri().path() {
        "/metrics" => (metrics.body(), metrics::CONTENT_TYPE),
        "/healthz" => (Bytes::from_static(b"ok"), "text/plain; charset=utf-8"),
        "/" => (
            pages.get(dashboard::range_of(request.uri().query())),
            "text/html; charset=utf-8",
        ),
        _ => {
            return plain(
                StatusCode::NOT_FOUND,
                "not found: try /, /metrics or /healthz\n",
            );
        }
    };
    // hyper sends no body in answer to HEAD (the length stays that of GET's).
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use GET\n");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if request.uri().path() == "/" {
        response.headers_mut().insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_POLICY),
        );
    }
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// SIGTERM or Ctrl-C (SIGINT), registered up front.
struct Stop {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Stop {
    fn listen() -> std::io::Result<Stop> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Stop {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Stop {})
        }
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// The history file as the refresher keeps it: opened once, reopened after a failure.
struct Recorder {
    setting: Setting,
    history: Option<History>,
    warnings: Warnings,
    /// Notified states, when there is no history file to keep them.
    memory: alerts::Memory,
}

/// What one refresh got from the history.
#[derive(Default)]
struct Recorded {
    /// The burn of each `(provider, account)`.
    burns: Burns,
    /// Chart points of each `(provider, account)`, one list per range of the dashboard.
    charts: HashMap<(String, String), Vec<Vec<Point>>>,
}

impl Recorder {
    /// Runs `work` on the history file, opening it if need be; on failure warns (once until
    /// it changes) and returns `None`. Blocking (SQLite): run it off the async threads.
    fn with<T>(
        &mut self,
        work: impl FnOnce(&mut History) -> Result<T, billfold_history::Error>,
    ) -> Option<T> {
        let path = match &self.setting {
            Setting::Off => return None,
            Setting::Nowhere => {
                self.warnings.warn(recording::NOWHERE.to_owned());
                return None;
            }
            Setting::File(path) => path.clone(),
        };
        let result = match self.history.take() {
            Some(history) => Ok(history),
            None => History::open(&path),
        }
        .and_then(|mut history| {
            let value = work(&mut history)?;
            Ok((history, value))
        });
        match result {
            Ok((history, value)) => {
                self.history = Some(history);
                self.warnings
                    .clear(|| format!("history: recording again in {}", path.display()));
                Some(value)
            }
            Err(e) => {
                // Reopened next time (it was dropped): the file may have been fixed or replaced.
                self.warnings.warn(e.to_string());
                None
            }
        }
    }

    /// Records `readings`, returns the burn of each `(provider, account)` from the readings of
    /// the window and the chart points of `charted` accounts, and downsamples when due.
    fn record(
        &mut self,
        readings: &[Reading],
        now: chrono::DateTime<chrono::Utc>,
        window: chrono::Duration,
        charted: &[(String, String)],
        downsampling: Downsampling,
    ) -> Recorded {
        self.with(|history| {
            let burns = recording::record_and_burn(history, readings, now, window)?;
            let mut charts = HashMap::new();
            for (provider, account) in charted {
                let ranges = (0..dashboard::RANGES.len())
                    .map(|range| {
                        let from = now - dashboard::range_length(range);
                        history.series(provider, account, from, now, dashboard::CHART_POINTS)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                charts.insert((provider.clone(), account.clone()), ranges);
            }
            history.downsample_if_due(now, downsampling)?;
            Ok(Recorded { burns, charts })
        })
        .unwrap_or_default()
    }

    /// The candidates whose state changed (kept in the history file, else in memory).
    fn changed(&mut self, candidates: Vec<Event>, at: chrono::DateTime<chrono::Utc>) -> Vec<Event> {
        let mut memory = std::mem::take(&mut self.memory);
        let kept = candidates.clone();
        let from_history =
            self.with(|history| alerts::changed(Some(history), &mut memory, kept, at));
        let events = match from_history {
            Some(events) => events,
            None => alerts::changed(None, &mut memory, candidates, at).unwrap_or_default(),
        };
        self.memory = memory;
        events
    }
}

/// Refreshes on every tick of the interval, the first at once. Sends an exit status on
/// `fatal` when serving is pointless (nothing configured).
async fn refresh_forever(
    request: Options,
    metrics: Arc<Metrics>,
    pages: Arc<Pages>,
    fatal: oneshot::Sender<u8>,
) {
    let mut ticker = tokio::time::interval(request.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut recorder = Some(Recorder {
        setting: request.history.clone(),
        history: None,
        warnings: Warnings::default(),
        memory: alerts::Memory::new(),
    });
    // Kept for the life of the loop: the server takes its closing for a crash.
    let mut fatal = Some(fatal);
    let mut first = true;
    // Each account's failure is printed when it starts or changes, not on every refresh.
    let mut failures: HashMap<String, Warnings> = HashMap::new();
    // The last good amount and unit of each account, shown while it fails.
    let mut last_good: HashMap<String, (Option<f64>, String)> = HashMap::new();
    loop {
        ticker.tick().await;
        let queried = query(&request.targets, request.timeout).await;
        if std::mem::take(&mut first) && queried.iter().all(Queried::not_configured) {
            let hints: Vec<String> = request
                .targets
                .iter()
                .map(Target::credential_hint)
                .collect();
            eprintln!(
                "billfold: no provider is configured: set {}",
                hints.join(", ")
            );
            if let Some(fatal) = fatal.take() {
                let _ = fatal.send(EXIT_CONFIG);
            }
            return;
        }
        for q in &queried {
            let label = q.target.label();
            let warnings = failures.entry(label.clone()).or_default();
            match &q.outcome {
                Err(e) if !q.not_configured() => warnings.warn(format!("{label}: {e}")),
                _ => warnings.clear(|| format!("{label}: answering again")),
            }
        }
        let now = recording::now();
        let readings: Vec<Reading> = queried
            .iter()
            .filter_map(|q| recording::reading(&q.target, &q.outcome, now))
            .collect();
        let charted: Vec<(String, String)> = queried
            .iter()
            .filter(|q| !q.not_configured())
            .map(|q| (q.target.provider.id().to_owned(), q.target.account.clone()))
            .collect();
        let recorded = match recorder.take() {
            Some(mut r) => {
                let window = request.window;
                let downsampling = request.downsampling;
                match tokio::task::spawn_blocking(move || {
                    let recorded = r.record(&readings, now, window, &charted, downsampling);
                    (r, recorded)
                })
                .await
                {
                    Ok((r, recorded)) => {
                        recorder = Some(r);
                        recorded
                    }
                    Err(e) => {
                        eprintln!("billfold: warning: history is off from now on: {e}");
                        Recorded::default()
                    }
                }
            }
            None => Recorded::default(),
        };
        let burn_of = |q: &Queried| {
            recorded
                .burns
                .get(&(q.target.provider.id().to_owned(), q.target.account.clone()))
                .copied()
                .unwrap_or_default()
        };
        let low_of = |q: &Queried| {
            q.outcome
                .as_ref()
                .ok()
                .and_then(|b| request.thresholds.low(b, burn_of(q).days_left))
        };

        // The dashboard.
        let rows = queried
            .iter()
            .filter(|q| !q.not_configured())
            .filter_map(|q| {
                let label = q.target.label();
                let low = low_of(q);
                let state = State::of(&q.outcome, low)?;
                let (available, unit) = match &q.outcome {
                    Ok(b) => {
                        let good = (b.available, b.unit.to_owned());
                        last_good.insert(label.clone(), good.clone());
                        good
                    }
                    Err(_) => last_good
                        .get(&label)
                        .cloned()
                        .unwrap_or((None, "-".to_owned())),
                };
                let key = (q.target.provider.id().to_owned(), q.target.account.clone());
                Some(dashboard::Row {
                    label,
                    available,
                    unit,
                    burn: burn_of(q),
                    state,
                    error: q.outcome.as_ref().err().map(|e| match e.status {
                        Some(status) => format!("{} {status}", e.kind.as_str()),
                        None => e.kind.as_str().to_owned(),
                    }),
                    charts: recorded.charts.get(&key).cloned().unwrap_or_default(),
                })
            })
            .collect();
        pages.set(&dashboard::Snapshot {
            at: now,
            interval_secs: request.interval.as_secs(),
            history: matches!(request.history, Setting::File(_)),
            rows,
        });

        // Notifications, sent in the background so that a slow webhook never delays a refresh.
        if let Some(notifier) = &request.notifier {
            let candidates: Vec<Event> = queried
                .iter()
                .filter_map(|q| alerts::event(&q.target, &q.outcome, low_of(q), burn_of(q), now))
                .collect();
            let events = match recorder.take() {
                Some(mut r) => match tokio::task::spawn_blocking(move || {
                    let events = r.changed(candidates, now);
                    (r, events)
                })
                .await
                {
                    Ok((r, events)) => {
                        recorder = Some(r);
                        events
                    }
                    Err(_) => Vec::new(),
                },
                None => Vec::new(),
            };
            if !events.is_empty() {
                let notifier = notifier.clone();
                tokio::spawn(async move {
                    for warning in notifier.send(&events).await {
                        eprintln!("billfold: warning: {warning}");
                    }
                });
            }
        }

        let at = now.timestamp_millis() as f64 / 1000.0;
        let observations = queried
            .into_iter()
            .filter(|q| !q.not_configured())
            .map(|q| {
                let labels = Labels {
                    provider: q.target.provider.id().to_owned(),
                    account: q.target.account.clone(),
                };
                let observation = match &q.outcome {
                    Ok(b) => {
                        let burn = burn_of(&q);
                        Observation::Success {
                            available: b.available,
                            used: b.used,
                            allotted: b.allotted,
                            low: request.thresholds.low(b, burn.days_left),
                            days_left: burn.days_left,
                            at,
                        }
                    }
                    Err(_) => Observation::Failure,
                };
                (labels, observation, q.took)
            })
            .collect();
        metrics.update(observations);
    }
}
