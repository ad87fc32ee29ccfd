//! Lists of articles, as people keep them: one URL or path per line (a text file, or standard
//! input), the bookmark export every browser writes (Netscape's `bookmarks.html`), and OPML
//! (the feed lists feed readers export). Each becomes the articles it names.

use std::path::Path;

use super::{resolve, InputError, Source};
use crate::extract::{extract_html, ExtractOptions};

/// The lines of a list: trimmed, without blanks and `#` comments.
pub fn list_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// What `add` makes of one argument: a list file becomes the articles it names; anything else
/// is resolved as one article (a URL, a file, a glob).
pub fn resolve_listed(spec: &str) -> Result<Vec<Source>, InputError> {
    let path = Path::new(spec.trim());
    if path.is_file() {
        // A list is small; a huge file is an article (and read bounded later), not a list.
        let head = super::read_bounded(path, 8 << 20).ok();
        if let Some(urls) = head.as_deref().and_then(as_list) {
            let mut out = Vec::new();
            for u in urls {
                out.extend(resolve(&u)?);
            }
            return Ok(out);
        }
    }
    resolve(spec)
}

/// The articles a file lists, if it is a list: a Netscape bookmark export, an OPML document,
/// or plain text whose every line is an http(s) URL.
fn as_list(bytes: &[u8]) -> Option<Vec<String>> {
    let text = String::from_utf8_lossy(bytes);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start
        .get(..35)
        .is_some_and(|s| s.eq_ignore_ascii_case("<!DOCTYPE NETSCAPE-Bookmark-file-1>"))
    {
        return Some(bookmarks(bytes));
    }
    if start.starts_with("<?xml") || start.starts_with("<opml") {
        if let Some(feeds) = opml(bytes) {
            return Some(feeds);
        }
    }
    let lines = list_lines(&text);
    let all_urls = !lines.is_empty()
        && lines
            .iter()
            .all(|l| url::Url::parse(l).is_ok_and(|u| matches!(u.scheme(), "http" | "https")));
    all_urls.then_some(lines)
}

/// Every `<A HREF>` of a bookmark export.
fn bookmarks(bytes: &[u8]) -> Vec<String> {
    let opts = ExtractOptions {
        whole_page: true,
        include_links: true,
    };
    extract_html(bytes, None, &opts)
        .refs
        .into_iter()
        .filter(|r| r.found_in == "a@href")
        .map(|r| r.url.to_string())
        .collect()
}

/// The feeds of an OPML document (`xmlUrl`), or the pages (`url`, `htmlUrl`) of outlines that
/// are not feeds. None when it is not OPML.
fn opml(bytes: &[u8]) -> Option<Vec<String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut is_opml = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                let name = e.local_name();
                if name.as_ref().eq_ignore_ascii_case(b"opml") {
                    is_opml = true;
                }
                if is_opml && name.as_ref().eq_ignore_ascii_case(b"outline") {
                    let mut found: Option<(u8, String)> = None;
                    for a in e.attributes().flatten() {
                        let rank = match a.key.local_name().as_ref() {
                            b"xmlUrl" => 0,
                            b"url" => 1,
                            b"htmlUrl" => 2,
                            _ => continue,
                        };
                        let Ok(v) = a.unescape_value() else { continue };
                        if found.as_ref().is_none_or(|(r, _)| rank < *r) {
                            found = Some((rank, v.into_owned()));
                        }
                    }
                    if let Some((_, u)) = found.filter(|(_, u)| !u.trim().is_empty()) {
                        out.push(u.trim().to_string());
                    }
                }
            }
            Ok(Event::Eof) => break,
            Err(_) => return None,
            _ => {}
        }
        buf.clear();
    }
    is_opml.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bookmark_exports_opml_and_url_lists_are_lists() {
        let bm = b"<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n<TITLE>Bookmarks</TITLE><H1>Bookmarks</H1>\n<DL><p>\n<DT><H3>News</H3>\n<DL><p>\n<DT><A HREF=\"https://news.example/a\" ADD_DATE=\"1\">A</A>\n<DT><A HREF=\"https://news.example/b\">B</A>\n</DL><p>\n</DL>";
        assert_eq!(
            as_list(bm).unwrap(),
            ["https://news.example/a", "https://news.example/b"]
        );
        let opml = br#"<?xml version="1.0"?><opml version="2.0"><head><title>feeds</title></head><body>
            <outline text="News"><outline type="rss" text="A" xmlUrl="https://a.example/feed.xml" htmlUrl="https://a.example/"/></outline>
            <outline text="page" url="https://b.example/story"/></body></opml>"#;
        assert_eq!(
            as_list(opml).unwrap(),
            ["https://a.example/feed.xml", "https://b.example/story"]
        );
        assert_eq!(
            as_list(b"# my list\nhttps://a.example/1\n\nhttps://a.example/2\n").unwrap(),
            ["https://a.example/1", "https://a.example/2"]
        );
        assert_eq!(
            as_list(b"<html><body><a href=\"https://x.example/\">x</a></body></html>"),
            None
        );
        assert_eq!(as_list(b"see https://x.example/ for more"), None);
        assert_eq!(
            as_list(b"<?xml version=\"1.0\"?><rss><channel/></rss>"),
            None
        );
    }
}
