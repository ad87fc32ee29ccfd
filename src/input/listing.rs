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
    Feed {
        article: &'a str,
        feed_items: Vec<&'a str>,
    },
    Page {
        article: &'a str,
        canonical: Option<&'a str>,
        outside_main: usize,
        published: Option<String>,
        references: Vec<ListedRef<'a>>,
        title: Option<&'a str>,
        unresolved: usize,
    },
}

/// One reference of a page.
#[derive(Debug, Serialize)]
pub struct ListedRef<'a> {
    /// Why `[filter]` leaves it out, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded: Option<String>,
    pub found_in: &'a str,
    pub kind: &'static str,
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
