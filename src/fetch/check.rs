//! One check of one reference: request it (following and recording redirects by hand), stream
//! the body through SHA-256 into the store, retry transient failures with backoff and
//! `Retry-After`, probe for soft 404s, and return the `CheckResult`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{
    HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    LOCATION, RETRY_AFTER,
};
use tokio::sync::OnceCell;
use tokio::time::{timeout, Instant};
use url::Url;

use super::pipe::BodyPipe;
use super::politeness::Politeness;
use super::similarity::{
    TextSignature, MAX_TEXT_BYTES, SOFT_404_SIMILARITY, UNCHANGED_TEXT_SIMILARITY,
};
use super::{address, probe, verdict, CheckResult, Hop};
use crate::clock;
use crate::config::FetchConfig;
use crate::db::DueRef;
use crate::extract::kind_from_content_type;
use crate::model::{Reason, State};
use crate::store::{Store, StoredObject, WriteError};
use crate::units::format_size;

/// Shared by all checks of a run: one client (keep-alive), one politeness table, one probe cache.
pub struct Fetcher {
    client: reqwest::Client,
    pub(super) politeness: Arc<Politeness>,
    store: Store,
    pub(super) cfg: FetchConfig,
    probes: Mutex<HashMap<String, Arc<OnceCell<Option<Probed>>>>>,
    /// Refuse non-public IP literals (names are filtered by the client's resolver).
    guard_addresses: bool,
}

/// What a made-up sibling URL answered with 2xx.
#[derive(Debug, Clone)]
struct Probed {
    final_url: String,
    redirected: bool,
    text: TextSignature,
}

/// Where a body goes.
#[derive(Clone, Copy)]
pub(super) enum Sink {
    /// Into the store: up to `max_bytes` for 2xx, up to `max_error_body` otherwise.
    Store,
    /// Into the store when 2xx (up to `max_bytes`); any other body is not read.
    StoreSuccess,
    /// Into memory, for probes: at most this many bytes are kept, the rest is not read.
    Memory(usize),
    /// Not read at all: only the status line and headers matter.
    Discard,
    /// Read to the end (up to `max_bytes`) and thrown away: a server that records what it
    /// sends (a save endpoint) finishes only when its answer was read.
    Drain,
    /// An article: into the store (or memory) when 2xx, at most this many bytes; a longer body
    /// is `TooLarge` (never cut short: a truncated page would be read as the whole).
    Document { cap: u64, in_memory: bool },
}

#[derive(Debug)]
pub(super) enum Body {
    None,
    Stored(StoredObject),
    Memory(Vec<u8>),
    /// A 2xx body larger than the cap: nothing kept.
    TooLarge,
    /// An error page larger than `max_error_body`: read no further, nothing kept.
    Skipped,
}

/// A final HTTP response (with `Ask::no_follow`, possibly a redirect).
pub(super) struct Answer {
    pub(super) final_url: Url,
    pub(super) redirects: Vec<Hop>,
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) http_version: &'static str,
    pub(super) reason_phrase: Option<String>,
    pub(super) content_type: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
    pub(super) retry_after: Option<u64>,
    pub(super) body: Body,
    downloaded: u64,
    /// The `Content-Encoding` the body was decoded from (the stored bytes are decoded).
    pub(super) decoded_from: Option<String>,
}

/// No usable answer: a transport error, a redirect problem, or a body that broke off.
pub(super) struct Failure {
    state: State,
    pub(super) reason: Reason,
    pub(super) message: String,
    got_response: bool,
    pub(super) http_status: Option<u16>,
    final_url: Option<Url>,
    redirects: Vec<Hop>,
    downloaded: u64,
    /// The archive itself failed (disk full): the run must stop, not record a verdict.
    pub(super) store_error: Option<WriteError>,
}

/// What to send besides the defaults, and whether to follow redirects.
#[derive(Default, Clone)]
pub(super) struct Ask {
    /// Validators of the copy held (If-None-Match / If-Modified-Since).
    pub(super) etag: Option<String>,
    pub(super) last_modified: Option<String>,
    /// Extra request headers (`Accept-Datetime` to a TimeGate, credentials to an endpoint).
    pub(super) headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    /// Stop at the first answer, redirect or not: a TimeGate's `302` is the answer itself.
    pub(super) no_follow: bool,
}

/// An article page as fetched: stored in the archive (`run`) or kept in memory (`extract`).
#[derive(Debug, Default)]
pub struct DocumentFetch {
    pub status: Option<u16>,
    pub final_url: Option<Url>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub stored: Option<StoredObject>,
    pub in_memory: Option<Vec<u8>>,
    pub error: Option<String>,
    pub got_response: bool,
    /// Our own address policy refused it: nothing was asked of the network.
    pub refused: bool,
    /// Response headers and status line as received (for the capture's record).
    pub headers: Vec<(String, String)>,
    pub http_version: Option<&'static str>,
    pub reason_phrase: Option<String>,
    /// The Content-Encoding the body was decoded from.
    pub decoded_from: Option<String>,
}

impl Fetcher {
    /// Fetches an article page (conditionally, when validators are given). Into the store when
    /// `archive` is true, else into memory up to `fetch.max_bytes`.
    pub async fn fetch_document(
        &self,
        url: &Url,
        etag: Option<String>,
        last_modified: Option<String>,
        archive: bool,
    ) -> Result<DocumentFetch, WriteError> {
        let validators = Ask {
            etag,
            last_modified,
            ..Ask::default()
        };
        let sink = Sink::Document {
            cap: self.cfg.max_article_bytes,
            in_memory: !archive,
        };
        let mut out = DocumentFetch::default();
        match self.request(url, &validators, sink).await {
            Ok(a) => {
                out.got_response = true;
                out.status = Some(a.status);
                out.final_url = Some(a.final_url);
                out.content_type = a.content_type;
                out.etag = a.etag;
                out.last_modified = a.last_modified;
                out.headers = a.headers;
                out.http_version = Some(a.http_version);
                out.reason_phrase = a.reason_phrase;
                out.decoded_from = a.decoded_from;
                match a.body {
                    Body::Stored(o) => out.stored = Some(o),
                    Body::Memory(m) => out.in_memory = Some(m),
                    Body::TooLarge | Body::Skipped if (200..300).contains(&a.status) => {
                        out.error = Some(format!(
                            "the article is larger than fetch.max_article_bytes ({}); raise it in config.toml to read it",
                            format_size(self.cfg.max_article_bytes)
                        ))
                    }
                    Body::TooLarge | Body::Skipped => {}
                    Body::None => {}
                }
                if !(200..300).contains(&a.status) && a.status != 304 {
                    out.error = Some(format!("HTTP {}", a.status));
                }
            }
            Err(f) => {
                if let Some(e) = f.store_error {
                    return Err(e);
                }
                out.got_response = f.got_response;
                out.refused = f.reason == Reason::PrivateAddress;
                out.status = f.http_status;
                out.error = Some(f.message);
            }
        }
        Ok(out)
    }

    pub fn new(client: reqwest::Client, store: Store, cfg: FetchConfig) -> Fetcher {
        let guard_addresses = cfg.guards_addresses();
        Fetcher {
            client,
            politeness: Arc::new(Politeness::new(
                cfg.per_host_concurrency,
                cfg.per_host_interval,
            )),
            store,
            cfg,
            probes: Mutex::new(HashMap::new()),
            guard_addresses,
        }
    }

    /// Whether `url`'s server answers at all (any HTTP status) to a HEAD, under the same
    /// address policy, politeness and timeouts as a check: the test of whether the network is up.
    pub async fn answers(&self, url: &Url) -> bool {
        if self.guard_addresses && ip_literal(url).is_some_and(|ip| !address::is_public(ip)) {
            return false;
        }
        let _permit = self.politeness.acquire(&host_of(url)).await;
        let request = self.client.head(url.clone()).send();
        matches!(timeout(self.cfg.stall_timeout, request).await, Ok(Ok(_)))
    }

    /// The store captures go into (articles read from files are kept there too).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Checks one reference. An `Err` means the archive itself failed (e.g. disk full).
    pub async fn check(&self, due: &DueRef) -> Result<CheckResult, WriteError> {
        let started = Instant::now();
        let checked_at = clock::now();
        let mut result = CheckResult {
            ref_id: due.id,
            url: due.url.clone(),
            host: due.host.clone(),
            checked_at,
            state: State::Dead,
            reason: Reason::Protocol,
            http_status: None,
            final_url: None,
            redirects: Vec::new(),
            error: None,
            body: None,
            content_type: None,
            headers: Vec::new(),
            http_version: None,
            reason_phrase: None,
            etag: None,
            last_modified: None,
            elapsed_ms: 0,
            attempts: 0,
            got_response: false,
            retry_after: None,
            drift: false,
            kind_hint: None,
            downloaded: 0,
            video: None,
            decoded_from: None,
        };
        if due.url.len() > super::MAX_URL_BYTES {
            result.reason = Reason::UrlTooLong;
            result.error = Some(format!(
                "the URL is {} long, more than any server accepts ({}): it cannot be fetched",
                format_size(due.url.len() as u64),
                format_size(super::MAX_URL_BYTES as u64)
            ));
            return Ok(result);
        }
        let url = match Url::parse(&due.url) {
            Ok(u) => u,
            Err(e) => {
                result.error = Some(format!("not a valid URL: {e}"));
                return Ok(result);
            }
        };
        // Ask "has it changed?" only if we still hold the copy it would be unchanged from.
        let validators = match &due.good_sha256 {
            Some(sha) if self.store.contains(sha) => Ask {
                etag: due.etag.clone(),
                last_modified: due.last_modified.clone(),
                ..Ask::default()
            },
            _ => Ask::default(),
        };

        let outcome = self
            .request_with_retries(&url, &validators, &mut result)
            .await;
        match outcome {
            Ok(answer) => self.judge_answer(&url, due, answer, &mut result).await,
            Err(f) => {
                if let Some(e) = f.store_error {
                    return Err(e);
                }
                result.state = f.state;
                result.reason = f.reason;
                result.error = Some(f.message);
                result.got_response |= f.got_response;
                result.http_status = f.http_status;
                result.final_url = f.final_url.map(String::from);
                result.redirects = f.redirects;
                result.downloaded += f.downloaded;
            }
        }
        result.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(result)
    }

    async fn request_with_retries(
        &self,
        url: &Url,
        validators: &Ask,
        result: &mut CheckResult,
    ) -> Result<Answer, Failure> {
        loop {
            result.attempts += 1;
            let outcome = self.request(url, validators, Sink::Store).await;
            let (state, retry_after) = match &outcome {
                Ok(a) => (verdict::from_status(a.status).0, a.retry_after),
                Err(f) if f.store_error.is_some() => return outcome,
                Err(f) => (f.state, None),
            };
            match &outcome {
                Ok(a) => {
                    result.got_response = true;
                    result.downloaded += a.downloaded;
                }
                Err(f) => result.got_response |= f.got_response,
            }
            if let Ok(a) = &outcome {
                self.heed_retry_after(a).await;
            }
            if retry_after.is_some() {
                result.retry_after = retry_after;
            }
            if state != State::Transient || result.attempts > self.cfg.retries {
                return outcome;
            }
            let wait = match retry_after {
                Some(s) if Duration::from_secs(s) > self.cfg.max_retry_after => return outcome,
                Some(s) => Duration::from_secs(s),
                None => self.cfg.retry_backoff * 2u32.saturating_pow(result.attempts - 1),
            };
            drop(outcome);
            tokio::time::sleep(wait).await;
        }
    }

    /// A `429` or `503` with `Retry-After` asks the whole host to slow down: every later
    /// request to it waits, but one run waits at most `fetch.max_retry_after`.
    pub(super) async fn heed_retry_after(&self, a: &Answer) {
        if let Some(wait) = a.retry_after.filter(|_| matches!(a.status, 429 | 503)) {
            let pause = Duration::from_secs(wait).min(self.cfg.max_retry_after);
            self.politeness.pause(&host_of(&a.final_url), pause).await;
        }
    }

    async fn judge_answer(&self, url: &Url, due: &DueRef, a: Answer, r: &mut CheckResult) {
        let (mut state, mut reason) = verdict::from_status(a.status);
        r.http_status = Some(a.status);
        r.final_url = Some(a.final_url.to_string());
        r.headers = a.headers;
        r.http_version = Some(a.http_version);
        r.reason_phrase = a.reason_phrase;
        r.content_type = a.content_type.clone();
        r.etag = a.etag;
        r.last_modified = a.last_modified;
        r.kind_hint = a.content_type.as_deref().and_then(kind_from_content_type);
        r.decoded_from = a.decoded_from;
        let redirected = !a.redirects.is_empty();
        r.redirects = a.redirects;
        match a.body {
            Body::Stored(obj) => r.body = Some(obj),
            Body::TooLarge => {
                reason = Reason::TooLarge;
                r.error = Some(format!(
                    "the body is larger than fetch.max_bytes ({}); it was not stored. Raise fetch.max_bytes to keep it",
                    format_size(self.cfg.max_bytes)
                ));
            }
            Body::None | Body::Memory(_) | Body::Skipped => {}
        }
        if state == State::Alive && reason == Reason::Ok {
            if redirected {
                if let Some(why) = verdict::from_redirect_ending(url, &a.final_url) {
                    (state, reason) = (State::Dead, why);
                }
            }
            let is_html = r.content_type.as_deref().is_some_and(is_html_type);
            if state == State::Alive && is_html && self.cfg.soft404_probe && verdict::is_deep(url) {
                if let Some(body) = &r.body {
                    if self
                        .is_soft_404(url, &a.final_url, redirected, &body.sha256)
                        .await
                    {
                        (state, reason) = (State::Dead, Reason::SoftNotFound);
                    }
                }
            }
            if state == State::Alive {
                if let (Some(body), Some(prev)) = (&r.body, &due.good_sha256) {
                    if &body.sha256 != prev {
                        r.drift = !is_html || self.text_changed(prev, &body.sha256);
                    }
                }
            }
        }
        if state != State::Alive && r.error.is_none() {
            r.error = Some(match reason {
                Reason::SoftNotFound => {
                    "answers 200, but with the same page a made-up address on this site gets"
                        .to_string()
                }
                Reason::RedirectToRoot => {
                    format!("redirects to the site's front page {}", a.final_url)
                }
                Reason::RedirectToLogin => format!("redirects to a sign-in page {}", a.final_url),
                _ => format!("HTTP {}", a.status),
            });
        }
        r.state = state;
        r.reason = reason;
    }

    /// One request, redirects followed and recorded, body streamed to `sink`.
    pub(super) async fn request(
        &self,
        url: &Url,
        validators: &Ask,
        sink: Sink,
    ) -> Result<Answer, Failure> {
        let mut current = url.clone();
        let mut redirects: Vec<Hop> = Vec::new();
        let mut seen: HashSet<String> = HashSet::from([current.to_string()]);
        loop {
            if self.guard_addresses {
                if let Some(ip) = ip_literal(&current) {
                    if !address::is_public(ip) {
                        return Err(Failure {
                            state: State::Blocked,
                            reason: Reason::PrivateAddress,
                            message: format!(
                                "{ip} is a {} (set fetch.allow_private = true to allow it)",
                                address::REFUSED
                            ),
                            got_response: false,
                            http_status: None,
                            final_url: Some(current),
                            redirects,
                            downloaded: 0,
                            store_error: None,
                        });
                    }
                }
            }
            let _permit = self.politeness.acquire(&host_of(&current)).await;
            let mut req = self.client.get(current.clone());
            if let Some(e) = &validators.etag {
                req = req.header(IF_NONE_MATCH, e.as_str());
            }
            if let Some(lm) = &validators.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm.as_str());
            }
            for (name, value) in &validators.headers {
                req = req.header(name, value);
            }
            // Matched per hop: a redirect to another host never carries them along.
            for (name, value) in self.cfg.session.headers_for(&current, clock::now()) {
                req = req.header(name, value);
            }
            let fail =
                |state, reason, message: String, got_response, redirects: &Vec<Hop>| Failure {
                    state,
                    reason,
                    message,
                    got_response,
                    http_status: None,
                    final_url: None,
                    redirects: redirects.clone(),
                    downloaded: 0,
                    store_error: None,
                };
            let resp = match timeout(self.cfg.stall_timeout, req.send()).await {
                Err(_) => {
                    return Err(fail(
                        State::Transient,
                        Reason::Timeout,
                        format!(
                            "no response within fetch.stall_timeout ({:?})",
                            self.cfg.stall_timeout
                        ),
                        false,
                        &redirects,
                    ))
                }
                Ok(Err(e)) => {
                    let (state, reason) = classify(&e);
                    return Err(fail(state, reason, describe(&e), false, &redirects));
                }
                Ok(Ok(resp)) => resp,
            };
            let status = resp.status().as_u16();
            if (300..400).contains(&status) && status != 304 && !validators.no_follow {
                if let Some(loc) = resp.headers().get(LOCATION) {
                    let loc = String::from_utf8_lossy(loc.as_bytes()).trim().to_string();
                    redirects.push(Hop {
                        url: current.to_string(),
                        status,
                    });
                    let next = match current.join(&loc) {
                        Ok(n) if matches!(n.scheme(), "http" | "https") => n,
                        Ok(n) => {
                            return Err(fail(
                                State::Dead,
                                Reason::BadRedirect,
                                format!(
                                    "redirects to a non-HTTP address `{}`; not followed",
                                    n.scheme()
                                ),
                                true,
                                &redirects,
                            ))
                        }
                        Err(e) => {
                            return Err(fail(
                                State::Dead,
                                Reason::BadRedirect,
                                format!(
                                    "redirects to an invalid address `{}`: {e}",
                                    truncate(&loc, 200)
                                ),
                                true,
                                &redirects,
                            ))
                        }
                    };
                    let mut next = next;
                    next.set_fragment(None);
                    if !seen.insert(next.to_string()) {
                        return Err(fail(
                            State::Dead,
                            Reason::RedirectLoop,
                            format!("redirect loop back to {next}"),
                            true,
                            &redirects,
                        ));
                    }
                    if redirects.len() > self.cfg.max_redirects {
                        return Err(fail(
                            State::Dead,
                            Reason::TooManyRedirects,
                            format!(
                                "more than fetch.max_redirects ({}) redirects",
                                self.cfg.max_redirects
                            ),
                            true,
                            &redirects,
                        ));
                    }
                    current = next;
                    continue;
                }
            }
            return self.read_answer(resp, current, redirects, sink).await;
        }
    }

    async fn read_answer(
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
        let pipe = match stored {
            true => Some(BodyPipe::start(
                self.store.writer().map_err(|e| store_failure(e, &answer))?,
            )),
            false => None,
        };
        let received = self
            .receive(
                &mut resp,
                &mut answer,
                pipe.as_ref(),
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
                let obj = p.finish().await.map_err(|e| store_failure(e, &answer))?;
                answer.body = Body::Stored(obj);
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
        pipe: Option<&BodyPipe>,
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
                        if let Some(end) = keep.decoded(&mut d, &[], pipe, memory).await {
                            return end.map_err(|e| broken(answer, e));
                        }
                        let rest = d.finish().map_err(|e| broken(answer, e))?;
                        if let Step::Stop(end) = keep.piece(rest.into(), pipe, memory).await {
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
                    if let Step::Stop(end) = keep.piece(chunk, pipe, memory).await {
                        return Ok(end);
                    }
                }
                Some(d) => {
                    if let Some(end) = keep.decoded(d, &chunk, pipe, memory).await {
                        return end.map_err(|e| broken(answer, e));
                    }
                }
            }
        }
    }

    /// Does a made-up sibling of `url` serve the same page? One probe per site section per run.
    async fn is_soft_404(
        &self,
        url: &Url,
        final_url: &Url,
        redirected: bool,
        sha256: &str,
    ) -> bool {
        let Some((key, probe_url)) = probe::sibling(url) else {
            return false;
        };
        let cell = {
            let mut probes = match self.probes.lock() {
                Ok(p) => p,
                Err(poisoned) => poisoned.into_inner(),
            };
            probes.entry(key).or_default().clone()
        };
        let probed = cell
            .get_or_init(|| async {
                match self
                    .request(&probe_url, &Ask::default(), Sink::Memory(MAX_TEXT_BYTES))
                    .await
                {
                    Ok(a) if (200..300).contains(&a.status) => Some(Probed {
                        final_url: a.final_url.to_string(),
                        redirected: !a.redirects.is_empty(),
                        text: match &a.body {
                            Body::Memory(m) => TextSignature::of_html(m),
                            _ => TextSignature::of_html(b""),
                        },
                    }),
                    _ => None,
                }
            })
            .await;
        let Some(probed) = probed else {
            return false;
        };
        if redirected && probed.redirected && probed.final_url == final_url.as_str() {
            return true;
        }
        match self.text_signature(sha256) {
            // A page with no text of its own (a script-rendered shell) may well be the real
            // thing: without running its scripts nobody can tell, so it is not called dead.
            Some(mine) if !mine.has_text() => false,
            Some(mine) => mine.similarity(&probed.text) >= SOFT_404_SIMILARITY,
            None => false,
        }
    }

    /// The visible text of a stored HTML object (its first `MAX_TEXT_BYTES`), to compare pages.
    pub fn text_signature(&self, sha256: &str) -> Option<TextSignature> {
        let buf = self.store.read_prefix(sha256, MAX_TEXT_BYTES as u64).ok()?;
        Some(TextSignature::of_html(&buf))
    }

    /// Whether two stored HTML objects differ in their visible text, not just in ads and
    /// timestamps (true when either cannot be read).
    pub fn text_changed(&self, old: &str, new: &str) -> bool {
        match (self.text_signature(old), self.text_signature(new)) {
            (Some(a), Some(b)) => a.similarity(&b) < UNCHANGED_TEXT_SIMILARITY,
            _ => true,
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
        pipe: Option<&BodyPipe>,
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
                if let Step::Stop(end) = self.piece(out.into(), pipe, memory).await {
                    return Some(Ok(end));
                }
            }
        }
    }

    async fn piece(
        &mut self,
        piece: bytes::Bytes,
        pipe: Option<&BodyPipe>,
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

fn ip_literal(url: &Url) -> Option<std::net::IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

/// The politeness key: host and port (two servers on one machine are two hosts).
pub(super) fn host_of(url: &Url) -> String {
    match url.port_or_known_default() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    }
}

pub fn is_html_type(ct: &str) -> bool {
    let ct = ct.to_ascii_lowercase();
    ct.starts_with("text/html") || ct.starts_with("application/xhtml")
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

/// The error and its causes on one line.
fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

fn classify(e: &reqwest::Error) -> (State, Reason) {
    use super::resolve::{DnsFailure, DnsFailureKind};
    let mut io_kind = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        // Our resolver says exactly what a name failure means.
        if let Some(dns) = s.downcast_ref::<DnsFailure>() {
            return match dns.kind {
                DnsFailureKind::Gone => (State::Dead, Reason::Dns),
                DnsFailureKind::Unknown => (State::Transient, Reason::DnsTemporary),
                DnsFailureKind::Refused => (State::Blocked, Reason::PrivateAddress),
            };
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
        }
        source = s.source();
    }
    verdict::from_transport_error(&describe(e), io_kind, e.is_timeout())
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
