//! Reading an answer: its head (status line, headers, `Retry-After`, `Content-Encoding`) and
//! its body, streamed — decoded as it arrives, counted against its cap, timed against stalls
//! and slow drips — into the store through the hashing pipe, into memory, or nowhere.

use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, ETAG, LAST_MODIFIED, RETRY_AFTER};
use tokio::time::{timeout, Instant};
use url::Url;

use super::answer::{Answer, Body, Failure, Sink};
use super::pipe::BodyPipe;
use super::transport::{classify, describe};
use super::{Fetcher, Hop};
use crate::model::{Reason, State};
use crate::store::WriteError;
use crate::units::format_size;

impl Fetcher {
    pub(super) async fn read_answer(
        &self,
        mut resp: reqwest::Response,
        final_url: Url,
        redirects: Vec<Hop>,
        sink: Sink,
    ) -> Result<Answer, Failure> {
        let status = resp.status().as_u16();
        let headers = resp.headers();
        let header = |name| header_str(headers, name);
        let content_type = header(CONTENT_TYPE);
        let etag = header(ETAG);
        let last_modified = header(LAST_MODIFIED);
        let retry_after = header(RETRY_AFTER).and_then(|v| parse_retry_after(&v));
        let declared_len: Option<u64> = header(CONTENT_LENGTH).and_then(|v| v.parse().ok());
        let header_list: Vec<(String, String)> = headers
            .iter()
            .take(500)
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let (http_version, reason_phrase) = status_line(&resp);
        // Encoded although we asked for identity: decoded as it streams (see `decode`).
        let decoder = header(reqwest::header::CONTENT_ENCODING)
            .and_then(|v| super::decode::Decoder::for_encoding(&v));
        let mut answer = Answer {
            final_url,
            redirects,
            status,
            headers: header_list,
            http_version,
            reason_phrase,
            content_type,
            etag,
            last_modified,
            retry_after,
            body: Body::None,
            downloaded: 0,
            decoded_from: decoder.as_ref().map(|(_, coding)| coding.clone()),
        };
        if status == 304 || status == 204 {
            return Ok(answer);
        }
        let success = (200..300).contains(&status);
        let cap = match sink {
            Sink::Memory(max) => max as u64,
            Sink::Store | Sink::StoreSuccess if success => self.cfg.max_bytes,
            Sink::Document { cap, .. } if success => cap,
            Sink::Drain => self.cfg.max_bytes,
            Sink::Store => self.cfg.max_error_body,
            Sink::StoreSuccess | Sink::Discard | Sink::Document { .. } => {
                answer.body = Body::Skipped;
                return Ok(answer);
            }
        };
        let stored = matches!(
            sink,
            Sink::Store
                | Sink::StoreSuccess
                | Sink::Document {
                    in_memory: false,
                    ..
                }
        );
        // A memory sink keeps the first `cap` bytes whatever the length: it is never too large.
        if declared_len.is_some_and(|n| n > cap) && !matches!(sink, Sink::Memory(_)) {
            answer.body = over_cap(sink, success);
            return Ok(answer);
        }
        let mut memory = Vec::new();
        let mut pipe = if stored {
            Some(BodyPipe::start(
                self.store.writer().map_err(|e| store_failure(e, &answer))?,
            ))
        } else {
            None
        };
        let received = self
            .receive(
                &mut resp,
                &mut answer,
                pipe.as_mut(),
                &mut memory,
                cap,
                success,
                sink,
                decoder.map(|(d, _)| d),
            )
            .await;
        match (received, pipe) {
            (Err(f), pipe) => {
                if let Some(p) = pipe {
                    p.abandon().await;
                }
                return Err(f);
            }
            (Ok(Some(early)), pipe) => {
                if let Some(p) = pipe {
                    p.abandon().await;
                }
                answer.body = early;
            }
            (Ok(None), Some(p)) => {
                // A reference's check (`Sink::Store`) and an article page are recorded by the
                // run, which makes their objects durable in a group commit first; the rest are
                // durable now.
                let later = matches!(sink, Sink::Store | Sink::Document { .. });
                let obj = p
                    .finish(later)
                    .await
                    .map_err(|e| store_failure(e, &answer))?;
                answer.body = match sink {
                    Sink::Document { .. } => Body::Document(obj, memory),
                    _ => Body::Stored(obj),
                };
            }
            (Ok(None), None) => answer.body = Body::Memory(memory),
        }
        Ok(answer)
    }

    /// Receives the body (decoded when `decoder` is given) into the pipe (or memory).
    /// `Some(body)` ends early without a stored object (too large, an error page not worth
    /// keeping); `None` means the body is complete.
    #[allow(clippy::too_many_arguments)]
    async fn receive(
        &self,
        resp: &mut reqwest::Response,
        answer: &mut Answer,
        mut pipe: Option<&mut BodyPipe>,
        memory: &mut Vec<u8>,
        cap: u64,
        success: bool,
        sink: Sink,
        mut decoder: Option<super::decode::Decoder>,
    ) -> Result<Option<Body>, Failure> {
        // A slow drip never stalls for a whole window: judge the speed of each window instead.
        let mut window_start = Instant::now();
        let mut window_bytes = 0u64;
        let mut keep = Keep {
            kept: 0,
            cap,
            success,
            sink,
        };
        let broken = |answer: &Answer, e: std::io::Error| {
            body_failure(
                answer,
                Reason::Protocol,
                format!(
                    "the body's {} encoding is broken: {e}",
                    answer.decoded_from.as_deref().unwrap_or("content")
                ),
            )
        };
        loop {
            let chunk = match timeout(self.cfg.stall_timeout, resp.chunk()).await {
                Err(_) => {
                    return Err(body_failure(
                        answer,
                        Reason::Timeout,
                        format!(
                            "the body stalled for longer than fetch.stall_timeout ({:?}) after {} bytes",
                            self.cfg.stall_timeout, answer.downloaded
                        ),
                    ))
                }
                Ok(Err(e)) => {
                    let (_, reason) = classify(&e);
                    let reason = if reason == Reason::Timeout { Reason::Timeout } else { Reason::Reset };
                    return Err(body_failure(
                        answer,
                        reason,
                        format!("the body broke off after {} bytes: {}", answer.downloaded, describe(&e)),
                    ));
                }
                Ok(Ok(None)) => {
                    if let Some(mut d) = decoder.take() {
                        if let Some(end) = keep.decoded(&mut d, &[], pipe.as_deref_mut(), memory).await {
                            return end.map_err(|e| broken(answer, e));
                        }
                        let rest = d.finish().map_err(|e| broken(answer, e))?;
                        if let Step::Stop(end) = keep.piece(rest.into(), pipe.as_deref_mut(), memory).await {
                            return Ok(end);
                        }
                    }
                    return Ok(None);
                }
                Ok(Ok(Some(c))) => c,
            };
            answer.downloaded += chunk.len() as u64;
            window_bytes += chunk.len() as u64;
            let window = window_start.elapsed();
            if window >= self.cfg.stall_timeout {
                if (window_bytes as f64) < self.cfg.min_speed as f64 * window.as_secs_f64() {
                    return Err(body_failure(
                        answer,
                        Reason::Timeout,
                        format!(
                            "the body arrived slower than fetch.min_speed ({}/s) after {} bytes",
                            format_size(self.cfg.min_speed),
                            answer.downloaded
                        ),
                    ));
                }
                window_start = Instant::now();
                window_bytes = 0;
            }
            match decoder.as_mut() {
                None => {
                    if let Step::Stop(end) = keep.piece(chunk, pipe.as_deref_mut(), memory).await {
                        return Ok(end);
                    }
                }
                Some(d) => {
                    if let Some(end) = keep.decoded(d, &chunk, pipe.as_deref_mut(), memory).await {
                        return end.map_err(|e| broken(answer, e));
                    }
                }
            }
        }
    }
}

/// What to do next after a piece of body was kept.
enum Step {
    Continue,
    /// Stop receiving: with a body that ends the answer early, or `None` when the writer
    /// failed (its `finish` says why).
    Stop(Option<Body>),
}

/// Keeps the pieces of one body, counting them against its cap.
struct Keep {
    /// Bytes kept so far (decoded): what the cap applies to, so a bomb ends as too large.
    kept: u64,
    cap: u64,
    success: bool,
    sink: Sink,
}

/// A body past its cap: a 2xx meant to be kept is too large (nothing kept, never cut short);
/// anything else is skipped.
fn over_cap(sink: Sink, success: bool) -> Body {
    match sink {
        Sink::Store | Sink::StoreSuccess | Sink::Document { .. } if success => Body::TooLarge,
        _ => Body::Skipped,
    }
}

impl Keep {
    /// Decodes `input` piece by piece, each counted before the next is made (a bomb stops at
    /// the cap in bounded memory). `Some` ends the body: as `piece` says, or a broken stream.
    async fn decoded(
        &mut self,
        d: &mut super::decode::Decoder,
        mut input: &[u8],
        mut pipe: Option<&mut BodyPipe>,
        memory: &mut Vec<u8>,
    ) -> Option<std::io::Result<Option<Body>>> {
        loop {
            let (used, out) = match d.decode(input) {
                Ok(step) => step,
                Err(e) => return Some(Err(e)),
            };
            input = &input[used..];
            if used == 0 && out.is_empty() {
                return None;
            }
            if !out.is_empty() {
                if let Step::Stop(end) = self.piece(out.into(), pipe.as_deref_mut(), memory).await {
                    return Some(Ok(end));
                }
            }
        }
    }

    async fn piece(
        &mut self,
        piece: bytes::Bytes,
        pipe: Option<&mut BodyPipe>,
        memory: &mut Vec<u8>,
    ) -> Step {
        self.kept += piece.len() as u64;
        if self.kept > self.cap {
            return Step::Stop(Some(match self.sink {
                Sink::Memory(_) => {
                    let cap = self.cap as usize;
                    let room = cap - memory.len().min(cap);
                    memory.extend_from_slice(&piece[..room.min(piece.len())]);
                    Body::Memory(std::mem::take(memory))
                }
                sink => over_cap(sink, self.success),
            }));
        }
        match pipe {
            // The writer failed (disk full): stop receiving; `finish` reports its error.
            Some(p) => {
                // An article is read right after it is stored: keep its bytes too (it is
                // bounded by `fetch.max_article_bytes`).
                if matches!(self.sink, Sink::Document { .. }) {
                    memory.extend_from_slice(&piece);
                }
                if !p.send(piece).await {
                    return Step::Stop(None);
                }
            }
            None if matches!(self.sink, Sink::Drain) => {}
            None => memory.extend_from_slice(&piece),
        }
        Step::Continue
    }
}

/// The response's protocol name and, for HTTP/1, its reason phrase exactly as sent (hyper
/// keeps a reason only when it differs from the canonical one, so no extension means canonical).
fn status_line(resp: &reqwest::Response) -> (&'static str, Option<String>) {
    let version = match resp.version() {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    };
    if resp.version() >= reqwest::Version::HTTP_2 {
        return (version, None);
    }
    let reason = match resp.extensions().get::<hyper::ext::ReasonPhrase>() {
        Some(r) => Some(String::from_utf8_lossy(r.as_bytes()).into_owned()),
        None => resp.status().canonical_reason().map(str::to_owned),
    };
    (version, reason)
}

fn header_str(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `Retry-After` as seconds: either a number or an HTTP date.
fn parse_retry_after(v: &str) -> Option<u64> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(secs);
    }
    let when = httpdate::parse_http_date(v.trim()).ok()?;
    let now = std::time::SystemTime::now();
    Some(when.duration_since(now).map(|d| d.as_secs()).unwrap_or(0))
}

fn body_failure(a: &Answer, reason: Reason, message: String) -> Failure {
    Failure {
        state: State::Transient,
        reason,
        message,
        got_response: true,
        http_status: Some(a.status),
        final_url: Some(a.final_url.clone()),
        redirects: a.redirects.clone(),
        downloaded: a.downloaded,
        store_error: None,
    }
}

fn store_failure(e: WriteError, a: &Answer) -> Failure {
    Failure {
        message: e.to_string(),
        store_error: Some(e),
        ..body_failure(a, Reason::Protocol, String::new())
    }
}
