//! Which accounts changed state since the last refresh or run, for `--notify`: from the
//! states kept in the history file (so a restart does not repeat a message), else from memory.

use std::collections::HashMap;

use billfold::balance::{Balance, BalanceError};
use billfold_history::{Burn, History};
use chrono::{DateTime, Utc};

use crate::accounts::Target;
use crate::notify::Event;
use crate::status::State;

/// States seen by this process, for when there is no history file to keep them.
pub type Memory = HashMap<(String, String), State>;

/// The event an account's outcome would be, were its state new.
pub fn event(
    target: &Target,
    outcome: &Result<Balance, BalanceError>,
    low: Option<bool>,
    burn: Burn,
    at: DateTime<Utc>,
) -> Option<Event> {
    let to = State::of(outcome, low)?;
    let (available, unit, error) = match outcome {
        Ok(b) => (b.available, Some(b.unit.to_owned()), None),
        Err(e) => (
            None,
            None,
            Some(match e.status {
                Some(status) => format!("{} {status}", e.kind.as_str()),
                None => e.kind.as_str().to_owned(),
            }),
        ),
    };
    Some(Event {
        provider: target.provider.id().to_owned(),
        account: target.account.clone(),
        from: None,
        to,
        available,
        unit,
        burn_per_day: burn.per_day,
        days_left: burn.days_left,
        error,
        at,
    })
}

fn parse(state: &str) -> Option<State> {
    [State::Ok, State::Low, State::Unusable, State::Failing]
        .into_iter()
        .find(|s| s.as_str() == state)
}

/// The events whose state changed, each with the state before; an account first seen in the
/// `ok` state is no news. The states are stored in `history` when there is one (one
/// transaction), else in `memory`.
pub fn changed(
    history: Option<&mut History>,
    memory: &mut Memory,
    candidates: Vec<Event>,
    at: DateTime<Utc>,
) -> Result<Vec<Event>, billfold_history::Error> {
    let mut out = Vec::new();
    match history {
        Some(history) => {
            let states: Vec<(&str, &str, &str)> = candidates
                .iter()
                .map(|e| (e.provider.as_str(), e.account.as_str(), e.to.as_str()))
                .collect();
            let transitions = history.transitions(&states, at)?;
            for t in transitions {
                if let Some(event) = candidates
                    .iter()
                    .find(|e| e.provider == t.provider && e.account == t.account)
                {
                    out.push(Event {
                        from: t.from.as_deref().and_then(parse),
                        ..event.clone()
                    });
                }
            }
        }
        None => {
            for event in candidates {
                let key = (event.provider.clone(), event.account.clone());
                let from = memory.insert(key, event.to);
                if from != Some(event.to) {
                    out.push(Event { from, ..event });
                }
            }
        }
    }
    out.retain(|e| !(e.from.is_none() && e.to == State::Ok));
    Ok(out)
}
