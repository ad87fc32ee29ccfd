//! One reference looked up in every configured web archive: ask each TimeGate for the memento
//! closest to the target date (302-style, 200-style with `Link`, or through the TimeMap it
//! offers), take the closest across archives (the earlier at equal distance), fetch its original
//! bytes (the raw `id_` form where the archive has one) into the store, and refuse anything that
//! is not the content: an archived error status, a redirect to the site's front page, or the page
//! the site serves for missing addresses. Falls back to the next closest memento, a few times.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};

use futures_util::future::join_all;
use reqwest::header::{HeaderName, HeaderValue};
use url::Url;

use super::memento::{distance_key, links_in, original_in, parse_links, raw_form, stamp_time};
use crate::clock::{self, Timestamp};
use crate::db::RescueDue;
use crate::fetch::{
    is_html_type, verdict, Exchange, ExchangeBody, ExchangeError, Fetcher, Read, TextSignature,
    SOFT_404_SIMILARITY,
};
use crate::store::{StoredObject, WriteError};

/// Mementos fetched per reference at most (the closest, then fall-backs).
const MAX_ATTEMPTS: usize = 4;
/// A TimeMap larger than this is read only this far: popular URLs have tens of thousands of
/// mementos, listed oldest first, so only the oldest are seen; the TimeGate's own answer names
/// the closest one anyway.
const TIMEMAP_MAX_BYTES: usize = 8 << 20;

/// What one archive answered, in the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Its memento was taken.
    Rescued,
    /// It holds a memento, but another archive's was closer (or good enough first).
    Found,
    /// It holds no memento of the URL.
    NotFound,
    /// It holds only error pages for this URL.
    Rejected,
    /// It could not be asked (unreachable, 5xx, 429).
    Error,
}

impl Outcome {
    /// The outcome's name in the database: `rescued`, `found`, `not_found`, `rejected`,
    /// `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Rescued => "rescued",
            Outcome::Found => "found",
            Outcome::NotFound => "not_found",
            Outcome::Rejected => "rejected",
            Outcome::Error => "error",
        }
    }
}

/// One archive's part in a lookup.
#[derive(Debug, Clone)]
pub(super) struct ArchiveAnswer {
    /// The TimeGate prefix.
    pub archive: String,
    pub outcome: Outcome,
    pub memento_url: Option<String>,
    pub memento_datetime: Option<Timestamp>,
    pub detail: Option<String>,
}

/// A memento fetched into the store.
#[derive(Debug, Clone)]
pub(super) struct Fetched {
    pub archive: String,
    /// The memento as the archive named it.
    pub memento_url: String,
    pub datetime: Timestamp,
    pub object: StoredObject,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub http_version: &'static str,
    pub reason_phrase: Option<String>,
    pub content_type: Option<String>,
    /// Taken as served: the archive had no raw form, so it may have rewritten the bytes.
    pub rewritten: bool,
    /// The Content-Encoding the archive sent it in (decoded before storing).
    pub decoded_from: Option<String>,
}

/// Everything one lookup of one reference found.
#[derive(Debug, Clone)]
pub(super) struct LookupResult {
    pub ref_id: i64,
    pub looked_at: Timestamp,
    pub target_at: Timestamp,
    pub answers: Vec<ArchiveAnswer>,
    pub rescued: Option<Fetched>,
    /// Mementos fetched but refused (an error page kept with a 2xx): recorded as evidence.
    pub refused: Vec<Fetched>,
}

/// A memento some archive named.
#[derive(Debug, Clone)]
struct Candidate {
    archive: usize,
    uri: Url,
    datetime: Option<Timestamp>,
}

/// A TimeGate's answer.
enum Gate {
    Named {
        candidates: Vec<Candidate>,
        timemap: Option<Url>,
    },
    NotFound(String),
    Error(String),
}

/// Why a fetched memento is not a rescue.
enum Miss {
    /// Not the content (an error page), with the object when one was stored.
    Refused(String, Option<Box<Fetched>>),
    /// The archive could not deliver it.
    Failed(String),
}

/// Per archive, as the lookup goes.
struct ArchiveState {
    outcome: Outcome,
    detail: Option<String>,
    /// The TimeMap it offered, until it is read (once per lookup).
    timemap: Option<Url>,
    named_any: bool,
    last_miss: Option<(Outcome, String, Candidate)>,
}

/// What every fetched memento of one reference is judged against, worked out once.
struct Judge {
    original: Option<Url>,
    /// The text of the page the site serves for missing addresses, when one is held.
    error_page: Option<TextSignature>,
}

pub(super) struct Lookup<'a> {
    pub fetcher: &'a Fetcher,
    pub timegates: &'a [String],
    /// Per archive: lookups in a row that got no answer at all (no name, no connection).
    pub silent: Vec<AtomicU32>,
}

/// After this many lookups in a row without any answer from an archive, the run stops asking
/// it (offline, or a name that does not resolve): the rest are "could not be asked" at once
/// instead of each waiting for its own failure.
const GIVE_UP_AFTER: u32 = 3;

impl<'a> Lookup<'a> {
    pub(super) fn new(fetcher: &'a Fetcher, timegates: &'a [String]) -> Lookup<'a> {
        Lookup {
            fetcher,
            timegates,
            silent: timegates.iter().map(|_| AtomicU32::new(0)).collect(),
        }
    }
}

impl Lookup<'_> {
    /// Looks `due` up in every archive. `Err` only when the archive's own store fails.
    pub(super) async fn run(&self, due: &RescueDue) -> Result<LookupResult, WriteError> {
        let looked_at = clock::now();
        let gates = join_all(
            self.timegates
                .iter()
                .enumerate()
                .map(|(i, prefix)| self.ask_timegate(i, prefix, &due.url, due.target_at)),
        )
        .await;
        let mut states: Vec<ArchiveState> = Vec::with_capacity(gates.len());
        let mut pool: Vec<Candidate> = Vec::new();
        for gate in gates {
            let mut st = ArchiveState {
                outcome: Outcome::NotFound,
                detail: None,
                timemap: None,
                named_any: false,
                last_miss: None,
            };
            match gate {
                Gate::Named {
                    candidates,
                    timemap,
                } => {
                    st.named_any = !candidates.is_empty();
                    st.timemap = timemap;
                    pool.extend(candidates);
                }
                Gate::NotFound(why) => st.detail = Some(why),
                Gate::Error(why) => {
                    st.outcome = Outcome::Error;
                    st.detail = Some(why);
                }
            }
            states.push(st);
        }
        // Every memento URI once, tried or waiting (TimeMaps list tens of thousands).
        let mut seen: HashSet<String> = HashSet::new();
        pool.retain(|c| seen.insert(c.uri.to_string()));
        // An archive that answered only with its TimeMap: read it now.
        for (i, st) in states.iter_mut().enumerate() {
            if !st.named_any && st.timemap.is_some() {
                self.read_timemap(i, st, &mut pool, &mut seen).await;
            }
        }

        let mut result = LookupResult {
            ref_id: due.ref_id,
            looked_at,
            target_at: due.target_at,
            answers: Vec::new(),
            rescued: None,
            refused: Vec::new(),
        };
        let judge = Judge {
            original: Url::parse(&due.url).ok(),
            error_page: due
                .error_page
                .as_deref()
                .and_then(|sha| self.fetcher.text_signature(sha)),
        };
        for _ in 0..MAX_ATTEMPTS {
            sort_closest(&mut pool, due.target_at);
            if pool.is_empty() {
                break;
            }
            let c = pool.remove(0);
            match self.fetch_memento(&c, due, &judge).await? {
                Ok(fetched) => {
                    states[c.archive].outcome = Outcome::Rescued;
                    states[c.archive].last_miss = None;
                    result.rescued = Some(fetched);
                    break;
                }
                Err(miss) => {
                    let (outcome, why) = match miss {
                        Miss::Refused(why, kept) => {
                            result.refused.extend(kept.map(|k| *k));
                            (Outcome::Rejected, why)
                        }
                        Miss::Failed(why) => (Outcome::Error, why),
                    };
                    let archive = c.archive;
                    states[archive].last_miss = Some((outcome, why, c));
                    // Its other mementos may be good: the TimeMap lists them.
                    self.read_timemap(archive, &mut states[archive], &mut pool, &mut seen)
                        .await;
                }
            }
        }
        sort_closest(&mut pool, due.target_at);

        for (i, mut st) in states.into_iter().enumerate() {
            let mut answer = ArchiveAnswer {
                archive: self.timegates[i].clone(),
                outcome: st.outcome,
                memento_url: None,
                memento_datetime: None,
                detail: st.detail.take(),
            };
            if st.outcome == Outcome::Rescued {
                if let Some(f) = &result.rescued {
                    answer.memento_url = Some(f.memento_url.clone());
                    answer.memento_datetime = Some(f.datetime);
                }
            } else if let Some(best) = pool.iter().find(|c| c.archive == i) {
                // Pool is sorted: its first candidate of this archive is the closest left.
                answer.outcome = Outcome::Found;
                answer.memento_url = Some(best.uri.to_string());
                answer.memento_datetime = best.datetime;
                answer.detail = Some("another archive's memento was closer or taken first".into());
            } else if let Some((outcome, why, c)) = st.last_miss {
                answer.outcome = outcome;
                answer.memento_url = Some(c.uri.to_string());
                answer.memento_datetime = c.datetime;
                answer.detail = Some(why);
            }
            result.answers.push(answer);
        }
        Ok(result)
    }

    async fn ask_timegate(
        &self,
        archive: usize,
        prefix: &str,
        url: &str,
        target: Timestamp,
    ) -> Gate {
        let Ok(gate) = Url::parse(&format!("{prefix}{url}")) else {
            return Gate::Error(format!("`{prefix}{url}` is not a valid URL"));
        };
        let silent = &self.silent[archive];
        if silent.load(Ordering::Relaxed) >= GIVE_UP_AFTER {
            return Gate::Error(format!(
                "not asked: its last {GIVE_UP_AFTER} lookups in this run got no answer"
            ));
        }
        let mut headers = Vec::new();
        if let Ok(v) = HeaderValue::from_str(&clock::format_http(target)) {
            headers.push((HeaderName::from_static("accept-datetime"), v));
        }
        let ex = match self
            .fetcher
            .exchange(&gate, &headers, false, Read::Headers)
            .await
        {
            Ok(ex) => {
                silent.store(0, Ordering::Relaxed);
                ex
            }
            Err(e) => {
                silent.fetch_add(1, Ordering::Relaxed);
                return Gate::Error(e.to_string());
            }
        };
        let links = links_in(&ex);
        let timemap = links
            .iter()
            .find(|l| l.has_rel("timemap"))
            .and_then(|l| ex.url.join(&l.uri).ok())
            .filter(is_http);
        let dated = |uri: Url| {
            let datetime = links
                .iter()
                .find(|l| l.has_rel("memento") && ex.url.join(&l.uri).ok().as_ref() == Some(&uri))
                .and_then(|l| l.datetime)
                .or_else(|| stamp_time(&uri));
            Candidate {
                archive,
                uri,
                datetime,
            }
        };
        match ex.status {
            // 302-style: the answer points at the memento.
            300..=399 => match ex
                .header("location")
                .and_then(|l| ex.url.join(l).ok())
                .filter(is_http)
            {
                Some(uri) => Gate::Named {
                    candidates: vec![dated(uri)],
                    timemap,
                },
                None => Gate::Error(format!("HTTP {} without a Location", ex.status)),
            },
            200..=299 => {
                // The answer may itself be the memento (it says when it was captured) …
                if let Some(at) = ex.header("memento-datetime").and_then(clock::parse_http) {
                    return Gate::Named {
                        candidates: vec![Candidate {
                            archive,
                            uri: ex.url.clone(),
                            datetime: Some(at),
                        }],
                        timemap,
                    };
                }
                // … or, 200-style (pywb's framed replay), name it in its `Link` header.
                let candidates: Vec<Candidate> = links
                    .iter()
                    .filter(|l| l.has_rel("memento"))
                    .filter_map(|l| {
                        Some(Candidate {
                            archive,
                            uri: ex.url.join(&l.uri).ok().filter(is_http)?,
                            datetime: l.datetime,
                        })
                    })
                    .collect();
                if candidates.is_empty() && timemap.is_none() {
                    return Gate::NotFound("answered, but named no memento and no TimeMap".into());
                }
                Gate::Named {
                    candidates,
                    timemap,
                }
            }
            404 | 410 => Gate::NotFound(format!("not archived (HTTP {})", ex.status)),
            s => Gate::Error(format!("the TimeGate answered HTTP {s}")),
        }
    }

    /// Adds the archive's TimeMap mementos (not yet tried) to the pool, once per lookup.
    async fn read_timemap(
        &self,
        archive: usize,
        st: &mut ArchiveState,
        pool: &mut Vec<Candidate>,
        seen: &mut HashSet<String>,
    ) {
        let Some(timemap) = st.timemap.take() else {
            return;
        };
        let ex = match self
            .fetcher
            .exchange(&timemap, &[], true, Read::Memory(TIMEMAP_MAX_BYTES))
            .await
        {
            Ok(ex) if (200..300).contains(&ex.status) => ex,
            Ok(ex) if matches!(ex.status, 404 | 410) => return,
            Ok(ex) => {
                if !st.named_any {
                    st.outcome = Outcome::Error;
                    st.detail = Some(format!("its TimeMap answered HTTP {}", ex.status));
                }
                return;
            }
            Err(e) => {
                if !st.named_any {
                    st.outcome = Outcome::Error;
                    st.detail = Some(format!("its TimeMap could not be read: {e}"));
                }
                return;
            }
        };
        let ExchangeBody::Memory(body) = &ex.body else {
            return;
        };
        let text = String::from_utf8_lossy(body);
        for l in parse_links(&text)
            .into_iter()
            .filter(|l| l.has_rel("memento"))
        {
            let Some(uri) = ex.url.join(&l.uri).ok().filter(is_http) else {
                continue;
            };
            if !seen.insert(uri.to_string()) {
                continue;
            }
            st.named_any = true;
            pool.push(Candidate {
                archive,
                datetime: l.datetime.or_else(|| stamp_time(&uri)),
                uri,
            });
        }
    }

    /// Fetches one memento's original bytes into the store and judges them.
    async fn fetch_memento(
        &self,
        c: &Candidate,
        due: &RescueDue,
        judge: &Judge,
    ) -> Result<Result<Fetched, Miss>, WriteError> {
        let (fetch_url, rewritten) = match raw_form(&c.uri) {
            Some(raw) => (raw, false),
            None => (c.uri.clone(), true),
        };
        let ex = match self
            .fetcher
            .exchange(&fetch_url, &[], true, Read::Store)
            .await
        {
            Ok(ex) => ex,
            Err(ExchangeError::Store(e)) => return Err(e),
            Err(e) => return Ok(Err(Miss::Failed(e.to_string()))),
        };
        if !(200..300).contains(&ex.status) {
            return Ok(Err(Miss::Refused(
                format!(
                    "the archived copy is an error page (HTTP {}), not the content",
                    ex.status
                ),
                None,
            )));
        }
        let object = match &ex.body {
            ExchangeBody::Stored(o) => o.clone(),
            ExchangeBody::TooLarge => {
                return Ok(Err(Miss::Failed(
                    "the archived copy is larger than fetch.max_bytes".into(),
                )))
            }
            _ => {
                return Ok(Err(Miss::Refused(
                    "the archive sent no content".into(),
                    None,
                )))
            }
        };
        let fetched = Fetched {
            archive: self.timegates[c.archive].clone(),
            memento_url: c.uri.to_string(),
            datetime: ex
                .header("memento-datetime")
                .and_then(clock::parse_http)
                .or(c.datetime)
                .or_else(|| stamp_time(&ex.url))
                .unwrap_or(due.target_at),
            object,
            status: ex.status,
            http_version: ex.http_version,
            reason_phrase: ex.reason_phrase.clone(),
            content_type: ex.content_type.clone(),
            headers: ex.headers.clone(),
            rewritten,
            decoded_from: ex.decoded_from.clone(),
        };
        if let Some(why) = self.not_the_content(&ex, &fetched, judge) {
            return Ok(Err(Miss::Refused(why, Some(Box::new(fetched)))));
        }
        Ok(Ok(fetched))
    }

    /// The live checks' rules, applied to the archived copy: a deep URL archived as a redirect to
    /// the site's front page or a sign-in page, or an HTML page with the same text as the page
    /// the site serves for missing addresses (the reference's own soft 404, as last seen).
    fn not_the_content(&self, ex: &Exchange, f: &Fetched, judge: &Judge) -> Option<String> {
        if !ex.redirects.is_empty() {
            if let (Some(original), Some(landed)) = (&judge.original, original_in(&ex.url)) {
                if let Some(why) = verdict::from_redirect_ending(original, &landed) {
                    return Some(format!(
                        "the archived copy is a redirect to {landed} ({why}), not the content"
                    ));
                }
            }
        }
        let missing = judge.error_page.as_ref()?;
        if !f.content_type.as_deref().is_some_and(is_html_type) {
            return None;
        }
        let theirs = self.fetcher.text_signature(&f.object.sha256)?;
        (theirs.has_text() && theirs.similarity(missing) >= SOFT_404_SIMILARITY).then(|| {
            "the archived copy is the page the site serves for missing addresses (soft 404)".into()
        })
    }
}

/// Closest to `target` first (the earlier at equal distance).
fn sort_closest(pool: &mut [Candidate], target: Timestamp) {
    pool.sort_by_key(|c| distance_key(c.datetime, target));
}

fn is_http(u: &Url) -> bool {
    matches!(u.scheme(), "http" | "https")
}
