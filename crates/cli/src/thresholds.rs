//! When a balance counts as low: the provider's own flag, `--warn-below PROVIDER=AMOUNT`, and
//! `--warn-days [PROVIDER=]N`.

use billfold::balance::{Balance, ProviderId};

/// One `--warn-days` argument.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WarnDays {
    /// `--warn-days N`: every provider.
    All(f64),
    /// `--warn-days PROVIDER=N`: that provider (all its accounts); wins over [`WarnDays::All`].
    Provider(ProviderId, f64),
}

/// Parses `N` or `PROVIDER=N` (a positive number of days).
pub fn parse_warn_days(text: &str) -> Result<WarnDays, String> {
    let days = |text: &str| {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite() && *d > 0.0)
            .ok_or_else(|| format!("{text:?} is not a positive number of days"))
    };
    match text.split_once('=') {
        Some((provider, n)) => Ok(WarnDays::Provider(provider.parse()?, days(n)?)),
        None => Ok(WarnDays::All(days(text)?)),
    }
}

/// Parses `PROVIDER=AMOUNT` (`--warn-below`).
pub fn parse_warn_below(text: &str) -> Result<(ProviderId, f64), String> {
    let (provider, amount) = text
        .split_once('=')
        .ok_or_else(|| format!("expected PROVIDER=AMOUNT, got {text:?}"))?;
    let provider: ProviderId = provider.parse()?;
    let amount: f64 = amount
        .trim()
        .parse()
        .ok()
        .filter(|a: &f64| a.is_finite())
        .ok_or_else(|| format!("{amount:?} is not a number"))?;
    Ok((provider, amount))
}

/// The `--warn-below` and `--warn-days` arguments, as given.
#[derive(Clone, Debug, Default)]
pub struct Thresholds {
    /// `--warn-below PROVIDER=AMOUNT`; the last for a provider wins.
    pub below: Vec<(ProviderId, f64)>,
    /// `--warn-days`; the last `PROVIDER=N` for a provider wins, else the last `N`.
    pub days: Vec<WarnDays>,
}

impl Thresholds {
    /// The runway under which `provider` counts as low, if any.
    fn days_for(&self, provider: ProviderId) -> Option<f64> {
        let specific = self.days.iter().rev().find_map(|w| match w {
            WarnDays::Provider(p, n) if *p == provider => Some(*n),
            _ => None,
        });
        specific.or_else(|| {
            self.days.iter().rev().find_map(|w| match w {
                WarnDays::All(n) => Some(*n),
                WarnDays::Provider(..) => None,
            })
        })
    }

    /// Whether `balance` is low: `Some(true)` when the provider flags it, its available
    /// credits are under the `--warn-below` amount, or its runway (`days_left`) is under the
    /// `--warn-days` number; `None` when nothing can be said (no flag, no applicable
    /// threshold or no value to compare); else `Some(false)`.
    pub fn low(&self, balance: &Balance, days_left: Option<f64>) -> Option<bool> {
        let provider = balance.provider;
        let amount = self
            .below
            .iter()
            .rev()
            .find(|(p, _)| *p == provider)
            .map(|(_, amount)| *amount);
        let below = amount
            .zip(balance.available)
            .map(|(amount, available)| available < amount);
        let short = self
            .days_for(provider)
            .zip(days_left)
            .map(|(n, left)| left < n);
        let verdicts = [balance.low, below, short];
        if verdicts.contains(&Some(true)) {
            Some(true)
        } else if verdicts.iter().all(Option::is_none) {
            None
        } else {
            Some(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warn_days_parses_both_forms() {
        assert_eq!(parse_warn_days("3"), Ok(WarnDays::All(3.0)));
        assert_eq!(
            parse_warn_days("giga=0.5"),
            Ok(WarnDays::Provider(ProviderId::Giga, 0.5))
        );
        for bad in ["0", "-1", "x", "giga=", "nope=3", "giga=inf"] {
            assert!(parse_warn_days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_specific_provider_wins_over_all() {
        let t = Thresholds {
            below: Vec::new(),
            days: vec![
                WarnDays::Provider(ProviderId::Giga, 2.0),
                WarnDays::All(10.0),
            ],
        };
        assert_eq!(t.days_for(ProviderId::Giga), Some(2.0));
        assert_eq!(t.days_for(ProviderId::Neo), Some(10.0));
        assert_eq!(Thresholds::default().days_for(ProviderId::Neo), None);
    }
}
