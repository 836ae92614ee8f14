//! Each generated client against a local mock server (wiremock on 127.0.0.1): the right method,
//! path, auth header and body go out, nothing undeclared does, and the documented success and
//! error responses come back as values a caller can match on.

use billfold::runtime::{Error, ErrorBody};
use billfold::{aiml, anchor, giga, neo, olostep};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "test-key-5f0c2a";

/// The documented example of an operation's response, from the effective spec.
fn example(provider: &str, pointer: &str) -> Value {
    billfold_tests::provider(provider)
        .effective
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{provider}: no example at {pointer}"))
        .clone()
}

/// Serves `status` + `body` for `verb path` when the request carries `auth` (name, value).
async fn serve(
    verb: &str,
    route: &str,
    auth: (&str, &str),
    status: u16,
    body: Option<Value>,
) -> MockServer {
    let server = MockServer::start().await;
    let mut response = ResponseTemplate::new(status);
    if let Some(body) = body {
        response = response.set_body_json(body);
    }
    Mock::given(method(verb))
        .and(path(route))
        .and(header(auth.0, auth.1))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    server
}

/// The one request the server received, checked for headers nobody asked for.
async fn only_request(server: &MockServer, auth_header: &str, crate_name: &str) -> Request {
    let requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1, "exactly one request");
    let request = requests.into_iter().next().unwrap();
    let allowed = [
        "host",
        "user-agent",
        "accept",
        "content-type",
        "content-length",
        auth_header,
    ];
    for name in request.headers.keys() {
        assert!(
            allowed.contains(&name.as_str()),
            "undeclared header {name} sent (api-version and the like must not be)"
        );
    }
    let agent = request.headers["user-agent"].to_str().unwrap();
    assert_eq!(agent, format!("{crate_name}/{}", env!("CARGO_PKG_VERSION")));
    request
}

fn api_error<E: std::fmt::Debug>(
    result: Result<impl std::fmt::Debug, Error<E>>,
) -> billfold::runtime::ApiError<E> {
    match result {
        Err(Error::Api(api)) => api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn anchor_get_billing() {
    let body = example(
        "anchor",
        "/paths/~1v1~1billing/get/responses/200/content/application~1json/examples/billingInfo/value",
    );
    let server = serve(
        "GET",
        "/v1/billing",
        ("anchor-api-key", KEY),
        200,
        Some(body),
    )
    .await;
    let client = anchor::Client::from_config(
        anchor::Client::config()
            .base_url(server.uri())
            .credential("api_key_header", KEY),
    )
    .unwrap();
    let billing = client.get_billing().await.unwrap().into_inner();
    let data = billing.data.as_ref().unwrap();
    assert_eq!(
        (data.credits, data.credits_used, data.tier.as_str()),
        (42.5, 12.5, "monthly_starter")
    );
    assert_eq!(
        (billing.max_concurrent_browsers, billing.cost_limit),
        (Some(25.0), Some(100.0))
    );
    only_request(&server, "anchor-api-key", "billfold-anchor").await;
}

#[tokio::test]
async fn anchor_typed_401() {
    let body = json!({"error": {"code": 401, "message": "Invalid API Key"}});
    let server = serve(
        "GET",
        "/v1/billing",
        ("anchor-api-key", KEY),
        401,
        Some(body),
    )
    .await;
    let client = anchor::Client::from_config(
        anchor::Client::config()
            .base_url(server.uri())
            .credential("api_key_header", KEY),
    )
    .unwrap();
    let api = api_error(client.get_billing().await);
    assert_eq!(api.status, 401);
    let typed = api.body.typed().expect("typed ErrorResponse");
    assert_eq!(
        typed.error.as_ref().and_then(|e| e.message.as_deref()),
        Some("Invalid API Key")
    );
}

#[tokio::test]
async fn neo_with_bearer_token() {
    let body = json!({"available_credits": 80.5, "issued_credits": 100, "used_credits": 19.5, "is_expired": false,
                      "expires_at": "2026-12-31T00:00:00Z", "resource_type": "team"});
    let server = serve(
        "GET",
        "/api/v1/billing/credits",
        ("authorization", &format!("Bearer {KEY}")),
        200,
        Some(body),
    )
    .await;
    let client = neo::Client::from_config(
        neo::Client::config()
            .base_url(server.uri())
            .credential("BearerAuth", KEY),
    )
    .unwrap();
    let credits = client.get_v1_billing_credits().await.unwrap().into_inner();
    assert_eq!(credits.available_credits, 80.5);
    assert_eq!(
        credits.resource_type,
        Some(neo::types::BillingCreditsResponseResourceType::Team)
    );
    only_request(&server, "authorization", "billfold-neo").await;
}

#[tokio::test]
async fn neo_with_api_key_and_typed_500() {
    let body = json!({"error": "boom", "code": "internal", "error_id": "e-1"});
    let server = serve(
        "GET",
        "/api/v1/billing/credits",
        ("x-api-key", KEY),
        500,
        Some(body),
    )
    .await;
    let client = neo::Client::from_config(
        neo::Client::config()
            .base_url(server.uri())
            .credential("ApiKeyAuth", KEY)
            // 500 is retryable: with retries off, exactly one request is made.
            .max_retries(0),
    )
    .unwrap();
    let api = api_error(client.get_v1_billing_credits().await);
    assert_eq!(api.status, 500);
    assert_eq!(api.body.typed().map(|e| e.error.as_str()), Some("boom"));
    only_request(&server, "x-api-key", "billfold-neo").await;
}

#[tokio::test]
async fn olostep_get_credits_info() {
    let body = example(
        "olostep",
        "/paths/~1user~1credits~1info/get/responses/200/content/application~1json/example",
    );
    let server = serve(
        "GET",
        "/user/credits/info",
        ("authorization", &format!("Bearer {KEY}")),
        200,
        Some(body),
    )
    .await;
    let client = olostep::Client::from_config(
        olostep::Client::config()
            .base_url(server.uri())
            .credential("Authorization", KEY),
    )
    .unwrap();
    let info = client.get_credits_info().await.unwrap().into_inner();
    assert_eq!(info.credits, Some(12500));
    assert_eq!(info.allow_usage, Some(true));
    assert_eq!(info.breakdown.len(), 2);
    assert_eq!(
        info.breakdown[1].purchase_kind,
        Some(olostep::types::CreditsBreakdownItemPurchaseKind::TopUp)
    );
    assert_eq!(
        info.active_subscription
            .and_then(|s| s.display_name)
            .as_deref(),
        Some("Pro")
    );
    only_request(&server, "authorization", "billfold-olostep").await;
}

#[tokio::test]
async fn olostep_body_less_402_is_a_raw_api_error() {
    let server = serve(
        "GET",
        "/user/credits/info",
        ("authorization", &format!("Bearer {KEY}")),
        402,
        None,
    )
    .await;
    let client = olostep::Client::from_config(
        olostep::Client::config()
            .base_url(server.uri())
            .credential("Authorization", KEY),
    )
    .unwrap();
    let api = api_error(client.get_credits_info().await);
    assert_eq!(api.status, 402);
    assert!(
        matches!(&api.body, ErrorBody::Raw(raw) if raw.is_empty()),
        "{:?}",
        api.body
    );
    assert_eq!(
        api.to_string(),
        "Olostep get_credits_info: HTTP 402 Payment Required (empty body)"
    );
}

#[tokio::test]
async fn olostep_typed_500() {
    let body = example(
        "olostep",
        "/paths/~1user~1credits~1info/get/responses/500/content/application~1json/example",
    );
    let server = serve(
        "GET",
        "/user/credits/info",
        ("authorization", &format!("Bearer {KEY}")),
        500,
        Some(body),
    )
    .await;
    let client = olostep::Client::from_config(
        olostep::Client::config()
            .base_url(server.uri())
            .credential("Authorization", KEY)
            .max_retries(0),
    )
    .unwrap();
    let api = api_error(client.get_credits_info().await);
    assert_eq!(
        api.body.typed().and_then(|e| e.error.as_deref()),
        Some("Internal Server Error")
    );
}

#[tokio::test]
async fn aiml_get_balance_and_undocumented_401() {
    let body = example(
        "aiml",
        "/paths/~1v1~1billing~1balance/get/responses/200/content/application~1json/examples/balance/value",
    );
    let server = serve(
        "GET",
        "/v1/billing/balance",
        ("authorization", &format!("Bearer {KEY}")),
        200,
        Some(body),
    )
    .await;
    let client = aiml::Client::from_config(
        aiml::Client::config()
            .base_url(server.uri())
            .credential("bearerAuth", KEY),
    )
    .unwrap();
    let balance = client.get_balance().await.unwrap().into_inner();
    assert_eq!(balance.balance, 551564495.0);
    assert_eq!(balance.low_balance, Some(false));
    only_request(&server, "authorization", "billfold-aiml").await;

    let server = serve(
        "GET",
        "/v1/billing/balance",
        ("authorization", &format!("Bearer {KEY}")),
        401,
        Some(json!({"message": "bad key"})),
    )
    .await;
    let client = aiml::Client::from_config(
        aiml::Client::config()
            .base_url(server.uri())
            .credential("bearerAuth", KEY),
    )
    .unwrap();
    let api = api_error(client.get_balance().await);
    assert_eq!(api.status, 401);
    assert!(
        matches!(&api.body, ErrorBody::Raw(raw) if raw.as_ref() == br#"{"message":"bad key"}"#)
    );
}

fn giga_client(server: &MockServer) -> giga::Client {
    giga::Client::with_bearer_token(&server.uri(), KEY).unwrap()
}

#[tokio::test]
async fn giga_get_billing() {
    let body = example(
        "giga",
        "/paths/~1api~1billing/get/responses/200/content/application~1json/examples/billing/value",
    );
    let server = serve(
        "GET",
        "/api/billing",
        ("authorization", &format!("Bearer {KEY}")),
        200,
        Some(body),
    )
    .await;
    let billing = giga_client(&server)
        .get_billing()
        .await
        .unwrap()
        .into_inner()
        .data
        .billing;
    assert_eq!(billing.plan, "starter-pro");
    assert_eq!(billing.total_balance, 124.5);
    assert_eq!(
        billing.current_period_end.to_rfc3339(),
        "2024-04-01T00:00:00+00:00"
    );
    only_request(&server, "authorization", "billfold-giga").await;
}

#[tokio::test]
async fn giga_list_plans_keeps_number_or_string_unions() {
    let body = example(
        "giga",
        "/paths/~1api~1billing~1plans/get/responses/200/content/application~1json/examples/plans/value",
    );
    let server = serve(
        "GET",
        "/api/billing/plans",
        ("authorization", &format!("Bearer {KEY}")),
        200,
        Some(body),
    )
    .await;
    let plans = giga_client(&server)
        .list_plans()
        .await
        .unwrap()
        .into_inner()
        .data
        .plans;
    assert_eq!(plans.len(), 3);
    assert_eq!(
        plans[1].monthly_credits,
        giga::types::NumberOrCustom::Number(100.0)
    );
    assert_eq!(
        plans[2].monthly_credits,
        giga::types::NumberOrCustom::String(giga::types::NumberOrCustomString::Custom)
    );
    assert_eq!(
        plans[2].concurrent_agents,
        giga::types::NumberOrUnlimited::String(giga::types::NumberOrUnlimitedString::Unlimited)
    );
}

#[tokio::test]
async fn giga_subscribe_posts_the_plan() {
    let body = example(
        "giga",
        "/paths/~1api~1billing~1subscribe/post/responses/200/content/application~1json/examples/checkout/value",
    );
    let server = serve(
        "POST",
        "/api/billing/subscribe",
        ("authorization", &format!("Bearer {KEY}")),
        200,
        Some(body),
    )
    .await;
    let request = giga::types::SubscribeRequest {
        plan_id: "starter-pro".into(),
    };
    let checkout = giga_client(&server)
        .subscribe(&request)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        checkout.data.checkout_url,
        "https://checkout.stripe.com/..."
    );
    let sent = only_request(&server, "authorization", "billfold-giga").await;
    assert_eq!(sent.headers["content-type"], "application/json");
    assert_eq!(
        serde_json::from_slice::<Value>(&sent.body).unwrap(),
        json!({"planId": "starter-pro"})
    );
}

#[tokio::test]
async fn giga_recharge_posts_the_amount() {
    let body = example(
        "giga",
        "/paths/~1api~1billing~1recharge/post/responses/200/content/application~1json/examples/checkout/value",
    );
    let server = serve(
        "POST",
        "/api/billing/recharge",
        ("authorization", &format!("Bearer {KEY}")),
        200,
        Some(body),
    )
    .await;
    let checkout = giga_client(&server)
        .recharge(&giga::types::RechargeRequest { amount: 50.0 })
        .await
        .unwrap()
        .into_inner();
    assert!(checkout.success);
    let sent = only_request(&server, "authorization", "billfold-giga").await;
    let amount = serde_json::from_slice::<Value>(&sent.body).unwrap()["amount"].as_f64();
    assert_eq!(amount, Some(50.0));
}

#[tokio::test]
async fn a_wrong_body_on_success_is_a_decode_error_with_status() {
    let server = serve(
        "GET",
        "/api/billing",
        ("authorization", &format!("Bearer {KEY}")),
        200,
        Some(json!({"success": "yes"})),
    )
    .await;
    match giga_client(&server).get_billing().await {
        Err(Error::Decode(decode)) => {
            assert_eq!(decode.status, 200);
            assert!(
                decode.snippet.contains("\"success\":\"yes\""),
                "{}",
                decode.snippet
            );
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn errors_and_debug_never_show_the_key() {
    let server = serve(
        "GET",
        "/user/credits/info",
        ("authorization", &format!("Bearer {KEY}")),
        402,
        None,
    )
    .await;
    let client = olostep::Client::from_config(
        olostep::Client::config()
            .base_url(server.uri())
            .credential("Authorization", KEY),
    )
    .unwrap();
    let err = client.get_credits_info().await.unwrap_err();
    for text in [format!("{client:?}"), format!("{err}"), format!("{err:?}")] {
        assert!(!text.contains(KEY), "key leaked: {text}");
    }
}
