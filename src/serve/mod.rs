//! `linkvault serve`: one read-only process that shows the archive over HTTP — the report page
//! with its chart, each reference's history, snapshots by hash (with range requests), and
//! Memento (RFC 7089) TimeGates, TimeMaps and mementos for every archived reference. It never
//! fetches anything on request, listens on loopback unless told otherwise, and escapes all it
//! prints. HTTP/1.1 is hyper's ([`http`]: keep-alive, HEAD, limits, timeouts); [`conns`] caps
//! the open connections so idle ones (slowloris) can never keep a real request out.

mod conns;
mod http;
mod memento;
mod pages;
mod pool;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Another process already listens on the address.
    #[error(
        "address {addr} is already in use: stop what is serving there, or pass --listen ADDR:PORT"
    )]
    InUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Listening on the address failed for another reason.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
}

/// A parsed request: method, target (path and query, raw) and the headers we use.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The method as sent (`GET`, `HEAD`, ...).
    pub method: String,
    /// The request target: path and query, as sent (not percent-decoded).
    pub target: String,
    /// The `Accept-Datetime` header as sent (RFC 1123 date, Memento).
    pub accept_datetime: Option<String>,
    /// The `Range` header as sent.
    pub range: Option<String>,
    /// The `If-None-Match` header as sent.
    pub if_none_match: Option<String>,
    /// The `If-Range` header as sent.
    pub if_range: Option<String>,
    /// The origin absolute URIs (Memento) are built on: `--public-url`, else
    /// `http://` + the request's `Host`.
    pub base: String,
}

/// What a route answers.
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers, in order (`Content-Length` is added when it is sent).
    pub headers: Vec<(String, String)>,
    /// What follows the headers (left out for `HEAD`).
    pub body: Body,
}

/// The body of a `Response`.
pub enum Body {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A byte range of a stored object, streamed from the store.
    Object {
        /// The store holding the object.
        store: crate::store::Store,
        /// The object's SHA-256 as 64 lowercase hex digits.
        sha256: String,
        /// Where the range starts: a byte offset into the object.
        start: u64,
        /// The length of the range in bytes.
        len: u64,
    },
}

impl Response {
    /// An answer with this status, `Content-Type` and body.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body.into()),
        }
    }

    /// A plain-text (UTF-8) answer.
    pub fn text(status: u16, text: &str) -> Response {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            text.as_bytes().to_vec(),
        )
    }

    /// Adds header `k: v`.
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Response {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// How `serve` behaves under load and abuse.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Open connections at most; at the cap, the connection idle longest makes room.
    pub max_connections: usize,
    /// A request's head must arrive within this.
    pub header_timeout: Duration,
    /// A keep-alive connection with no request for this long is closed.
    pub idle_timeout: Duration,
    /// One access-log line per request on stderr.
    pub access_log: bool,
    /// Where readers reach this server (behind a reverse proxy), for absolute URIs.
    pub public_url: Option<String>,
    /// The archive's objects (`store` in config.toml); `None`: the archive folder's own.
    pub store: Option<crate::store::Store>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            access_log: true,
            public_url: None,
            store: None,
        }
    }
}

/// Serves the archive at `archive` on `listen` until the process is stopped.
pub async fn serve(
    archive: PathBuf,
    listen: SocketAddr,
    opts: ServeOptions,
) -> Result<(), ServeError> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AddrInUse => ServeError::InUse { addr: listen },
            _ => ServeError::Listen {
                addr: listen,
                source,
            },
        })?;
    let local = listener.local_addr().unwrap_or(listen);
    crate::text::eprint_line(&format!(
        "linkvault serve: http://{local}/ (read-only; Ctrl-C stops it)"
    ));
    // Never more connections than file descriptors allow: a real request must always find one.
    let max = opts.max_connections.min(conns::fd_budget()).max(8);
    let registry = conns::Registry::new(max);
    let mut opts = opts;
    let store = opts
        .store
        .take()
        .unwrap_or_else(|| crate::store::Store::local(&archive));
    let opts = std::sync::Arc::new(opts);
    let db = std::sync::Arc::new(pool::DbPool::new(archive));
    loop {
        let (conn, remote) = match listener.accept().await {
            Ok(c) => c,
            Err(_) => {
                // Out of descriptors (EMFILE) or a transient accept error: make room and
                // back off instead of spinning on the error.
                registry.evict_idlest();
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Some(slot) = registry.admit() else {
            // Every connection is busy serving: this one waits its turn by being refused.
            drop(conn);
            continue;
        };
        let site = http::Site {
            db: db.clone(),
            store: store.clone(),
        };
        let opts = opts.clone();
        let id = slot.id();
        let task = tokio::spawn(async move {
            http::connection(conn, remote, site, opts, slot.activity()).await;
            drop(slot);
        });
        registry.track(id, task.abort_handle());
    }
}
