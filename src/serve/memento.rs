//! Memento (RFC 7089) over the archive: the TimeGate picks the capture closest to the
//! requested `Accept-Datetime`, mementos carry `Memento-Datetime` and `Link`, and TimeMaps list
//! every capture in `application/link-format`. Wayback-style paths:
//! `/{YYYYMMDDhhmmss}/{url}`, `/timegate/{url}`, `/timemap/link/{url}`.

use super::{Request, Response};
use crate::clock::{self, Timestamp};
use crate::db::{Db, SnapshotRow};
use crate::rescue::memento::distance_key;
use crate::store::Store;

fn http_date(t: Timestamp) -> String {
    clock::format_http(t)
}

/// The `Link` header of TimeGates and mementos: absolute URIs on `base`.
fn links(url: &str, base: &str) -> String {
    format!(
        "<{url}>; rel=\"original\", <{base}/timegate/{url}>; rel=\"timegate\", <{base}/timemap/link/{url}>; rel=\"timemap\"; type=\"application/link-format\""
    )
}

/// `links` plus the first, previous, chosen, next and last mementos with their datetimes, as
/// the Wayback Machine gives them: a client (pywb as a remote index) learns the memento from the
/// TimeGate's answer alone.
fn links_around(url: &str, base: &str, all: &[SnapshotRow], chosen: usize) -> String {
    let mut out = links(url, base);
    let last = all.len().saturating_sub(1);
    let mut wanted: Vec<usize> = vec![0, chosen.saturating_sub(1), chosen, chosen + 1, last];
    wanted.retain(|i| *i <= last);
    wanted.sort_unstable();
    wanted.dedup();
    for i in wanted {
        let mut rels = Vec::new();
        if i == 0 {
            rels.push("first");
        }
        if i + 1 == chosen {
            rels.push("prev");
        }
        if i == chosen + 1 {
            rels.push("next");
        }
        if i == last {
            rels.push("last");
        }
        rels.push("memento");
        let m = &all[i];
        out.push_str(&format!(
            ", <{base}/{}/{url}>; rel=\"{}\"; datetime=\"{}\"",
            clock::format_compact(m.captured_at),
            rels.join(" "),
            http_date(m.captured_at)
        ));
    }
    out
}

/// Resolves the URL the client asked about to one the archive knows (fragment dropped) — a
/// reference, or an article page read from the web — with its mementos, oldest first.
fn lookup(db: &Db, raw: &str) -> Option<(String, Vec<SnapshotRow>)> {
    crate::urlkey::url_keys(raw).into_iter().find_map(|c| {
        let mementos = db.mementos(&c).unwrap_or_default();
        let known = !mementos.is_empty() || db.link_by_url(&c).ok().flatten().is_some();
        known.then_some((c, mementos))
    })
}

pub(super) fn timegate(db: &Db, raw: &str, req: &Request, base: &str) -> Response {
    let Some((url, all)) = lookup(db, raw) else {
        return Response::text(404, "not archived");
    };
    if all.is_empty() {
        return Response::text(404, "no capture of this URL is held");
    }
    // No Accept-Datetime: the most recent memento (RFC 7089 §4.1.1).
    let wanted = match &req.accept_datetime {
        Some(v) => match clock::parse_http(v) {
            Some(t) => t,
            None => return Response::text(400, "Accept-Datetime must be an RFC 1123 date"),
        },
        None => i64::MAX,
    };
    let Some((chosen, best)) = closest(&all, wanted) else {
        return Response::text(404, "no capture of this URL is held");
    };
    let location = format!("{base}/{}/{url}", clock::format_compact(best.captured_at));
    Response::new(302, "text/plain; charset=utf-8", Vec::new())
        .header("Location", location)
        .header("Vary", "accept-datetime")
        .header("Link", links_around(&url, base, &all, chosen))
}

/// The memento closest to `at` (the earlier at equal distance), with its place in `all`.
fn closest(all: &[SnapshotRow], at: Timestamp) -> Option<(usize, &SnapshotRow)> {
    all.iter()
        .enumerate()
        .min_by_key(|(_, m)| distance_key(Some(m.captured_at), at))
}

pub(super) fn memento(db: &Db, store: &Store, stamp: &str, raw: &str, req: &Request) -> Response {
    let Some((url, all)) = lookup(db, raw) else {
        return Response::text(404, "not archived");
    };
    let Some(at) = clock::parse(stamp) else {
        return Response::text(400, "bad timestamp");
    };
    // The capture at that second, else the closest one (what Wayback-style archives do).
    let Some((chosen, m)) = closest(&all, at) else {
        return Response::text(404, "no capture of this URL is held");
    };
    let ct = m
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    super::routes::stored_bytes(
        store,
        &m.sha256,
        ct,
        req,
        "the capture's object is missing: run `linkvault verify`",
    )
    .header("Memento-Datetime", http_date(m.captured_at))
    .header("Link", links_around(&url, &req.base, &all, chosen))
}

pub(super) fn timemap(db: &Db, raw: &str, base: &str) -> Response {
    let Some((url, all)) = lookup(db, raw) else {
        return Response::text(404, "not archived");
    };
    let mut body = format!(
        "<{url}>; rel=\"original\",\n<{base}/timegate/{url}>; rel=\"timegate\",\n<{base}/timemap/link/{url}>; rel=\"self\"; type=\"application/link-format\""
    );
    let n = all.len();
    for (i, m) in all.iter().enumerate() {
        let rel = match (i, n) {
            (0, 1) => "first last memento",
            (0, _) => "first memento",
            (i, n) if i + 1 == n => "last memento",
            _ => "memento",
        };
        body.push_str(&format!(
            ",\n<{base}/{}/{url}>; rel=\"{rel}\"; datetime=\"{}\"",
            clock::format_compact(m.captured_at),
            http_date(m.captured_at)
        ));
    }
    body.push('\n');
    Response::new(200, "application/link-format", body.into_bytes())
}
