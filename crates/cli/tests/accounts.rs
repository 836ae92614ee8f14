//! Several accounts of one provider from the accounts file: the binary run as a process
//! against local mock servers.

mod common;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn two_accounts_of_one_provider_each_send_their_own_key() {
    let scratch = Scratch::new();
    let team_a = olostep(500, "team-a-secret-7").await;
    let team_b = olostep(70, "team-b-secret-8").await;
    // The env-configured default account: not queried while the file lists the accounts.
    let default = olostep(1, "olostep-secret-3").await;
    write_default_config(
        &scratch,
        &TWO_ACCOUNTS
            .replace("A_URL", &team_a.uri())
            .replace("B_URL", &team_b.uri()),
    );
    let mut env = scratch.env();
    env.extend(olostep_env(&default));
    env.push(("OLOSTEP_TEAM_A_KEY".into(), "team-a-secret-7".into()));
    env.push(("OLOSTEP_TEAM_B_KEY".into(), "team-b-secret-8".into()));
    let history = scratch.history().display().to_string();

    let output = billfold(&["balance", "--history", &history], env.clone()).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].starts_with("olostep:team-a  500"), "{text}");
    assert!(rows[1].starts_with("olostep:team-b  70"), "{text}");

    let output = billfold(
        &[
            "balance",
            "--json",
            "--provider",
            "olostep",
            "--history",
            &history,
        ],
        env.clone(),
    )
    .await;
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let accounts: Vec<(&str, &str, f64)> = json
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["provider"].as_str().unwrap_or(""),
                r["account"].as_str().unwrap_or(""),
                r["available"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    assert_eq!(
        accounts,
        [("olostep", "team-a", 500.0), ("olostep", "team-b", 70.0)]
    );

    // Each server saw only its own account's key, and the default account was not queried.
    for (server, key) in [(&team_a, "team-a-secret-7"), (&team_b, "team-b-secret-8")] {
        let requests = server.received_requests().await.unwrap_or_default();
        assert_eq!(requests.len(), 2);
        for request in requests {
            let auth = request.headers.get("authorization").map(|v| v.as_bytes());
            assert_eq!(auth, Some(format!("Bearer {key}").as_bytes()));
        }
    }
    assert!(
        default
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );

    // Each account is its own history series.
    let readings = readings(&scratch.history(), env).await;
    let series: Vec<&str> = readings
        .iter()
        .map(|r| r["account"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(series, ["team-a", "team-b", "team-a", "team-b"]);
}

#[tokio::test]
async fn an_account_whose_key_variable_is_unset_is_a_configuration_error() {
    let scratch = Scratch::new();
    let team_a = olostep(500, "team-a-secret-7").await;
    let path = scratch.path("accounts.toml");
    std::fs::write(
        &path,
        TWO_ACCOUNTS
            .replace("A_URL", &team_a.uri())
            .replace("B_URL", &team_a.uri()),
    )
    .expect("config");
    let mut env = scratch.env();
    env.push(("OLOSTEP_TEAM_A_KEY".into(), "team-a-secret-7".into()));
    let config = path.display().to_string();
    let output = billfold(&["balance", "--no-history", "--config", &config], env).await;
    assert_eq!(output.status.code(), Some(2));
    let text = stdout(&output);
    assert!(text.contains("olostep:team-a  500"), "{text}");
    assert!(
        text.contains("olostep:team-b: env var OLOSTEP_TEAM_B_KEY is not set"),
        "{text}"
    );
    assert!(text.contains(&config), "{text}");
}

#[tokio::test]
async fn a_config_file_with_a_key_in_it_is_refused() {
    let scratch = Scratch::new();
    write_default_config(
        &scratch,
        "[[account]]\nlabel = \"team-b\"\nprovider = \"olostep\"\nkey_env = \"K\"\n\
         api_key = \"team-b-secret-8\"\n",
    );
    let output = billfold(&["balance", "--no-history"], scratch.env()).await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    let message = stderr(&output);
    assert!(message.contains("config/billfold/config.toml"), "{message}");
    assert!(message.contains("`api_key`"), "{message}");
    assert!(message.contains("put the key in an env var"), "{message}");
    assert!(message.contains("key_env"), "{message}");
}

#[tokio::test]
async fn a_bad_config_file_names_the_file_and_the_problem() {
    let scratch = Scratch::new();
    let path = scratch.path("bad.toml");
    std::fs::write(
        &path,
        "[[account]]\nlabel = \"a\"\nprovider = \"olostep\"\nkey_env = \"K\"\ncolour = \"red\"\n",
    )
    .expect("config");
    let config = path.display().to_string();
    let output = billfold(&["balance", "--config", &config], scratch.env()).await;
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains(&config), "{message}");
    assert!(message.contains("line 5"), "{message}");
    assert!(message.contains("unknown field `colour`"), "{message}");

    let missing = scratch.path("missing.toml").display().to_string();
    let output = billfold(&["balance", "--config", &missing], scratch.env()).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(&missing));
}

/// A provider billfold does not ship, defined in the accounts file alone: its key goes where
/// the table says (here the query string), its decimal-string cents become dollars, and
/// `balance`, `history` and `--provider` know it by its id.
#[tokio::test]
async fn a_provider_defined_in_the_file_alone() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let scratch = Scratch::new();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/usage"))
        .and(query_param("api_key", "team-a-secret-7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "data": {"left": "1234", "spent": "266", "plan": "Growth"}, "currency": "usd"
        })))
        .mount(&server)
        .await;
    write_default_config(
        &scratch,
        &format!(
            r#"
[[provider]]
id = "acme"
name = "Acme Scraping"
base_url = "{}"
path = "/v2/usage"
auth = "query"
auth_name = "api_key"
key_env = "ACME_KEY"
available = "/data/left"
used = "/data/spent"
plan = "/data/plan"
unit_pointer = "/currency"
decimal_strings = true
scale = 0.01
"#,
            server.uri()
        ),
    );
    let mut env = scratch.env();
    env.push(("ACME_KEY".into(), "team-a-secret-7".into()));
    let history = scratch.history().display().to_string();

    let output = billfold(
        &[
            "balance",
            "--json",
            "--provider",
            "acme",
            "--history",
            &history,
        ],
        env.clone(),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let acme = &lines[0];
    assert_eq!(acme["provider"], "acme", "{lines}");
    assert_eq!(acme["available"], 12.34, "{lines}");
    assert_eq!(acme["used"], 2.66, "{lines}");
    assert_eq!(acme["unit"], "USD", "{lines}");
    assert_eq!(acme["plan"], "Growth", "{lines}");

    // The table, and the history recorded under the provider's id.
    let output = billfold(
        &["balance", "--provider", "acme", "--no-history"],
        env.clone(),
    )
    .await;
    assert!(stdout(&output).contains("acme "), "{}", stdout(&output));
    let output = billfold(
        &[
            "history",
            "--json",
            "--provider",
            "acme",
            "--history",
            &history,
        ],
        env.clone(),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("\"acme\""), "{}", stdout(&output));

    // Without its key: not configured, naming the env var.
    let output = billfold(
        &["balance", "--provider", "acme", "--no-history"],
        scratch.env(),
    )
    .await;
    assert!(
        stdout(&output).contains("not configured"),
        "{}",
        stdout(&output)
    );
}

/// A bad [[provider]] table is refused with the file, the entry and what to fix.
#[tokio::test]
async fn a_bad_provider_table_is_refused() {
    let scratch = Scratch::new();
    write_default_config(
        &scratch,
        "[[provider]]\nid = \"acme\"\nbase_url = \"api.acme.example\"\npath = \"/b\"\n\
         key_env = \"ACME_KEY\"\navailable = \"/n\"\n",
    );
    let output = billfold(&["balance", "--no-history"], scratch.env()).await;
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains("config.toml: [[provider]] #1 (\"acme\"): base_url"),
        "{err}"
    );
    assert!(
        err.contains("must be an absolute http or https URL"),
        "{err}"
    );
}
