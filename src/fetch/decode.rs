//! Bodies a server encoded although we asked for `identity` (`Content-Encoding: gzip`, `deflate`,
//! `br`): decoded as they stream in, so the snapshot is the content itself (a restored image is
//! an image, an article's links are found). The decoded size counts against the caps, so a
//! decompression bomb ends as `too_large`. Unknown encodings are kept as received.

use std::io::Write;

use brotli_decompressor::DecompressorWriter;
use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};

/// One streaming decoder, writing decoded bytes into a buffer the caller drains.
pub enum Decoder {
    Gzip(GzDecoder<Vec<u8>>),
    /// HTTP's "deflate" is zlib-wrapped, but some servers send raw deflate: decided by the
    /// first bytes.
    Deflate(Option<DeflateKind>),
    Brotli(Box<DecompressorWriter<Vec<u8>>>),
}

pub enum DeflateKind {
    Zlib(ZlibDecoder<Vec<u8>>),
    Raw(DeflateDecoder<Vec<u8>>),
}

impl Decoder {
    /// The decoder for a `Content-Encoding` value, or None when it is not one we decode
    /// (`identity`, or unknown: kept as received).
    pub fn for_encoding(value: &str) -> Option<(Decoder, String)> {
        // Several codings apply in order; only a single one is decoded here.
        let coding = value.trim().to_ascii_lowercase();
        let decoder = match coding.as_str() {
            "gzip" | "x-gzip" => Decoder::Gzip(GzDecoder::new(Vec::new())),
            "deflate" => Decoder::Deflate(None),
            "br" => Decoder::Brotli(Box::new(DecompressorWriter::new(Vec::new(), 64 * 1024))),
            _ => return None,
        };
        Some((decoder, coding))
    }

    /// Feeds encoded bytes; returns what they decoded to so far.
    pub fn push(&mut self, chunk: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Decoder::Gzip(d) => {
                d.write_all(chunk)?;
                Ok(std::mem::take(d.get_mut()))
            }
            Decoder::Deflate(kind) => {
                let k = kind.get_or_insert_with(|| {
                    // A zlib stream starts with CMF/FLG whose 16-bit value is a multiple of 31.
                    let zlib = chunk.len() >= 2
                        && chunk[0] & 0x0f == 8
                        && (u16::from(chunk[0]) << 8 | u16::from(chunk[1])) % 31 == 0;
                    if zlib {
                        DeflateKind::Zlib(ZlibDecoder::new(Vec::new()))
                    } else {
                        DeflateKind::Raw(DeflateDecoder::new(Vec::new()))
                    }
                });
                match k {
                    DeflateKind::Zlib(d) => {
                        d.write_all(chunk)?;
                        Ok(std::mem::take(d.get_mut()))
                    }
                    DeflateKind::Raw(d) => {
                        d.write_all(chunk)?;
                        Ok(std::mem::take(d.get_mut()))
                    }
                }
            }
            Decoder::Brotli(d) => {
                d.write_all(chunk)?;
                Ok(std::mem::take(d.get_mut()))
            }
        }
    }

    /// The end of the body: whatever is left, or an error when the stream is incomplete.
    pub fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Decoder::Gzip(d) => d.finish(),
            Decoder::Deflate(None) => Ok(Vec::new()),
            Decoder::Deflate(Some(DeflateKind::Zlib(d))) => d.finish(),
            Decoder::Deflate(Some(DeflateKind::Raw(d))) => d.finish(),
            Decoder::Brotli(d) => d
                .into_inner()
                .map_err(|_| std::io::Error::other("the Brotli stream is incomplete")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(coding: &str, encoded: &[u8]) -> Vec<u8> {
        let (mut d, _) = Decoder::for_encoding(coding).unwrap();
        let mut out = Vec::new();
        for chunk in encoded.chunks(7) {
            out.extend(d.push(chunk).unwrap());
        }
        out.extend(d.finish().unwrap());
        out
    }

    #[test]
    fn gzip_zlib_and_raw_deflate_decode_in_small_chunks() {
        let body = b"<p>an image: <img src=/a.png></p>".repeat(50);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&body).unwrap();
        assert_eq!(roundtrip("gzip", &gz.finish().unwrap()), body);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&body).unwrap();
        assert_eq!(roundtrip("deflate", &z.finish().unwrap()), body);
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&body).unwrap();
        assert_eq!(roundtrip("deflate", &raw.finish().unwrap()), body);
        assert!(Decoder::for_encoding("identity").is_none());
        assert!(Decoder::for_encoding("zstd").is_none());
    }

    #[test]
    fn a_truncated_stream_is_an_error() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[7u8; 10_000]).unwrap();
        let enc = gz.finish().unwrap();
        let (mut d, _) = Decoder::for_encoding("gzip").unwrap();
        let _ = d.push(&enc[..enc.len() / 2]).unwrap();
        assert!(d.finish().is_err());
    }
}
