//! Extraction: turns an article's bytes (HTML, plain text or a feed) into the references it
//! cites, each an absolute http(s) URL with a guessed `Kind` and the place it was found. This
//! stage reads only what it is given: it never fetches, and it decides nothing about what is due.
//!
//! HTML goes through a streaming tokenizer (`html.rs`), not a DOM, so a page costs one pass and
//! no tree; it hands the text it cannot read itself to `jsonld.rs` (schema.org structured data)
//! and `css.rs` (pictures in `style` attributes and `<style>` rules), and turns players that
//! name a video only by id into watch URLs with `components.rs`; `raw.rs` is the unresolved
//! reference they all produce. `srcset.rs` splits responsive-image candidates, `kind.rs`
//! guesses kinds from URLs and content types, `text.rs` finds bare URLs, and `feed.rs` lists a
//! feed's article pages.

mod components;
mod css;
mod feed;
mod html;
mod jsonld;
mod kind;
mod raw;
mod srcset;
mod text;

pub use feed::{looks_like_feed, parse_feed, FeedError};
pub use html::{extract_html, looks_like_html};
pub use kind::{kind_from_content_type, kind_from_url, mime_essence};
pub use srcset::parse_srcset;
pub use text::extract_text;

use crate::model::Kind;

/// The longest base URL a document may set (`<base href>`, canonical, `og:url`, `xml:base`).
/// Every relative reference resolved against a base copies it, so without a bound a 64 KiB
/// `<base href>` and 2,000 `<img src=?N>` in a 100 KB page would cost 130 MB and seconds; no
/// real page needs a base longer than the 2,048 characters URLs are kept to in practice
/// (sitemaps, old browsers). A longer one is ignored, as if the document had not set it.
const MAX_BASE_LEN: usize = 2048;

/// What to keep from an HTML page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractOptions {
    /// Keep references from the whole page even when it marks its main content
    /// (`<article>`, `<main>`, `itemprop="articleBody"`); by default navigation, sidebars and
    /// footers outside those marks are dropped.
    pub whole_page: bool,
    /// Report cited pages (`<a href>`, `<area href>`), not only embedded media.
    pub include_links: bool,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            whole_page: false,
            include_links: true,
        }
    }
}

/// One cited URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRef {
    /// Absolute http(s) URL, fragment removed.
    pub url: url::Url,
    /// What it points at, from the citing element, else its URL or type.
    pub kind: Kind,
    /// Where in the document it was first seen: `img@src`, `source@srcset`, `meta[og:image]`,
    /// `link[image_src]`, `a@href`, `amp-video@poster`, `lite-youtube@videoid`,
    /// `meta[itemprop=contentUrl]`, `style[background-image]`, `style-block[background]`,
    /// `json-ld[VideoObject.contentUrl]`, `text`, …
    pub found_in: String,
}

/// Everything extraction learned about one document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extraction {
    /// One per URL, in document order of first appearance.
    pub refs: Vec<FoundRef>,
    /// Distinct relative references that could not be resolved because no base was known.
    pub unresolved: usize,
    /// Distinct URLs dropped because they only appeared outside the marked main content.
    pub outside_main: usize,
    /// The http(s) URL references were resolved against: `<base href>`, else the document's
    /// own URL, else its canonical URL.
    pub base: Option<url::Url>,
    /// `<link rel=canonical>`, else `og:url`; absolute http(s), fragment removed.
    pub canonical: Option<url::Url>,
    /// `<title>` text, whitespace collapsed, at most 300 characters.
    pub title: Option<String>,
    /// When the page says it was published: `article:published_time`, schema.org
    /// `datePublished`/`dateCreated` (JSON-LD, microdata, `<meta>`), or a `<time>` marked as
    /// the publication (`itemprop=datePublished`, `pubdate`).
    pub published: Option<crate::clock::Timestamp>,
}
