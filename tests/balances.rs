//! Every provider's balance read from the response its docs document: a local server serves
//! the example of the balance operation from the provider's effective spec (method and path
//! from the spec, path parameters taken from their settings), and the facade's `Balance` must
//! hold the amounts, unit and dates the docs say. One test per provider.

use billfold::balance::{Balance, ProviderId, fetch_with_config};
use billfold::runtime::ClientConfig;
use serde_json::Value;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "test-key-5f0c2a";

/// One balance row as the tests compare it: (row, available, unit, usable).
type Row<'a> = (Option<&'a str>, Option<f64>, &'a str, Option<bool>);

/// The example of `operation`'s success response and its path template.
fn documented(id: &str) -> (String, Value) {
    let g = billfold_tests::provider(id);
    let operation = &g
        .provider
        .balance
        .as_ref()
        .expect("a balance mapping")
        .operation;
    let spec = &g.effective;
    // The documented example; Neo's spec has none, so a body sampled from its schema (and
    // the schema's field examples) stands in.
    let (example, _documented) = xtask::pipeline::samples::success_payload(spec, operation)
        .unwrap_or_else(|| panic!("{id}: the balance response has no example or schema"));
    let route = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, item)| {
            item.as_object()
                .unwrap()
                .values()
                .any(|op| op["operationId"] == operation.as_str())
        })
        .map(|(route, _)| route.clone())
        .unwrap();
    (route, example)
}

/// The balance `id` reports when its server answers with the documented example.
async fn read(id: &str) -> Balance {
    read_with_request(id).await.0
}

/// [`read`], and the request the client sent.
async fn read_with_request(id: &str) -> (Balance, wiremock::Request) {
    serve(id, None).await
}

/// The balance `id` reports when its server answers with `body` (default: the documented
/// example), and the request the client sent.
async fn serve(id: &str, body: Option<Value>) -> (Balance, wiremock::Request) {
    // Settings some balance operations need (path parameters), set once for the binary.
    static SETTINGS: std::sync::Once = std::sync::Once::new();
    SETTINGS.call_once(|| {
        // SAFETY: set once, before any test of this binary reads them, and never changed.
        unsafe {
            std::env::set_var("XAI_TEAM_ID", "team-1");
            std::env::set_var("BROWSERBASE_PROJECT_ID", "project-1");
        }
    });
    let provider: ProviderId = id.parse().unwrap();
    let (route, example) = documented(id);
    let example = body.unwrap_or(example);
    let pattern = format!(
        "^{}$",
        route
            .split('/')
            .map(|s| if s.starts_with('{') {
                "[^/]+".to_owned()
            } else {
                regex_escape(s)
            })
            .collect::<Vec<_>>()
            .join("/")
    );
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(pattern))
        .respond_with(ResponseTemplate::new(200).set_body_json(example))
        .expect(1)
        .mount(&server)
        .await;
    let scheme = provider.provider().credentials[0].scheme;
    let config = ClientConfig::new(provider.provider())
        .base_url(server.uri())
        .credential(scheme, KEY);
    let balance = fetch_with_config(provider, config)
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"));
    let request = server.received_requests().await.unwrap().remove(0);
    let carried = request.url.query().unwrap_or_default().contains(KEY)
        || request
            .headers
            .values()
            .any(|v| v.to_str().unwrap_or_default().contains(KEY));
    assert!(carried, "{id}: the request carries the key");
    (balance, request)
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

fn close(actual: Option<f64>, expected: Option<f64>, what: &str) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert!(
            (a - e).abs() < 1e-9 * e.abs().max(1.0),
            "{what}: {a} != {e}"
        ),
        (a, e) => assert_eq!(a, e, "{what}"),
    }
}

/// (available, used, allotted, unit).
fn amounts(
    b: &Balance,
    available: Option<f64>,
    used: Option<f64>,
    allotted: Option<f64>,
    unit: &str,
) {
    close(b.available, available, "available");
    close(b.used, used, "used");
    close(b.allotted, allotted, "allotted");
    assert_eq!(b.unit, unit);
}

fn date(b: &Balance) -> Option<String> {
    b.expires_at.map(|t| t.to_rfc3339())
}

macro_rules! provider_test {
    ($name:ident, $id:literal, |$b:ident| $body:block) => {
        #[tokio::test]
        async fn $name() {
            let $b = read($id).await;
            $body
        }
    };
}

provider_test!(anchor, "anchor", |b| {
    assert!(b.available.is_some());
    assert_eq!(b.unit, "credits");
});
provider_test!(neo, "neo", |b| {
    assert!(b.available.is_some());
    assert_eq!(b.unit, "credits");
});
provider_test!(olostep, "olostep", |b| {
    assert!(b.available.is_some());
    assert_eq!(b.unit, "credits");
});
provider_test!(aiml, "aiml", |b| {
    amounts(&b, Some(551564495.0), None, None, "credits");
    assert_eq!(b.low, Some(false));
});
provider_test!(giga, "giga", |b| {
    assert!(b.available.is_some());
    assert_eq!(b.unit, "credits");
});
provider_test!(openrouter, "openrouter", |b| {
    amounts(&b, Some(74.75), Some(25.75), Some(100.5), "USD");
    assert_eq!(ProviderId::Openrouter.key_kind(), Some("management key"));
});
provider_test!(deepseek, "deepseek", |b| {
    amounts(&b, Some(110.0), None, None, "CNY");
    assert_eq!((b.usable, b.low), (Some(true), Some(false)));
    // One row per element of balance_infos: the documented example has one currency.
    assert_eq!(b.rows.len(), 1);
    assert_eq!(b.row.as_deref(), Some("CNY"));
});

/// DeepSeek's list has one entry per currency: each is its own row, with its own amount and
/// unit, and the flags of the whole response.
#[tokio::test]
async fn deepseek_one_row_per_currency() {
    let body = serde_json::json!({
        "is_available": true,
        "balance_infos": [
            {"currency": "CNY", "total_balance": "110.00", "granted_balance": "10.00", "topped_up_balance": "100.00"},
            {"currency": "USD", "total_balance": "15.50", "granted_balance": "0.00", "topped_up_balance": "15.50"}
        ]
    });
    let (b, _) = serve("deepseek", Some(body)).await;
    let rows: Vec<Row> = b
        .rows
        .iter()
        .map(|r| (r.row.as_deref(), r.available, r.unit.as_str(), r.usable))
        .collect();
    assert_eq!(
        rows,
        [
            (Some("CNY"), Some(110.0), "CNY", Some(true)),
            (Some("USD"), Some(15.5), "USD", Some(true)),
        ]
    );
    // The balance itself is the first row.
    amounts(&b, Some(110.0), None, None, "CNY");
}
provider_test!(moonshot, "moonshot", |b| {
    // A host outside `unit_by_host` (the local server) keeps the default, USD.
    amounts(&b, Some(49.58894), None, None, "USD");
});
provider_test!(siliconflow, "siliconflow", |b| {
    amounts(&b, Some(88.88), None, None, "USD");
    assert_eq!(b.plan.as_deref(), Some("normal"));
});
provider_test!(novita, "novita", |b| {
    amounts(&b, Some(100.0), None, None, "USD");
});
provider_test!(xai, "xai", |b| {
    amounts(&b, Some(25.0), None, None, "USD");
});
provider_test!(vercel, "vercel", |b| {
    amounts(&b, Some(95.5), Some(4.5), None, "USD");
});
provider_test!(firecrawl, "firecrawl", |b| {
    amounts(&b, Some(1000.0), None, Some(500000.0), "credits");
    assert_eq!(date(&b).as_deref(), Some("2025-01-31T23:59:59+00:00"));
});
provider_test!(tavily, "tavily", |b| {
    amounts(&b, Some(14500.0), Some(500.0), Some(15000.0), "credits");
    assert_eq!(b.plan.as_deref(), Some("Bootstrap"));
});
provider_test!(serpapi, "serpapi", |b| {
    amounts(&b, Some(5958.0), Some(24042.0), Some(30000.0), "searches");
    assert_eq!(b.plan.as_deref(), Some("Big Data Plan"));
    assert_eq!(date(&b).as_deref(), Some("2026-12-17T00:00:00+00:00"));
});
provider_test!(scrapingbee, "scrapingbee", |b| {
    amounts(
        &b,
        Some(6999977.0),
        Some(1000023.0),
        Some(8000000.0),
        "credits",
    );
    assert_eq!(b.concurrency_limit, Some(200.0));
    assert!(date(&b).unwrap().starts_with("2026-12-19T20:43:26"));
});
provider_test!(scrapeops, "scrapeops", |b| {
    amounts(
        &b,
        Some(544668.0),
        Some(455332.0),
        Some(1000000.0),
        "credits",
    );
    assert_eq!(b.concurrency_limit, Some(100.0));
    assert_eq!(date(&b).as_deref(), Some("2024-08-24T10:41:04+00:00"));
});
provider_test!(scrapingant, "scrapingant", |b| {
    amounts(&b, Some(96740.0), None, Some(100000.0), "credits");
    assert_eq!(b.plan.as_deref(), Some("Enthusiast"));
    assert_eq!(date(&b).as_deref(), Some("2022-02-11T00:00:00+00:00"));
});
provider_test!(scrapegraphai, "scrapegraphai", |b| {
    amounts(&b, Some(750000.0), Some(287.0), None, "credits");
    assert_eq!(b.plan.as_deref(), Some("Pro Plan"));
});
provider_test!(crustdata, "crustdata", |b| {
    amounts(&b, Some(4250.5), None, None, "credits");
});
provider_test!(featherless, "featherless", |b| {
    // The response's `usd`, shown as the currency code.
    amounts(&b, Some(42.488), None, None, "USD");
    assert_eq!(ProviderId::Featherless.key_kind(), Some("admin key"));
});
provider_test!(venice, "venice", |b| {
    amounts(&b, Some(25.0), None, None, "USD");
    assert_eq!((b.usable, b.low), (Some(true), Some(false)));
});
provider_test!(browserbase, "browserbase", |b| {
    // Usage only: minutes used, nothing about what is left.
    amounts(&b, None, Some(1.0), None, "browser minutes");
});
provider_test!(brightdata, "brightdata", |b| {
    amounts(&b, Some(456.0), None, None, "USD");
});
provider_test!(inferencesh, "inferencesh", |b| {
    amounts(&b, Some(2.5), None, None, "USD");
});
provider_test!(coingecko, "coingecko", |b| {
    amounts(&b, Some(999693.0), Some(307.0), Some(1000000.0), "calls");
    assert_eq!(b.plan.as_deref(), Some("Other"));
});

#[tokio::test]
async fn fal() {
    let (b, request) = read_with_request("fal").await;
    amounts(&b, Some(24.5), None, None, "USD");
    assert_eq!(ProviderId::Fal.key_kind(), Some("admin key"));
    // `Authorization: Key <key>` (credential_prefix), and the credits asked for (arguments).
    assert_eq!(
        request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Key {KEY}")
    );
    assert_eq!(request.url.query(), Some("expand=credits"));
}
provider_test!(deepinfra, "deepinfra", |b| {
    // A stripe_balance of -18.0 is 18 USD of prepaid funds (negate).
    amounts(&b, Some(18.0), None, None, "USD");
    assert_eq!((b.usable, b.low), (Some(true), Some(false)));
});
provider_test!(exa, "exa", |b| {
    amounts(&b, Some(42.5), None, None, "USD");
    assert_eq!(ProviderId::Exa.key_kind(), Some("service key"));
});
provider_test!(zenrows, "zenrows", |b| {
    amounts(&b, Some(245245.0), Some(4755.0), Some(250000.0), "credits");
});
