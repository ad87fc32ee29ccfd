//! pywb (from PyPI, installed by `.ci/run`) as a real web archive in the tests: collections built
//! with `wb-manager` from WARCs written by warcio, served by `wayback` on 127.0.0.1 with Memento
//! on, optionally recording from the live web. Stopped when dropped.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One archived response for `write_warc`.
pub struct Capture<'a> {
    pub url: &'a str,
    /// RFC 3339, e.g. `2018-09-16T00:00:00Z`.
    pub date: &'a str,
    pub status: u16,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

const WRITE_WARC: &str = r#"
import json, sys
from io import BytesIO
from warcio.warcwriter import WARCWriter
from warcio.statusandheaders import StatusAndHeaders
spec = json.load(open(sys.argv[2]))
with open(sys.argv[1], 'wb') as f:
    w = WARCWriter(f, gzip=True)
    for c in spec:
        body = bytes.fromhex(c['body'])
        reason = {200: 'OK', 404: 'Not Found'}.get(c['status'], 'X')
        h = StatusAndHeaders('%d %s' % (c['status'], reason),
                             [('Content-Type', c['content_type']), ('Content-Length', str(len(body)))],
                             protocol='HTTP/1.1')
        w.write_record(w.create_warc_record(c['url'], 'response', payload=BytesIO(body),
                       http_headers=h, warc_headers_dict={'WARC-Date': c['date']}))
"#;

/// Writes the captures as a gzipped WARC with warcio (the reference implementation).
pub fn write_warc(path: &Path, captures: &[Capture<'_>]) {
    let spec: Vec<serde_json::Value> = captures
        .iter()
        .map(|c| {
            serde_json::json!({
                "url": c.url, "date": c.date, "status": c.status,
                "content_type": c.content_type,
                "body": c.body.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            })
        })
        .collect();
    let dir = path.parent().unwrap();
    let spec_path = dir.join("warc-spec.json");
    let script = dir.join("write_warc.py");
    std::fs::write(&spec_path, serde_json::to_vec(&spec).unwrap()).unwrap();
    std::fs::write(&script, WRITE_WARC).unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .arg(path)
        .arg(&spec_path)
        .output()
        .expect("python3 with warcio is needed: run `bash .ci/run`, which installs it");
    assert!(
        out.status.success(),
        "writing the WARC with warcio failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `wb-manager` in `root`.
pub fn wb_manager(root: &Path, args: &[&str]) {
    let out = Command::new("wb-manager")
        .args(args)
        .current_dir(root)
        .output();
    let out = out.expect("wb-manager (pywb) is needed: run `bash .ci/run`, which installs it");
    assert!(
        out.status.success(),
        "wb-manager {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running `wayback`.
pub struct Pywb {
    child: Child,
    pub port: u16,
    pub root: PathBuf,
}

impl Pywb {
    /// A fresh pywb root in `root` with collection `coll` holding `warcs`, Memento on.
    pub fn with_collection(root: &Path, coll: &str, warcs: &[&Path]) -> Pywb {
        std::fs::create_dir_all(root).unwrap();
        std::fs::write(root.join("config.yaml"), "enable_memento: true\n").unwrap();
        wb_manager(root, &["init", coll]);
        for w in warcs {
            wb_manager(root, &["add", coll, w.to_str().unwrap()]);
        }
        Pywb::start(root, &[])
    }

    /// Starts `wayback` in `root` (with `extra` flags such as `--record`) and waits until it
    /// accepts connections.
    pub fn start(root: &Path, extra: &[&str]) -> Pywb {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("wayback")
            .args(["-p", &port.to_string(), "-b", "127.0.0.1"])
            .args(extra)
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wayback (pywb) is needed: run `bash .ci/run`, which installs it");
        // pywb says it is starting just before it binds: wait for the line, then connect.
        let mut log = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while !line.contains("Starting Gevent Server") {
            line.clear();
            assert!(
                log.read_line(&mut line).unwrap() > 0,
                "pywb exited before it started listening"
            );
        }
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while log.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "pywb never accepted a connection"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Pywb {
            child,
            port,
            root: root.to_path_buf(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Pywb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
