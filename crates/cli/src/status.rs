//! An account's state as the dashboard shows it and notifications report its changes.

use billfold::balance::{Balance, BalanceError, ErrorKind};

/// What an account's last query says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Answered, usable, not low.
    Ok,
    /// Low: the provider's flag, `--warn-below` or `--warn-days`.
    Low,
    /// The provider says the credits cannot be used.
    Unusable,
    /// The query failed.
    Failing,
}

impl State {
    /// The state of a query's outcome, judged `low` by the thresholds; `None` for an account
    /// that is not configured.
    pub fn of(outcome: &Result<Balance, BalanceError>, low: Option<bool>) -> Option<State> {
        match outcome {
            Err(e) if e.kind == ErrorKind::NotConfigured => None,
            Err(_) => Some(State::Failing),
            Ok(b) if b.usable == Some(false) => Some(State::Unusable),
            Ok(_) if low == Some(true) => Some(State::Low),
            Ok(_) => Some(State::Ok),
        }
    }

    /// The word stored in the history and sent in JSON notifications.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Low => "low",
            State::Unusable => "unusable",
            State::Failing => "failing",
        }
    }
}
