//! Article reads: an article page fetched (conditionally, when validators are given) into the
//! store for a run, or into memory for `extract`, never cut short — a longer page is refused.

use url::Url;

use super::answer::{Ask, Body, Sink};
use super::Fetcher;
use crate::model::Reason;
use crate::store::{StoredObject, WriteError};
use crate::units::format_size;

/// An article page as fetched: stored in the archive (`run`) or kept in memory (`extract`).
#[derive(Debug, Default)]
pub struct DocumentFetch {
    /// The final HTTP status (304: unchanged since the validators' version); `None` when no
    /// server answered.
    pub status: Option<u16>,
    /// Where the redirects ended, when a server answered.
    pub final_url: Option<Url>,
    /// The answer's `Content-Type`, as sent.
    pub content_type: Option<String>,
    /// The answer's `ETag`, for the next conditional read.
    pub etag: Option<String>,
    /// The answer's `Last-Modified`, for the next conditional read.
    pub last_modified: Option<String>,
    /// The page in the store (`run` only; a 2xx page within `fetch.max_article_bytes`).
    pub stored: Option<StoredObject>,
    /// The bytes (for `extract`; for `run`, the same bytes as `stored`).
    pub in_memory: Option<Vec<u8>>,
    /// Why the page cannot be read, in words (a failure, a non-2xx status, an oversize page).
    pub error: Option<String>,
    /// Some server answered at the HTTP level (even with an error status).
    pub got_response: bool,
    /// Our own address policy refused it: nothing was asked of the network.
    pub refused: bool,
    /// Response headers and status line as received (for the capture's record).
    pub headers: Vec<(String, String)>,
    /// The status line's protocol, e.g. `HTTP/1.1`.
    pub http_version: Option<&'static str>,
    /// The status line's reason phrase as received; HTTP/2 and later have none.
    pub reason_phrase: Option<String>,
    /// The Content-Encoding the body was decoded from.
    pub decoded_from: Option<String>,
}

impl Fetcher {
    /// Fetches an article page (conditionally, when validators are given). Into the store when
    /// `archive` is true, else into memory up to `fetch.max_bytes`. A stored page is left
    /// pending (`StoredObject::pending`): the caller makes it durable
    /// ([`crate::store::Store::make_durable`]) before recording it, or it is not kept.
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
                    Body::Document(o, bytes) => {
                        out.stored = Some(o);
                        out.in_memory = Some(bytes);
                    }
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
}
