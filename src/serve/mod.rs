//! `linkvault serve`: one read-only process that shows the archive over HTTP — the report page
//! with its chart, each reference's history, snapshots by hash (with range requests), and
//! Memento (RFC 7089) TimeGates, TimeMaps and mementos for every archived reference. It never
//! fetches anything on request, listens on loopback unless told otherwise, and escapes all it
//! prints. HTTP/1.1 is spoken by hand: GET and HEAD, one request per connection.

mod memento;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "address {addr} is already in use: stop what is serving there, or pass --listen ADDR:PORT"
    )]
    InUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A parsed request: method, target (path and query, raw) and the headers we use.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub accept_datetime: Option<String>,
    pub range: Option<String>,
}

/// What a route answers.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

pub enum Body {
    Bytes(Vec<u8>),
    /// A byte range of a stored object, streamed from disk.
    File {
        path: PathBuf,
        start: u64,
        len: u64,
    },
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: Body::Bytes(body.into()),
        }
    }

    pub fn text(status: u16, text: &str) -> Response {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            text.as_bytes().to_vec(),
        )
    }

    pub fn header(mut self, k: &str, v: impl Into<String>) -> Response {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// Serves the archive at `archive` on `listen` until the process is stopped.
pub async fn serve(archive: PathBuf, listen: SocketAddr) -> Result<(), ServeError> {
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
    eprintln!("linkvault serve: http://{local}/ (read-only; Ctrl-C stops it)");
    loop {
        let Ok((conn, _)) = listener.accept().await else {
            continue;
        };
        let archive = archive.clone();
        tokio::spawn(async move {
            let _ = handle(conn, archive).await;
        });
    }
}

async fn handle(conn: TcpStream, archive: PathBuf) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn);
    let Some(req) = read_request(&mut reader).await? else {
        return Ok(());
    };
    let route_req = req.clone();
    let response = tokio::task::spawn_blocking(move || routes::route(&archive, &route_req))
        .await
        .unwrap_or_else(|_| Response::text(500, "internal error"));
    write_response(reader.get_mut(), &req, response).await
}

/// Reads one request head (bounded: 64 headers, 16 KiB); None on a closed or garbled connection.
async fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    let mut limited = reader.take(16 * 1024);
    if limited.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(None);
    };
    let mut req = Request {
        method: method.to_string(),
        target: target.to_string(),
        accept_datetime: None,
        range: None,
    };
    for _ in 0..64 {
        let mut h = String::new();
        if limited.read_line(&mut h).await? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            return Ok(Some(req));
        }
        if let Some((k, v)) = h.split_once(':') {
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "accept-datetime" => req.accept_datetime = Some(v),
                "range" => req.range = Some(v),
                _ => {}
            }
        }
    }
    Ok(Some(req))
}

async fn write_response(conn: &mut TcpStream, req: &Request, r: Response) -> std::io::Result<()> {
    let len = match &r.body {
        Body::Bytes(b) => b.len() as u64,
        Body::File { len, .. } => *len,
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (k, v) in &r.headers {
        let v: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {len}\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n"
    ));
    conn.write_all(head.as_bytes()).await?;
    if req.method != "HEAD" {
        match r.body {
            Body::Bytes(b) => conn.write_all(&b).await?,
            Body::File { path, start, len } => {
                let mut f = tokio::fs::File::open(&path).await?;
                tokio::io::AsyncSeekExt::seek(&mut f, std::io::SeekFrom::Start(start)).await?;
                tokio::io::copy(&mut f.take(len), conn).await?;
            }
        }
    }
    conn.shutdown().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        _ => "Internal Server Error",
    }
}
