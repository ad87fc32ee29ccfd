//! The picture of link rot over time: for each day with checks, how many references were
//! alive, dead, blocked or transient as of that day (each reference counted by its latest
//! check), drawn server-side as a stacked SVG area chart. No JavaScript needed to see it.

use std::fmt::Write as _;

use crate::clock::{self, Timestamp};
use crate::db::{Db, DbError};

/// States drawn, bottom to top, with their colours.
const SERIES: [(&str, &str); 4] = [
    ("alive", "#2e7d32"),
    ("transient", "#f9a825"),
    ("blocked", "#6a1b9a"),
    ("dead", "#c62828"),
];

/// Counts per state at the end of each day that had checks.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RotSeries {
    /// One entry per day that had checks: the day's start (Unix seconds, UTC midnight) and the
    /// counts alive, transient, blocked and dead as of its end.
    pub days: Vec<(Timestamp, [u64; 4])>,
}

/// Builds the series in one pass over the checks (streamed, O(checks)).
pub fn rot_series(db: &Db, article: Option<i64>) -> Result<RotSeries, DbError> {
    // The series each reference counts in now (`NONE`: none yet), indexed by its id: ids are
    // dense, so a byte per reference beats a hash map at millions of checks.
    const NONE: u8 = u8::MAX;
    let mut latest: Vec<u8> = Vec::new();
    let mut counts = [0u64; 4];
    let mut series = RotSeries::default();
    let mut day: Option<Timestamp> = None;
    db.for_each_check_state(article, |ref_id, at, state| -> Result<(), DbError> {
        let d = at.div_euclid(86_400) * 86_400;
        if let Some(prev) = day {
            if d != prev {
                series.days.push((prev, counts));
            }
        }
        day = Some(d);
        let Some(i) = SERIES.iter().position(|(s, _)| *s == state) else {
            return Ok(());
        };
        let Ok(slot) = usize::try_from(ref_id) else {
            return Ok(());
        };
        if slot >= latest.len() {
            latest.resize(slot + 1, NONE);
        }
        let old = std::mem::replace(&mut latest[slot], i as u8);
        if old != NONE {
            counts[usize::from(old)] -= 1;
        }
        counts[i] += 1;
        Ok(())
    })?;
    if let Some(d) = day {
        series.days.push((d, counts));
    }
    Ok(series)
}

impl RotSeries {
    /// Whether there is rot to see: one day of checks draws flat bands that say nothing.
    pub fn drawable(&self) -> bool {
        self.days.len() >= 2
    }

    /// The sentence shown instead of the chart until checks span two days.
    pub fn not_yet(&self) -> String {
        format!(
            "The chart of link rot over time appears once checks span two days{}.",
            self.days
                .first()
                .map(|(d, _)| format!(" (every check so far is from {})", clock::format_date(*d)))
                .unwrap_or_default()
        )
    }
}

fn esc(s: &str) -> String {
    crate::text::html_escape(s)
}

/// A stacked area chart, `width`×`height`, with axes, dates and a legend.
pub fn svg(series: &RotSeries, title: &str, width: u32, height: u32) -> String {
    let (left, right, top, bottom) = (48.0, 12.0, 28.0, 40.0);
    let (w, h) = (width as f64 - left - right, height as f64 - top - bottom);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    let _ = write!(out, "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><text x=\"{left}\" y=\"18\" font-size=\"14\" font-family=\"sans-serif\">{}</text>", esc(title));
    if series.days.is_empty() {
        let _ = write!(out, "<text x=\"{left}\" y=\"{}\" font-size=\"12\" font-family=\"sans-serif\" fill=\"#666\">no checks yet</text></svg>", top + h / 2.0);
        return out;
    }
    // One day of checks is drawn as a band across the whole chart, not a hairline.
    let one_day;
    let series = if series.days.len() == 1 {
        one_day = RotSeries {
            days: vec![series.days[0], series.days[0]],
        };
        &one_day
    } else {
        series
    };
    let max = series
        .days
        .iter()
        .map(|(_, c)| c.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let n = series.days.len();
    let x = |i: usize| left + w * i as f64 / (n - 1) as f64;
    let y = |v: f64| top + h - h * v / max;
    // Each band: the top edge left to right, then the band below it right to left.
    let mut below = vec![0.0f64; n];
    for (k, (name, colour)) in SERIES.iter().enumerate() {
        let above: Vec<f64> = series
            .days
            .iter()
            .zip(&below)
            .map(|((_, c), b)| b + c[k] as f64)
            .collect();
        let mut d = String::new();
        for (i, v) in above.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if i == 0 { "M" } else { "L" },
                x(i),
                y(*v)
            );
        }
        for i in (0..n).rev() {
            let _ = write!(d, "L{:.1},{:.1} ", x(i), y(below[i]));
        }
        let _ = write!(
            out,
            "<path d=\"{d}Z\" fill=\"{colour}\" fill-opacity=\"0.85\"><title>{name}</title></path>"
        );
        below = above;
    }
    let _ = write!(
        out,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#333\"/>",
        top + h, left + w, top + h, top + h
    );
    let label = |t: Timestamp| clock::format_date(t);
    let _ = write!(
        out,
        "<g font-size=\"11\" font-family=\"sans-serif\" fill=\"#333\"><text x=\"{left}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text></g>",
        top + h + 14.0,
        label(series.days[0].0),
        left + w,
        top + h + 14.0,
        label(series.days[n - 1].0),
        left - 4.0,
        top + 10.0,
        max as u64,
        left - 4.0,
        top + h
    );
    let step = (w / 4.0).clamp(60.0, 90.0);
    let mut lx = left;
    for (name, colour) in SERIES {
        let _ = write!(
            out,
            "<rect x=\"{lx}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" font-family=\"sans-serif\">{name}</text>",
            top + h + 22.0,
            lx + 14.0,
            top + h + 31.0
        );
        lx += step;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_draws_one_band_per_state_and_escapes_its_title() {
        let s = RotSeries {
            days: vec![(0, [3, 0, 0, 0]), (86_400, [2, 0, 0, 1])],
        };
        let svg = svg(&s, "<script>", 600, 240);
        assert_eq!(svg.matches("<path").count(), 4);
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        assert!(svg.contains("1970-01-01") && svg.contains("1970-01-02"));
    }
}
