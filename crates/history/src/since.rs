//! `7d`-style durations for `--since` and `--window`.

use chrono::Duration;

/// A text that [`parse_since`] does not accept; its message quotes the text, says what is
/// wrong with it and shows the accepted forms.
///
/// ```
/// let err = billfold_history::parse_since("7 days").unwrap_err();
/// assert_eq!(err.input(), "7 days");
/// assert!(err.to_string().contains("for example 30s, 15m, 12h, 7d or 2w"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid duration {input:?}: {problem}; write a whole number followed by s, m, h, d or w \
     (seconds, minutes, hours, days, weeks), for example 30s, 15m, 12h, 7d or 2w"
)]
pub struct ParseSinceError {
    input: String,
    problem: &'static str,
}

impl ParseSinceError {
    /// The text that was refused.
    ///
    /// ```
    /// let err = billfold_history::parse_since("-1d").unwrap_err();
    /// assert_eq!(err.input(), "-1d");
    /// ```
    pub fn input(&self) -> &str {
        &self.input
    }
}

/// Parses a duration such as `30s`, `15m`, `12h`, `7d` or `2w`: a positive whole number of
/// seconds, minutes, hours, days or weeks, with nothing else around it (no sign, space,
/// fraction or upper-case unit).
///
/// ```
/// use chrono::Duration;
/// use billfold_history::parse_since;
///
/// assert_eq!(parse_since("7d")?, Duration::days(7));
/// assert_eq!(parse_since("90s")?, Duration::seconds(90));
/// assert!(parse_since("7").is_err());
/// # Ok::<(), billfold_history::ParseSinceError>(())
/// ```
pub fn parse_since(text: &str) -> Result<Duration, ParseSinceError> {
    let fail = |problem| ParseSinceError {
        input: text.to_owned(),
        problem,
    };
    let Some(unit) = text.chars().last() else {
        return Err(fail("it is empty"));
    };
    let seconds_per_unit: i64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 60 * 60,
        'd' => 24 * 60 * 60,
        'w' => 7 * 24 * 60 * 60,
        c if c.is_ascii_digit() => return Err(fail("it has no unit")),
        _ => return Err(fail("it does not end in a known unit")),
    };
    let number = &text[..text.len() - unit.len_utf8()];
    if number.is_empty() {
        return Err(fail("it has no number"));
    }
    if !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail("the part before the unit is not a whole number"));
    }
    let count: i64 = number
        .parse()
        .map_err(|_| fail("the number is too large"))?;
    if count == 0 {
        return Err(fail("it must be longer than zero"));
    }
    count
        .checked_mul(seconds_per_unit)
        .and_then(Duration::try_seconds)
        .ok_or_else(|| fail("the number is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_unit() {
        assert_eq!(parse_since("30s"), Ok(Duration::seconds(30)));
        assert_eq!(parse_since("15m"), Ok(Duration::minutes(15)));
        assert_eq!(parse_since("12h"), Ok(Duration::hours(12)));
        assert_eq!(parse_since("7d"), Ok(Duration::days(7)));
        assert_eq!(parse_since("2w"), Ok(Duration::weeks(2)));
        assert_eq!(parse_since("007d"), Ok(Duration::days(7)));
        assert_eq!(parse_since("1000w"), Ok(Duration::weeks(1000)));
    }

    #[test]
    fn refuses_bad_input_with_a_reason() {
        let cases = [
            ("", "it is empty"),
            ("7", "it has no unit"),
            ("d", "it has no number"),
            ("7y", "it does not end in a known unit"),
            ("7D", "it does not end in a known unit"),
            ("7 d", "not a whole number"),
            (" 7d", "not a whole number"),
            ("7d ", "it does not end in a known unit"),
            ("-7d", "not a whole number"),
            ("+7d", "not a whole number"),
            ("1.5h", "not a whole number"),
            ("7dd", "not a whole number"),
            ("٧d", "not a whole number"),
            ("7€", "it does not end in a known unit"),
            ("0s", "longer than zero"),
            ("99999999999999999999s", "too large"),
            ("99999999999999w", "too large"),
        ];
        for (input, reason) in cases {
            let err = parse_since(input).expect_err(input);
            let message = err.to_string();
            assert!(message.contains(reason), "{input:?}: {message}");
            assert!(
                message.contains(&format!("{input:?}")),
                "{input:?}: {message}"
            );
            assert!(message.contains("for example 30s, 15m, 12h, 7d or 2w"));
            assert_eq!(err.input(), input);
        }
    }
}
