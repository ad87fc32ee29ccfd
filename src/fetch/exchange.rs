//! One request to a web archive or a save endpoint, answered as it was: the status, headers
//! and (when asked for) the body, under the same address policy, per-host politeness and
//! timeouts as every check. Rescue and submission speak Memento through this; they never build
//! their own client.

use reqwest::header::{HeaderName, HeaderValue};
use url::Url;

use super::answer::{Ask, Body, Failure, Sink};
use super::{Fetcher, Hop};
use crate::store::{StoredObject, WriteError};

/// What to do with the body of the answer.
#[derive(Debug, Clone, Copy)]
pub enum Read {
    /// Nothing: the status line and headers are the answer (a TimeGate).
    Headers,
    /// Read to the end and thrown away (a save endpoint, which records what it sends).
    Drain,
    /// Into the store when the answer is 2xx (up to `fetch.max_bytes`); otherwise not read.
    Store,
    /// Into memory, at most this many bytes (a TimeMap).
    Memory(usize),
}

/// The body as received.
#[derive(Debug)]
pub enum ExchangeBody {
    /// Not read (as asked, or a non-2xx answer under [`Read::Store`]).
    None,
    /// In the store ([`Read::Store`]).
    Stored(StoredObject),
    /// In memory ([`Read::Memory`]): at most its limit, a longer body cut there.
    Memory(Vec<u8>),
    /// A 2xx body larger than `fetch.max_bytes`: not kept.
    TooLarge,
}

/// An answer from a server.
#[derive(Debug)]
pub struct Exchange {
    /// The URL that answered (after redirects, when they were followed).
    pub url: Url,
    /// The redirects followed on the way, in order.
    pub redirects: Vec<Hop>,
    /// The HTTP status of this answer.
    pub status: u16,
    /// The answer's headers (names lowercased, values as sent; the first 500).
    pub headers: Vec<(String, String)>,
    /// The status line's protocol, e.g. `HTTP/1.1`.
    pub http_version: &'static str,
    /// The status line's reason phrase as received; HTTP/2 and later have none.
    pub reason_phrase: Option<String>,
    /// The `Content-Type`, as sent.
    pub content_type: Option<String>,
    /// Seconds the server asked us to wait (`Retry-After`).
    pub retry_after: Option<u64>,
    /// The body, as [`Read`] asked.
    pub body: ExchangeBody,
    /// The Content-Encoding the body was decoded from.
    pub decoded_from: Option<String>,
}

impl Exchange {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in order (a `Link` may be split over several lines).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why an exchange gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// No usable answer: the server could not be reached, or broke off.
    #[error("{message}")]
    Failed {
        /// What happened, in one line (`HTTP 503: …` when a status was seen).
        message: String,
    },
    /// The archive's own store failed (disk full): the run must stop.
    #[error(transparent)]
    Store(WriteError),
}

impl Fetcher {
    /// Sends one GET with `headers`, following redirects when `follow`, and reads the body as
    /// `read` says. A `429`/`503` with `Retry-After` also pauses every later request to that
    /// host (up to `fetch.max_retry_after`), as for checks.
    pub async fn exchange(
        &self,
        url: &Url,
        headers: &[(HeaderName, HeaderValue)],
        follow: bool,
        read: Read,
    ) -> Result<Exchange, ExchangeError> {
        let ask = Ask {
            headers: headers.to_vec(),
            no_follow: !follow,
            ..Ask::default()
        };
        let sink = match read {
            Read::Headers => Sink::Discard,
            Read::Drain => Sink::Drain,
            Read::Store => Sink::StoreSuccess,
            Read::Memory(n) => Sink::Memory(n),
        };
        match self.request(url, &ask, sink).await {
            Ok(a) => {
                self.heed_retry_after(&a).await;
                Ok(Exchange {
                    url: a.final_url,
                    redirects: a.redirects,
                    status: a.status,
                    headers: a.headers,
                    http_version: a.http_version,
                    reason_phrase: a.reason_phrase,
                    content_type: a.content_type,
                    retry_after: a.retry_after,
                    decoded_from: a.decoded_from,
                    body: match a.body {
                        Body::Stored(o) | Body::Document(o, _) => ExchangeBody::Stored(o),
                        Body::Memory(m) => ExchangeBody::Memory(m),
                        Body::TooLarge => ExchangeBody::TooLarge,
                        Body::None | Body::Skipped => ExchangeBody::None,
                    },
                })
            }
            Err(Failure {
                store_error: Some(e),
                ..
            }) => Err(ExchangeError::Store(e)),
            Err(f) => Err(ExchangeError::Failed {
                message: match f.http_status {
                    Some(s) => format!("HTTP {s}: {}", f.message),
                    None => f.message,
                },
            }),
        }
    }
}
