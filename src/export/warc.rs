//! Writing WARC/1.1 records, one gzip member each, with `sha256:` block and payload digests,
//! and the byte offsets a CDXJ index needs. Bodies are streamed from the store through
//! verified readers (hashed in one pass, written in a second), never held in memory: the
//! length and block digest a record declares are those of the bytes actually streamed, and a
//! payload that does not hash to its address fails the export instead of being written.

use std::io::{self, Read, Write};

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};
use sha2::{Digest, Sha256};

use crate::store::Store;

/// Counts the bytes written through it (the compressed offsets of records).
pub(super) struct Counting<W: Write> {
    inner: W,
    pub written: u64,
}

impl<W: Write> Counting<W> {
    pub(super) fn new(inner: W) -> Self {
        Counting { inner, written: 0 }
    }
    pub(super) fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A record's block: bytes in memory, or an HTTP head followed by a stored object.
pub(super) enum Block<'a> {
    Bytes(&'a [u8]),
    HeadAndObject {
        head: &'a [u8],
        store: &'a Store,
        sha256: &'a str,
    },
}

impl Block<'_> {
    /// Hands the block to `f` in pieces, reading the object through `buf` with a verified
    /// reader; returns the block's length. A store failure comes back as an `io::Error`
    /// carrying the store's `ReadError`.
    fn for_each_chunk(
        &self,
        buf: &mut [u8],
        mut f: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<u64> {
        match self {
            Block::Bytes(b) => f(b).map(|()| b.len() as u64),
            Block::HeadAndObject {
                head,
                store,
                sha256,
            } => {
                f(head)?;
                let mut total = head.len() as u64;
                let mut object = store.reader(sha256).map_err(io::Error::other)?;
                loop {
                    let n = object.read(buf)?;
                    if n == 0 {
                        return Ok(total);
                    }
                    total += n as u64;
                    f(&buf[..n])?;
                }
            }
        }
    }
}

/// The second pass over a block did not give the bytes the first one measured.
fn changed_between_passes() -> io::Error {
    io::Error::other("a stored object changed while it was being exported; run `linkvault verify`")
}

/// `<urn:uuid:…>`, random (version 4).
pub(super) fn record_id() -> String {
    let mut b: [u8; 16] = fastrand::u128(..).to_le_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::store::hex_digest(&b);
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// The gzip member header flate2 writes by default: no name, no mtime, OS "unknown".
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// How hard a record is compressed, by what its payload is.
#[derive(Clone, Copy)]
enum Effort {
    /// Text (HTML, JSON, CSS, XML…): compresses well, worth the default level.
    Text = 0,
    /// Unknown binary: the fastest level.
    Binary = 1,
    /// JPEG, PNG, video, audio, archives: already compressed, so deflate only frames it
    /// (stored blocks). Deflating 4 GiB of video at the default level took 150 s.
    Compressed = 2,
}

impl Effort {
    fn of(content_type: Option<&str>) -> Effort {
        let Some(ct) = content_type else {
            return Effort::Binary;
        };
        let ct = crate::extract::mime_essence(ct);
        let (top, sub) = ct.split_once('/').unwrap_or((ct.as_str(), ""));
        let textual = top == "text"
            || [
                "json",
                "xml",
                "javascript",
                "ecmascript",
                "html",
                "warc-fields",
                "x-www-form",
            ]
            .iter()
            .any(|t| sub.contains(t));
        if textual {
            return Effort::Text;
        }
        let uncompressed_media = matches!(
            sub,
            "bmp"
                | "x-ms-bmp"
                | "tiff"
                | "x-icon"
                | "vnd.microsoft.icon"
                | "wav"
                | "x-wav"
                | "aiff"
        );
        let packed_app = top == "application"
            && matches!(
                sub,
                "zip"
                    | "gzip"
                    | "x-gzip"
                    | "x-bzip2"
                    | "x-xz"
                    | "zstd"
                    | "x-7z-compressed"
                    | "vnd.rar"
                    | "x-rar-compressed"
                    | "pdf"
                    | "epub+zip"
            );
        if (matches!(top, "image" | "video" | "audio") && !uncompressed_media) || packed_app {
            Effort::Compressed
        } else {
            Effort::Binary
        }
    }
}

/// Writes records to `out`, each its own gzip member (RFC 1952), reusing the compressors and
/// one read buffer: a fresh compressor per record costs more than compressing a small record.
pub(super) struct WarcWriter<W: Write> {
    out: Counting<W>,
    /// One gzip member per record; plain records when false (a `.warc`).
    gzip: bool,
    /// One compressor per `Effort`, indexed by it.
    deflate: [DeflateEncoder<Vec<u8>>; 3],
    buf: Vec<u8>,
}

impl<W: Write> WarcWriter<W> {
    pub(super) fn new(out: W, gzip: bool) -> Self {
        let level = |l| DeflateEncoder::new(Vec::new(), l);
        WarcWriter {
            out: Counting::new(out),
            gzip,
            deflate: [
                level(Compression::default()),
                level(Compression::fast()),
                level(Compression::none()),
            ],
            buf: vec![0; 256 * 1024],
        }
    }

    pub(super) fn into_inner(self) -> W {
        self.out.into_inner()
    }

    /// Writes one record whose payload has `payload_type`; returns (offset, compressed length)
    /// for the index.
    pub(super) fn write_record(
        &mut self,
        fields: &[(&str, String)],
        block: Block<'_>,
        payload_type: Option<&str>,
    ) -> io::Result<(u64, u64)> {
        let mut hasher = Sha256::new();
        let len = block.for_each_chunk(&mut self.buf, |c| {
            hasher.update(c);
            Ok(())
        })?;
        let digest = crate::store::hex_digest(&hasher.finalize());
        let mut head = String::from("WARC/1.1\r\n");
        for (k, v) in fields {
            head.push_str(&format!("{k}: {}\r\n", one_line(v)));
        }
        head.push_str(&format!("WARC-Block-Digest: sha256:{digest}\r\n"));
        head.push_str(&format!("Content-Length: {len}\r\n\r\n"));

        let offset = self.out.written;
        if !self.gzip {
            self.out.write_all(head.as_bytes())?;
            let out = &mut self.out;
            if block.for_each_chunk(&mut self.buf, |c| out.write_all(c))? != len {
                return Err(changed_between_passes());
            }
            self.out.write_all(b"\r\n\r\n")?;
            return Ok((offset, self.out.written - offset));
        }
        self.out.write_all(&GZIP_HEADER)?;
        let deflate = &mut self.deflate[Effort::of(payload_type) as usize];
        deflate.reset(Vec::new())?;
        let mut crc = Crc::new();
        let out = &mut self.out;
        let mut put = |chunk: &[u8]| -> io::Result<()> {
            crc.update(chunk);
            deflate.write_all(chunk)?;
            // Pass on what the compressor produced: a record's output never piles up here.
            let produced = deflate.get_mut();
            out.write_all(produced)?;
            produced.clear();
            Ok(())
        };
        put(head.as_bytes())?;
        if block.for_each_chunk(&mut self.buf, &mut put)? != len {
            return Err(changed_between_passes());
        }
        put(b"\r\n\r\n")?;
        deflate.try_finish()?;
        let produced = deflate.get_mut();
        self.out.write_all(produced)?;
        produced.clear();
        self.out.write_all(&crc.sum().to_le_bytes())?;
        self.out.write_all(&crc.amount().to_le_bytes())?;
        Ok((offset, self.out.written - offset))
    }
}

/// Header values never carry line breaks into the record.
pub(super) fn one_line(v: &str) -> String {
    v.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effort_follows_what_the_payload_is() {
        for (ct, effort) in [
            (Some("text/html; charset=utf-8"), Effort::Text),
            (Some("application/json"), Effort::Text),
            (Some("image/svg+xml"), Effort::Text),
            (Some("video/mp4"), Effort::Compressed),
            (Some("image/JPEG"), Effort::Compressed),
            (Some("application/zip"), Effort::Compressed),
            (Some("image/bmp"), Effort::Binary),
            (Some("application/octet-stream"), Effort::Binary),
            (None, Effort::Binary),
        ] {
            assert_eq!(Effort::of(ct) as usize, effort as usize, "{ct:?}");
        }
    }

    /// Every effort writes a gzip member that decompresses to the record, digests included.
    #[test]
    fn records_at_every_effort_decompress_to_what_was_written() {
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 97) as u8).collect();
        for ct in ["text/html", "video/mp4", "application/octet-stream"] {
            let mut w = WarcWriter::new(Vec::new(), true);
            let fields = [("WARC-Type", "resource".to_string())];
            w.write_record(&fields, Block::Bytes(b"first"), Some(ct))
                .unwrap();
            let (offset, len) = w
                .write_record(&fields, Block::Bytes(&payload), Some(ct))
                .unwrap();
            let out = w.into_inner();
            let member = &out[offset as usize..(offset + len) as usize];
            let mut text = Vec::new();
            flate2::read::GzDecoder::new(member)
                .read_to_end(&mut text)
                .unwrap();
            let digest = crate::store::hex_digest(&Sha256::digest(&payload));
            let head = format!(
                "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Block-Digest: sha256:{digest}\r\nContent-Length: {}\r\n\r\n",
                payload.len()
            );
            assert!(text.starts_with(head.as_bytes()), "{ct}");
            assert_eq!(&text[head.len()..text.len() - 4], &payload[..], "{ct}");
            assert!(text.ends_with(b"\r\n\r\n"));
        }
    }
}
