//! What the conformance client does around its generated dispatch: the configurations (right
//! and wrong credential), running each operation three ways (`exercise!`), the rows, and the
//! client's `main` (`run_client`). A module of `conformance_client.rs` here, and a crate of
//! its own in the corpus's staging workspace (`cargo xtask corpus`), where each spec's
//! dispatch is a crate of its own: they are checked side by side, each as soon as its client
//! is, instead of all in one crate after the last client.

use std::future::Future;
use std::pin::Pin;

use billfold_runtime::{
    AuthKind, ClientConfig, CredentialSpec, Error, EventStream, Provider, ResponseValue,
};
use futures::StreamExt as _;
use serde_json::{Value, json};

/// One operation's run, borrowing the rows and the entry.
pub type Run<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;
/// An operation of a provider: runs it and pushes its row.
pub type Operation = for<'a> fn(&'a mut Vec<Value>, &'a Entry) -> Run<'a>;
/// A provider's operations: (operationId, operation).
pub type Operations = &'static [(&'static str, Operation)];

const SECRET: &str = "conformance-secret";

/// A credential sent the wrong way for `provider`: another header, or Bearer for API keys.
fn wrong_scheme(provider: &'static Provider) -> &'static Provider {
    let kind = match provider.credentials.first().map(|c| c.kind) {
        Some(AuthKind::Bearer) => AuthKind::ApiKeyHeader("X-Wrong-Key"),
        // A key in the Authorization header itself (fal's `Key <key>`): Prism checks only that
        // the header is there, so a bearer token would pass; another header must not.
        Some(kind @ (AuthKind::ApiKeyHeader(_) | AuthKind::ApiKeyHeaderPrefixed { .. }))
            if kind
                .header_name()
                .is_some_and(|h| h.eq_ignore_ascii_case("authorization")) =>
        {
            AuthKind::ApiKeyHeader("X-Wrong-Key")
        }
        _ => AuthKind::Bearer,
    };
    let credentials: &'static [CredentialSpec] = Box::leak(Box::new([CredentialSpec {
        scheme: "wrong",
        kind,
        env_var: "UNUSED",
    }]));
    Box::leak(Box::new(Provider {
        id: provider.id,
        name: provider.name,
        user_agent: provider.user_agent,
        default_base_url: provider.default_base_url,
        base_url_env: provider.base_url_env,
        credentials,
        security: &[],
    }))
}

/// A configuration with a credential for every scheme (each operation sends the ones its
/// requirements name) and no retries.
pub fn right(provider: &'static Provider, url: &str) -> ClientConfig {
    provider
        .credentials
        .iter()
        .fold(ClientConfig::new(provider).base_url(url), |config, c| {
            config.credential(c.scheme, SECRET)
        })
        .max_retries(0)
}

/// A configuration sending the credential the wrong way (see [`wrong_scheme`]), no retries.
pub fn wrong(provider: &'static Provider, url: &str) -> ClientConfig {
    ClientConfig::new(wrong_scheme(provider))
        .base_url(url)
        .credential("wrong", SECRET)
        .max_retries(0)
}

/// What a call's result says, as a row's column: a response, or a stream of events.
// Public only for the corpus's dispatch crates; the client awaits it on one thread, so no
// caller needs its futures to be `Send`.
#[allow(async_fn_in_trait)]
pub trait Outcome: Sized {
    /// "ok" for a decoded response Prism found nothing wrong with (every event of a stream
    /// decoded, to its end).
    async fn decoded(self) -> String;
    /// "ok" for Prism's 401 as an API error.
    fn rejected(self) -> String;
}

impl<T, E: std::fmt::Debug + serde::Serialize> Outcome for Result<ResponseValue<T>, Error<E>> {
    async fn decoded(self) -> String {
        match self {
            Ok(response) => match response.headers().get("sl-violations") {
                Some(violations) => {
                    format!("request violations: {}", violations.to_str().unwrap_or("?"))
                }
                None => "ok".to_owned(),
            },
            Err(error) => format!("failed: {error}"),
        }
    }

    fn rejected(self) -> String {
        rejected_by_status(self.err())
    }
}

impl<T, E: std::fmt::Debug + serde::Serialize> Outcome for Result<EventStream<T, E>, Error<E>> {
    async fn decoded(self) -> String {
        let mut events = match self {
            Ok(events) => events,
            Err(error) => return format!("failed: {error}"),
        };
        let mut count = 0;
        while let Some(event) = events.next().await {
            if let Err(error) = event {
                return format!("failed after {count} event(s): {error}");
            }
            count += 1;
        }
        "ok".to_owned()
    }

    fn rejected(self) -> String {
        rejected_by_status(self.err())
    }
}

/// "ok" for Prism's 401 as an API error; `None`: the call succeeded.
fn rejected_by_status<E: std::fmt::Debug + serde::Serialize>(error: Option<Error<E>>) -> String {
    match error {
        Some(Error::Api(api)) if api.status == 401 => "ok".to_owned(),
        Some(error) => format!("wrong error: {error}"),
        None => "accepted a wrong credential".to_owned(),
    }
}

/// One operation's row: its provider, operationId and the outcome of each run.
pub fn row(
    provider: &str,
    operation: &str,
    examples: String,
    dynamic: String,
    auth: String,
) -> Value {
    json!({"provider": provider, "operation": operation, "examples": examples, "dynamic": dynamic, "auth_rejected": auth})
}

/// Runs one operation three ways: examples, dynamic data, wrong credential.
///
/// The call is written once and run against each server in turn: the compiler checks one
/// call site per operation instead of three (the corpus's dispatch over 4,269 operations is
/// checked in CI).
#[macro_export]
macro_rules! exercise {
    ($rows:ident, $module:ident, $entry:ident, $operation:literal, |$client:ident| $call:expr) => {{
        use billfold::$module;
        let provider = &$module::PROVIDER;
        let runs = [
            (&$entry.examples, true),
            (&$entry.dynamic, true),
            (&$entry.dynamic, false),
        ];
        let mut columns: [String; 3] = Default::default();
        for (column, (url, right_key)) in columns.iter_mut().zip(runs) {
            let config = if right_key {
                $crate::right(provider, url)
            } else {
                $crate::wrong(provider, url)
            };
            *column = match $module::Client::from_config(config) {
                Ok($client) => {
                    let result = $call.await;
                    if right_key {
                        $crate::Outcome::decoded(result).await
                    } else {
                        $crate::Outcome::rejected(result)
                    }
                }
                Err(e) => format!("config: {e}"),
            };
        }
        let [examples, dynamic, auth] = columns;
        $rows.push($crate::row(
            provider.id,
            $operation,
            examples,
            dynamic,
            auth,
        ));
    }};
}

/// One provider's two mock servers.
pub struct Entry {
    /// The provider's id.
    pub provider: String,
    /// Base URL of the Prism serving the spec's examples.
    pub examples: String,
    /// Base URL of the Prism generating data.
    pub dynamic: String,
    /// The operationIds to run; empty: every one.
    pub only: Vec<String>,
}

/// Runs every operation of `entry`'s provider (`None`: an unknown provider) against its two
/// mock servers, each operation's panic (a defect of the generated code) becoming its row.
async fn run_operations(rows: &mut Vec<Value>, entry: &Entry, operations: Option<Operations>) {
    let Some(operations) = operations else {
        rows.push(row(
            &entry.provider,
            "-",
            "unknown provider".into(),
            String::new(),
            String::new(),
        ));
        return;
    };
    for (operation_id, operation) in operations {
        if !entry.only.is_empty() && !entry.only.iter().any(|only| only == operation_id) {
            continue;
        }
        let before = rows.len();
        let run = std::panic::AssertUnwindSafe(operation(rows, entry));
        if let Err(panic) = futures::FutureExt::catch_unwind(run).await {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            rows.truncate(before);
            rows.push(row(
                &entry.provider,
                "?",
                format!("panicked: {message}"),
                String::new(),
                String::new(),
            ));
        }
    }
}

/// The client's `main`: reads the servers file named by the first argument, runs the
/// operations `operations_of` gives for each provider, prints the rows as JSON.
pub async fn run_client(operations_of: fn(&str) -> Option<Operations>) -> std::process::ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: conformance-client <servers.json>");
        return std::process::ExitCode::from(2);
    };
    let servers: Value = match std::fs::read_to_string(&path).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => {
            eprintln!("{path}: invalid JSON: {e}");
            return std::process::ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let entries: Vec<Entry> = servers
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| Entry {
            provider: s["provider"].as_str().unwrap_or_default().to_owned(),
            examples: s["examples"].as_str().unwrap_or_default().to_owned(),
            dynamic: s["dynamic"].as_str().unwrap_or_default().to_owned(),
            only: s["only"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        })
        .collect();
    let mut rows = Vec::new();
    for entry in &entries {
        run_operations(&mut rows, entry, operations_of(&entry.provider)).await;
    }
    println!("{}", Value::Array(rows));
    std::process::ExitCode::SUCCESS
}
