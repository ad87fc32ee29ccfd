//! Human units in the configuration and on the command line: durations (`500ms`, `6h`,
//! `1h30m`, `3d`) and byte sizes (`64KiB`, `2GiB`, `500MB`, plain integers).

use std::time::Duration;

/// Parses `90`, `500ms`, `30s`, `15m`, `6h`, `3d`, `2w` and sums like `1h30m`.
/// A bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("an empty duration".into());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("`{s}` has a number without a unit (ms, s, m, h, d, w)"))?;
        if digits == 0 {
            return Err(format!("`{s}` is not a duration like 500ms, 30s, 6h or 3d"));
        }
        let value: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{s}` has a bad number"))?;
        let after = &rest[digits..];
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let secs_per = match after[..unit_len].trim() {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            "d" | "day" | "days" => 86_400.0,
            "w" | "week" | "weeks" => 604_800.0,
            other => {
                return Err(format!(
                    "`{s}` has unknown unit `{other}` (use ms, s, m, h, d or w)"
                ))
            }
        };
        total += Duration::from_secs_f64(value * secs_per);
        rest = &after[unit_len..];
    }
    Ok(total)
}

/// Parses `1048576`, `64KiB`, `10MB`, `2GiB`, `1.5G` (SI and binary prefixes; `K`/`M`/`G` alone are binary).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let value: f64 = s[..split]
        .parse()
        .map_err(|_| format!("`{s}` is not a size like 64KiB, 10MB or 2GiB"))?;
    let mult: f64 = match s[split..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tib" => 1024.0f64.powi(4),
        other => {
            return Err(format!(
                "`{s}` has unknown unit `{other}` (use KiB, MiB, GiB, KB, MB, GB)"
            ))
        }
    };
    Ok((value * mult) as u64)
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
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("10MB"), Ok(10_000_000));
        assert!(parse_size("lots").is_err());
        assert_eq!(format_size(1536), "1.5 KiB");
    }
}
