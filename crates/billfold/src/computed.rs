//! Balance fields no JSON pointer can express, named by `computed = "<fn>"` in a provider's
//! `[<id>.balance]` entry. Each function gets the typed response and the balance the pointers
//! produced, and fills in the rest. This is the only hand-written per-provider Rust.

#[cfg(feature = "olostep")]
use chrono::DateTime;

#[cfg(feature = "olostep")]
use crate::balance::Balance;

/// Olostep reports credit lots: allotted is the sum allocated, used the sum allocated minus
/// remaining, and the balance expires with the earliest lot that still has credits.
#[cfg(feature = "olostep")]
pub(crate) fn olostep_lots(
    response: &crate::olostep::types::CreditsInfoResponse,
    balance: &mut Balance,
) {
    let lots = &response.breakdown;
    if lots.is_empty() {
        return;
    }
    balance.allotted = Some(lots.iter().filter_map(|l| l.allocated_units).sum::<i64>() as f64);
    balance.used = Some(
        lots.iter()
            .map(|l| l.allocated_units.unwrap_or(0) - l.remaining_units.unwrap_or(0))
            .sum::<i64>() as f64,
    );
    balance.expires_at = lots
        .iter()
        .filter(|l| l.remaining_units.unwrap_or(0) > 0)
        .filter_map(|l| DateTime::from_timestamp(l.expiry_date?, 0))
        .min();
}
