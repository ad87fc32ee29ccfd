//! Splits a `srcset` attribute into its candidate URLs, following the WHATWG "parse a srcset
//! attribute" algorithm closely enough that URLs containing commas (Cloudinary-style
//! `w_300,h_200` transforms) survive. It only finds URLs: it neither validates descriptors nor
//! picks a candidate, because the archive wants every rendition a reader might have seen.

/// Candidate URLs of a `srcset` value, in order, borrowed from `value`.
///
/// Descriptors (`2x`, `300w`, and anything parenthesised) are skipped, and a URL that ends in
/// commas loses them, as the algorithm says: `a.jpg,b.jpg 2x` is one URL, `a.jpg, b.jpg` two.
pub fn parse_srcset(value: &str) -> Vec<&str> {
    let bytes = value.as_bytes();
    let mut urls = Vec::new();
    let mut pos = 0;
    loop {
        // Separators between candidates: any run of whitespace and commas.
        while pos < bytes.len() && (is_ascii_ws(bytes[pos]) || bytes[pos] == b',') {
            pos += 1;
        }
        if pos >= bytes.len() {
            return urls;
        }
        let start = pos;
        while pos < bytes.len() && !is_ascii_ws(bytes[pos]) {
            pos += 1;
        }
        let raw = &value[start..pos];
        let url = raw.trim_end_matches(',');
        urls.push(url);
        // A URL that ended in a comma had no descriptors: the comma already closed the candidate.
        if url.len() == raw.len() {
            pos = skip_descriptors(bytes, pos);
        }
    }
}

/// Advances past one candidate's descriptors: up to the first comma that is not inside
/// parentheses, so `(a, b)` in a future descriptor syntax cannot split a candidate.
fn skip_descriptors(bytes: &[u8], mut pos: usize) -> usize {
    let mut in_parens = false;
    while pos < bytes.len() {
        match (bytes[pos], in_parens) {
            (b',', false) => return pos + 1,
            (b'(', false) => in_parens = true,
            (b')', true) => in_parens = false,
            _ => {}
        }
        pos += 1;
    }
    pos
}

/// The WHATWG "ASCII whitespace" set (no vertical tab, unlike `u8::is_ascii_whitespace`'s peers).
fn is_ascii_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0C' | b'\r')
}

#[cfg(test)]
mod tests {
    use super::parse_srcset;

    #[test]
    fn widths_and_densities_are_skipped() {
        assert_eq!(
            parse_srcset("a.jpg 300w, b.jpg 600w,c.jpg 2x"),
            ["a.jpg", "b.jpg", "c.jpg"]
        );
        assert_eq!(parse_srcset("  one.png  "), ["one.png"]);
        assert_eq!(
            parse_srcset("x.png 1.5x 100w 200h, y.png"),
            ["x.png", "y.png"]
        );
    }

    #[test]
    fn commas_inside_urls_are_kept() {
        assert_eq!(
            parse_srcset(
                "https://res.cloudinary.com/x/w_300,h_200,c_fill/a.jpg 300w, \
                 https://res.cloudinary.com/x/w_600,h_400/a.jpg 600w"
            ),
            [
                "https://res.cloudinary.com/x/w_300,h_200,c_fill/a.jpg",
                "https://res.cloudinary.com/x/w_600,h_400/a.jpg"
            ]
        );
        // Without whitespace, a comma does not split: the spec reads this as one URL.
        assert_eq!(parse_srcset("a.jpg,b.jpg 2x"), ["a.jpg,b.jpg"]);
    }

    #[test]
    fn trailing_commas_end_the_url_and_the_candidate() {
        assert_eq!(parse_srcset("a.jpg,, b.jpg 2x"), ["a.jpg", "b.jpg"]);
        assert_eq!(parse_srcset("a.jpg, b.jpg,"), ["a.jpg", "b.jpg"]);
    }

    #[test]
    fn empty_candidates_and_values_yield_nothing() {
        assert!(parse_srcset("").is_empty());
        assert!(parse_srcset(" , ,, ").is_empty());
        assert_eq!(parse_srcset(", a.jpg 1x,, ,b.jpg"), ["a.jpg", "b.jpg"]);
    }

    #[test]
    fn parenthesised_descriptors_may_hold_commas() {
        assert_eq!(
            parse_srcset("a.jpg 1x (foo, bar) , b.jpg 2x"),
            ["a.jpg", "b.jpg"]
        );
        // An unclosed parenthesis swallows the rest, as in the spec's tokenizer.
        assert_eq!(parse_srcset("a.jpg (x, b.jpg 2x"), ["a.jpg"]);
    }

    #[test]
    fn non_ascii_urls_are_sliced_on_char_boundaries() {
        assert_eq!(parse_srcset("é.jpg 1x, ü.png 2x"), ["é.jpg", "ü.png"]);
    }
}
