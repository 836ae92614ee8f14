//! Calls the generated `billfold-acme` client as a user would, for tests/add_provider.rs:
//! `get_usage` takes a `style: deepObject` query parameter and answers `text/csv`, which it
//! prints to stdout as received.

use std::io::Write;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = billfold_acme::Client::from_env()?;
    let filter = billfold_acme::types::GetUsageFilter {
        kinds: vec!["scrape".to_owned(), "crawl".to_owned()],
        since: Some("2026-11-01".to_owned()),
    };
    let response = client.get_usage(Some(&filter)).await?;
    let body = billfold_runtime::read_body(response).await?;
    std::io::stdout().write_all(&body)?;
    Ok(())
}
