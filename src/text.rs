//! Text for a terminal: what comes from the web (URLs, titles, server messages) may carry
//! control characters — `ESC ] 0;…` retitles a terminal, `ESC [2J` clears it — so every text
//! output passes through [`printable`], which shows them as U+FFFD instead. And writing to a
//! standard stream never panics: a closed stderr (`run … 2>&1 | head -1`) must not stop a run.

use std::borrow::Cow;
use std::io::Write;

/// `s` with every control character (C0, DEL, C1) but newline and tab replaced by U+FFFD.
pub fn printable(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if bad(c) {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// `s` on one line: also newlines and tabs become U+FFFD.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

/// HTML-escapes text for element content and attribute values (control characters shown as
/// U+FFFD, as on a terminal).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes a line to standard error, made printable; a closed stream is ignored.
pub fn eprint_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", printable(line));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_made_visible_and_plain_text_is_untouched() {
        assert_eq!(
            printable("title \u{1b}]0;pwned\u{7} \u{1b}[2J\u{9b}x"),
            "title \u{FFFD}]0;pwned\u{FFFD} \u{FFFD}[2J\u{FFFD}x"
        );
        assert!(matches!(printable("a\nb\tc é"), Cow::Borrowed(_)));
        assert_eq!(one_line("a\nb"), "a\u{FFFD}b");
    }
}
