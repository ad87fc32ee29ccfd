//! What `extract --format json` says about each article read: a feed's items, or a page's
//! title, canonical URL, publication time and references (with why `[filter]` excludes one).
//! Plain data with `Serialize`; fields in alphabetical order, as the JSON has always had them.

use serde::Serialize;

use super::Document;
use crate::filter::Filter;

/// One article as listed.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Listing<'a> {
    /// The article is a feed.
    Feed {
        /// The article as given: a URL, a path or `-`.
        article: &'a str,
        /// The items' page URLs, in feed order.
        feed_items: Vec<&'a str>,
    },
    /// The article is a page (HTML or text).
    Page {
        /// The article as given: a URL, a path or `-`.
        article: &'a str,
        /// Its canonical URL (`<link rel=canonical>`, else `og:url`), when it names one.
        canonical: Option<&'a str>,
        /// Distinct URLs left out for appearing only outside the marked main content.
        outside_main: usize,
        /// When it says it was published, RFC 3339 UTC.
        published: Option<String>,
        /// Its references, in document order.
        references: Vec<ListedRef<'a>>,
        /// Its `<title>`, whitespace collapsed.
        title: Option<&'a str>,
        /// Distinct relative references left unresolved for want of a base URL.
        unresolved: usize,
    },
}

/// One reference of a page.
#[derive(Debug, Serialize)]
pub struct ListedRef<'a> {
    /// Why `[filter]` leaves it out, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
    /// Where in the document it was first seen (`img@src`, `meta[og:image]`, `text`…).
    pub found_in: &'a str,
    /// Its [`Kind`](crate::model::Kind) name: `image`, `video`, `page`…
    pub kind: &'static str,
    /// The absolute URL, fragment removed.
    pub url: &'a str,
}

impl<'a> Listing<'a> {
    /// The listing of `doc`, read from `article` (a URL, a path or `-`).
    pub fn of(article: &'a str, doc: &'a Document, filter: &Filter) -> Listing<'a> {
        match doc {
            Document::Feed(items) => Listing::Feed {
                article,
                feed_items: items.iter().map(|u| u.as_str()).collect(),
            },
            Document::Page(ex) => Listing::Page {
                article,
                canonical: ex.canonical.as_ref().map(|u| u.as_str()),
                outside_main: ex.outside_main,
                published: ex.published.map(crate::clock::format),
                references: ex
                    .refs
                    .iter()
                    .map(|r| ListedRef {
                        excluded: filter.excludes(&r.url),
                        found_in: &r.found_in,
                        kind: r.kind.as_str(),
                        url: r.url.as_str(),
                    })
                    .collect(),
                title: ex.title.as_deref(),
                unresolved: ex.unresolved,
            },
        }
    }
}
