//! `Client::from_env()` for every provider: which env vars it reads, what it sends, and the
//! errors that name the variable to set. One test, so no other thread reads the environment
//! while it changes.

use billfold::runtime::ConfigError;
use billfold::{aiml, anchor, giga, neo, olostep};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const VARS: &[&str] = &[
    "ANCHOR_API_KEY",
    "ANCHOR_BASE_URL",
    "NEO_TOKEN",
    "NEO_API_KEY",
    "NEO_BASE_URL",
    "OLOSTEP_API_KEY",
    "OLOSTEP_BASE_URL",
    "AIML_API_KEY",
    "AIML_BASE_URL",
    "GIGA_API_KEY",
    "GIGA_BASE_URL",
];

fn set(var: &str, value: &str) {
    // SAFETY: this binary has a single test, and it runs no other thread that reads the env.
    unsafe { std::env::set_var(var, value) }
}

fn clear_all() {
    for var in VARS {
        // SAFETY: as in `set`.
        unsafe { std::env::remove_var(var) }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn from_env_reads_the_documented_variables() {
    clear_all();

    // Nothing set: each error names the variable(s) to set.
    let missing = [
        (anchor::Client::from_env().unwrap_err(), "ANCHOR_API_KEY"),
        (
            neo::Client::from_env().unwrap_err(),
            "NEO_TOKEN or NEO_API_KEY",
        ),
        (olostep::Client::from_env().unwrap_err(), "OLOSTEP_API_KEY"),
        (aiml::Client::from_env().unwrap_err(), "AIML_API_KEY"),
    ];
    for (err, vars) in missing {
        assert!(
            matches!(err, ConfigError::MissingCredential { .. }),
            "{err}"
        );
        assert!(err.to_string().contains(vars), "{err}");
    }
    // Giga: a key alone is not enough, there is no default host.
    set("GIGA_API_KEY", "giga-secret");
    let err = giga::Client::from_env().unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::MissingBaseUrl {
                env_var: "GIGA_BASE_URL",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("giga-secret"));

    // Defaults from providers.toml.
    set("ANCHOR_API_KEY", "a");
    set("OLOSTEP_API_KEY", "o");
    set("AIML_API_KEY", "m");
    set("NEO_API_KEY", "n");
    assert_eq!(
        anchor::Client::from_env().unwrap().base_url(),
        "https://api.anchorbrowser.io"
    );
    assert_eq!(
        neo::Client::from_env().unwrap().base_url(),
        "https://neo.api.projectdiscovery.io"
    );
    assert_eq!(
        olostep::Client::from_env().unwrap().base_url(),
        "https://api.olostep.com"
    );
    assert_eq!(
        aiml::Client::from_env().unwrap().base_url(),
        "https://billing.aimlapi.com"
    );

    // A bad base URL names its variable.
    set("OLOSTEP_BASE_URL", "api.olostep.com");
    let err = olostep::Client::from_env().unwrap_err();
    assert!(
        err.to_string().contains("env var OLOSTEP_BASE_URL"),
        "{err}"
    );

    // A key with a line break is refused, without echoing it.
    set("AIML_API_KEY", "abc\ndef");
    let err = aiml::Client::from_env().unwrap_err();
    assert!(
        matches!(err, ConfigError::InvalidCredential { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("AIML_API_KEY") && !err.to_string().contains("abc"),
        "{err}"
    );

    // Neo: with both set, the Bearer token (listed first by the spec) wins; X-Api-Key otherwise.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer jwt-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"available_credits": 1, "issued_credits": 1, "used_credits": 0}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("x-api-key", "n"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"available_credits": 2, "issued_credits": 2, "used_credits": 0}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    set("NEO_BASE_URL", &server.uri());
    set("NEO_TOKEN", "jwt-token");
    let credits = neo::Client::from_env()
        .unwrap()
        .get_v1_billing_credits()
        .await
        .unwrap();
    assert_eq!(credits.available_credits, 1.0);
    set("NEO_TOKEN", "");
    let credits = neo::Client::from_env()
        .unwrap()
        .get_v1_billing_credits()
        .await
        .unwrap();
    assert_eq!(credits.available_credits, 2.0);

    // Giga with GIGA_BASE_URL set works.
    set("GIGA_BASE_URL", &server.uri());
    assert_eq!(giga::Client::from_env().unwrap().base_url(), server.uri());
    clear_all();
}
