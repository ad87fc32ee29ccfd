//! Human units in the configuration and on the command line: durations (`500ms`, `6h`,
//! `1h30m`, `3d`, `2w`; humantime's grammar) and byte sizes (`64KiB`, `2GiB`, `500MB`, plain
//! integers; parse-size's). Both crates report overflow; on top, a duration must have a unit
//! and be at most a century, so nothing downstream can wrap or spin.

use std::time::Duration;

/// A duration or size that could not be read, said so that the user can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// The duration was empty (or only blanks).
    #[error("an empty duration: give one like 30s, 15m, 6h or 3d")]
    EmptyDuration,
    /// A bare number given as a duration (the text as written).
    #[error("`{0}` has no unit: write {0}s, {0}m, {0}h or {0}d")]
    NoUnit(String),
    /// A duration too large for humantime to represent at all (the text as written).
    #[error("`{0}` is far too long (at most 100 years)")]
    DurationOverflow(String),
    /// Not a duration humantime reads.
    #[error("`{text}` is not a duration like 500ms, 30s, 6h, 3d or 1h30m ({why})")]
    NotADuration {
        /// The text as written.
        text: String,
        /// humantime's explanation.
        why: String,
    },
    /// A valid duration beyond [`MAX_DURATION`] (the text as written).
    #[error("`{0}` is longer than the maximum of 100 years")]
    OverMaximum(String),
    /// A size beyond `u64` bytes (the text as written).
    #[error("`{0}` is far too large")]
    SizeOverflow(String),
    /// Not a size parse-size reads (the text as written).
    #[error("`{0}` is not a size like 64KiB, 10MB or 2GiB")]
    NotASize(String),
}

/// The longest duration accepted anywhere: no schedule needs more, and every timestamp
/// arithmetic on it stays far from overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 86_400);

/// Parses `500ms`, `30s`, `15m`, `6h`, `3d`, `2w` and sums like `1h30m`. A number without a
/// unit is refused (is `6` six seconds or six hours?), as is anything over 100 years.
pub fn parse_duration(s: &str) -> Result<Duration, UnitError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(UnitError::EmptyDuration);
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(UnitError::NoUnit(t.into()));
    }
    let d = humantime::parse_duration(t).map_err(|e| match e {
        humantime::DurationError::NumberOverflow => UnitError::DurationOverflow(t.into()),
        other => UnitError::NotADuration {
            text: t.into(),
            why: other.to_string(),
        },
    })?;
    if d > MAX_DURATION {
        return Err(UnitError::OverMaximum(t.into()));
    }
    Ok(d)
}

/// `6h`, `1d 2h`, `45s` — a duration as people write it.
pub fn format_duration(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs().max(1))).to_string()
}

/// Parses `1048576`, `64KiB`, `10MB`, `2GiB`, `1.5G` (SI and binary prefixes; `K`/`M`/`G`/`T`
/// alone are binary, as in the rest of this file's history). Overflow is an error.
pub fn parse_size(s: &str) -> Result<u64, UnitError> {
    let t = s.trim();
    // A bare binary-ish letter (`64K`, `2G`) means KiB, GiB.
    let spelled = match t.chars().last() {
        Some(c @ ('k' | 'K' | 'm' | 'M' | 'g' | 'G' | 't' | 'T'))
            if t[..t.len() - 1].ends_with(|d: char| d.is_ascii_digit() || d == ' ') =>
        {
            format!("{}{c}i", &t[..t.len() - 1])
        }
        _ => t.to_string(),
    };
    parse_size::parse_size(&spelled).map_err(|e| match e {
        parse_size::Error::PosOverflow => UnitError::SizeOverflow(t.into()),
        _ => UnitError::NotASize(t.into()),
    })
}

/// `1.5 MiB`, for people.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("6h"), Ok(Duration::from_secs(6 * 3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_duration("45")
            .unwrap_err()
            .to_string()
            .contains("no unit"));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(
            parse_duration("99999999999999w").is_err(),
            "no panic, no wrap"
        );
        assert!(parse_duration("200000000000000d").is_err());
        assert!(parse_duration("101y").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert_eq!(parse_size("64K"), Ok(65_536));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("1e30GiB").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert_eq!(format_size(1536), "1.5 KiB");
    }
}
