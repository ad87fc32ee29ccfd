//! Fetching: one shared HTTP client, per-host politeness, and the check of one reference —
//! redirects followed by hand (so the chain is recorded), bodies streamed through the hasher
//! into the store, retries for transient failures, soft-404 probes — ending in a `CheckResult`
//! that says what happened and what it means.
//!
//! Layout: [`Fetcher`] (`fetcher`) holds the shared state; `answer` and `transport` are the
//! plain types and helpers every step uses; `redirects` (one request), `body` (reading the
//! answer), `retry`, `check` (the verdict), `soft404`, `drift`, `article` and `exchange` are
//! the steps, each an `impl Fetcher` of its own. The video step's outcome is carried as
//! [`crate::video_outcome::VideoOutcome`]: `fetch` never depends on `video`.

mod address;
mod answer;
mod article;
mod body;
mod check;
mod client;
mod decode;
mod drift;
mod exchange;
mod fetcher;
mod gate;
mod pipe;
mod politeness;
mod probe;
mod redirects;
mod resolve;
mod retry;
mod session;
mod settings;
mod similarity;
mod soft404;
mod transport;
pub(crate) mod verdict;

pub use article::DocumentFetch;
pub use check::is_html_type;
pub use client::{build_client, ClientError};
pub use exchange::{Exchange, ExchangeBody, ExchangeError, Read};
pub use fetcher::Fetcher;
pub use resolve::ResolverError;
pub use session::{Session, SessionError};
pub use settings::FetchConfig;

pub(crate) use gate::PolicyProxy;
pub(crate) use politeness::Politeness;
pub(crate) use session::BrowserCookie;
pub(crate) use similarity::{TextSignature, SOFT_404_SIMILARITY};

use crate::clock::Timestamp;
use crate::model::{Kind, Reason, State};
use crate::store::StoredObject;

/// URLs longer than this are never requested: no server accepts them (most stop at 8 KiB), so
/// such a reference is dead for good, not worth retrying.
pub const MAX_URL_BYTES: usize = 32 * 1024;

/// A redirect hop: the URL requested and the 3xx status it answered with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hop {
    /// The URL requested.
    pub url: String,
    /// The 3xx status it answered with.
    pub status: u16,
}

/// Everything one check of one reference observed, and the verdict on it.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The reference's row id in the database.
    pub ref_id: i64,
    /// The reference's URL, as recorded.
    pub url: String,
    /// The reference's host, as recorded.
    pub host: String,
    /// When the check started.
    pub checked_at: Timestamp,
    /// The verdict.
    pub state: State,
    /// Why.
    pub reason: Reason,
    /// The final status, after redirects; `None` when no server answered.
    pub http_status: Option<u16>,
    /// Where the redirects ended; `None` when no server answered.
    pub final_url: Option<String>,
    /// The redirects followed, in order.
    pub redirects: Vec<Hop>,
    /// What went wrong, in words, when the check failed or the body was not kept.
    pub error: Option<String>,
    /// The body, durable in the store (absent for 304, errors, oversize and discarded bodies).
    pub body: Option<StoredObject>,
    /// The final answer's `Content-Type`, as sent.
    pub content_type: Option<String>,
    /// The final answer's headers (names lowercased, values as sent; the first 500).
    pub headers: Vec<(String, String)>,
    /// The status line's protocol and reason phrase as received (`HTTP/1.1`, `Not Found`);
    /// HTTP/2 and later have no reason phrase.
    pub http_version: Option<&'static str>,
    /// The reason phrase of the final status line (see `http_version`).
    pub reason_phrase: Option<String>,
    /// The final answer's `ETag`, for the next check's `If-None-Match`.
    pub etag: Option<String>,
    /// The final answer's `Last-Modified`, for the next check's `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// Wall-clock time the whole check took, retries included, in milliseconds.
    pub elapsed_ms: u64,
    /// Requests made for the reference in this check (1 plus retries).
    pub attempts: u32,
    /// True when some server answered at the HTTP level (even with an error status).
    pub got_response: bool,
    /// Seconds the server asked us to wait (Retry-After), when it asked.
    pub retry_after: Option<u64>,
    /// A 200 whose content differs from the last good capture (by text for HTML).
    pub drift: bool,
    /// The kind the response's Content-Type implies, when it says more than the citation did.
    pub kind_hint: Option<Kind>,
    /// Body bytes received over the wire in this check, stored or not.
    pub downloaded: u64,
    /// What the video step (yt-dlp) did, for references that go through it.
    pub video: Option<crate::video_outcome::VideoOutcome>,
    /// The Content-Encoding the stored body was decoded from.
    pub decoded_from: Option<String>,
}

impl CheckResult {
    /// A failure that may be our own network's fault (no server answered at all). A refusal by
    /// our address policy is not one: nothing was attempted.
    pub fn is_network_failure(&self) -> bool {
        !self.got_response && !matches!(self.reason, Reason::PrivateAddress | Reason::UrlTooLong)
    }

    /// Whether the captured body is a faithful copy of the cited content (never an error page).
    pub fn is_good_capture(&self) -> bool {
        self.state == State::Alive
            && self.reason == Reason::Ok
            && self.http_status.is_some_and(|s| (200..300).contains(&s))
    }
}
