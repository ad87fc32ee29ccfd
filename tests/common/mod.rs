//! Shared test fixtures: a real HTTP/1.1 server on 127.0.0.1 with scriptable routes, and a
//! helper that runs the real `linkvault` binary against a fresh archive and config.

// Compiled into each test crate as a private `mod common`: what one crate leaves unused is
// dead code there, and its `pub` items are for the crate's tests, never exported.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub mod cdp;
pub mod corpus;
pub mod dns;
pub mod garage;
pub mod http;
pub mod pywb;
pub mod socks;
pub mod tsa;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Misbehave after this many body bytes: stall (keep the connection open, send nothing)
    /// or, with `then_close`, hang up.
    pub stop_after: Option<usize>,
    pub then_close: bool,
    /// Declare this Content-Length whatever the body is (a lying server); None = the truth.
    pub content_length: Option<Option<u64>>,
    /// Send the body one byte at a time with this pause between bytes (a slow drip).
    pub drip: Option<Duration>,
    /// Repeat the body forever (a body that never ends).
    pub endless: bool,
    /// After `stop_after` bytes, reset the connection (TCP RST) instead of closing it.
    pub reset: bool,
    /// The status line's protocol and reason phrase (`HTTP/1.1`, `X` unless set).
    pub http_version: &'static str,
    pub reason: String,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            stop_after: None,
            then_close: false,
            content_length: None,
            drip: None,
            endless: false,
            reset: false,
            http_version: "HTTP/1.1",
            reason: "X".into(),
        }
    }
    /// Answers with this status line: `HTTP/1.0 200 Fine` is `.status_line("HTTP/1.0", "Fine")`.
    pub fn status_line(mut self, http_version: &'static str, reason: &str) -> Reply {
        self.http_version = http_version;
        self.reason = reason.into();
        self
    }
    /// Sends `n` body bytes, then resets the connection (RST, not a clean close).
    pub fn reset_after(mut self, n: usize) -> Reply {
        self.stop_after = Some(n);
        self.then_close = true;
        self.reset = true;
        self
    }
    pub fn declare_length(mut self, len: Option<u64>) -> Reply {
        self.content_length = Some(len);
        self
    }
    pub fn drip(mut self, pause: Duration) -> Reply {
        self.drip = Some(pause);
        self
    }
    pub fn endless(mut self) -> Reply {
        self.endless = true;
        self.content_length = Some(None);
        self
    }
    /// Sends `n` body bytes, then goes silent with the connection open.
    pub fn stall_after(mut self, n: usize) -> Reply {
        self.stop_after = Some(n);
        self
    }
    /// Sends `n` body bytes of the promised length, then closes the connection.
    pub fn truncate_after(mut self, n: usize) -> Reply {
        self.stop_after = Some(n);
        self.then_close = true;
        self
    }
    pub fn html(body: &str) -> Reply {
        Reply::new(200, "text/html; charset=utf-8", body)
    }
    pub fn status(status: u16) -> Reply {
        Reply::new(
            status,
            "text/html",
            format!("<html><body><h1>Error {status}</h1></body></html>"),
        )
    }
    pub fn redirect(status: u16, location: &str) -> Reply {
        let mut r = Reply::new(status, "text/html", "");
        r.headers.push(("Location".into(), location.into()));
        r
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

#[derive(Default)]
struct State {
    routes: Mutex<HashMap<String, Handler>>,
    log: Mutex<Vec<Request>>,
    seen: Condvar,
    body_bytes_sent: Mutex<u64>,
    stopped: std::sync::atomic::AtomicBool,
}

/// A real HTTP server on an ephemeral loopback port. Routes match the request path (query
/// ignored unless a route for the full target exists); unknown paths get a plain 404.
pub struct Server {
    pub port: u16,
    /// The address it listens on (127.0.0.1 unless started with `start_on`).
    pub ip: String,
    state: Arc<State>,
    accept: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Server {
    pub fn start() -> Server {
        Server::start_on("127.0.0.1")
    }

    /// A server on another local address (one a test has added to the loopback interface).
    pub fn start_on(ip: &str) -> Server {
        let listener = TcpListener::bind((ip, 0)).expect("bind a local address");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let st = state.clone();
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.stopped.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                std::thread::spawn(move || serve(conn, st));
            }
        });
        Server {
            port,
            ip: ip.to_string(),
            state,
            accept: Mutex::new(Some(accept)),
        }
    }

    /// Closes the listening socket and returns once it is closed: from now on connections are
    /// refused, as by a host that has gone.
    pub fn stop(&self) {
        self.state
            .stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and drops the listener.
        let _ = TcpStream::connect((self.ip.as_str(), self.port));
        if let Some(accept) = self.accept.lock().unwrap().take() {
            accept.join().unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{}", self.ip, self.port, path)
    }

    pub fn route(&self, path: &str, f: impl Fn(&Request) -> Reply + Send + Sync + 'static) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), Arc::new(f));
    }

    /// A static resource with an ETag; answers 304 to a matching If-None-Match.
    pub fn resource(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        let body: Vec<u8> = body.into();
        let etag = format!("\"{}\"", &sha256_hex(&body)[..16]);
        let ct = content_type.to_string();
        self.route(path, move |req| {
            if req.header("if-none-match") == Some(etag.as_str()) {
                let mut r = Reply::new(304, &ct, Vec::new());
                r.headers = vec![("ETag".into(), etag.clone())];
                return r;
            }
            Reply::new(200, &ct, body.clone()).with_header("ETag", &etag)
        });
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path() == path).count()
    }

    pub fn body_bytes_sent(&self) -> u64 {
        *self.state.body_bytes_sent.lock().unwrap()
    }

    /// Blocks until at least `n` requests in all have arrived.
    pub fn wait_for_requests(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut log = self.state.log.lock().unwrap();
        while log.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "only {} of {n} requests arrived",
                log.len()
            );
            log = self.state.seen.wait_timeout(log, left).unwrap().0;
        }
    }

    /// Blocks until some request for `path` has arrived (or panics after a generous limit).
    pub fn wait_for_hit(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut log = self.state.log.lock().unwrap();
        while !log.iter().any(|r| r.path() == path) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no request for {path} arrived");
            log = self.state.seen.wait_timeout(log, left).unwrap().0;
        }
    }
}

fn serve(conn: TcpStream, st: Arc<State>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut writer = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("/").to_string();
        let mut headers = Vec::new();
        let mut content_length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    content_length = v.trim().parse().unwrap_or(0);
                }
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        if content_length > 0 {
            let mut body = vec![0; content_length];
            let _ = reader.read_exact(&mut body);
        }
        let req = Request {
            method: method.clone(),
            target: target.clone(),
            headers,
            at: Instant::now(),
        };
        {
            st.log.lock().unwrap().push(req.clone());
            st.seen.notify_all();
        }
        let handler = {
            let routes = st.routes.lock().unwrap();
            routes
                .get(&target)
                .or_else(|| routes.get(req.path()))
                .or_else(|| {
                    // "/prefix/*" routes catch everything under the prefix; longest wins.
                    routes
                        .iter()
                        .filter(|(k, _)| {
                            k.ends_with('*') && req.path().starts_with(&k[..k.len() - 1])
                        })
                        .max_by_key(|(k, _)| k.len())
                        .map(|(_, h)| h)
                })
                .cloned()
        };
        let reply = match handler {
            Some(h) => h(&req),
            None => Reply::status(404),
        };
        let mut head = format!(
            "{} {} {}\r\n",
            reply.http_version, reply.status, reply.reason
        );
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let send_body = method != "HEAD" && reply.status != 304 && reply.status != 204;
        match reply.content_length {
            Some(Some(n)) => head.push_str(&format!("Content-Length: {n}\r\n")),
            Some(None) => head.push_str("Connection: close\r\n"),
            None => head.push_str(&format!(
                "Content-Length: {}\r\n",
                if send_body { reply.body.len() } else { 0 }
            )),
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
        if send_body && (reply.endless || reply.drip.is_some()) {
            // Hostile bodies: until the client hangs up.
            loop {
                let ok = match reply.drip {
                    Some(pause) => reply.body.iter().all(|b| {
                        std::thread::sleep(pause);
                        writer.write_all(&[*b]).and_then(|_| writer.flush()).is_ok()
                    }),
                    None => writer.write_all(&reply.body).is_ok(),
                };
                if !ok || !reply.endless {
                    return;
                }
            }
        }
        if let (true, Some(n)) = (send_body, reply.stop_after) {
            let _ = writer.write_all(&reply.body[..n.min(reply.body.len())]);
            let _ = writer.flush();
            if reply.reset {
                reset_on_close(&writer);
                return;
            }
            if !reply.then_close {
                // Stall: hold the connection until the client gives up and closes it.
                let mut sink = [0u8; 64];
                while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
            }
            return;
        }
        if send_body {
            if writer.write_all(&reply.body).is_err() {
                return;
            }
            *st.body_bytes_sent.lock().unwrap() += reply.body.len() as u64;
            if reply.content_length == Some(None) {
                return; // no length declared: the end of the body is the end of the connection
            }
        }
        let _ = writer.flush();
    }
}

/// SO_LINGER with a zero timeout: closing the socket sends RST.
fn reset_on_close(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt reads `linger` for the given length on a socket we own.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(bytes);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> String {
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).unwrap();
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A scratch directory with a config and an archive, and a way to run the binary in it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub extra_env: Vec<(String, String)>,
}

pub const TEST_CONFIG: &str = r#"
archive = "archive"
[fetch]
allow_private = true
per_host_interval = "0s"
retries = 1
retry_backoff = "10ms"
stall_timeout = "10s"
connect_timeout = "5s"
"#;

impl Workspace {
    pub fn new() -> Workspace {
        Workspace::with_config(TEST_CONFIG)
    }

    pub fn with_config(config: &str) -> Workspace {
        let dir = tempfile::tempdir().expect("tempdir");
        // Tests never reach beyond loopback: the default web archive (web.archive.org) is not
        // asked unless a test configures `[rescue]` itself, with archives it started.
        let mut config = if config.contains("[rescue]") {
            config.to_string()
        } else {
            format!("{config}\n[rescue]\nenabled = false\n")
        };
        // Nor is a browser started, unless a test renders pages and says so.
        if !config.contains("[render]") {
            config.push_str("\n[render]\nenabled = false\n");
        }
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Workspace {
            dir,
            extra_env: Vec::new(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn archive(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_linkvault"));
        c.current_dir(self.dir.path())
            .args(args)
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env_remove("LINKVAULT_NOW")
            .env("NO_COLOR", "1");
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run linkvault")
    }

    /// Runs with `input` on standard input; both outputs captured.
    pub fn run_with_input(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run linkvault");
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "linkvault {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The objects in the store other than copies of `articles` (files a test wrote and ran):
    /// what the checks themselves stored.
    pub fn objects_besides(&self, articles: &[&Path]) -> Vec<PathBuf> {
        let copies: Vec<Vec<u8>> = articles.iter().map(|a| std::fs::read(a).unwrap()).collect();
        let mut found = Vec::new();
        let Ok(shards) = std::fs::read_dir(self.archive().join("objects")) else {
            return found;
        };
        for shard in shards {
            for object in std::fs::read_dir(shard.unwrap().path()).unwrap() {
                let path = object.unwrap().path();
                if !copies.contains(&std::fs::read(&path).unwrap()) {
                    found.push(path);
                }
            }
        }
        found
    }

    pub fn report_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["report", "--all", "--format", "json"]))
            .expect("report json")
    }

    pub fn history_json(&self, url: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["history", url, "--format", "json"])).expect("history json")
    }
}

/// A running `linkvault serve`, stopped when dropped. Its standard error is read as it comes
/// (a full pipe must never stall the server), line by line.
pub struct Served {
    child: std::process::Child,
    /// Its port, when it listens on 127.0.0.1.
    pub port: u16,
    /// The first line it wrote (where it listens, or a warning).
    pub first_line: String,
    log: std::sync::mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// The next line of its access log (waits up to 10 s).
    pub fn log_line(&self) -> String {
        self.log
            .recv_timeout(Duration::from_secs(10))
            .expect("serve wrote no log line within 10 s")
    }

    /// Stops it and returns everything it wrote after the first line and not yet read.
    pub fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The reader ends at end of file, once the process is gone.
        let mut rest = String::new();
        while let Ok(line) = self.log.recv_timeout(Duration::from_secs(10)) {
            rest.push_str(&line);
        }
        rest
    }
}

impl Workspace {
    /// Starts `linkvault serve` on this archive on an ephemeral loopback port and returns once
    /// it listens.
    pub fn serve(&self) -> Served {
        self.serve_with(&[])
    }

    /// `serve --listen 127.0.0.1:0` with extra options.
    pub fn serve_with(&self, extra: &[&str]) -> Served {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let served = self.spawn_serve(&args);
        assert!(served.port != 0, "no port in {:?}", served.first_line);
        served
    }

    /// `args` (a `serve` command line) started; returns after its first line.
    pub fn spawn_serve(&self, args: &[&str]) -> Served {
        let mut child = self
            .command(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut log = BufReader::new(child.stderr.take().unwrap());
        let mut first_line = String::new();
        log.read_line(&mut first_line).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            while log.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if tx.send(std::mem::take(&mut line)).is_err() {
                    return;
                }
            }
        });
        let port = first_line
            .split("127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0);
        Served {
            child,
            port,
            first_line,
            log: rx,
        }
    }
}

pub fn link<'a>(report: &'a serde_json::Value, url: &str) -> &'a serde_json::Value {
    report["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["url"] == url)
        .unwrap_or_else(|| panic!("{url} not in report: {report:#}"))
}

/// yt-dlp as the tests find it: `LINKVAULT_TEST_YT_DLP`, else `yt-dlp` on PATH.
pub fn yt_dlp() -> String {
    let cmd = std::env::var("LINKVAULT_TEST_YT_DLP").unwrap_or_else(|_| "yt-dlp".into());
    let ok = Command::new(&cmd)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "yt-dlp is needed for this test: run `bash .ci/run` (it installs it) or `pip install yt-dlp`"
    );
    cmd
}

/// Asserts that the command's standard error says `needle`, showing all of it when not.
#[track_caller]
pub fn assert_says(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A public address (11.22.33.44, publicly routable, not ours) added to the loopback interface
/// for one test, removed when dropped: lets a test server play a public host.
pub struct PublicAddress(pub &'static str);

impl PublicAddress {
    pub fn add() -> PublicAddress {
        PublicAddress::add_ip("11.22.33.44")
    }

    /// Each test its own address: tests run in parallel, and one's cleanup must not pull the
    /// address from under another.
    pub fn add_ip(ip: &'static str) -> PublicAddress {
        // A leftover from an interrupted run would make `add` fail: remove it first.
        let _ = std::process::Command::new("ip")
            .args(["addr", "del", &format!("{ip}/32"), "dev", "lo"])
            .stderr(std::process::Stdio::null())
            .status();
        let ok = std::process::Command::new("ip")
            .args(["addr", "add", &format!("{ip}/32"), "dev", "lo"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "this test adds a public address to the loopback interface and needs root (as CI has)"
        );
        PublicAddress(ip)
    }
}

impl Drop for PublicAddress {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["addr", "del", &format!("{}/32", self.0), "dev", "lo"])
            .status();
    }
}
