//! What one request asks and what it ends in: `Ask` (validators, extra headers, whether to
//! follow redirects), `Sink` (where the body goes), and either an `Answer` with its `Body` or
//! a `Failure`. Plain data shared by the steps of a fetch.

use url::Url;

use super::Hop;
use crate::model::{Reason, State};
use crate::store::{StoredObject, WriteError};

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
    /// An article page kept in the store, with its bytes (read next, so never read back from
    /// the store: on a bucket that would be a round trip per article).
    Document(StoredObject, Vec<u8>),
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
    pub(super) etag: Option<String>,
    pub(super) last_modified: Option<String>,
    pub(super) retry_after: Option<u64>,
    pub(super) body: Body,
    pub(super) downloaded: u64,
    /// The `Content-Encoding` the body was decoded from (the stored bytes are decoded).
    pub(super) decoded_from: Option<String>,
}

/// No usable answer: a transport error, a redirect problem, or a body that broke off.
pub(super) struct Failure {
    pub(super) state: State,
    pub(super) reason: Reason,
    pub(super) message: String,
    pub(super) got_response: bool,
    pub(super) http_status: Option<u16>,
    pub(super) final_url: Option<Url>,
    pub(super) redirects: Vec<Hop>,
    pub(super) downloaded: u64,
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
