//! Which page answers which path. Every handler opens the database read-only for its request.

use std::path::Path;

use super::{memento, Body, Request, Response};
use crate::db::{Db, LinkFilter};
use crate::model::{Kind, State};
use crate::report::html::{write_history, write_html, View};
use crate::store::{is_sha256, Store};

pub fn route(archive: &Path, req: &Request) -> Response {
    if req.method != "GET" && req.method != "HEAD" {
        return Response::text(405, "read-only: GET and HEAD only").header("Allow", "GET, HEAD");
    }
    let db = match Db::open_existing(archive) {
        Ok(db) => db,
        Err(e) => return Response::text(500, &e.to_string()),
    };
    let store = Store::open_existing(archive);
    let target = req.target.as_str();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if let Some(rest) = target.strip_prefix("/timemap/link/") {
        return memento::timemap(&db, rest);
    }
    if let Some(rest) = target.strip_prefix("/timegate/") {
        return memento::timegate(&db, rest, req);
    }
    if let Some((stamp, rest)) = target.trim_start_matches('/').split_once('/') {
        // Wayback-style modifiers (`id_`, `mp_`, `im_`…) ask for the raw or a rewritten form;
        // captures are always served raw, so every modifier gets the same bytes.
        let digits = stamp.get(..14).unwrap_or(stamp);
        let modifier = stamp.get(digits.len()..).unwrap_or("");
        let is_modifier = modifier.is_empty()
            || (modifier.len() == 3
                && modifier.ends_with('_')
                && modifier[..2].bytes().all(|b| b.is_ascii_lowercase()));
        if digits.len() == 14 && digits.bytes().all(|b| b.is_ascii_digit()) && is_modifier {
            return memento::memento(&db, &store, digits, rest);
        }
    }
    if let Some(sha) = path.strip_prefix("/objects/") {
        return object(&db, &store, sha, req);
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |k: &str| {
        params
            .iter()
            .find(|(n, v)| n == k && !v.is_empty())
            .map(|(_, v)| v.clone())
    };
    match path {
        "/" | "/report" => report_page(&db, &param),
        "/ref" => match param("url").map(|u| crate::history::load(&db, &u)) {
            Some(Ok(crate::history::Found::Reference(h))) => {
                let mut out = Vec::new();
                let _ = write_history(&h, &mut out);
                Response::new(200, "text/html; charset=utf-8", out)
            }
            Some(Ok(crate::history::Found::Article(a))) => {
                Response::text(200, &crate::history::render_article_text(&a))
            }
            Some(Err(e)) => Response::text(404, &e.to_string()),
            None => Response::text(400, "give ?url="),
        },
        _ => Response::text(404, "not found"),
    }
}

fn report_page(db: &Db, param: &dyn Fn(&str) -> Option<String>) -> Response {
    let article = match param("article") {
        Some(a) => match crate::report::find_article(db, &a) {
            Ok(id) => Some(id),
            Err(e) => return Response::text(404, &e.to_string()),
        },
        None => None,
    };
    let view = View {
        served: true,
        state: param("state").and_then(|s| State::parse(&s)),
        kind: param("kind").and_then(|k| Kind::parse(&k)),
        host: param("host"),
        article: param("article"),
    };
    let include_alive = param("all").is_some() || view.state == Some(State::Alive);
    let filter = LinkFilter {
        article,
        include_alive,
    };
    let summary = match db.summary(article) {
        Ok(s) => s,
        Err(e) => return Response::text(500, &e.to_string()),
    };
    let mut out = Vec::new();
    match write_html(db, filter, &summary, &view, &mut out) {
        Ok(()) => Response::new(200, "text/html; charset=utf-8", out),
        Err(e) => Response::text(500, &e.to_string()),
    }
}

/// `/objects/{sha256}`: the bytes, typed as captured, with single byte-range support.
fn object(db: &Db, store: &Store, sha: &str, req: &Request) -> Response {
    if !is_sha256(sha) || !store.contains(sha) {
        return Response::text(404, "no such object");
    }
    let path = store.object_path(sha);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let ct = db
        .object_content_type(sha)
        .ok()
        .flatten()
        .unwrap_or_else(|| "application/octet-stream".into());
    let base = |status, start, len| Response {
        status,
        headers: vec![
            ("Content-Type".into(), ct.clone()),
            ("Accept-Ranges".into(), "bytes".into()),
            ("ETag".into(), format!("\"{sha}\"")),
            ("Content-Security-Policy".into(), "sandbox".into()),
        ],
        body: Body::File {
            path: path.clone(),
            start,
            len,
        },
    };
    let Some(range) = req.range.as_deref() else {
        return base(200, 0, size);
    };
    match parse_range(range, size) {
        Some((start, end)) => base(206, start, end - start + 1)
            .header("Content-Range", format!("bytes {start}-{end}/{size}")),
        None => Response::text(416, "range not satisfiable")
            .header("Content-Range", format!("bytes */{size}")),
    }
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` → inclusive (start, end) within `size`.
fn parse_range(v: &str, size: u64) -> Option<(u64, u64)> {
    let spec = v.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || size == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (size.saturating_sub(n), size - 1)
        }
        (a, "") => (a.parse().ok()?, size - 1),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(size - 1)),
    };
    (start <= end && start < size).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
    }
}
