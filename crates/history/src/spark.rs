//! One-line charts.

/// The eight block characters, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A one-line chart of `values`: one block character (`▁▂▃▄▅▆▇█`) per finite value, the
/// smallest value drawn as `▁` and the largest as `█`, the others scaled linearly between them
/// and rounded to the nearest block.
///
/// NaN and infinite values are skipped (they get no character). When every finite value is the
/// same the chart is flat at mid height, all `▄`, so a steady balance is not mistaken for an
/// empty one. No finite value at all gives an empty string.
///
/// ```
/// use billfold_history::sparkline;
///
/// assert_eq!(sparkline(&[100.0, 90.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0]), "█▇▆▅▄▃▂▁");
/// assert_eq!(sparkline(&[5.0, 5.0, 5.0]), "▄▄▄");
/// assert_eq!(sparkline(&[1.0, f64::NAN, 2.0]), "▁█");
/// assert_eq!(sparkline(&[]), "");
/// ```
pub fn sparkline(values: &[f64]) -> String {
    let finite = || values.iter().copied().filter(|v| v.is_finite());
    let Some((min, max)) = finite().fold(None, |range: Option<(f64, f64)>, v| {
        Some(range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
    }) else {
        return String::new();
    };
    if min == max {
        return finite().map(|_| BARS[3]).collect();
    }
    // Halved so that the span of two huge finite values (-1e308 and 1e308) stays finite.
    let span = max / 2.0 - min / 2.0;
    let top = (BARS.len() - 1) as f64;
    finite()
        .map(|v| {
            let level = ((v / 2.0 - min / 2.0) / span * top).round().clamp(0.0, top);
            BARS[level as usize]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_all_non_finite_give_nothing() {
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]), "");
    }

    #[test]
    fn flat_series_is_mid_height() {
        assert_eq!(sparkline(&[3.0]), "▄");
        assert_eq!(sparkline(&[0.0, -0.0, 0.0]), "▄▄▄");
        assert_eq!(sparkline(&[7.5, f64::NAN, 7.5]), "▄▄");
    }

    #[test]
    fn scales_between_min_and_max() {
        assert_eq!(
            sparkline(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
            "▁▂▃▄▅▆▇█"
        );
        assert_eq!(sparkline(&[10.0, 20.0]), "▁█");
        assert_eq!(sparkline(&[-5.0, 0.0, 5.0]), "▁▅█");
        // 0.4 of the way up is level 2.8, rounded to 3.
        assert_eq!(sparkline(&[0.0, 4.0, 10.0]), "▁▄█");
    }

    #[test]
    fn non_finite_values_are_skipped() {
        assert_eq!(
            sparkline(&[f64::INFINITY, 0.0, f64::NAN, 7.0, f64::NEG_INFINITY]),
            "▁█"
        );
    }

    #[test]
    fn huge_values_do_not_overflow() {
        assert_eq!(sparkline(&[-f64::MAX, 0.0, f64::MAX]), "▁▅█");
    }
}
