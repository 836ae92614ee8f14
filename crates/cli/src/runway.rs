//! Burn rate and runway, as the table shows them (billfold-history computes them).

use billfold_history::Burn;

/// Credits used per day: `12.5`, `864000`, or `-` when unknown.
pub fn rate(burn: &Burn) -> String {
    burn.per_day.map_or_else(|| "-".to_owned(), short_number)
}

/// Days left, in the handiest unit: `12d`, `3.5d`, `5.2h`, `40m`, `30s`; `∞` when nothing is
/// being used; `-` when unknown.
pub fn runway(burn: &Burn) -> String {
    match (burn.days_left, burn.per_day) {
        (Some(days), _) => {
            let seconds = days * 86_400.0;
            if days >= 100.0 {
                format!("{days:.0}d")
            } else if days >= 1.0 {
                format!("{}d", short_number(days))
            } else if seconds >= 3600.0 {
                format!("{}h", short_number(seconds / 3600.0))
            } else if seconds >= 60.0 {
                format!("{:.0}m", seconds / 60.0)
            } else {
                format!("{seconds:.0}s")
            }
        }
        (None, Some(0.0)) => "∞".to_owned(),
        (None, _) => "-".to_owned(),
    }
}

/// A number with at most one decimal (two below 10), trailing zeros dropped.
fn short_number(value: f64) -> String {
    let text = if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(per_day: Option<f64>, days_left: Option<f64>) -> Burn {
        Burn {
            per_day,
            days_left,
            readings: 2,
        }
    }

    #[test]
    fn rates_and_runways_read_well() {
        assert_eq!(rate(&b(Some(864_000.0), None)), "864000");
        assert_eq!(rate(&b(Some(12.345), None)), "12.3");
        assert_eq!(rate(&b(Some(0.5), None)), "0.5");
        assert_eq!(rate(&b(None, None)), "-");
        assert_eq!(runway(&b(Some(1.0), Some(250.4))), "250d");
        assert_eq!(runway(&b(Some(1.0), Some(3.5))), "3.5d");
        assert_eq!(runway(&b(Some(1.0), Some(0.25))), "6h");
        assert_eq!(runway(&b(Some(1.0), Some(90.0 / 172_800.0))), "45s");
        assert_eq!(runway(&b(Some(1.0), Some(600.0 / 86_400.0))), "10m");
        assert_eq!(runway(&b(Some(0.0), None)), "∞");
        assert_eq!(runway(&b(None, None)), "-");
        assert_eq!(runway(&b(None, Some(0.0))), "0s");
    }
}
