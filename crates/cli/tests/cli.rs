//! The `billfold` command run as a process against local mock servers for all five providers.

use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEYS: &[(&str, &str)] = &[
    ("ANCHOR_API_KEY", "anchor-secret-1"),
    ("NEO_API_KEY", "neo-secret-2"),
    ("OLOSTEP_API_KEY", "olostep-secret-3"),
    ("AIML_API_KEY", "aiml-secret-4"),
    ("GIGA_API_KEY", "giga-secret-5"),
];

fn anchor_body() -> Value {
    json!({"data": {"credits": 42.5, "credits_used": 12.5, "included_credits": 50, "billing_period": "2026-04",
                    "tier": "monthly_starter", "gifts_balance": 42.5},
           "max_concurrent_browsers": 25, "cost_limit": 100})
}
fn neo_body() -> Value {
    json!({"available_credits": 80.5, "issued_credits": 100, "used_credits": 19.5,
           "expires_at": "2026-12-31T00:00:00Z", "is_expired": false})
}
fn olostep_body(allow_usage: bool) -> Value {
    json!({"credits": 12500, "allow_usage": allow_usage,
           "breakdown": [
               {"purchase_kind": "Subscription", "allocated_units": 10000, "remaining_units": 8500, "expiry_date": 1735689600},
               {"purchase_kind": "Top-up", "allocated_units": 5000, "remaining_units": 4000, "expiry_date": 1743465600}],
           "active_subscription": {"id": "SUB_PRO", "display_name": "Pro", "credits": 10000, "created_at": 1704067200}})
}
fn aiml_body(low: bool) -> Value {
    json!({"balance": 551564495, "lowBalance": low, "lowBalanceThreshold": 10000,
           "lastUpdated": "2025-11-10T10:01:56.824Z", "status": "current"})
}
fn giga_body() -> Value {
    json!({"success": true, "data": {"billing": {"plan": "starter-pro", "planCreditsRemaining": 74.5,
           "prepaidBalance": 50, "totalBalance": 124.5, "currentPeriodStart": "2024-03-01T00:00:00.000Z",
           "currentPeriodEnd": "2024-04-01T00:00:00.000Z"}}})
}

/// One mock server per provider, each answering its billing path when the right header comes.
struct Servers {
    anchor: MockServer,
    neo: MockServer,
    olostep: MockServer,
    aiml: MockServer,
    giga: MockServer,
}

async fn mount(server: &MockServer, route: &str, auth: (&str, &str), response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(route))
        .and(header(auth.0, auth.1))
        .respond_with(response)
        .mount(server)
        .await;
}

impl Servers {
    async fn start(
        anchor: ResponseTemplate,
        olostep: ResponseTemplate,
        aiml: ResponseTemplate,
    ) -> Self {
        let servers = Servers {
            anchor: MockServer::start().await,
            neo: MockServer::start().await,
            olostep: MockServer::start().await,
            aiml: MockServer::start().await,
            giga: MockServer::start().await,
        };
        mount(
            &servers.anchor,
            "/v1/billing",
            ("anchor-api-key", "anchor-secret-1"),
            anchor,
        )
        .await;
        mount(
            &servers.neo,
            "/api/v1/billing/credits",
            ("x-api-key", "neo-secret-2"),
            ResponseTemplate::new(200).set_body_json(neo_body()),
        )
        .await;
        mount(
            &servers.olostep,
            "/user/credits/info",
            ("authorization", "Bearer olostep-secret-3"),
            olostep,
        )
        .await;
        mount(
            &servers.aiml,
            "/v1/billing/balance",
            ("authorization", "Bearer aiml-secret-4"),
            aiml,
        )
        .await;
        mount(
            &servers.giga,
            "/api/billing",
            ("authorization", "Bearer giga-secret-5"),
            ResponseTemplate::new(200).set_body_json(giga_body()),
        )
        .await;
        servers
    }

    async fn healthy() -> Self {
        Self::start(
            ResponseTemplate::new(200).set_body_json(anchor_body()),
            ResponseTemplate::new(200).set_body_json(olostep_body(true)),
            ResponseTemplate::new(200).set_body_json(aiml_body(false)),
        )
        .await
    }

    fn env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = KEYS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for (var, server) in [
            ("ANCHOR_BASE_URL", &self.anchor),
            ("NEO_BASE_URL", &self.neo),
            ("OLOSTEP_BASE_URL", &self.olostep),
            ("AIML_BASE_URL", &self.aiml),
            ("GIGA_BASE_URL", &self.giga),
        ] {
            env.push((var.to_owned(), server.uri()));
        }
        env
    }
}

/// Runs `billfold` with exactly `env` (nothing inherited) and checks no key leaks.
async fn billfold(args: &[&str], env: Vec<(String, String)>) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_billfold"))
            .env_clear()
            .envs(env)
            .args(args)
            .output()
            .expect("billfold runs")
    })
    .await
    .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for (_, key) in KEYS {
        assert!(!all.contains(key), "key {key} in output:\n{all}");
    }
    output
}

/// The five providers these tests have mock servers for, as `--provider` arguments: the rows
/// (and snapshots) stay the same when a provider is added to specs/providers.toml.
const FIXTURES: [&str; 10] = [
    "--provider",
    "anchor",
    "--provider",
    "neo",
    "--provider",
    "olostep",
    "--provider",
    "aiml",
    "--provider",
    "giga",
];

/// `args` followed by [`FIXTURES`].
fn with_fixtures<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter().copied().chain(FIXTURES).collect()
}

/// `balance --json --provider anchor` where Anchor answers `anchor`: it must fail (exit 1);
/// returns the parsed rows.
async fn anchor_only(anchor: ResponseTemplate) -> Value {
    let servers = Servers::start(
        anchor,
        ResponseTemplate::new(200).set_body_json(olostep_body(true)),
        ResponseTemplate::new(200).set_body_json(aiml_body(false)),
    )
    .await;
    let output = billfold(
        &["balance", "--json", "--provider", "anchor"],
        servers.env(),
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn all_five_as_a_table() {
    let servers = Servers::healthy().await;
    let output = billfold(&with_fixtures(&["balance"]), servers.env()).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    insta::assert_snapshot!("table_all_ok", stdout(&output));
}

#[tokio::test]
async fn all_five_as_json() {
    let servers = Servers::healthy().await;
    let output = billfold(&with_fixtures(&["balance", "--json"]), servers.env()).await;
    assert_eq!(output.status.code(), Some(0));
    let parsed: Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(parsed.as_array().map(Vec::len), Some(5));
    insta::assert_snapshot!("json_all_ok", stdout(&output));
}

#[tokio::test]
async fn a_failing_provider_does_not_hide_the_others() {
    let servers = Servers::start(
        ResponseTemplate::new(500)
            .set_body_json(json!({"error": {"code": 500, "message": "database unavailable"}})),
        ResponseTemplate::new(200).set_body_json(olostep_body(true)),
        ResponseTemplate::new(200).set_body_json(aiml_body(false)),
    )
    .await;
    let output = billfold(
        &with_fixtures(&["balance", "--timeout", "5"]),
        servers.env(),
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("table_anchor_failing", stdout(&output));

    let output = billfold(&with_fixtures(&["balance", "--json"]), servers.env()).await;
    assert_eq!(output.status.code(), Some(1));
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed[0]["ok"], false);
    assert_eq!(parsed[0]["error"]["kind"], "http");
    assert_eq!(parsed[0]["error"]["status"], 500);
    assert_eq!(parsed[1]["ok"], true);
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_an_http_error_and_the_key_stays_home() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(anchor_body()))
        .mount(&elsewhere)
        .await;
    let location = format!("http://localhost:{}/v1/billing", elsewhere.address().port());
    let parsed =
        anchor_only(ResponseTemplate::new(302).insert_header("location", location.as_str())).await;
    assert_eq!(parsed[0]["error"]["kind"], "http");
    assert_eq!(parsed[0]["error"]["status"], 302);
    let message = parsed[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains(&location), "{message}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_provider_named_twice_is_queried_once() {
    let servers = Servers::healthy().await;
    let output = billfold(
        &[
            "balance",
            "--json",
            "--provider",
            "neo",
            "--provider",
            "aiml",
            "--provider",
            "neo",
        ],
        servers.env(),
    )
    .await;
    assert_eq!(output.status.code(), Some(0));
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows: Vec<&str> = parsed
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["provider"].as_str().unwrap())
        .collect();
    assert_eq!(rows, ["neo", "aiml"]);
    assert_eq!(servers.neo.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_unauthorised_provider_is_an_auth_error() {
    let parsed = anchor_only(
        ResponseTemplate::new(401)
            .set_body_json(json!({"error": {"code": 401, "message": "Invalid API Key"}})),
    )
    .await;
    assert_eq!(parsed.as_array().map(Vec::len), Some(1));
    assert_eq!(parsed[0]["error"]["kind"], "auth");
}

#[tokio::test]
async fn a_low_or_unusable_balance_exits_3() {
    let servers = Servers::start(
        ResponseTemplate::new(200).set_body_json(anchor_body()),
        ResponseTemplate::new(200).set_body_json(olostep_body(false)),
        ResponseTemplate::new(200).set_body_json(aiml_body(true)),
    )
    .await;
    let output = billfold(&with_fixtures(&["balance"]), servers.env()).await;
    assert_eq!(output.status.code(), Some(3));
    insta::assert_snapshot!("table_low_and_unusable", stdout(&output));
}

#[tokio::test]
async fn warn_below_marks_a_provider_low() {
    let servers = Servers::healthy().await;
    let output = billfold(
        &with_fixtures(&[
            "balance",
            "--json",
            "--warn-below",
            "anchor=50",
            "--warn-below",
            "giga=10",
        ]),
        servers.env(),
    )
    .await;
    assert_eq!(output.status.code(), Some(3));
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let low: Vec<(&str, &Value)> = parsed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["provider"].as_str().unwrap(), &p["low"]))
        .collect();
    assert_eq!(
        low,
        [
            ("anchor", &json!(true)),
            ("neo", &json!(false)),
            ("olostep", &json!(false)),
            ("aiml", &json!(false)),
            ("giga", &json!(false))
        ]
    );
}

#[tokio::test]
async fn no_credentials_at_all_is_a_configuration_error() {
    let output = billfold(&["balance"], Vec::new()).await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no provider is configured: set ANCHOR_API_KEY, NEO_TOKEN or NEO_API_KEY"),
        "{stderr}"
    );
    // Every provider this build knows is listed, none configured.
    let text = stdout(&output);
    let rows: Vec<&str> = text
        .lines()
        .skip(1)
        .take_while(|line| !line.is_empty())
        .collect();
    assert_eq!(
        rows.len(),
        billfold::balance::ProviderId::ALL.len(),
        "{text}"
    );
    assert!(
        rows.iter().all(|row| row.contains("not configured")),
        "{text}"
    );
}

#[tokio::test]
async fn unconfigured_providers_are_listed_not_failed() {
    let servers = Servers::healthy().await;
    let env: Vec<(String, String)> = servers
        .env()
        .into_iter()
        .filter(|(k, _)| k.starts_with("OLOSTEP"))
        .collect();
    let output = billfold(&["balance"], env).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|l| l.starts_with("anchor ") && l["anchor".len()..].trim_start().starts_with('-')),
        "{text}"
    );
    let others = billfold::balance::ProviderId::ALL.len() - 1;
    assert_eq!(text.matches("not configured").count(), others, "{text}");
}

#[tokio::test]
async fn usage_errors_exit_2() {
    for args in [
        &["balance", "--provider", "nope"][..],
        &["balance", "--warn-below", "anchor"],
        &["balance", "--timeout", "-1"],
        &["frobnicate"],
    ] {
        let output = billfold(args, Vec::new()).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[tokio::test]
async fn a_slow_provider_hits_the_timeout() {
    let servers = Servers::start(
        ResponseTemplate::new(200)
            .set_body_json(anchor_body())
            .set_delay(Duration::from_secs(5)),
        ResponseTemplate::new(200).set_body_json(olostep_body(true)),
        ResponseTemplate::new(200).set_body_json(aiml_body(false)),
    )
    .await;
    let started = std::time::Instant::now();
    let output = billfold(
        &with_fixtures(&["balance", "--json", "--timeout", "0.5"]),
        servers.env(),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(1));
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed[0]["error"]["kind"], "timeout");
}

#[tokio::test]
async fn giga_plans_subscribe_and_recharge() {
    let server = MockServer::start().await;
    let plans = json!({"success": true, "data": {"plans": [
        {"id": "free", "name": "Free", "monthlyCredits": 10, "concurrentAgents": 1, "maxDurationHours": 1, "price": 0},
        {"id": "max", "name": "Max", "monthlyCredits": "custom", "concurrentAgents": "unlimited", "maxDurationHours": 24, "price": "custom"}]}});
    Mock::given(method("GET"))
        .and(path("/api/billing/plans"))
        .respond_with(ResponseTemplate::new(200).set_body_json(plans))
        .mount(&server)
        .await;
    for (route, url) in [
        ("/api/billing/subscribe", "https://checkout.example/sub"),
        ("/api/billing/recharge", "https://checkout.example/top-up"),
    ] {
        Mock::given(method("POST"))
            .and(path(route))
            .and(header("authorization", "Bearer giga-secret-5"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"success": true, "data": {"checkoutUrl": url}})),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let env = vec![
        ("GIGA_API_KEY".to_owned(), "giga-secret-5".to_owned()),
        ("GIGA_BASE_URL".to_owned(), server.uri()),
    ];
    let output = billfold(&["giga", "plans"], env.clone()).await;
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!("giga_plans", stdout(&output));
    let output = billfold(&["giga", "subscribe", "max"], env.clone()).await;
    assert_eq!(stdout(&output), "https://checkout.example/sub\n");
    let output = billfold(&["giga", "recharge", "50"], env.clone()).await;
    assert_eq!(stdout(&output), "https://checkout.example/top-up\n");
    let bodies: Vec<Value> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies, [json!({"planId": "max"}), json!({"amount": 50.0})]);

    let output = billfold(
        &["giga", "plans"],
        vec![("GIGA_API_KEY".to_owned(), "giga-secret-5".to_owned())],
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("set GIGA_BASE_URL"));
}

/// A provider whose balance is one row per element (DeepSeek: one per currency, `[*]` in its
/// mapping) is one line per row, named `<provider>:<row>`, each with its own amount and unit.
#[tokio::test]
async fn one_row_per_currency_is_one_line_each() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/user/balance",
        ("authorization", "Bearer deepseek-secret-6"),
        ResponseTemplate::new(200).set_body_json(json!({
            "is_available": true,
            "balance_infos": [
                {"currency": "CNY", "total_balance": "110.00", "granted_balance": "10.00", "topped_up_balance": "100.00"},
                {"currency": "USD", "total_balance": "15.50", "granted_balance": "0.00", "topped_up_balance": "15.50"}
            ]
        })),
    )
    .await;
    let env = vec![
        (
            "DEEPSEEK_API_KEY".to_owned(),
            "deepseek-secret-6".to_owned(),
        ),
        ("DEEPSEEK_BASE_URL".to_owned(), server.uri()),
    ];
    let output = billfold(
        &[
            "balance",
            "--no-history",
            "--json",
            "--provider",
            "deepseek",
        ],
        env.clone(),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let seen: Vec<(&str, f64, &str)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["account"].as_str().unwrap(),
                r["available"].as_f64().unwrap(),
                r["unit"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [("CNY", 110.0, "CNY"), ("USD", 15.5, "USD")]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains("deepseek-secret-6"));
    let table =
        stdout(&billfold(&["balance", "--no-history", "--provider", "deepseek"], env).await);
    assert!(!table.contains("deepseek-secret-6"));
    assert!(
        table.contains("deepseek:CNY") && table.contains("deepseek:USD"),
        "{table}"
    );
}
