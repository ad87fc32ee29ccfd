//! Writing WARC/1.1 records, one gzip member each, with `sha256:` block and payload digests,
//! and the byte offsets a CDXJ index needs. Bodies are streamed from the store (hashed in one
//! pass, written in a second), never held in memory.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

/// Counts the bytes written through it (the compressed offsets of records).
pub struct Counting<W: Write> {
    inner: W,
    pub written: u64,
}

impl<W: Write> Counting<W> {
    pub fn new(inner: W) -> Self {
        Counting { inner, written: 0 }
    }
    pub fn into_inner(self) -> W {
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
pub enum Block<'a> {
    Bytes(&'a [u8]),
    HeadAndFile {
        head: &'a [u8],
        file: &'a Path,
        len: u64,
    },
}

impl Block<'_> {
    fn len(&self) -> u64 {
        match self {
            Block::Bytes(b) => b.len() as u64,
            Block::HeadAndFile { head, len, .. } => head.len() as u64 + len,
        }
    }

    fn sha256(&self) -> io::Result<String> {
        let mut h = Sha256::new();
        self.stream(&mut HashWriter(&mut h))?;
        Ok(crate::store::hex_digest(&h.finalize()))
    }

    fn stream(&self, out: &mut dyn Write) -> io::Result<()> {
        match self {
            Block::Bytes(b) => out.write_all(b),
            Block::HeadAndFile { head, file, .. } => {
                out.write_all(head)?;
                let mut f = File::open(file)?;
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = f.read(&mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    out.write_all(&buf[..n])?;
                }
            }
        }
    }
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `<urn:uuid:…>`, random (version 4).
pub fn record_id() -> String {
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

/// Writes one record as its own gzip member; returns (offset, compressed length).
pub fn write_record<W: Write>(
    out: &mut Counting<W>,
    fields: &[(&str, String)],
    block: Block<'_>,
) -> io::Result<(u64, u64)> {
    let digest = block.sha256()?;
    let offset = out.written;
    let mut gz = GzEncoder::new(&mut *out, Compression::default());
    let mut head = String::from("WARC/1.1\r\n");
    for (k, v) in fields {
        head.push_str(&format!("{k}: {}\r\n", one_line(v)));
    }
    head.push_str(&format!("WARC-Block-Digest: sha256:{digest}\r\n"));
    head.push_str(&format!("Content-Length: {}\r\n\r\n", block.len()));
    gz.write_all(head.as_bytes())?;
    block.stream(&mut gz)?;
    gz.write_all(b"\r\n\r\n")?;
    gz.finish()?;
    Ok((offset, out.written - offset))
}

/// Header values never carry line breaks into the record.
pub fn one_line(v: &str) -> String {
    v.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}
