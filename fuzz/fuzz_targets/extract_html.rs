//! One input, every reader: the HTML extractor (with and without a document URL, whole page
//! or main content only), the text extractor, the feed parser and the `srcset` splitter. The
//! first byte picks the options so the fuzzer can explore them; the rest is the document.
//! Beyond "no panic" it checks the contract every caller relies on: http(s) URLs, no
//! fragment, no duplicates.

#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use linkvault::extract::{
    extract_html, extract_text, parse_feed, parse_srcset, ExtractOptions, Extraction,
};
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, doc)) = data.split_first() else {
        return;
    };
    let opts = ExtractOptions {
        whole_page: selector & 1 != 0,
        include_links: selector & 2 != 0,
    };
    let doc_url = match selector >> 2 & 3 {
        0 => None,
        1 => Url::parse("https://news.example/2020/01/article.html").ok(),
        2 => Url::parse("http://xn--bcher-kva.example:8080/a/b/?q#f").ok(),
        _ => Url::parse("file:///tmp/article.html").ok(),
    };
    check(&extract_html(doc, doc_url.as_ref(), &opts));
    check(&extract_text(doc));
    if let Ok(pages) = parse_feed(doc, doc_url.as_ref()) {
        let mut seen = HashSet::new();
        for page in &pages {
            assert!(matches!(page.scheme(), "http" | "https") && page.fragment().is_none());
            assert!(seen.insert(page), "duplicate feed page {page}");
        }
    }
    if let Ok(value) = std::str::from_utf8(doc) {
        for candidate in parse_srcset(value) {
            assert!(!candidate.is_empty() && value.contains(candidate));
        }
    }
});

fn check(got: &Extraction) {
    let mut seen = HashSet::new();
    for r in &got.refs {
        assert!(matches!(r.url.scheme(), "http" | "https"), "{}", r.url);
        assert!(r.url.fragment().is_none(), "{}", r.url);
        assert!(seen.insert(&r.url), "duplicate reference {}", r.url);
    }
}
