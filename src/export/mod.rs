//! Export to the web archives' formats: WARC/1.1 (`response`, `revisit`, `resource` and
//! `metadata` records, a `warcinfo` first) with a CDXJ index beside it, and WACZ 1.1.1.
//! Read-only over the archive; objects stream from the store into the output.

pub mod surt;
mod wacz;
mod warc;

use std::collections::{HashMap, HashSet};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::clock::{self, Timestamp};
use crate::db::{Db, DbError, ExportSnapshot};
use crate::store::{ReadError, Store};
use crate::timestamp::proof::{ProofError, Stamped};
use warc::{Block, WarcWriter};

pub use wacz::write_wacz;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The record could not be read.
    #[error(transparent)]
    Db(#[from] DbError),
    /// No registered article is known by what `ExportOptions::article` gave.
    #[error("no article `{0}` in the archive")]
    UnknownArticle(String),
    /// The store lacks the object (this SHA-256) of a capture to export, and `skip_missing` is off.
    #[error("object {0} is missing from the store: `linkvault verify --repair` queues what can be fetched again; `--skip-missing` exports the rest")]
    MissingObject(String),
    /// Writing the output failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// Reading a stored object failed (corrupted or unreachable).
    #[error(transparent)]
    Object(#[from] ReadError),
}

/// A failure while writing `out`: the store's own error when reading an object failed (a
/// corrupted or unreachable object), else the output's.
fn write_error(out: &Path, source: io::Error) -> ExportError {
    match crate::store::carried(source) {
        Ok(e) => ExportError::Object(e),
        Err(source) => ExportError::Io {
            path: out.to_path_buf(),
            source,
        },
    }
}

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Only this article (a URL or path as the user typed it) and what it cites; None exports
    /// everything.
    pub article: Option<String>,
    /// Only captures made at or after this time.
    pub since: Option<Timestamp>,
    /// Leave out captures whose objects are missing instead of failing.
    pub skip_missing: bool,
    /// One gzip member per record (`.warc.gz`); plain records otherwise.
    pub gzip: bool,
}

/// What an export wrote.
#[derive(Debug, Default)]
pub struct ExportSummary {
    /// `response` records written: the first capture of each payload.
    pub responses: u64,
    /// `revisit` records written: later captures of a payload already written.
    pub revisits: u64,
    /// `resource` records written: tool captures (yt-dlp's media and info JSON, screenshots).
    pub resources: u64,
    /// `metadata` records written: provenance of rescued copies, each captured reference's
    /// history, and timestamp proofs.
    pub metadata: u64,
    /// Of those, timestamp proofs: one per capture in a timestamped tree.
    pub proofs: u64,
    /// The CDXJ index, one line per indexed record, sorted.
    pub cdxj_lines: Vec<String>,
    /// The articles to list as pages (WACZ `pages.jsonl`).
    pub pages: Vec<crate::db::ExportPage>,
    /// Objects left out because the store no longer holds them (with `skip_missing`).
    pub missing: Vec<String>,
}

/// Writes the WARC `out` (one gzip member per record with `opts.gzip`) and returns what it wrote,
/// with the CDXJ index lines (their `filename` is `warc_name`) for `write_cdxj` to write.
pub fn export_warc(
    db: &Db,
    store: &Store,
    opts: &ExportOptions,
    out: &Path,
    warc_name: &str,
) -> Result<ExportSummary, ExportError> {
    let article = match &opts.article {
        Some(a) => Some(
            db.find_article(a)?
                .ok_or_else(|| ExportError::UnknownArticle(a.clone()))?,
        ),
        None => None,
    };
    let since = opts.since;
    let io_err = |source| write_error(out, source);
    let dest = crate::output::Output::create(out).map_err(io_err)?;
    let mut w = WarcWriter::new(BufWriter::with_capacity(1 << 20, dest), opts.gzip);
    let mut summary = ExportSummary {
        pages: db.export_pages(article)?,
        ..ExportSummary::default()
    };
    let info = format!(
        "software: linkvault/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\ndescription: articles and the references they cite, archived by linkvault\r\n",
        env!("CARGO_PKG_VERSION")
    );
    w.write_record(
        &[
            ("WARC-Type", "warcinfo".into()),
            ("WARC-Record-ID", warc::record_id()),
            ("WARC-Date", clock::format(clock::now())),
            ("WARC-Filename", warc_name.into()),
            ("Content-Type", "application/warc-fields".into()),
        ],
        Block::Bytes(info.as_bytes()),
        Some("application/warc-fields"),
    )
    .map_err(io_err)?;

    // The first record of each payload: later captures of the same bytes are revisits.
    let mut first: HashMap<String, (String, Timestamp)> = HashMap::new();
    // The URLs captured, in order of first capture: each reference's history goes in once.
    let mut urls_seen: Vec<String> = Vec::new();
    let mut urls_known: HashSet<String> = HashSet::new();
    // Timestamped trees loaded for the proofs (a few at a time: captures come run by run).
    let mut trees: HashMap<i64, Option<Stamped>> = HashMap::new();
    db.for_each_export_snapshot(article, since, |s| {
        if store.size(&s.sha256)?.is_none() {
            if opts.skip_missing {
                summary.missing.push(s.sha256);
                return Ok(());
            }
            return Err(ExportError::MissingObject(s.sha256));
        }
        if urls_known.insert(s.url.clone()) {
            urls_seen.push(s.url.clone());
        }
        if s.role != "body" {
            let (offset, length, id, target) = write_resource(&mut w, &s, store).map_err(io_err)?;
            summary.resources += 1;
            write_proof(db, &mut w, &mut trees, &s, &id, &target, &mut summary, out)?;
            // Screenshots are looked up by their URN, as replay tools show them.
            if s.role == "screenshot" {
                let urn = screenshot_urn(&s.url);
                summary.cdxj_lines.push(format!(
                    "{} {} {}",
                    surt::surt(&urn),
                    clock::format_compact(s.captured_at),
                    json!({
                        "url": urn,
                        "mime": "image/png",
                        "status": "200",
                        "digest": format!("sha256:{}", s.sha256),
                        "length": length.to_string(),
                        "offset": offset.to_string(),
                        "filename": warc_name,
                    })
                ));
            }
            return Ok(());
        }
        let head = http_head(&s);
        let date = clock::format(s.captured_at);
        let record_id = warc::record_id();
        let mut fields = vec![
            ("WARC-Record-ID", record_id.clone()),
            ("WARC-Date", date.clone()),
            ("WARC-Target-URI", s.url.clone()),
            ("Content-Type", "application/http;msgtype=response".into()),
            ("WARC-Payload-Digest", format!("sha256:{}", s.sha256)),
        ];
        if let Some(protocol) = s.http_version.as_deref().and_then(alpn_id) {
            fields.push(("WARC-Protocol", protocol.into()));
        }
        let (block, mime) = match first.get(&s.sha256) {
            Some((uri, when)) => {
                fields.insert(0, ("WARC-Type", "revisit".into()));
                fields.push((
                    "WARC-Profile",
                    "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest".into(),
                ));
                fields.push(("WARC-Refers-To-Target-URI", uri.clone()));
                fields.push(("WARC-Refers-To-Date", clock::format(*when)));
                summary.revisits += 1;
                (Block::Bytes(&head), "warc/revisit".to_string())
            }
            None => {
                fields.insert(0, ("WARC-Type", "response".into()));
                first.insert(s.sha256.clone(), (s.url.clone(), s.captured_at));
                summary.responses += 1;
                (
                    Block::HeadAndObject {
                        head: &head,
                        store,
                        sha256: &s.sha256,
                    },
                    mime_of(&s),
                )
            }
        };
        let (offset, length) = w
            .write_record(&fields, block, s.content_type.as_deref())
            .map_err(io_err)?;
        write_proof(
            db,
            &mut w,
            &mut trees,
            &s,
            &record_id,
            &s.url,
            &mut summary,
            out,
        )?;
        if let Some(fields) = provenance_fields(&s) {
            w.write_record(
                &[
                    ("WARC-Type", "metadata".into()),
                    ("WARC-Record-ID", warc::record_id()),
                    (
                        "WARC-Date",
                        clock::format(s.rescued_at.unwrap_or(s.captured_at)),
                    ),
                    ("WARC-Target-URI", s.url.clone()),
                    ("WARC-Concurrent-To", record_id),
                    ("Content-Type", "application/warc-fields".into()),
                ],
                Block::Bytes(fields.as_bytes()),
                Some("application/warc-fields"),
            )
            .map_err(io_err)?;
            summary.metadata += 1;
        }
        summary.cdxj_lines.push(format!(
            "{} {} {}",
            surt::surt(&s.url),
            clock::format_compact(s.captured_at),
            json!({
                "url": s.url,
                "mime": mime,
                "status": s.http_status.to_string(),
                "digest": format!("sha256:{}", s.sha256),
                "length": length.to_string(),
                "offset": offset.to_string(),
                "filename": warc_name,
            })
        ));
        Ok(())
    })?;
    for url in &urls_seen {
        if let Some(h) = db.history(url)? {
            let body = crate::history::render_json(&h);
            w.write_record(
                &[
                    ("WARC-Type", "metadata".into()),
                    ("WARC-Record-ID", warc::record_id()),
                    ("WARC-Date", clock::format(clock::now())),
                    // Not the reference's own URI: replay tools would serve this JSON in its place.
                    ("WARC-Target-URI", format!("urn:linkvault:history:{url}")),
                    ("Content-Type", "application/json".into()),
                ],
                Block::Bytes(body.as_bytes()),
                Some("application/json"),
            )
            .map_err(io_err)?;
            summary.metadata += 1;
        }
    }
    let mut buf = w.into_inner();
    buf.flush().map_err(io_err)?;
    buf.into_inner()
        .map_err(|e| io_err(e.into_error()))?
        .commit()
        .map_err(io_err)?;
    summary.cdxj_lines.sort();
    Ok(summary)
}

/// For a copy rescued from a web archive, where it came from, as `application/warc-fields` for
/// a `metadata` record linked to the capture by `WARC-Concurrent-To`: the capture itself stays
/// the response as the archive recorded it (so it replays), and any WARC reader sees that it
/// was not captured from the live web by linkvault, without knowing linkvault's extension fields.
fn provenance_fields(s: &ExportSnapshot) -> Option<String> {
    let crate::db::Provenance::Memento {
        archive,
        memento_url,
        memento_datetime,
        rewritten,
    } = &s.provenance
    else {
        return None;
    };
    let mut f = format!(
        "origin: memento\r\nvia: {}\r\narchive: {}\r\nmemento-datetime: {}\r\n",
        warc::one_line(memento_url),
        warc::one_line(archive),
        clock::format_http(*memento_datetime)
    );
    if let Some(at) = s.rescued_at {
        f.push_str(&format!("rescued-at: {}\r\n", clock::format(at)));
    }
    f.push_str(&format!(
        "bytes: {}\r\n",
        if *rewritten {
            "as the archive serves them (may be rewritten)"
        } else {
            "original (the archive's raw id_ form)"
        }
    ));
    f.push_str(&format!(
        "rescued-by: linkvault/{}\r\n",
        env!("CARGO_PKG_VERSION")
    ));
    Some(f)
}

/// Writes the CDXJ lines to `path`.
pub fn write_cdxj(lines: &[String], path: &Path) -> Result<(), ExportError> {
    let io_err = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = String::new();
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    crate::output::write_all(path, text.as_bytes()).map_err(io_err)
}

/// The target URI of a page's screenshot.
fn screenshot_urn(page_url: &str) -> String {
    format!("urn:screenshot:{page_url}")
}

/// A capture made by a tool (yt-dlp's media and info JSON, the browser's screenshot of a
/// page): a `resource` record. A screenshot is named as browser-based crawlers name theirs,
/// `urn:screenshot:` and the page's URL, at the time it was taken (`WARC-Date`).
fn write_resource<W: Write>(
    w: &mut WarcWriter<W>,
    s: &ExportSnapshot,
    store: &Store,
) -> io::Result<(u64, u64, String, String)> {
    let target = if s.role == "screenshot" {
        screenshot_urn(&s.url)
    } else {
        format!("urn:linkvault:{}:{}", s.role, s.sha256)
    };
    let id = warc::record_id();
    let (offset, length) = w.write_record(
        &[
            ("WARC-Type", "resource".into()),
            ("WARC-Record-ID", id.clone()),
            ("WARC-Date", clock::format(s.captured_at)),
            ("WARC-Target-URI", target.clone()),
            ("WARC-Source-URI", s.url.clone()),
            (
                "Content-Type",
                s.content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into()),
            ),
            ("WARC-Payload-Digest", format!("sha256:{}", s.sha256)),
        ],
        Block::HeadAndObject {
            head: b"",
            store,
            sha256: &s.sha256,
        },
        s.content_type.as_deref(),
    )?;
    Ok((offset, length, id, target))
}

/// For a capture in a timestamped tree, its proof (the JSON `linkvault prove` writes: leaf,
/// Merkle path, root, every token) as a `metadata` record that refers to the capture's record.
#[allow(clippy::too_many_arguments)]
fn write_proof<W: Write>(
    db: &Db,
    w: &mut WarcWriter<W>,
    trees: &mut HashMap<i64, Option<Stamped>>,
    s: &ExportSnapshot,
    refers_to: &str,
    target: &str,
    summary: &mut ExportSummary,
    out: &Path,
) -> Result<(), ExportError> {
    let Some((tree_id, index)) = s.leaf else {
        return Ok(());
    };
    if !trees.contains_key(&tree_id) {
        // Captures come in time order, so run by run: two trees at a time is plenty (a tree of
        // a million leaves holds 64 MiB of hashes).
        if trees.len() >= 2 {
            trees.clear();
        }
        let loaded = match Stamped::load(db, tree_id) {
            Ok(t) => t,
            Err(ProofError::Db(e)) => return Err(e.into()),
            // A tree whose record does not hold together proves nothing: no proof is written
            // (`prove` says why for any of its captures).
            Err(_) => None,
        };
        trees.insert(tree_id, loaded);
    }
    let Some(Some(tree)) = trees.get(&tree_id) else {
        return Ok(());
    };
    let proof = match tree.proof(db, index) {
        Ok(p) => p,
        Err(ProofError::Db(e)) => return Err(e.into()),
        Err(_) => return Ok(()),
    };
    let mut body = serde_json::to_string_pretty(&proof).unwrap_or_default();
    body.push('\n');
    w.write_record(
        &[
            ("WARC-Type", "metadata".into()),
            ("WARC-Record-ID", warc::record_id()),
            ("WARC-Date", clock::format(s.captured_at)),
            ("WARC-Target-URI", target.to_string()),
            ("WARC-Refers-To", refers_to.to_string()),
            ("Content-Type", "application/json".into()),
        ],
        Block::Bytes(body.as_bytes()),
        Some("application/json"),
    )
    .map_err(|e| write_error(out, e))?;
    summary.metadata += 1;
    summary.proofs += 1;
    Ok(())
}

/// The protocol as `WARC-Protocol` names it (its ALPN identifier, as the IIPC proposal for
/// WARC 1.1 extensions has it).
fn alpn_id(http_version: &str) -> Option<&'static str> {
    Some(match http_version {
        "HTTP/1.0" => "http/1.0",
        "HTTP/1.1" => "http/1.1",
        "HTTP/2" => "h2",
        "HTTP/3" => "h3",
        _ => return None,
    })
}

fn mime_of(s: &ExportSnapshot) -> String {
    s.content_type
        .as_deref()
        .map(crate::extract::mime_essence)
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "unk".into())
}

/// The status line and headers as received; the length and transfer coding are restated for
/// the body as stored (de-chunked, as served otherwise). HTTP/2 and 3 have no status line: they
/// get the HTTP/1.1 one replay tools expect (`WARC-Protocol` says what was spoken), as do
/// captures recorded before the status line was kept.
fn http_head(s: &ExportSnapshot) -> Vec<u8> {
    let canonical = || {
        reqwest::StatusCode::from_u16(s.http_status)
            .ok()
            .and_then(|c| c.canonical_reason())
            .unwrap_or("")
            .to_string()
    };
    let (version, reason) = match (s.http_version.as_deref(), &s.reason_phrase) {
        (Some(v @ ("HTTP/1.0" | "HTTP/1.1")), Some(r)) => (v, warc::one_line(r)),
        (Some(v @ ("HTTP/1.0" | "HTTP/1.1")), None) => (v, canonical()),
        _ => ("HTTP/1.1", canonical()),
    };
    let mut head = format!("{version} {} {reason}\r\n", s.http_status);
    let headers: Vec<(String, String)> = s
        .headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (k, v) in headers {
        let k = warc::one_line(&k);
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding") {
            continue;
        }
        // The stored body is decoded: saying it is still gzip would make replay decode it twice.
        if s.decoded_from.is_some() && k.eq_ignore_ascii_case("content-encoding") {
            head.push_str(&format!(
                "X-Archive-Orig-Content-Encoding: {}\r\n",
                warc::one_line(&v)
            ));
            continue;
        }
        head.push_str(&format!("{k}: {}\r\n", warc::one_line(&v)));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", s.bytes));
    head.into_bytes()
}
