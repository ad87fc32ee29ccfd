//! A small HTTP proxy on 127.0.0.1 that puts tools which fetch with their own HTTP stack
//! (yt-dlp) under linkvault's address policy: a public page whose player points at
//! `http://169.254.169.254/…` (cloud metadata) or a LAN address must not be downloaded through
//! the tool either. Each request's host is resolved by our resolver (`resolve`), refused when
//! it is not public, and connected to at the address checked (no rebinding in between).
//! `CONNECT` (HTTPS) is tunnelled; a plain `http://` request is forwarded once, then the
//! connection closes, so a later request on it can never reach an unchecked host.

use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::{timeout, Duration};

use super::address::is_public;
use super::resolve::Resolver;

/// A request head is at most this large.
const MAX_HEAD: usize = 64 * 1024;
/// A client must send its request head within this.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Connecting to one address of the host may take this long before the next is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The running proxy; stopped when dropped.
pub(crate) struct PolicyProxy {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl PolicyProxy {
    /// Starts the proxy on an ephemeral loopback port (call inside the tokio runtime).
    pub(super) fn start(resolver: Resolver) -> std::io::Result<PolicyProxy> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = TcpListener::from_std(std_listener)?;
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let resolver = resolver.clone();
                tokio::spawn(async move {
                    let _ = serve(conn, &resolver).await;
                });
            }
        });
        Ok(PolicyProxy { addr, task })
    }

    /// The proxy for tools fetching under `fetch`'s address policy, resolving with its name
    /// servers; the error says why it could not start.
    pub(crate) fn for_fetch(fetch: &super::FetchConfig) -> Result<PolicyProxy, GateError> {
        let resolver = Resolver::new(&fetch.nameservers, fetch.connect_timeout, true)?;
        Ok(PolicyProxy::start(resolver)?)
    }

    /// `http://127.0.0.1:PORT`, for a tool's `--proxy`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for PolicyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The request head: the request line, and the header lines as received.
struct Head {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    /// Bytes read past the head (the start of a body).
    rest: Vec<u8>,
}

/// Reads up to the blank line ending a head: the bytes read and where the head ends. `Err`
/// carries what was read when the stream ended (or grew past `MAX_HEAD`) first.
async fn read_until_blank_line(
    stream: &mut TcpStream,
) -> std::io::Result<Result<(Vec<u8>, usize), Vec<u8>>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(Ok((buf, i)));
        }
        if buf.len() > MAX_HEAD {
            return Ok(Err(buf));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Err(buf));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn read_head(conn: &mut TcpStream) -> std::io::Result<Option<Head>> {
    let Ok((buf, end)) = read_until_blank_line(conn).await? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let (Some(method), Some(target), Some(version)) = (first.next(), first.next(), first.next())
    else {
        return Ok(None);
    };
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Some(Head {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
        headers,
        rest: buf[end + 4..].to_vec(),
    }))
}

async fn refuse(conn: &mut TcpStream, status: &str, why: &str) -> std::io::Result<()> {
    let body = format!("linkvault: {why}\n");
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(answer.as_bytes()).await?;
    conn.shutdown().await
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GateError {
    #[error(transparent)]
    Resolver(#[from] super::resolve::ResolverError),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(#[from] std::io::Error),
}

/// Why the proxy refused a tool's request, or could not carry it (said in its answer).
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("{0} is a {refused} (set fetch.allow_private = true to allow it)", refused = super::address::REFUSED)]
    Private(IpAddr),
    #[error("{0} has no address")]
    NoAddress(String),
    #[error("{0}")]
    Lookup(String),
    #[error("no address to connect to")]
    Nowhere,
    #[error("{ip}:{port}: {source}")]
    Connect {
        ip: IpAddr,
        port: u16,
        source: std::io::Error,
    },
    #[error("{ip}:{port}: no answer within {CONNECT_TIMEOUT:?}")]
    Silent { ip: IpAddr, port: u16 },
}

/// The public addresses `host` may be reached at, or why there are none.
async fn allowed(resolver: &Resolver, host: &str) -> Result<Vec<IpAddr>, Refusal> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return if is_public(ip) {
            Ok(vec![ip])
        } else {
            Err(Refusal::Private(ip))
        };
    }
    match resolver.lookup(bare).await {
        Ok(ips) if ips.is_empty() => Err(Refusal::NoAddress(bare.to_string())),
        Ok(ips) => Ok(ips),
        Err(e) => Err(Refusal::Lookup(e.message)),
    }
}

/// Connects to the first of `ips` that answers on `port`, each given `CONNECT_TIMEOUT`.
async fn connect(ips: &[IpAddr], port: u16) -> Result<TcpStream, Refusal> {
    let mut last = Refusal::Nowhere;
    for &ip in ips {
        match timeout(CONNECT_TIMEOUT, TcpStream::connect((ip, port))).await {
            Ok(Ok(s)) => return Ok(s),
            Ok(Err(source)) => last = Refusal::Connect { ip, port, source },
            Err(_) => last = Refusal::Silent { ip, port },
        }
    }
    Err(last)
}

/// `host:port` split, with a default port.
fn host_port(authority: &str, default: u16) -> Option<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default,
        };
        return Some((format!("[{h}]"), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((authority.to_string(), default)),
    }
}

async fn serve(mut conn: TcpStream, resolver: &Resolver) -> std::io::Result<()> {
    let Ok(Ok(Some(head))) = timeout(HEAD_TIMEOUT, read_head(&mut conn)).await else {
        return Ok(());
    };
    if head.method.eq_ignore_ascii_case("CONNECT") {
        let Some((host, port)) = host_port(&head.target, 443) else {
            return refuse(&mut conn, "400 Bad Request", "a CONNECT needs host:port").await;
        };
        let ips = match allowed(resolver, &host).await {
            Ok(ips) => ips,
            Err(why) => return refuse(&mut conn, "403 Forbidden", &why.to_string()).await,
        };
        let mut upstream = match connect(&ips, port).await {
            Ok(u) => u,
            Err(why) => return refuse(&mut conn, "502 Bad Gateway", &why.to_string()).await,
        };
        conn.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        if !head.rest.is_empty() {
            upstream.write_all(&head.rest).await?;
        }
        tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
        return Ok(());
    }
    // A plain request in absolute form: `GET http://host:port/path HTTP/1.1`.
    let Ok(url) = url::Url::parse(&head.target) else {
        return refuse(
            &mut conn,
            "400 Bad Request",
            "a proxy request needs an absolute URL",
        )
        .await;
    };
    if url.scheme() != "http" {
        return refuse(
            &mut conn,
            "400 Bad Request",
            "only http:// is proxied without CONNECT",
        )
        .await;
    }
    let Some(host) = url.host_str().map(str::to_string) else {
        return refuse(&mut conn, "400 Bad Request", "no host").await;
    };
    let ips = match allowed(resolver, &host).await {
        Ok(ips) => ips,
        Err(why) => return refuse(&mut conn, "403 Forbidden", &why.to_string()).await,
    };
    let chunked = head.headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && !v.eq_ignore_ascii_case("identity")
    });
    if chunked {
        return refuse(
            &mut conn,
            "501 Not Implemented",
            "chunked request bodies are not proxied",
        )
        .await;
    }
    let body_len: usize = head
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut upstream = match connect(&ips, url.port_or_known_default().unwrap_or(80)).await {
        Ok(u) => u,
        Err(why) => return refuse(&mut conn, "502 Bad Gateway", &why.to_string()).await,
    };
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut out = format!("{} {path} {}\r\n", head.method, head.version);
    for (k, v) in &head.headers {
        let k_low = k.to_ascii_lowercase();
        if k_low.starts_with("proxy-") || k_low == "connection" || k_low == "keep-alive" {
            continue;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    upstream.write_all(out.as_bytes()).await?;
    // The request body, exactly as long as it said; nothing after it is forwarded.
    let mut sent = head.rest.len().min(body_len);
    upstream.write_all(&head.rest[..sent]).await?;
    let mut buf = vec![0u8; 64 * 1024];
    while sent < body_len {
        let n = conn
            .read(&mut buf[..(body_len - sent).min(64 * 1024)])
            .await?;
        if n == 0 {
            break;
        }
        upstream.write_all(&buf[..n]).await?;
        sent += n;
    }
    forward_response(
        &mut upstream,
        &mut conn,
        head.method.eq_ignore_ascii_case("HEAD"),
    )
    .await?;
    conn.shutdown().await
}

/// Passes the answer back, telling the client the connection closes after it (so its next
/// request comes on a new connection, checked again), and stops at the end of the body even
/// when the server would keep the connection open.
async fn forward_response(
    upstream: &mut TcpStream,
    client: &mut TcpStream,
    head_only: bool,
) -> std::io::Result<()> {
    let (buf, end) = match read_until_blank_line(upstream).await? {
        Ok(head) => head,
        // No complete head: pass on what came, and stop.
        Err(partial) => return client.write_all(&partial).await,
    };
    let text = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("HTTP/1.1 502 Bad Gateway");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(502);
    let mut out = format!("{status_line}\r\n");
    let mut length: Option<u64> = None;
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let k_low = k.trim().to_ascii_lowercase();
        if k_low == "connection" || k_low == "keep-alive" {
            continue;
        }
        if k_low == "content-length" {
            length = v.trim().parse().ok();
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    client.write_all(out.as_bytes()).await?;
    let rest = &buf[end + 4..];
    let no_body = head_only || status < 200 || status == 204 || status == 304;
    match (no_body, length) {
        (true, _) => Ok(()),
        (false, Some(n)) => {
            let first = rest.len().min(n as usize);
            client.write_all(&rest[..first]).await?;
            let left = n - first as u64;
            tokio::io::copy(&mut (&mut *upstream).take(left), client).await?;
            Ok(())
        }
        // Chunked or unframed: until the server closes.
        (false, None) => {
            client.write_all(rest).await?;
            tokio::io::copy(upstream, client).await.map(|_| ())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn authorities() {
        assert_eq!(
            host_port("example.org:443", 80),
            Some(("example.org".into(), 443))
        );
        assert_eq!(
            host_port("example.org", 80),
            Some(("example.org".into(), 80))
        );
        assert_eq!(host_port("[::1]:8080", 80), Some(("[::1]".into(), 8080)));
        assert_eq!(host_port("[::1]", 443), Some(("[::1]".into(), 443)));
        assert_eq!(host_port("x:notaport", 80), None);
    }
}
