//! Which page answers which path. Every request borrows a read-only connection to the record
//! from the pool: `serve` never changes the archive.

use super::pages::{self, STYLE};
use super::pool::DbPool;
use super::{memento, Body, Request, Response};
use crate::db::Db;
use crate::model::{Kind, State};
use crate::store::{is_sha256, Store};
use crate::urlkey::url_keys;

/// The policy of every HTML page: nothing but our own stylesheet, images and media; no scripts,
/// no frames, no form posts elsewhere, never framed.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; \
                        form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Whether `target` is one of the small, indexed answers (an object, a memento, a TimeMap, a
/// TimeGate) rather than a page.
pub(super) fn is_quick(target: &str) -> bool {
    target.starts_with("/objects/")
        || target.starts_with("/timemap/")
        || target.starts_with("/timegate/")
        || memento_stamp(target).is_some()
}

/// The 14-digit stamp of a memento target `/YYYYMMDDhhmmss[xx_]/URL`. Wayback-style modifiers
/// (`id_`, `mp_`, `im_`…) ask for the raw or a rewritten form; captures are always served
/// raw, so every modifier gets the same bytes.
fn memento_stamp(target: &str) -> Option<(&str, &str)> {
    let (stamp, rest) = target.trim_start_matches('/').split_once('/')?;
    let digits = stamp.get(..14).unwrap_or(stamp);
    let modifier = stamp.get(digits.len()..).unwrap_or("");
    let is_modifier = modifier.is_empty()
        || (modifier.len() == 3
            && modifier.ends_with('_')
            && modifier[..2].bytes().all(|b| b.is_ascii_lowercase()));
    (digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit()) && is_modifier)
        .then_some((digits, rest))
}

pub(super) fn route(pool: &DbPool, store: &Store, req: &Request) -> Response {
    if req.method != "GET" && req.method != "HEAD" {
        return Response::text(405, "read-only: GET and HEAD only").header("Allow", "GET, HEAD");
    }
    let target = req.target.as_str();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path == "/static/style.css" {
        return Response::new(200, "text/css; charset=utf-8", STYLE.as_bytes().to_vec())
            .header("Cache-Control", "public, max-age=3600");
    }
    let db = match pool.get() {
        Ok(db) => db,
        Err(e) => return Response::text(500, &e.to_string()),
    };
    // Memento URIs are absolute: aggregators merge TimeMaps from many archives.
    let base = req.base.as_str();
    if let Some(rest) = target.strip_prefix("/timemap/link/") {
        return memento::timemap(&db, rest, base);
    }
    if let Some(rest) = target.strip_prefix("/timegate/") {
        return memento::timegate(&db, rest, req, base);
    }
    if let Some((digits, rest)) = memento_stamp(target) {
        return memento::memento(&db, store, digits, rest, req);
    }
    if let Some(sha) = path.strip_prefix("/objects/") {
        return object(&db, store, sha, req);
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |k: &str| {
        params
            .iter()
            .find(|(n, v)| n == k && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
    };
    let page = match path {
        "/" | "/report" => {
            let filters = pages::report::Filters {
                state: param("state").and_then(|s| State::parse(&s)),
                kind: param("kind").and_then(|k| Kind::parse(&k)),
                host: param("host"),
                article: param("article"),
                all: param("all").is_some(),
                // A u32: page × rows per page can never overflow.
                page: param("page")
                    .and_then(|p| p.parse::<u32>().ok())
                    .map_or(0, |p| p as usize),
            };
            pages::report_page(&db, &filters).map(Some)
        }
        "/articles" => pages::articles_page(&db).map(Some),
        // Addresses from the web are looked up as given or without their fragment, never as
        // paths on this machine.
        "/article" => match param("url") {
            Some(u) => article(&db, &url_keys(&u)),
            None => return html_page(400, &missing_url("/article")),
        },
        "/ref" => match param("url") {
            Some(u) => match db.history_by_keys(&url_keys(&u)) {
                Ok(Some(h)) => pages::article_titles(&db)
                    .map(|titles| Some(pages::reference_page(&h, &titles))),
                // An article's own URL: its page.
                Ok(None) => article(&db, &url_keys(&u)),
                Err(e) => Err(e),
            },
            None => return html_page(400, &missing_url("/ref")),
        },
        _ => Ok(None),
    };
    match page {
        Ok(Some(html)) => html_page(200, &html),
        Ok(None) => html_page(
            404,
            &pages::layout(
                "Not found",
                "",
                "<h1>Not in this archive</h1><p>Nothing here is known by that address. The <a href=\"/\">report</a> and the <a href=\"/articles\">articles</a> list what is.</p>",
            ),
        ),
        Err(e) => Response::text(500, &e.to_string()),
    }
}

/// The page of the registered article known by one of `keys`.
fn article(db: &Db, keys: &[String]) -> Result<Option<String>, crate::db::DbError> {
    match db.find_article_by_keys(keys)? {
        Some(id) => pages::article_page(db, &db.article_history_by_id(id)?).map(Some),
        None => Ok(None),
    }
}

fn missing_url(path: &str) -> String {
    pages::layout(
        "Bad request",
        "",
        &format!("<h1>Which one?</h1><p>Give the address as <code>{path}?url=…</code>.</p>"),
    )
}

/// An HTML page with the security headers every page carries.
fn html_page(status: u16, html: &str) -> Response {
    Response::new(status, "text/html; charset=utf-8", html.as_bytes().to_vec())
        .header("Content-Security-Policy", PAGE_CSP)
        .header("Referrer-Policy", "no-referrer")
        .header("X-Frame-Options", "DENY")
}

/// `/objects/{sha256}`: the bytes, typed as captured, with a strong ETag (the hash: objects
/// never change), conditional requests, and single byte ranges (RFC 9110).
fn object(db: &Db, store: &Store, sha: &str, req: &Request) -> Response {
    if !is_sha256(sha) {
        return Response::text(404, "no such object");
    }
    let ct = db
        .object_content_type(sha)
        .ok()
        .flatten()
        .unwrap_or_else(|| "application/octet-stream".into());
    // Content-addressed: the bytes behind a hash never change.
    stored_bytes(store, sha, ct, req, "no such object")
        .header("Cache-Control", "public, max-age=31536000, immutable")
}

/// A stored object's bytes, sandboxed, with its hash as a strong ETag: `If-None-Match`,
/// `Range` and `If-Range` as RFC 9110 says. The object must be in the store.
pub(super) fn stored_bytes(
    store: &Store,
    sha: &str,
    ct: String,
    req: &Request,
    missing: &str,
) -> Response {
    let size = match store.size(sha) {
        Ok(Some(size)) => size,
        Ok(None) => return Response::text(404, missing),
        Err(e) => return Response::text(502, &format!("the object store did not answer: {e}")),
    };
    let etag = format!("\"{sha}\"");
    let base = |status, start, len| Response {
        status,
        headers: vec![
            ("Content-Type".into(), ct.clone()),
            ("Accept-Ranges".into(), "bytes".into()),
            ("ETag".into(), etag.clone()),
            ("Content-Security-Policy".into(), "sandbox".into()),
        ],
        body: body_of(store, sha, start, len),
    };
    if req
        .if_none_match
        .as_deref()
        .is_some_and(|v| etag_matches(v, &etag))
    {
        return Response {
            status: 304,
            headers: vec![("ETag".into(), etag.clone())],
            body: Body::Bytes(Vec::new()),
        };
    }
    // A Range is honoured only if the representation is still the one the client has.
    let range = req
        .range
        .as_deref()
        .filter(|_| req.if_range.as_deref().is_none_or(|v| v.trim() == etag));
    match range.map(|r| parse_range(r, size)) {
        None | Some(RangeAnswer::Ignore) => base(200, 0, size),
        Some(RangeAnswer::Part(start, end)) => base(206, start, end - start + 1)
            .header("Content-Range", format!("bytes {start}-{end}/{size}")),
        Some(RangeAnswer::Unsatisfiable) => Response::text(416, "range not satisfiable")
            .header("Content-Range", format!("bytes */{size}")),
    }
}

/// Answers up to this size from a folder store are read whole on the request's (blocking)
/// thread; larger ones, and a bucket's, are streamed.
const READ_WHOLE: u64 = 256 << 10;

/// The bytes of an answer: read at once when small and local, else a stream.
fn body_of(store: &Store, sha: &str, start: u64, len: u64) -> Body {
    let whole = (len <= READ_WHOLE)
        .then(|| store.local_range(sha, start, len))
        .flatten();
    match whole {
        Some(bytes) => Body::Bytes(bytes),
        None => Body::Object {
            store: store.clone(),
            sha256: sha.to_string(),
            start,
            len,
        },
    }
}

/// Whether an `If-None-Match` list names `etag` (or is `*`); weak comparison, as RFC 9110 says.
fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// What to do with a `Range` header.
#[derive(Debug, PartialEq, Eq)]
enum RangeAnswer {
    /// Not a single byte range we serve (another unit, bad syntax, several ranges): RFC 9110
    /// lets a server ignore it and send the whole representation.
    Ignore,
    /// Inclusive first and last byte.
    Part(u64, u64),
    /// A well-formed range that starts past the end.
    Unsatisfiable,
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` against a representation of `size` bytes. A last byte
/// past the end (even past what 64 bits hold) means "to the end".
fn parse_range(v: &str, size: u64) -> RangeAnswer {
    let Some((unit, spec)) = v.trim().split_once('=') else {
        return RangeAnswer::Ignore;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return RangeAnswer::Ignore;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeAnswer::Ignore;
    };
    let (a, b) = (a.trim(), b.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    // Too many digits for u64 is "more than any size": the parse saturates.
    let number = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
    match (a.is_empty(), b.is_empty()) {
        (true, false) if digits(b) => {
            let n = number(b);
            if n == 0 || size == 0 {
                return RangeAnswer::Unsatisfiable;
            }
            RangeAnswer::Part(size.saturating_sub(n), size - 1)
        }
        (false, _) if digits(a) && (b.is_empty() || digits(b)) => {
            let start = number(a);
            let end = if b.is_empty() { u64::MAX } else { number(b) };
            if end < start {
                return RangeAnswer::Ignore;
            }
            if start >= size {
                return RangeAnswer::Unsatisfiable;
            }
            RangeAnswer::Part(start, end.min(size - 1))
        }
        _ => RangeAnswer::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::{etag_matches, parse_range, RangeAnswer::*};

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        assert_eq!(parse_range("bytes=0-9", 100), Part(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), Part(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), Part(90, 99));
        assert_eq!(parse_range("bytes=50-500", 100), Part(50, 99));
        assert_eq!(
            parse_range("bytes=0-99999999999999999999", 100),
            Part(0, 99)
        );
        assert_eq!(
            parse_range("bytes=0-18446744073709551615", 100),
            Part(0, 99)
        );
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(
            parse_range("bytes=99999999999999999999-", 100),
            Unsatisfiable
        );
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Ignore);
        assert_eq!(parse_range("items=0-5", 100), Ignore);
        assert_eq!(parse_range("bytes=abc", 100), Ignore);
        assert_eq!(parse_range("bytes=5-2", 100), Ignore);
        assert_eq!(parse_range("bytes=--5", 100), Ignore);
    }

    #[test]
    fn if_none_match_lists() {
        assert!(etag_matches("\"a\", \"b\"", "\"b\""));
        assert!(etag_matches("W/\"b\"", "\"b\""));
        assert!(etag_matches("*", "\"b\""));
        assert!(!etag_matches("\"c\"", "\"b\""));
    }
}
