//! Time as linkvault records it: Unix seconds in the database, RFC 3339 UTC for people.
//!
//! `now()` honours `LINKVAULT_NOW` (Unix seconds or RFC 3339) so tests can step through
//! days of schedule and confirmation without sleeping; nothing else in the crate reads the clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, UTC.
pub type Timestamp = i64;

/// The current time in Unix seconds, or `LINKVAULT_NOW` when it is set and reads as Unix
/// seconds or RFC 3339.
pub fn now() -> Timestamp {
    if let Ok(fake) = std::env::var("LINKVAULT_NOW") {
        if let Some(t) = fake.trim().parse::<i64>().ok().or_else(|| parse(&fake)) {
            return t;
        }
    }
    wall()
}

/// The real time in Unix seconds, whatever `LINKVAULT_NOW` says: for comparing with clocks
/// outside linkvault (a timestamp authority's `genTime`).
pub fn wall() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-11-25T12:00:00Z`
pub fn format(t: Timestamp) -> String {
    Rfc3339(t).to_string()
}

/// A time written as [`format`] writes it, without allocating: for writers of millions of
/// times (the JSON report), and `serde` (a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub Timestamp);

impl Rfc3339 {
    /// The 20 bytes of a time in the years 0 to 9999 (all a record holds); None outside them.
    fn digits(self) -> Option<[u8; 20]> {
        let (days, secs) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        let y = u32::try_from(y).ok().filter(|y| *y <= 9999)?;
        let secs = secs as u32; // 0..86_400
        let mut b = *b"0000-00-00T00:00:00Z";
        for (at, v, width) in [
            (0, y, 4),
            (5, m, 2),
            (8, d, 2),
            (11, secs / 3600, 2),
            (14, secs / 60 % 60, 2),
            (17, secs % 60, 2),
        ] {
            let mut v = v;
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        Some(b)
    }
}

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(b) = self.digits() {
            // Only ASCII digits and separators were written.
            return f.write_str(std::str::from_utf8(&b).map_err(|_| std::fmt::Error)?);
        }
        let (days, secs) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

impl serde::Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.digits() {
            Some(b) => s.serialize_str(std::str::from_utf8(&b).map_err(serde::ser::Error::custom)?),
            None => s.collect_str(self),
        }
    }
}

/// `2026-11-25`: the day, for tables and sentences.
pub fn format_date(t: Timestamp) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `20261125120000`, the 14-digit form web archives use.
pub fn format_compact(t: Timestamp) -> String {
    format(t).chars().filter(|c| c.is_ascii_digit()).collect()
}

/// `Sat, 15 Sep 2018 12:00:00 GMT`: the RFC 1123 form of HTTP headers (`Memento-Datetime`,
/// `Accept-Datetime`). Times before 1970 are given as 1970, after 9999 as the end of 9999
/// (httpdate cannot write them).
pub fn format_http(t: Timestamp) -> String {
    const LAST: i64 = 253_402_300_799; // 9999-12-31T23:59:59Z
    httpdate::fmt_http_date(UNIX_EPOCH + std::time::Duration::from_secs(t.clamp(0, LAST) as u64))
}

/// Reads an HTTP date (RFC 1123, and the obsolete forms HTTP allows).
pub fn parse_http(s: &str) -> Option<Timestamp> {
    let t = httpdate::parse_http_date(s.trim()).ok()?;
    t.duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs() as i64)
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]` (a space may replace the `T`),
/// and the 14-digit `YYYYMMDDhhmmss` form. Times without an offset are UTC.
pub fn parse(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()) {
        let f = |a: usize, b: usize| s[a..b].parse::<u32>().ok();
        return build(
            f(0, 4)? as i64,
            f(4, 6)?,
            f(6, 8)?,
            f(8, 10)?,
            f(10, 12)?,
            f(12, 14)?,
            0,
        );
    }
    let (date, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let mut dp = date.splitn(3, '-');
    let y: i64 = dp.next()?.parse().ok()?;
    let mo: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    if rest.is_empty() {
        return build(y, mo, d, 0, 0, 0, 0);
    }
    let (clock, offset) = split_offset(rest)?;
    let mut cp = clock.split(':');
    let h: u32 = cp.next()?.parse().ok()?;
    let mi: u32 = cp.next()?.parse().ok()?;
    let sec: u32 = match cp.next() {
        Some(x) => x.split('.').next()?.parse().ok()?,
        None => 0,
    };
    build(y, mo, d, h, mi, sec, offset)
}

fn split_offset(rest: &str) -> Option<(&str, i64)> {
    if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        return Some((c, 0));
    }
    if let Some(i) = rest.rfind(['+', '-']) {
        let (clock, off) = (&rest[..i], &rest[i..]);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let digits = &off[1..];
        // `+02:00`, `+0200` and `+02` all occur in published dates.
        let (oh, om) = match digits.split_once(':') {
            Some((h, m)) => (h, m),
            None if digits.len() == 4 && digits.is_ascii() => digits.split_at(2),
            None => (digits, "0"),
        };
        let (oh, om): (i64, i64) = (oh.parse().ok()?, om.parse().ok()?);
        if oh > 23 || om > 59 {
            return None;
        }
        return Some((clock, sign * (oh * 3600 + om * 60)));
    }
    Some((rest, 0))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Dates are years 1 to 9999 (what HTTP dates and the 14-digit form can say): a page's
/// `datePublished` of year 10000 is not a date.
fn build(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, offset: i64) -> Option<Timestamp> {
    if !(1..=9999).contains(&y)
        || !(1..=12).contains(&mo)
        || d < 1
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || s > 60
    {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(days * 86_400 + (h * 3600 + mi * 60 + s) as i64 - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digits written by hand are what `format!` writes, inside the years 0–9999 and out.
    #[test]
    fn rfc3339_digits_match_format() {
        let slow = |t: i64| {
            let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
            let (y, m, d) = civil_from_days(days);
            format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            )
        };
        let edges = [
            0,
            -1,
            1_795_000_000,
            -62_167_219_200, // 0000-01-01T00:00:00Z
            -62_167_219_201,
            253_402_300_799, // 9999-12-31T23:59:59Z
            253_402_300_800,
            i64::MAX / 1000,
            i64::MIN / 1000,
        ];
        let spread = (-70_000_000_000_i64..260_000_000_000).step_by(999_999_937);
        for t in edges.into_iter().chain(spread) {
            assert_eq!(format(t), slow(t), "{t}");
            assert_eq!(
                serde_json::to_string(&Rfc3339(t)).unwrap(),
                format!("\"{}\"", slow(t))
            );
        }
    }

    #[test]
    fn hostile_dates_are_not_dates_and_never_panic() {
        assert_eq!(parse("2018-09-15T12:00+a\u{e9}1"), None);
        assert_eq!(parse("10000-01-01"), None);
        assert_eq!(parse("99999999999999999-01-01"), None);
        assert_eq!(parse("0000-01-01"), None);
        assert!(format_http(i64::MAX).ends_with("9999 23:59:59 GMT"));
        assert_eq!(format_http(-5), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn formats_and_parses_round_trip() {
        for t in [0, 1_537_000_000, 1_795_000_000, 951_782_400] {
            assert_eq!(parse(&format(t)), Some(t));
            assert_eq!(parse(&format_compact(t)), Some(t));
        }
        assert_eq!(format(1_537_012_800), "2018-09-15T12:00:00Z");
    }

    #[test]
    fn parses_dates_offsets_and_rejects_garbage() {
        assert_eq!(parse("2018-09-15"), Some(1_536_969_600));
        assert_eq!(parse("2018-09-15T14:00:00+02:00"), Some(1_537_012_800));
        assert_eq!(parse("2018-09-15 12:00"), Some(1_537_012_800));
        assert_eq!(parse("2018-13-15"), None);
        assert_eq!(parse("2018-02-31"), None);
        assert_eq!(parse("2016-02-29"), Some(1_456_704_000));
        assert_eq!(parse("2018-09-15T14:00:00+0200"), Some(1_537_012_800));
        assert_eq!(parse("2018-09-15T12:00:00.123Z"), Some(1_537_012_800));
        assert_eq!(parse("yesterday"), None);
    }
}
