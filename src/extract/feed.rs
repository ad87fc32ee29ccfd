//! Lists the article pages a feed announces (RSS 2.0, RSS 1.0/RDF, Atom), so each can be
//! archived as an article in turn. It reads only item and entry links, never the embedded
//! content: the pages themselves are what `extract_html` reads later.

use std::collections::HashSet;
use std::rc::Rc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use url::Url;

use super::MAX_BASE_LEN;

/// Why a feed could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The XML parser's error.
    #[error("the feed is not well-formed XML: {0}")]
    Xml(#[from] quick_xml::Error),
    /// The document ends with this element still open.
    #[error("the feed ends inside <{0}>: it was probably truncated while downloading")]
    Truncated(String),
    /// The root element is not `<rss>`, `<feed>` or `<rdf:RDF>` (the name it has instead).
    #[error("not a feed: the document starts with <{0}>, expected <rss>, <feed> or <rdf:RDF>")]
    NotAFeed(String),
    /// The document has no root element at all.
    #[error("not a feed: the document has no root element")]
    Empty,
}

impl From<quick_xml::events::attributes::AttrError> for FeedError {
    fn from(e: quick_xml::events::attributes::AttrError) -> Self {
        FeedError::Xml(e.into())
    }
}

/// Whether `bytes` starts (after a BOM, whitespace, `<?xml …?>`, comments and a doctype) with a
/// feed root element: `<rss`, `<feed` or `<rdf:RDF`.
pub fn looks_like_feed(bytes: &[u8]) -> bool {
    // Prologues are short; a bound keeps sniffing cheap on a huge non-feed.
    let head = &bytes[..bytes.len().min(8 * 1024)];
    let mut s = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    loop {
        s = s.trim_ascii_start();
        let skip_to: &[u8] = if s.starts_with(b"<?") {
            b"?>"
        } else if s.starts_with(b"<!--") {
            b"-->"
        } else if s.len() >= 9 && s[..9].eq_ignore_ascii_case(b"<!doctype") {
            // An internal subset (`<!DOCTYPE rss [ <!ENTITY …> ]>`) holds `>` of its own.
            let subset = s.iter().position(|&b| b == b'[');
            let close = s.iter().position(|&b| b == b'>');
            match (subset, close) {
                (Some(open), Some(gt)) if open < gt => b"]>",
                _ => b">",
            }
        } else {
            break;
        };
        match find(s, skip_to) {
            Some(i) => s = &s[i + skip_to.len()..],
            None => return false,
        }
    }
    [&b"<rss"[..], b"<feed", b"<rdf:RDF"].iter().any(|root| {
        s.len() > root.len()
            && s[..root.len()].eq_ignore_ascii_case(root)
            && matches!(s[root.len()], b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Each item's or entry's page URL, in feed order, deduplicated, fragment removed.
///
/// RSS `<item><link>` (else a permalink `<guid>`, else RDF's `rdf:about`); Atom `<entry><link
/// href>` with `rel="alternate"` or no `rel`. Relative links resolve against `xml:base`, then
/// `feed_url`; links that stay relative or are not http(s) are skipped, not errors.
pub fn parse_feed(xml: &[u8], feed_url: Option<&Url>) -> Result<Vec<Url>, FeedError> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut parser = FeedParser {
        stack: Vec::new(),
        item: None,
        capture: None,
        seen: HashSet::new(),
        pages: Vec::new(),
        feed_url: feed_url.cloned().map(Rc::new),
        root_seen: false,
    };
    loop {
        match reader.read_event()? {
            Event::Start(e) => parser.open(&e, false)?,
            Event::Empty(e) => parser.open(&e, true)?,
            Event::End(_) => parser.close(),
            Event::Text(t) => {
                let text = t
                    .unescape()
                    .map(|c| c.into_owned())
                    .unwrap_or_else(|_| String::from_utf8_lossy(&t).into_owned());
                parser.text(&text);
            }
            Event::CData(c) => parser.text(&String::from_utf8_lossy(&c)),
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = parser.stack.last() {
        return Err(FeedError::Truncated(open.name.clone()));
    }
    if !parser.root_seen {
        return Err(FeedError::Empty);
    }
    Ok(parser.pages)
}

struct Element {
    /// Local name (prefix dropped): `link` whether written `link` or `atom:link`.
    name: String,
    /// Shared with the parent unless this element sets `xml:base`: a deep tree under a long
    /// base must not hold a copy per level.
    base: Option<Rc<Url>>,
}

/// The item or entry being read and the candidates for its page URL.
struct Item {
    depth: usize,
    link: Option<Url>,
    guid: Option<Url>,
    about: Option<Url>,
}

/// Text being collected for a `<link>` or `<guid>` directly inside an item.
struct Capture {
    depth: usize,
    into_guid: bool,
    base: Option<Rc<Url>>,
    text: String,
}

struct FeedParser {
    stack: Vec<Element>,
    item: Option<Item>,
    capture: Option<Capture>,
    seen: HashSet<Url>,
    pages: Vec<Url>,
    feed_url: Option<Rc<Url>>,
    root_seen: bool,
}

impl FeedParser {
    fn open(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), FeedError> {
        let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let parent_base = self
            .stack
            .last()
            .map_or(self.feed_url.as_ref(), |p| p.base.as_ref());
        let mut base = parent_base.cloned();
        let parent_base = parent_base.map(|b| &**b);
        let mut rel = None;
        let mut href = None;
        let mut permalink = true;
        let mut about = None;
        for attr in e.attributes() {
            let attr = attr?;
            let value = attr
                .unescape_value()
                .map(|c| c.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&attr.value).into_owned());
            match attr.key.as_ref() {
                b"xml:base" => {
                    base = resolve(&value, parent_base)
                        .filter(|b| b.as_str().len() <= MAX_BASE_LEN)
                        .map(Rc::new)
                        .or(base)
                }
                b"rel" => rel = Some(value),
                b"href" => href = Some(value),
                b"isPermaLink" => permalink = !value.trim().eq_ignore_ascii_case("false"),
                b"rdf:about" => about = Some(value),
                _ => {}
            }
        }

        let depth = self.stack.len();
        if depth == 0 && !matches!(name.as_str(), "rss" | "feed" | "RDF") {
            return Err(FeedError::NotAFeed(
                String::from_utf8_lossy(e.name().as_ref()).into_owned(),
            ));
        }
        self.root_seen = true;
        // Items are `item` (RSS, RDF) or `entry` (Atom); nested ones (rare extensions) belong
        // to the outer item.
        if self.item.is_none() && matches!(name.as_str(), "item" | "entry") {
            self.item = Some(Item {
                depth,
                link: None,
                guid: None,
                about: about.as_deref().and_then(|a| resolve(a, base.as_deref())),
            });
        } else if let Some(item) = self.item.as_mut().filter(|i| depth == i.depth + 1) {
            match name.as_str() {
                // Atom's link (also `atom:link` inside RSS items): only the page itself.
                "link" if href.is_some() => {
                    let alternate = rel
                        .as_deref()
                        .is_none_or(|r| r.trim().eq_ignore_ascii_case("alternate"));
                    if alternate && item.link.is_none() {
                        item.link = href.as_deref().and_then(|h| resolve(h, base.as_deref()));
                    }
                }
                "link" | "guid" if !empty && (name == "link" || permalink) => {
                    self.capture = Some(Capture {
                        depth,
                        into_guid: name == "guid",
                        base: base.clone(),
                        text: String::new(),
                    });
                }
                _ => {}
            }
        }

        if !empty {
            self.stack.push(Element { name, base });
        } else if self.item.as_ref().is_some_and(|i| i.depth == depth) {
            // `<item/>` is an item with nothing in it.
            self.item = None;
        }
        Ok(())
    }

    fn text(&mut self, text: &str) {
        if let Some(capture) = self.capture.as_mut() {
            capture.text.push_str(text);
        }
    }

    fn close(&mut self) {
        self.stack.pop();
        let depth = self.stack.len();
        if let Some(capture) = self.capture.take_if(|c| c.depth == depth) {
            if let Some(item) = self.item.as_mut() {
                let url = resolve(&capture.text, capture.base.as_deref());
                let slot = if capture.into_guid {
                    &mut item.guid
                } else {
                    &mut item.link
                };
                if slot.is_none() {
                    *slot = url;
                }
            }
        }
        if let Some(item) = self.item.take_if(|i| i.depth == depth) {
            if let Some(page) = item.link.or(item.guid).or(item.about) {
                if self.seen.insert(page.clone()) {
                    self.pages.push(page);
                }
            }
        }
    }
}

/// `raw` as an absolute http(s) URL without fragment, resolved against `base` when relative.
fn resolve(raw: &str, base: Option<&Url>) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let mut url = match base {
        Some(b) => b.join(raw).ok()?,
        None => Url::parse(raw).ok()?,
    };
    crate::urlkey::normalize(&mut url);
    matches!(url.scheme(), "http" | "https").then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(xml: &str, feed_url: Option<&str>) -> Vec<String> {
        let base = feed_url.and_then(|u| Url::parse(u).ok());
        match parse_feed(xml.as_bytes(), base.as_ref()) {
            Ok(urls) => urls.into_iter().map(String::from).collect(),
            Err(e) => panic!("feed should parse: {e}"),
        }
    }

    #[test]
    fn rss2_items_give_their_links_or_permalink_guids() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
  <title>Blog</title><link>https://blog.example/</link>
  <atom:link href="https://blog.example/feed" rel="self"/>
  <item><title>One</title><link>https://blog.example/one#top</link><guid>x-1</guid></item>
  <item><title>Two</title><guid isPermaLink="true">https://blog.example/two</guid></item>
  <item><title>Three</title><guid isPermaLink="false">https://blog.example/three</guid></item>
  <item><link><![CDATA[https://blog.example/four?a=1&b=2]]></link></item>
  <item><link>https://blog.example/five?a=1&amp;b=2</link></item>
  <item><link>https://blog.example/one</link></item>
  <item><link>mailto:me@blog.example</link></item>
</channel></rss>"#;
        assert_eq!(
            pages(xml, None),
            [
                "https://blog.example/one",
                "https://blog.example/two",
                "https://blog.example/four?a=1&b=2",
                "https://blog.example/five?a=1&b=2",
            ]
        );
    }

    #[test]
    fn atom_entries_give_their_alternate_links() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom</title><link href="https://atom.example/" rel="alternate"/>
  <entry><title>A</title>
    <link rel="edit" href="https://atom.example/edit/a"/>
    <link rel="alternate" type="text/html" href="https://atom.example/a"/>
  </entry>
  <entry><link href="https://atom.example/b"/><link href="https://atom.example/b2"/></entry>
  <entry><link rel="enclosure" href="https://atom.example/c.mp3"/></entry>
</feed>"#;
        assert_eq!(
            pages(xml, None),
            ["https://atom.example/a", "https://atom.example/b"]
        );
    }

    #[test]
    fn rdf_items_give_their_links() {
        let xml = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="https://rdf.example/"><title>R</title><link>https://rdf.example/</link></channel>
  <item rdf:about="https://rdf.example/about-1"><title>1</title><link>https://rdf.example/1</link></item>
  <item rdf:about="https://rdf.example/about-2"><title>2</title></item>
</rdf:RDF>"#;
        assert_eq!(
            pages(xml, None),
            ["https://rdf.example/1", "https://rdf.example/about-2"]
        );
    }

    #[test]
    fn relative_links_resolve_against_xml_base_then_feed_url() {
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://cdn.example/blog/">
  <entry><link href="posts/1"/></entry>
  <entry xml:base="/other/"><link href="2"/></entry>
</feed>"#;
        assert_eq!(
            pages(xml, Some("https://feeds.example/atom.xml")),
            [
                "https://cdn.example/blog/posts/1",
                "https://cdn.example/other/2"
            ]
        );
        let rss = r#"<rss><channel><item><link>/p/3</link></item></channel></rss>"#;
        assert_eq!(
            pages(rss, Some("https://feeds.example/rss.xml")),
            ["https://feeds.example/p/3"]
        );
        // No base at all: a relative link is skipped, not an error.
        assert!(pages(rss, None).is_empty());
    }

    #[test]
    fn malformed_or_foreign_documents_are_errors() {
        let bad = [
            "<rss><channel><item><link>x</item></channel></rss>",
            "<rss><channel><item>",
            "<html><body>hi</body></html>",
            "",
            "<feed><entry><link href=unquoted/></entry></feed>",
        ];
        for xml in bad {
            assert!(parse_feed(xml.as_bytes(), None).is_err(), "{xml:?}");
        }
    }

    #[test]
    fn sniffs_feed_roots_after_prologue() {
        assert!(looks_like_feed(b"<rss version=\"2.0\">"));
        assert!(looks_like_feed(
            b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- hi -->\n<?xml-stylesheet href=\"s\"?><feed xmlns=\"x\">"
        ));
        assert!(looks_like_feed(
            b"<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"r\">"
        ));
        assert!(!looks_like_feed(b"<!DOCTYPE html><html>"));
        assert!(!looks_like_feed(b"<rsstuff>"));
        assert!(!looks_like_feed(b"<!-- never closed <rss>"));
        assert!(!looks_like_feed(b""));
    }
}
