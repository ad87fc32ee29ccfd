//! WACZ 1.1.1: a zip (entries stored, not deflated) holding `archive/data.warc.gz`,
//! `indexes/index.cdxj`, `pages/pages.jsonl` and `datapackage.json` with the sha256 and size
//! of every file. The zip is written by hand: stored entries need only CRC-32 and sizes, and
//! ZIP64 records where the archive passes 4 GiB.

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
    let warc_tmp = scratch_path(out);
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

    let written = crate::output::Output::create(out).and_then(|mut dest| {
        write_zip(&mut dest, &described, ZIP64_FROM)?;
        dest.commit()
    });
    let _ = std::fs::remove_file(&warc_tmp);
    written.map_err(io_err(out))?;
    Ok(summary)
}

/// Where the WARC is built before it goes into the zip: beside the output when that is a
/// regular file in a folder we can write (the WARC can be as large as the archive), else in the
/// system's temporary folder (an output that is a pipe or a device has no folder of its own).
fn scratch_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let special = std::fs::metadata(out).is_ok_and(|m| !m.is_file());
    let dir = out
        .parent()
        .filter(|d| !special && !d.as_os_str().is_empty());
    let file = format!(".{name}.{}.warc.gz.part", std::process::id());
    match dir {
        Some(d) => d.join(file),
        None if special => std::env::temp_dir().join(file),
        None => PathBuf::from(file),
    }
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

/// From this size or offset on, a field does not fit the classic zip format and goes in a
/// ZIP64 extra field (0xFFFFFFFF itself is the "see ZIP64" marker, so it counts).
const ZIP64_FROM: u64 = u32::MAX as u64;

/// A zip of stored entries (method 0), with a central directory; ZIP64 records where a size or
/// offset needs them (a WACZ holding hours of video is larger than 4 GiB), classic otherwise.
/// Sizes and CRCs are known before writing, so no data descriptors are needed.
fn write_zip<W: Write>(
    out: W,
    entries: &[(&str, Source, u64, u32)],
    zip64_from: u64,
) -> io::Result<()> {
    const MARK: u32 = u32::MAX;
    let mut w = super::warc::Counting::new(BufWriter::with_capacity(1 << 20, out));
    let mut central = Vec::new();
    for (name, src, len, crc) in entries {
        let offset = w.written;
        let big_len = *len >= zip64_from;
        let big_offset = offset >= zip64_from;
        let version: u16 = if big_len || big_offset { 45 } else { 20 };
        let name = name.as_bytes();
        let len32 = if big_len { MARK } else { *len as u32 };

        // Local header: the ZIP64 extra carries both sizes whenever either overflows.
        let mut local_extra = Vec::new();
        if big_len {
            local_extra.extend_from_slice(&1u16.to_le_bytes());
            local_extra.extend_from_slice(&16u16.to_le_bytes());
            local_extra.extend_from_slice(&len.to_le_bytes());
            local_extra.extend_from_slice(&len.to_le_bytes());
        }
        let mut local = Vec::with_capacity(30 + name.len() + local_extra.len());
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&version.to_le_bytes());
        local.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x21, 0]); // flags, stored, time 0, date 1980-01-01
        local.extend_from_slice(&crc.to_le_bytes());
        local.extend_from_slice(&len32.to_le_bytes());
        local.extend_from_slice(&len32.to_le_bytes());
        local.extend_from_slice(&(name.len() as u16).to_le_bytes());
        local.extend_from_slice(&(local_extra.len() as u16).to_le_bytes());
        local.extend_from_slice(name);
        local.extend_from_slice(&local_extra);
        w.write_all(&local)?;
        src.for_each_chunk(|c| w.write_all(c))?;

        // Central header: the ZIP64 extra holds just the fields that overflowed, in order.
        let mut extra = Vec::new();
        if big_len {
            extra.extend_from_slice(&len.to_le_bytes());
            extra.extend_from_slice(&len.to_le_bytes());
        }
        if big_offset {
            extra.extend_from_slice(&offset.to_le_bytes());
        }
        if !extra.is_empty() {
            let body = extra;
            extra = Vec::with_capacity(4 + body.len());
            extra.extend_from_slice(&1u16.to_le_bytes());
            extra.extend_from_slice(&(body.len() as u16).to_le_bytes());
            extra.extend_from_slice(&body);
        }
        let offset32 = if big_offset { MARK } else { offset as u32 };
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&version.to_le_bytes()); // made by
        central.extend_from_slice(&version.to_le_bytes()); // needed
        central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&len32.to_le_bytes());
        central.extend_from_slice(&len32.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&(extra.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // comment, disk, attrs
        central.extend_from_slice(&offset32.to_le_bytes());
        central.extend_from_slice(name);
        central.extend_from_slice(&extra);
    }
    let cd_offset = w.written;
    let cd_len = central.len() as u64;
    let n = entries.len() as u64;
    w.write_all(&central)?;
    let zip64 = cd_offset >= zip64_from || cd_len >= zip64_from || n >= 0xFFFF;
    if zip64 {
        let eocd64_offset = w.written;
        let mut eocd64 = Vec::with_capacity(56 + 20);
        eocd64.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        eocd64.extend_from_slice(&44u64.to_le_bytes()); // size of the rest of this record
        eocd64.extend_from_slice(&45u16.to_le_bytes());
        eocd64.extend_from_slice(&45u16.to_le_bytes());
        eocd64.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]); // this disk, disk of the directory
        eocd64.extend_from_slice(&n.to_le_bytes());
        eocd64.extend_from_slice(&n.to_le_bytes());
        eocd64.extend_from_slice(&cd_len.to_le_bytes());
        eocd64.extend_from_slice(&cd_offset.to_le_bytes());
        // The locator: where the record above is.
        eocd64.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        eocd64.extend_from_slice(&0u32.to_le_bytes());
        eocd64.extend_from_slice(&eocd64_offset.to_le_bytes());
        eocd64.extend_from_slice(&1u32.to_le_bytes());
        w.write_all(&eocd64)?;
    }
    let clamp32 = |v: u64| {
        if zip64 && v >= zip64_from {
            MARK
        } else {
            v as u32
        }
    };
    let n16 = if n >= 0xFFFF { 0xFFFF } else { n as u16 };
    let mut end = Vec::with_capacity(22);
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&[0, 0, 0, 0]);
    end.extend_from_slice(&n16.to_le_bytes());
    end.extend_from_slice(&n16.to_le_bytes());
    end.extend_from_slice(&clamp32(cd_len).to_le_bytes());
    end.extend_from_slice(&clamp32(cd_offset).to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    w.write_all(&end)?;
    let mut buf = w.into_inner();
    buf.flush()?;
    buf.into_inner().map_err(|e| e.into_error())?.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes the same entries with ZIP64 records forced on every field, then has Python's
    /// `zipfile` (a reader that knows ZIP64) list and CRC-check them.
    #[test]
    fn zip64_records_are_read_back_by_python_zipfile() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("payload.bin");
        let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &payload).unwrap();
        let small = b"{\"hello\": \"world\"}".to_vec();
        let entries = [
            (
                "archive/data.warc.gz",
                Source::File(file),
                payload.len() as u64,
                crc32(&payload),
            ),
            (
                "datapackage.json",
                Source::Bytes(small.clone()),
                small.len() as u64,
                crc32(&small),
            ),
        ];
        for (zip64_from, expect_zip64) in [(0u64, true), (ZIP64_FROM, false)] {
            let zip = dir.path().join(format!("t{zip64_from}.zip"));
            write_zip(std::fs::File::create(&zip).unwrap(), &entries, zip64_from).unwrap();
            let bytes = std::fs::read(&zip).unwrap();
            let has_eocd64 = bytes.windows(4).any(|w| w == 0x0606_4b50u32.to_le_bytes());
            assert_eq!(has_eocd64, expect_zip64);
            let out = std::process::Command::new("python3")
                .args([
                    "-c",
                    "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist(): print(i.filename, i.file_size, i.header_offset)",
                ])
                .arg(&zip)
                .output()
                .expect("python3 runs");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 2, "{text}");
            assert!(
                lines[0].starts_with("archive/data.warc.gz 300000 0"),
                "{text}"
            );
            assert!(
                lines[1].starts_with(&format!("datapackage.json {} ", small.len())),
                "{text}"
            );
        }
    }
}
