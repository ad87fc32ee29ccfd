//! Bodies a server encoded although we asked for `identity` (`Content-Encoding: gzip`, `deflate`,
//! `br`): decoded as they stream in, so the snapshot is the content itself (a restored image is
//! an image, an article's links are found). Output comes in pieces of bounded size whatever the
//! compression ratio (brotli reaches 1:10⁵ and more), each counted against the caps before the
//! next is made, so a decompression bomb ends as `too_large` in bounded memory. Unknown
//! encodings are kept as received.

use std::io::Write;

use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};
use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};

/// Decoded bytes handed out at a time (flate2 adds at most its 32 KiB buffer to it).
const PIECE: usize = 256 * 1024;

/// One streaming decoder.
pub(super) enum Decoder {
    Gzip(GzDecoder<Vec<u8>>),
    /// HTTP's "deflate" is zlib-wrapped, but some servers send raw deflate: decided by the
    /// first two bytes.
    Deflate {
        kind: Option<DeflateKind>,
        head: Vec<u8>,
    },
    Brotli(Box<Brotli>),
}

pub(super) enum DeflateKind {
    Zlib(ZlibDecoder<Vec<u8>>),
    Raw(DeflateDecoder<Vec<u8>>),
}

/// Brotli through its streaming core: a fixed output buffer, so output is made only as fast
/// as it is taken.
pub(super) struct Brotli {
    state: BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>,
    out: Vec<u8>,
    total_out: usize,
    /// The last call stopped because the output buffer was full.
    more_output: bool,
    done: bool,
}

impl Brotli {
    fn new() -> Brotli {
        Brotli {
            state: BrotliState::new(
                StandardAlloc::default(),
                StandardAlloc::default(),
                StandardAlloc::default(),
            ),
            out: vec![0; PIECE],
            total_out: 0,
            more_output: false,
            done: false,
        }
    }

    fn decode(&mut self, input: &[u8]) -> std::io::Result<(usize, Vec<u8>)> {
        if self.done || (input.is_empty() && !self.more_output) {
            return Ok((0, Vec::new()));
        }
        let (mut available_in, mut input_offset) = (input.len(), 0);
        let (mut available_out, mut output_offset) = (self.out.len(), 0);
        let result = BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            input,
            &mut available_out,
            &mut output_offset,
            &mut self.out,
            &mut self.total_out,
            &mut self.state,
        );
        self.more_output = matches!(result, BrotliResult::NeedsMoreOutput);
        match result {
            BrotliResult::ResultFailure => Err(std::io::Error::other("corrupt Brotli stream")),
            BrotliResult::ResultSuccess => {
                self.done = true;
                Ok((input_offset, self.out[..output_offset].to_vec()))
            }
            BrotliResult::NeedsMoreInput | BrotliResult::NeedsMoreOutput => {
                Ok((input_offset, self.out[..output_offset].to_vec()))
            }
        }
    }
}

/// One `write` of a flate2 decoder consumes some input and leaves at most 32 KiB of output in
/// `out`: repeated until a piece is full or the input used up.
fn flate_decode<W: Write>(
    d: &mut W,
    out: impl Fn(&mut W) -> &mut Vec<u8>,
    input: &[u8],
) -> std::io::Result<(usize, Vec<u8>)> {
    let mut used = 0;
    while used < input.len() && out(d).len() < PIECE {
        match d.write(&input[used..])? {
            0 => break,
            n => used += n,
        }
    }
    Ok((used, std::mem::take(out(d))))
}

impl Decoder {
    /// The decoder for a `Content-Encoding` value, or None when it is not one we decode
    /// (`identity`, or unknown: kept as received).
    pub(super) fn for_encoding(value: &str) -> Option<(Decoder, String)> {
        // Several codings apply in order; only a single one is decoded here.
        let coding = value.trim().to_ascii_lowercase();
        let decoder = match coding.as_str() {
            "gzip" | "x-gzip" => Decoder::Gzip(GzDecoder::new(Vec::new())),
            "deflate" => Decoder::Deflate {
                kind: None,
                head: Vec::new(),
            },
            "br" => Decoder::Brotli(Box::new(Brotli::new())),
            _ => return None,
        };
        Some((decoder, coding))
    }

    /// Decodes from `input` until about a piece (256 KiB) is out or the input is used up:
    /// (input bytes used, output). Call again with the rest; with empty input it hands out
    /// what is still pending, and `(0, [])` means nothing more can be done now.
    pub(super) fn decode(&mut self, input: &[u8]) -> std::io::Result<(usize, Vec<u8>)> {
        match self {
            Decoder::Gzip(d) => flate_decode(d, |d| d.get_mut(), input),
            Decoder::Deflate { kind, head } => {
                let k = match kind {
                    Some(k) => k,
                    None => {
                        let want = 2 - head.len().min(2);
                        let take = want.min(input.len());
                        head.extend_from_slice(&input[..take]);
                        if head.len() < 2 {
                            return Ok((take, Vec::new()));
                        }
                        // A zlib stream starts with CMF/FLG whose 16-bit value is a multiple
                        // of 31.
                        let zlib = head[0] & 0x0f == 8
                            && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0;
                        let mut k = if zlib {
                            DeflateKind::Zlib(ZlibDecoder::new(Vec::new()))
                        } else {
                            DeflateKind::Raw(DeflateDecoder::new(Vec::new()))
                        };
                        match &mut k {
                            DeflateKind::Zlib(d) => d.write_all(head)?,
                            DeflateKind::Raw(d) => d.write_all(head)?,
                        }
                        let (used, out) = match &mut k {
                            DeflateKind::Zlib(d) => {
                                flate_decode(d, |d| d.get_mut(), &input[take..])?
                            }
                            DeflateKind::Raw(d) => {
                                flate_decode(d, |d| d.get_mut(), &input[take..])?
                            }
                        };
                        *kind = Some(k);
                        return Ok((take + used, out));
                    }
                };
                match k {
                    DeflateKind::Zlib(d) => flate_decode(d, |d| d.get_mut(), input),
                    DeflateKind::Raw(d) => flate_decode(d, |d| d.get_mut(), input),
                }
            }
            Decoder::Brotli(b) => b.decode(input),
        }
    }

    /// The end of the body, once `decode` has nothing more: the last bytes (at most a flate2
    /// buffer's worth), or an error when the stream is incomplete.
    pub(super) fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Decoder::Gzip(d) => d.finish(),
            Decoder::Deflate { kind: None, head } if head.is_empty() => Ok(Vec::new()),
            Decoder::Deflate { kind: None, .. } => {
                Err(std::io::Error::other("the deflate stream is incomplete"))
            }
            Decoder::Deflate {
                kind: Some(DeflateKind::Zlib(d)),
                ..
            } => d.finish(),
            Decoder::Deflate {
                kind: Some(DeflateKind::Raw(d)),
                ..
            } => d.finish(),
            Decoder::Brotli(b) if b.done => Ok(Vec::new()),
            Decoder::Brotli(_) => Err(std::io::Error::other("the Brotli stream is incomplete")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `encoded` fed in `step`-byte chunks; the largest piece handed out, and the whole.
    fn decode_all(coding: &str, encoded: &[u8], step: usize) -> (usize, Vec<u8>) {
        let (mut d, _) = Decoder::for_encoding(coding).unwrap();
        let (mut out, mut largest) = (Vec::new(), 0);
        let mut take = |piece: Vec<u8>, out: &mut Vec<u8>| {
            largest = largest.max(piece.len());
            out.extend(piece);
        };
        for chunk in encoded.chunks(step).chain(std::iter::once(&[][..])) {
            let mut rest = chunk;
            loop {
                let (used, piece) = d.decode(rest).unwrap();
                rest = &rest[used..];
                if used == 0 && piece.is_empty() {
                    break;
                }
                take(piece, &mut out);
            }
        }
        let last = d.finish().unwrap();
        take(last, &mut out);
        (largest, out)
    }

    #[test]
    fn gzip_zlib_and_raw_deflate_decode_in_small_chunks() {
        let body = b"<p>an image: <img src=/a.png></p>".repeat(50);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&body).unwrap();
        assert_eq!(decode_all("gzip", &gz.finish().unwrap(), 7).1, body);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&body).unwrap();
        assert_eq!(decode_all("deflate", &z.finish().unwrap(), 7).1, body);
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&body).unwrap();
        assert_eq!(decode_all("deflate", &raw.finish().unwrap(), 1).1, body);
        assert!(Decoder::for_encoding("identity").is_none());
        assert!(Decoder::for_encoding("zstd").is_none());
    }

    #[test]
    fn a_truncated_stream_is_an_error() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[7u8; 10_000]).unwrap();
        let enc = gz.finish().unwrap();
        let (mut d, _) = Decoder::for_encoding("gzip").unwrap();
        let _ = d.decode(&enc[..enc.len() / 2]).unwrap();
        assert!(d.finish().is_err());
        let br = include_bytes!("../../tests/fixtures/bomb-64MiB-zeros.br");
        let (mut d, _) = Decoder::for_encoding("br").unwrap();
        let _ = d.decode(&br[..br.len() / 2]).unwrap();
        assert!(d.finish().is_err());
    }

    #[test]
    fn a_bomb_comes_out_in_bounded_pieces_whatever_the_coding() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&vec![0u8; 64 << 20]).unwrap();
        let gz = gz.finish().unwrap();
        // 861 bytes of brotli that decode to 64 MiB of zeros.
        let br = include_bytes!("../../tests/fixtures/bomb-64MiB-zeros.br").to_vec();
        for (coding, encoded) in [("gzip", gz), ("br", br)] {
            // The whole bomb as one chunk.
            let (largest, out) = decode_all(coding, &encoded, encoded.len());
            assert_eq!(out.len(), 64 << 20, "{coding}");
            assert!(out.iter().all(|b| *b == 0), "{coding}");
            assert!(
                largest <= PIECE + 32 * 1024,
                "{coding}: a piece of {largest} bytes"
            );
        }
    }
}
