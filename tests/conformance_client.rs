//! Runs every operation of every generated client against Prism mock servers, for
//! `cargo xtask conformance`. Input: a JSON file `[{"provider", "examples", "dynamic"}]` (the base
//! URLs of a Prism serving the spec's examples and one generating data). Output on stdout: one
//! JSON object per operation with the outcome of each check ("ok" or what went wrong).

use billfold::runtime::{AuthKind, ClientConfig, CredentialSpec, Error, Provider, ResponseValue};
use billfold::{aiml, anchor, giga, neo, olostep};
use serde_json::{Value, json};

const SECRET: &str = "conformance-secret";

/// A credential sent the wrong way for `provider`: another header, or Bearer for API keys.
fn wrong_scheme(provider: &'static Provider) -> &'static Provider {
    let kind = match provider.credentials.first().map(|c| c.kind) {
        Some(AuthKind::Bearer) => AuthKind::ApiKeyHeader("X-Wrong-Key"),
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
    }))
}

/// A configuration with the right credential (first scheme) and no retries.
fn right(provider: &'static Provider, url: &str) -> ClientConfig {
    ClientConfig::new(provider)
        .base_url(url)
        .credential(provider.credentials[0].scheme, SECRET)
        .max_retries(0)
}

fn wrong(provider: &'static Provider, url: &str) -> ClientConfig {
    ClientConfig::new(wrong_scheme(provider))
        .base_url(url)
        .credential("wrong", SECRET)
        .max_retries(0)
}

/// "ok" for a decoded response Prism found nothing wrong with.
fn decoded<T, E: std::fmt::Debug + serde::Serialize>(
    result: Result<ResponseValue<T>, Error<E>>,
) -> String {
    match result {
        Ok(response) => match response.headers().get("sl-violations") {
            Some(violations) => {
                format!("request violations: {}", violations.to_str().unwrap_or("?"))
            }
            None => "ok".to_owned(),
        },
        Err(error) => format!("failed: {error}"),
    }
}

/// "ok" for Prism's 401 as an API error.
fn rejected<T, E: std::fmt::Debug + serde::Serialize>(
    result: Result<ResponseValue<T>, Error<E>>,
) -> String {
    match result {
        Err(Error::Api(api)) if api.status == 401 => "ok".to_owned(),
        Err(error) => format!("wrong error: {error}"),
        Ok(_) => "accepted a wrong credential".to_owned(),
    }
}

fn row(provider: &str, operation: &str, examples: String, dynamic: String, auth: String) -> Value {
    json!({"provider": provider, "operation": operation, "examples": examples, "dynamic": dynamic, "auth_rejected": auth})
}

/// Runs one operation three ways: examples, dynamic data, wrong credential.
macro_rules! exercise {
    ($rows:ident, $module:ident, $entry:ident, $operation:literal, |$client:ident| $call:expr) => {{
        let provider = &$module::PROVIDER;
        let examples = match $module::Client::from_config(right(provider, &$entry.examples)) {
            Ok($client) => decoded($call.await),
            Err(e) => format!("config: {e}"),
        };
        let dynamic = match $module::Client::from_config(right(provider, &$entry.dynamic)) {
            Ok($client) => decoded($call.await),
            Err(e) => format!("config: {e}"),
        };
        let auth = match $module::Client::from_config(wrong(provider, &$entry.dynamic)) {
            Ok($client) => rejected($call.await),
            Err(e) => format!("config: {e}"),
        };
        $rows.push(row(provider.id, $operation, examples, dynamic, auth));
    }};
}

struct Entry {
    provider: String,
    examples: String,
    dynamic: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
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
        })
        .collect();
    let mut rows = Vec::new();
    for entry in &entries {
        match entry.provider.as_str() {
            "anchor" => exercise!(rows, anchor, entry, "get_billing", |client| client
                .get_billing()),
            "neo" => exercise!(rows, neo, entry, "get-v1-billing-credits", |client| client
                .get_v1_billing_credits()),
            "olostep" => exercise!(rows, olostep, entry, "get_credits_info", |client| client
                .get_credits_info()),
            "aiml" => exercise!(rows, aiml, entry, "get_balance", |client| client
                .get_balance()),
            "giga" => {
                exercise!(rows, giga, entry, "get_billing", |client| client
                    .get_billing());
                exercise!(rows, giga, entry, "list_plans", |client| client
                    .list_plans());
                let plan = giga::types::SubscribeRequest {
                    plan_id: "starter-pro".into(),
                };
                exercise!(rows, giga, entry, "subscribe", |client| client
                    .subscribe(&plan));
                let amount = giga::types::RechargeRequest { amount: 50.0 };
                exercise!(rows, giga, entry, "recharge", |client| client
                    .recharge(&amount));
            }
            other => rows.push(row(
                other,
                "-",
                "unknown provider".into(),
                String::new(),
                String::new(),
            )),
        }
    }
    println!("{}", Value::Array(rows));
    std::process::ExitCode::SUCCESS
}
