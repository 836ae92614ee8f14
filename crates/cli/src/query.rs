//! Querying every target at once, each with its own configuration, and timing each.

use std::time::{Duration, Instant};

use billfold::balance::{Balance, BalanceError, ErrorKind, fetch_with_config};
use tokio::task::JoinSet;

use crate::accounts::Target;

/// One target's outcome.
pub struct Queried {
    /// What was queried.
    pub target: Target,
    /// Its balance, or why it could not be had (in the target's terms: [`Target::explain`]).
    pub outcome: Result<Balance, BalanceError>,
    /// How long the query took.
    pub took: Duration,
}

impl Queried {
    /// Whether the target has no credential at all (nothing to show but "not configured").
    pub fn not_configured(&self) -> bool {
        matches!(&self.outcome, Err(e) if e.kind == ErrorKind::NotConfigured)
    }
}

/// Queries all `targets` concurrently; one outcome per target, in their order, except that a
/// balance read one row per element (a provider's per-currency or per-key list) is one
/// outcome per row, each under the target named with its row (`deepseek:USD`). A target that
/// fails never hides the others.
pub async fn query(targets: &[Target], timeout: Option<Duration>) -> Vec<Queried> {
    let mut tasks = JoinSet::new();
    for (index, target) in targets.iter().enumerate() {
        let provider = target.provider;
        let config = target.client_config(timeout);
        tasks.spawn(async move {
            let started = Instant::now();
            let outcome = fetch_with_config(provider, config).await;
            (index, outcome, started.elapsed())
        });
    }
    let mut results: Vec<Option<(Result<Balance, BalanceError>, Duration)>> =
        targets.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        // A panicking task is a bug; its target is left without an outcome, reported below.
        if let Ok((index, outcome, took)) = joined
            && let Some(slot) = results.get_mut(index)
        {
            *slot = Some((outcome, took));
        }
    }
    targets
        .iter()
        .zip(results)
        .map(|(target, result)| {
            let (outcome, took) = result.unwrap_or_else(|| {
                (
                    Err(BalanceError {
                        kind: ErrorKind::Http,
                        status: None,
                        message: format!("{}: the request task failed", target.label()),
                    }),
                    Duration::ZERO,
                )
            });
            Queried {
                outcome: target.explain(outcome),
                target: target.clone(),
                took,
            }
        })
        .flat_map(by_row)
        .collect()
}

/// One [`Queried`] per row of a balance read one row per element; the others as they are.
fn by_row(queried: Queried) -> Vec<Queried> {
    let rows = match &queried.outcome {
        Ok(balance) if !balance.rows.is_empty() => balance.rows.clone(),
        _ => return vec![queried],
    };
    rows.into_iter()
        .enumerate()
        .map(|(index, row)| Queried {
            target: queried
                .target
                .row(row.row.as_deref().unwrap_or(&index.to_string())),
            outcome: Ok(row),
            took: queried.took,
        })
        .collect()
}
