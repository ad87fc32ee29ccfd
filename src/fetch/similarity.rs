//! Is this page the same page? Visible text reduced to a set of hashed word trigrams, compared
//! by Jaccard similarity. Used to tell a soft 404 (a made-up URL serves the same page) and to
//! tell real content drift from ads and timestamps changing in an HTML page.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// How alike a page and the page served for a made-up sibling URL must be to call it a soft 404
/// (error pages often echo the requested path, so they are never quite identical).
pub(crate) const SOFT_404_SIMILARITY: f64 = 0.8;

/// Below this, an HTML page's text has changed, not just its ads and timestamps.
pub(super) const UNCHANGED_TEXT_SIMILARITY: f64 = 0.9;

/// Only the start of a page is compared: enough to recognise it, bounded in memory.
pub(super) const MAX_TEXT_BYTES: usize = 1 << 20;

/// Fewer visible words than this (title included, `<noscript>` not) and a page has no text of
/// its own: a shell that scripts fill in, whose sameness with another page proves nothing.
const MIN_WORDS_TO_COMPARE: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextSignature {
    shingles: HashSet<u64>,
    words: usize,
}

impl TextSignature {
    pub(crate) fn of_html(html: &[u8]) -> TextSignature {
        let html = &html[..html.len().min(MAX_TEXT_BYTES)];
        let words = visible_words(html);
        let mut shingles = HashSet::new();
        if words.len() < 3 {
            for w in &words {
                shingles.insert(hash(&[w.as_str()]));
            }
        } else {
            for win in words.windows(3) {
                shingles.insert(hash(&[&win[0], &win[1], &win[2]]));
            }
        }
        TextSignature {
            shingles,
            words: words.len(),
        }
    }

    /// Whether the page shows enough text of its own to be compared with another page (a
    /// single-page app's shell does not: every address serves it until a script runs).
    pub(crate) fn has_text(&self) -> bool {
        self.words >= MIN_WORDS_TO_COMPARE
    }

    /// Jaccard similarity in 0..=1; two empty pages are identical.
    pub(crate) fn similarity(&self, other: &TextSignature) -> f64 {
        if self.shingles.is_empty() && other.shingles.is_empty() {
            return 1.0;
        }
        let inter = self.shingles.intersection(&other.shingles).count();
        let union = self.shingles.len() + other.shingles.len() - inter;
        inter as f64 / union.max(1) as f64
    }
}

fn hash(parts: &[&str]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// Lowercased words outside tags, skipping `<script>`, `<style>` and `<noscript>` bodies (the
/// last is for browsers that run no scripts: "enable JavaScript") and comments.
fn visible_words(html: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(html);
    let lower = text.to_lowercase();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut rest = lower.as_str();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            flush(&mut word, &mut words);
            let skip_to = if after.starts_with("script") {
                "</script"
            } else if after.starts_with("style") {
                "</style"
            } else if after.starts_with("noscript") {
                "</noscript"
            } else if after.starts_with("!--") {
                "-->"
            } else {
                ">"
            };
            rest = match after.find(skip_to) {
                Some(i) => {
                    let tail = &after[i + skip_to.len()..];
                    match tail.find('>') {
                        Some(j) if skip_to != ">" && skip_to != "-->" => &tail[j + 1..],
                        _ => tail,
                    }
                }
                None => "",
            };
            continue;
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            if c.is_alphanumeric() {
                word.push(c);
            } else {
                flush(&mut word, &mut words);
            }
        }
        rest = chars.as_str();
    }
    flush(&mut word, &mut words);
    words
}

fn flush(word: &mut String, words: &mut Vec<String>) {
    if !word.is_empty() {
        words.push(std::mem::take(word));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_template_with_different_echoed_path_is_the_same_page() {
        let a = TextSignature::of_html(b"<html><body><h1>Sorry</h1><p>The page you asked for could not be found on this site. Try the search box or go home.</p><p>/videos/abc123</p></body></html>");
        let b = TextSignature::of_html(b"<html><body><h1>Sorry</h1><p>The page you asked for could not be found on this site. Try the search box or go home.</p><p>/videos/zzzzzzzzz</p></body></html>");
        assert!(a.similarity(&b) >= 0.75, "{}", a.similarity(&b));
    }

    #[test]
    fn a_script_rendered_shell_has_no_text_of_its_own() {
        let shell = TextSignature::of_html(b"<html><head><title>Newsroom</title><script src=\"/app.js\"></script></head><body><div id=\"root\"></div><noscript>You need to enable JavaScript to run this app.</noscript></body></html>");
        assert!(!shell.has_text());
        let error_page = TextSignature::of_html(
            b"<html><body><h1>Video unavailable</h1><p>This video is private.</p></body></html>",
        );
        assert!(error_page.has_text());
    }

    #[test]
    fn different_articles_are_different_pages() {
        let a = TextSignature::of_html(b"<p>Tens of thousands demonstrated in 83 towns against the regime on Friday.</p><script>var x = 'ignored words here';</script>");
        let b = TextSignature::of_html(
            b"<p>The council approved the new budget after a long debate about schools.</p>",
        );
        assert!(a.similarity(&b) < 0.2);
        assert!(!a.shingles.is_empty());
    }
}
