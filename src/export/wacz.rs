//! WACZ 1.1.1: a zip (entries stored, not deflated) holding `archive/data.warc.gz`,
//! `indexes/index.cdxj`, `pages/pages.jsonl` and `datapackage.json` with the sha256 and size
//! of every file. The zip is written by hand: stored entries need only CRC-32 and sizes.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{export_warc, ExportError, ExportOptions, ExportSummary};
use crate::clock;
use crate::db::Db;
use crate::store::{hex_digest, Store};

/// Writes a WACZ to `out`; the WARC is built next to it first, then stored in the zip.
pub fn write_wacz(
    db: &Db,
    store: &Store,
    opts: &ExportOptions,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { path, source }
    };
    let warc_tmp = sibling(out, "warc.gz.part");
    let summary = export_warc(db, store, opts, &warc_tmp, "data.warc.gz");
    let summary = match summary {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&warc_tmp);
            return Err(e);
        }
    };
    let mut cdxj = String::new();
    for l in &summary.cdxj_lines {
        cdxj.push_str(l);
        cdxj.push('\n');
    }
    let mut pages = String::from(
        "{\"format\": \"json-pages-1.0\", \"id\": \"pages\", \"title\": \"Articles\"}\n",
    );
    for (i, p) in summary.pages.iter().enumerate() {
        let mut page = json!({ "id": format!("article-{i}"), "url": p.url });
        if let Some(t) = &p.title {
            page["title"] = json!(t);
        }
        if let Some(t) = p.read_at {
            page["ts"] = json!(clock::format(t));
        }
        pages.push_str(&page.to_string());
        pages.push('\n');
    }
    let entries: Vec<(&str, Source)> = vec![
        ("archive/data.warc.gz", Source::File(warc_tmp.clone())),
        ("indexes/index.cdxj", Source::Bytes(cdxj.into_bytes())),
        ("pages/pages.jsonl", Source::Bytes(pages.into_bytes())),
    ];
    let mut resources = Vec::new();
    let mut described = Vec::new();
    for (name, src) in entries {
        let (sha, len, crc) = src.digest().map_err(io_err(out))?;
        resources.push(json!({
            "name": name.rsplit('/').next().unwrap_or(name),
            "path": name,
            "hash": format!("sha256:{sha}"),
            "bytes": len,
        }));
        described.push((name, src, len, crc));
    }
    let datapackage = serde_json::to_vec_pretty(&json!({
        "profile": "data-package",
        "wacz_version": "1.1.1",
        "title": "linkvault export",
        "software": format!("linkvault {}", env!("CARGO_PKG_VERSION")),
        "created": clock::format(clock::now()),
        "resources": resources,
    }))
    .unwrap_or_default();
    let dp_crc = crc32(&datapackage);
    let dp_len = datapackage.len() as u64;
    described.push((
        "datapackage.json",
        Source::Bytes(datapackage),
        dp_len,
        dp_crc,
    ));

    let tmp = sibling(out, "part");
    let written = write_zip(&tmp, &described);
    let _ = std::fs::remove_file(&warc_tmp);
    match written {
        Ok(()) => std::fs::rename(&tmp, out).map_err(io_err(out))?,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(match e {
                ZipError::Io(source) => ExportError::Io { path: out.to_path_buf(), source },
                ZipError::TooLarge => ExportError::TooLarge(
                    "this WACZ would be over 4 GiB, which needs ZIP64 (not supported yet); export less with --article or --since".into(),
                ),
            });
        }
    }
    Ok(summary)
}

fn sibling(out: &Path, ext: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.{ext}"))
}

enum Source {
    File(PathBuf),
    Bytes(Vec<u8>),
}

impl Source {
    fn for_each_chunk(&self, mut f: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        match self {
            Source::Bytes(b) => f(b),
            Source::File(p) => {
                let mut file = File::open(p)?;
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = file.read(&mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    f(&buf[..n])?;
                }
            }
        }
    }

    /// (sha256 hex, length, CRC-32) in one pass.
    fn digest(&self) -> io::Result<(String, u64, u32)> {
        let mut sha = Sha256::new();
        let mut crc = flate2::Crc::new();
        let mut len = 0u64;
        self.for_each_chunk(|c| {
            sha.update(c);
            crc.update(c);
            len += c.len() as u64;
            Ok(())
        })?;
        Ok((hex_digest(&sha.finalize()), len, crc.sum()))
    }
}

fn crc32(b: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(b);
    c.sum()
}

enum ZipError {
    Io(io::Error),
    TooLarge,
}

impl From<io::Error> for ZipError {
    fn from(e: io::Error) -> Self {
        ZipError::Io(e)
    }
}

/// A zip of stored entries (method 0), with a central directory.
fn write_zip(path: &Path, entries: &[(&str, Source, u64, u32)]) -> Result<(), ZipError> {
    let mut w = super::warc::Counting::new(BufWriter::with_capacity(1 << 20, File::create(path)?));
    let mut central = Vec::new();
    for (name, src, len, crc) in entries {
        let offset = w.written;
        if *len >= u32::MAX as u64 || offset >= u32::MAX as u64 {
            return Err(ZipError::TooLarge);
        }
        let (len, offset) = (*len as u32, offset as u32);
        let name = name.as_bytes();
        let mut local = Vec::with_capacity(30 + name.len());
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]); // version, flags, stored, time 0, date 1980-01-01
        local.extend_from_slice(&crc.to_le_bytes());
        local.extend_from_slice(&len.to_le_bytes());
        local.extend_from_slice(&len.to_le_bytes());
        local.extend_from_slice(&(name.len() as u16).to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes());
        local.extend_from_slice(name);
        w.write_all(&local)?;
        src.for_each_chunk(|c| w.write_all(c))?;
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&len.to_le_bytes());
        central.extend_from_slice(&len.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // extra, comment, disk, attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let cd_offset = w.written;
    if cd_offset >= u32::MAX as u64 {
        return Err(ZipError::TooLarge);
    }
    w.write_all(&central)?;
    let n = entries.len() as u16;
    let mut end = Vec::with_capacity(22);
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&[0, 0, 0, 0]);
    end.extend_from_slice(&n.to_le_bytes());
    end.extend_from_slice(&n.to_le_bytes());
    end.extend_from_slice(&(central.len() as u32).to_le_bytes());
    end.extend_from_slice(&(cd_offset as u32).to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    w.write_all(&end)?;
    let mut buf = w.into_inner();
    buf.flush()?;
    buf.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}
