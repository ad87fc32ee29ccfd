//! Finds bare `http(s)://` URLs in plain text (notes, e-mails, Markdown sources). It knows no
//! markup: the delimiters are whitespace, quotes and angle brackets, and trailing sentence
//! punctuation is left to the sentence unless the URL itself opened the bracket it closes.

use std::collections::HashSet;

use url::Url;

use super::{kind_from_url, Extraction, FoundRef};
use crate::model::Kind;

/// Bare URLs in `text`, one reference per URL (fragment removed), in order of first appearance.
pub fn extract_text(text: &[u8]) -> Extraction {
    let mut refs = Vec::new();
    let mut seen = HashSet::new();
    let mut pos = 0;
    while let Some(start) = find_scheme(text, pos) {
        let end = url_end(text, start);
        pos = end.max(start + 1);
        // An XML namespace name (`xmlns="http://www.w3.org/2005/Atom"`) is an identifier, not
        // a reference: nothing lives there to archive.
        if is_namespace_value(&text[..start]) {
            continue;
        }
        let raw = String::from_utf8_lossy(&text[start..end]);
        let candidate = strip_trailing_punctuation(&raw);
        let Ok(mut url) = Url::parse(candidate) else {
            continue;
        };
        if url.host_str().is_none_or(str::is_empty) {
            continue;
        }
        crate::urlkey::normalize(&mut url);
        if seen.insert(url.clone()) {
            let kind = kind_from_url(&url).unwrap_or(Kind::Page);
            refs.push(FoundRef {
                url,
                kind,
                found_in: "text".to_string(),
            });
        }
    }
    Extraction {
        refs,
        ..Extraction::default()
    }
}

/// Whether the text before a URL ends with `xmlns="` or `xmlns:prefix="` (or single quotes).
fn is_namespace_value(before: &[u8]) -> bool {
    let Some((&quote, rest)) = before.split_last() else {
        return false;
    };
    if quote != b'"' && quote != b'\'' {
        return false;
    }
    let rest = rest.trim_ascii_end();
    let Some(rest) = rest.strip_suffix(b"=") else {
        return false;
    };
    let rest = rest.trim_ascii_end();
    let name_start = rest
        .iter()
        .rposition(|b| b.is_ascii_whitespace() || *b == b'<')
        .map_or(0, |i| i + 1);
    let name = &rest[name_start..];
    name.eq_ignore_ascii_case(b"xmlns") || starts_with_ignore_case(name, b"xmlns:")
}

/// Index of the next `http://` or `https://` (any case) at or after `from`.
fn find_scheme(text: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 7 <= text.len() {
        // Cheap first-byte filter keeps the scan linear and fast on long texts.
        let rel = text[i..].iter().position(|&b| b == b'h' || b == b'H')?;
        i += rel;
        let rest = &text[i..];
        if starts_with_ignore_case(rest, b"http://") || starts_with_ignore_case(rest, b"https://") {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn starts_with_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// End (exclusive) of the URL starting at `start`: the first delimiter byte or the end of text.
fn url_end(text: &[u8], start: usize) -> usize {
    text[start..]
        .iter()
        .position(|&b| is_delimiter(b))
        .map_or(text.len(), |rel| start + rel)
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b.is_ascii_control() || matches!(b, b'<' | b'>' | b'"' | b'\'')
}

/// Drops sentence punctuation glued to the URL's end. A closing bracket stays when the URL
/// holds at least as many openers as closers, so `…/Foo_(bar)` keeps its `)` while
/// `(see https://x.example/a)` loses it. Counts are taken once and updated while stripping, so
/// a run of a million `)` stays linear.
fn strip_trailing_punctuation(raw: &str) -> &str {
    const PAIRS: [(u8, u8); 3] = [(b'(', b')'), (b'[', b']'), (b'{', b'}')];
    let mut depth = [0isize; 3];
    for b in raw.bytes() {
        for (i, (open, close)) in PAIRS.iter().enumerate() {
            if b == *open {
                depth[i] += 1;
            } else if b == *close {
                depth[i] -= 1;
            }
        }
    }
    let mut s = raw;
    while let Some(&last) = s.as_bytes().last() {
        let strip = match last {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'"' => true,
            _ => match PAIRS.iter().position(|(_, close)| *close == last) {
                // More closers than openers: this one closes something outside the URL.
                Some(i) if depth[i] < 0 => {
                    depth[i] += 1;
                    true
                }
                _ => false,
            },
        };
        if !strip {
            return s;
        }
        // Every stripped byte is ASCII, so this stays on a char boundary.
        s = &s[..s.len() - 1];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<String> {
        extract_text(text.as_bytes())
            .refs
            .into_iter()
            .map(|r| r.url.to_string())
            .collect()
    }

    #[test]
    fn finds_urls_between_whitespace_quotes_and_brackets() {
        assert_eq!(
            urls("see https://a.example/x and <http://b.example/y>, \"https://c.example/\""),
            [
                "https://a.example/x",
                "http://b.example/y",
                "https://c.example/"
            ]
        );
    }

    #[test]
    fn scheme_is_case_insensitive() {
        assert_eq!(urls("HTTPS://A.example/P"), ["https://a.example/P"]);
    }

    #[test]
    fn trailing_punctuation_is_left_to_the_sentence() {
        assert_eq!(
            urls("Read https://a.example/x. Then https://b.example/y?, ok: https://c.example/z!"),
            [
                "https://a.example/x",
                "https://b.example/y",
                "https://c.example/z"
            ]
        );
        assert_eq!(urls("(see https://a.example/p)."), ["https://a.example/p"]);
        assert_eq!(urls("[https://a.example/q]"), ["https://a.example/q"]);
    }

    #[test]
    fn balanced_parentheses_stay_in_the_url() {
        assert_eq!(
            urls("https://en.wikipedia.org/wiki/Mercury_(planet), and"),
            ["https://en.wikipedia.org/wiki/Mercury_(planet)"]
        );
        assert_eq!(
            urls("(https://en.wikipedia.org/wiki/Foo_(bar))"),
            ["https://en.wikipedia.org/wiki/Foo_(bar)"]
        );
    }

    #[test]
    fn fragments_are_removed_and_urls_deduplicated_with_kinds() {
        let got = extract_text(
            b"https://a.example/p#one https://a.example/p#two https://a.example/i.png https://youtu.be/abc",
        );
        let pairs: Vec<_> = got
            .refs
            .iter()
            .map(|r| (r.url.as_str(), r.kind, r.found_in.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("https://a.example/p", Kind::Page, "text"),
                ("https://a.example/i.png", Kind::Image, "text"),
                ("https://youtu.be/abc", Kind::Video, "text"),
            ]
        );
    }

    #[test]
    fn junk_never_panics_and_yields_nothing() {
        assert!(urls("http:// https://").is_empty());
        assert!(urls("http").is_empty());
        assert!(extract_text(b"\xff\xfe https://\xff\xff/ http://[::1")
            .refs
            .is_empty());
        assert_eq!(urls("xhttps://a.example/é"), ["https://a.example/%C3%A9"]);
    }
}

#[cfg(test)]
mod namespace_tests {
    use super::*;

    #[test]
    fn xml_namespace_names_are_not_references() {
        let ex = extract_text(
            br#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media='http://search.yahoo.com/mrss/'>
                see http://example.org/real and xmlnsfoo="http://example.org/kept"</feed>"#,
        );
        let urls: Vec<&str> = ex.refs.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(urls, ["http://example.org/real", "http://example.org/kept"]);
    }
}
