//! The Memento protocol (RFC 7089) as web archives really speak it, as pure functions: `Link`
//! headers and TimeMaps in link-format (RFC 8288/6690), the memento a TimeGate answer names,
//! Wayback-style memento URLs and their raw (`id_`) form, and which memento is closest to a date.

use url::Url;

use crate::clock::{self, Timestamp};

/// One entry of a `Link` header or a TimeMap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Link {
    /// As written (possibly relative: resolve it against the answer's URL).
    pub uri: String,
    /// The relation types, lowercased (`memento`, `first`, `timemap`, `original`…).
    pub rels: Vec<String>,
    /// The `datetime` parameter (mementos carry it), parsed.
    pub datetime: Option<Timestamp>,
}

impl Link {
    pub(super) fn has_rel(&self, rel: &str) -> bool {
        self.rels.iter().any(|r| r == rel)
    }
}

/// Parses link-format: `<uri>; rel="a b"; datetime="…", <uri2>; …`. Commas inside `<…>` and
/// quoted strings are not separators; anything unparseable is skipped, never fatal.
pub(super) fn parse_links(text: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = text;
    loop {
        let Some(open) = rest.find('<') else {
            return links;
        };
        let Some(close) = rest[open..].find('>') else {
            return links;
        };
        let uri = rest[open + 1..open + close].trim().to_string();
        rest = &rest[open + close + 1..];
        let mut rels = Vec::new();
        let mut datetime = None;
        // Parameters up to the next top-level comma.
        loop {
            rest = rest.trim_start();
            if !rest.starts_with(';') {
                break;
            }
            rest = &rest[1..];
            let name_end = rest.find(['=', ';', ',']).unwrap_or(rest.len());
            let name = rest[..name_end].trim().to_ascii_lowercase();
            rest = &rest[name_end..];
            let mut value = String::new();
            if let Some(after) = rest.strip_prefix('=') {
                let after = after.trim_start();
                if let Some(quoted) = after.strip_prefix('"') {
                    let end = quoted.find('"').unwrap_or(quoted.len());
                    value = quoted[..end].to_string();
                    rest = quoted.get(end + 1..).unwrap_or("");
                } else {
                    let end = after.find([';', ',']).unwrap_or(after.len());
                    value = after[..end].trim().to_string();
                    rest = &after[end..];
                }
            }
            match name.as_str() {
                "rel" => rels.extend(value.split_whitespace().map(|r| r.to_ascii_lowercase())),
                "datetime" => datetime = clock::parse_http(&value),
                _ => {}
            }
        }
        links.push(Link {
            uri,
            rels,
            datetime,
        });
        match rest.find(',') {
            Some(i) if rest[..i].trim().is_empty() => rest = &rest[i + 1..],
            // Junk before the next comma: skip to it.
            Some(i) => rest = &rest[i + 1..],
            None => return links,
        }
    }
}

/// The Wayback-style timestamp segment of a memento URL (`/20180916100000mp_/http…`): its byte
/// range in the URL string and the digits.
fn stamp_segment(url: &str) -> Option<(usize, usize, &str)> {
    let path_start = url.find("://").map(|i| i + 3)?;
    let path_start = path_start + url[path_start..].find('/')?;
    let mut pos = path_start;
    while pos < url.len() {
        let seg_start = pos + 1;
        let seg_end = url[seg_start..]
            .find('/')
            .map_or(url.len(), |i| seg_start + i);
        let seg = &url[seg_start..seg_end];
        let digits = seg.bytes().take_while(u8::is_ascii_digit).count();
        let modifier = &seg[digits..];
        let is_modifier = modifier.is_empty()
            || (modifier.ends_with('_')
                && modifier.len() <= 4
                && modifier[..modifier.len() - 1]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase()));
        let original = &url[seg_end.min(url.len())..];
        let names_a_url = original
            .get(1..)
            .is_some_and(|o| o.starts_with("http:") || o.starts_with("https:"));
        if (4..=14).contains(&digits) && is_modifier && names_a_url {
            return Some((seg_start, seg_end, &seg[..digits]));
        }
        pos = seg_end;
    }
    None
}

/// For a Wayback-style memento URL, the same memento in its raw form (`…/20180916100000id_/URL`):
/// the original bytes and headers, no rewriting. None when the URL is not of that style.
pub(super) fn raw_form(memento: &Url) -> Option<Url> {
    let s = memento.as_str();
    let (start, end, digits) = stamp_segment(s)?;
    let raw = format!("{}{digits}id_{}", &s[..start], &s[end..]);
    Url::parse(&raw).ok()
}

/// The capture time a Wayback-style memento URL names, when it names all 14 digits.
pub(super) fn stamp_time(memento: &Url) -> Option<Timestamp> {
    let (_, _, digits) = stamp_segment(memento.as_str())?;
    (digits.len() == 14).then(|| clock::parse(digits)).flatten()
}

/// Every `Link` header entry of an answer.
pub(super) fn links_in(ex: &crate::fetch::Exchange) -> Vec<Link> {
    ex.headers_named("link").flat_map(parse_links).collect()
}

/// The original URL inside a Wayback-style memento URL (where an archived redirect led).
pub(super) fn original_in(memento: &Url) -> Option<Url> {
    let s = memento.as_str();
    let (_, end, _) = stamp_segment(s)?;
    Url::parse(s.get(end + 1..)?).ok()
}

/// How far a memento is from the target date; the smaller the better, and at equal distance
/// the earlier one (what the article's readers saw). Unknown dates sort last.
pub(crate) fn distance_key(datetime: Option<Timestamp>, target: Timestamp) -> (bool, u64, i64) {
    match datetime {
        Some(t) => (false, t.abs_diff(target), t),
        None => (true, 0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn link_headers_as_pywb_and_wayback_send_them() {
        let h = r#"<http://news.example/img.jpg>; rel="original", <http://a.example/coll/timemap/link/http://news.example/img.jpg>; rel="timemap"; type="application/link-format", <http://a.example/coll/20180910100000mp_/http://news.example/img.jpg>; rel="memento"; datetime="Mon, 10 Sep 2018 10:00:00 GMT"; collection="coll""#;
        let links = parse_links(h);
        assert_eq!(links.len(), 3);
        assert!(links[0].has_rel("original"));
        assert!(links[1].has_rel("timemap"));
        assert_eq!(
            links[2].uri,
            "http://a.example/coll/20180910100000mp_/http://news.example/img.jpg"
        );
        assert_eq!(links[2].datetime, clock::parse("2018-09-10T10:00:00Z"));
        let tm = "<http://x/a,b>; rel=\"first memento\"; datetime=\"Mon, 10 Sep 2018 10:00:00 GMT\",\n</20180920100000/http://x/a,b>;rel=last memento;datetime=\"Thu, 20 Sep 2018 10:00:00 GMT\"\n";
        let links = parse_links(tm);
        assert_eq!(links.len(), 2, "{links:?}");
        assert_eq!(
            links[0].uri, "http://x/a,b",
            "a comma inside <> is not a separator"
        );
        assert!(links[0].has_rel("memento") && links[0].has_rel("first"));
        assert!(links[1].has_rel("memento"));
        assert_eq!(links[1].uri, "/20180920100000/http://x/a,b");
        assert!(parse_links("garbage, <unterminated").is_empty());
    }

    #[test]
    fn wayback_memento_urls_and_their_raw_form() {
        let m = u("https://web.archive.org/web/20180916100000/https://news.example/a.jpg?x=1");
        assert_eq!(
            raw_form(&m).unwrap().as_str(),
            "https://web.archive.org/web/20180916100000id_/https://news.example/a.jpg?x=1"
        );
        assert_eq!(stamp_time(&m), clock::parse("2018-09-16T10:00:00Z"));
        assert_eq!(
            original_in(&m).unwrap().as_str(),
            "https://news.example/a.jpg?x=1"
        );
        let pywb = u("http://127.0.0.1:8080/coll/20180910100000mp_/http://news.example/img.jpg");
        assert_eq!(
            raw_form(&pywb).unwrap().as_str(),
            "http://127.0.0.1:8080/coll/20180910100000id_/http://news.example/img.jpg"
        );
        let ours = u("http://127.0.0.1:9/20180910100000/http://news.example/img.jpg");
        assert_eq!(
            raw_form(&ours).unwrap().as_str(),
            "http://127.0.0.1:9/20180910100000id_/http://news.example/img.jpg"
        );
        assert_eq!(
            raw_form(&u("https://archive.example/mementos/abc123")),
            None
        );
        assert_eq!(
            raw_form(&u("https://archive.example/2018/photo.jpg")),
            None,
            "a year in an ordinary path is not a timestamp"
        );
    }

    #[test]
    fn closest_memento_wins_and_earlier_at_equal_distance() {
        let target = 1_000;
        let mut dates = [Some(1_100), Some(900), None, Some(1_050), Some(950)];
        dates.sort_by_key(|d| distance_key(*d, target));
        assert_eq!(
            dates,
            [Some(950), Some(1_050), Some(900), Some(1_100), None]
        );
    }
}
