//! One connection of `serve`, spoken by hyper: HTTP/1.1 keep-alive, correct `HEAD` (headers
//! and length, no body), a `Date` on every answer, a bound on the request head and a timeout
//! for receiving it, an idle timeout between requests, GET and HEAD only. Routing happens on a
//! blocking thread (SQLite); objects stream from the store (large reads from disk, ranged
//! windows from a bucket).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;

use super::conns::{Activity, Busy};
use super::{routes, Body, Request, Response, ServeOptions};

type ResponseBody = UnsyncBoxBody<Bytes, std::io::Error>;

/// What every request is answered from: the archive folder (its record) and its objects.
#[derive(Clone)]
pub(super) struct Site {
    pub db: Arc<super::pool::DbPool>,
    pub store: crate::store::Store,
}

/// Serves `conn` until the client closes it, it stays idle past `idle_timeout`, or the
/// registry closes it to make room.
pub(super) async fn connection(
    conn: TcpStream,
    remote: SocketAddr,
    site: Site,
    opts: Arc<ServeOptions>,
    activity: Arc<Activity>,
) {
    let _ = conn.set_nodelay(true);
    let local = conn.local_addr().ok();
    let service = {
        let activity = activity.clone();
        let opts = opts.clone();
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let site = site.clone();
            let activity = activity.clone();
            let opts = opts.clone();
            async move {
                let busy = activity.busy();
                let started = Instant::now();
                let request = request(&req, &opts, local);
                let (method, target) = (request.method.clone(), request.target.clone());
                let answer = answer(request, site, busy).await;
                if opts.access_log {
                    crate::text::eprint_line(&format!(
                        "{} {} \"{} {}\" {} {} {} ms",
                        crate::clock::format(crate::clock::now()),
                        remote.ip(),
                        method,
                        target,
                        answer.status().as_u16(),
                        answer
                            .headers()
                            .get(hyper::header::CONTENT_LENGTH)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-"),
                        started.elapsed().as_millis()
                    ));
                }
                Ok::<_, Infallible>(answer)
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_timeout)
        .keep_alive(true)
        // Request line and headers together; beyond it, 431 (browsers send a few KiB).
        .max_header_size(32 * 1024)
        .max_buf_size(64 * 1024);
    let served = builder.serve_connection(TokioIo::new(conn), service);
    tokio::pin!(served);
    // Idle between requests for too long: the connection goes (hyper's header timeout covers a
    // request that is slow to arrive; this covers silence after the last one).
    let idle = opts.idle_timeout;
    loop {
        tokio::select! {
            _ = served.as_mut() => return,
            _ = tokio::time::sleep(Duration::from_millis(500).min(idle)) => {
                let quiet = Duration::from_millis(activity.idle_ms());
                if !activity.is_busy() && quiet >= idle {
                    return;
                }
            }
        }
    }
}

/// The parts of a request routing needs.
fn request(
    req: &hyper::Request<Incoming>,
    opts: &ServeOptions,
    local: Option<SocketAddr>,
) -> Request {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Request {
        method: req.method().as_str().to_string(),
        target: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        accept_datetime: header("accept-datetime"),
        range: header("range"),
        if_none_match: header("if-none-match"),
        if_range: header("if-range"),
        base: base_url(opts, header("host").as_deref(), local),
    }
}

/// One request: routed (SQLite), the answer streamed; the connection stays busy (`busy`) until
/// the body's last byte is sent. Objects, mementos, TimeMaps and TimeGates from a folder store
/// are answered right here — an indexed lookup and at most a 256 KiB read from the page cache,
/// a few microseconds, less than the hop to a blocking thread and back; pages (which may
/// aggregate the whole record) and a bucket's objects (network) go to a blocking thread.
async fn answer(request: Request, site: Site, busy: Busy) -> hyper::Response<ResponseBody> {
    let head_only = request.method == "HEAD";
    let routed = if !site.store.is_remote() && routes::is_quick(&request.target) {
        routes::route(&site.db, &site.store, &request)
    } else {
        tokio::task::spawn_blocking(move || routes::route(&site.db, &site.store, &request))
            .await
            .unwrap_or_else(|_| Response::text(500, "internal error"))
    };
    into_hyper(routed, head_only, busy).await
}

/// The origin absolute URIs are built on: `--public-url`, else `http://` + the request's
/// `Host` when it is a plain host[:port], else the address the connection came in on.
fn base_url(opts: &ServeOptions, host: Option<&str>, local: Option<SocketAddr>) -> String {
    if let Some(p) = &opts.public_url {
        return p.trim_end_matches('/').to_string();
    }
    let plain = |h: &&str| {
        !h.is_empty()
            && h.len() <= 255
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
    };
    match (host.filter(plain), local) {
        (Some(h), _) => format!("http://{h}"),
        (None, Some(a)) => format!("http://{a}"),
        (None, None) => "http://localhost".into(),
    }
}

async fn into_hyper(r: Response, head_only: bool, busy: Busy) -> hyper::Response<ResponseBody> {
    let (len, body): (u64, ResponseBody) = match r.body {
        Body::Bytes(b) => (
            b.len() as u64,
            if head_only {
                empty()
            } else {
                Full::new(Bytes::from(b))
                    .map_err(|e| match e {})
                    .boxed_unsync()
            },
        ),
        Body::Object {
            store,
            sha256,
            start,
            len,
        } => (
            len,
            if head_only {
                empty()
            } else {
                object_body(&store, &sha256, start, len, busy)
            },
        ),
    };
    let mut out = hyper::Response::new(body);
    *out.status_mut() =
        hyper::StatusCode::from_u16(r.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = out.headers_mut();
    for (k, v) in &r.headers {
        let value: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            h.append(k, v);
        }
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if r.status != 304 {
        h.insert(hyper::header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    out
}

fn empty() -> ResponseBody {
    Full::new(Bytes::new())
        .map_err(|e| match e {})
        .boxed_unsync()
}

/// `len` bytes of the object from `start`; `busy` travels with the stream, so a long
/// download is never taken for an idle connection. A read that fails mid-way ends the body
/// early (the client sees a short answer, never wrong bytes).
fn object_body(
    store: &crate::store::Store,
    sha256: &str,
    start: u64,
    len: u64,
    busy: Busy,
) -> ResponseBody {
    let stream = store.stream_range(sha256, start, len).map(move |chunk| {
        busy.touch();
        chunk.map(Frame::data)
    });
    BodyExt::boxed_unsync(StreamBody::new(stream))
}
