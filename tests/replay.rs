//! pywb as the judge of replay: a collection built from linkvault's WARC export serves a
//! captured image and the article page that cites it byte for byte, and pywb's own index
//! agrees with ours on every key.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use common::{Reply, Server, Workspace};

const JPEG: &[u8] = b"\xff\xd8\xff\xe0-a-photo-of-the-rally-in-idlib-\xff\xd9";
const ARTICLE: &[u8] = b"<article><img src=\"/rally.jpg\"></article>";

#[test]
fn pywb_replays_a_captured_image_and_the_article_citing_it_byte_for_byte() {
    let s = Server::start();
    s.resource("/rally.jpg", "image/jpeg", JPEG);
    s.route("/article", |_| {
        Reply::html(std::str::from_utf8(ARTICLE).unwrap())
    });
    let mut ws = Workspace::new();
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-02-03T04:05:06Z".into())];
    ws.ok(&["run", &s.url("/article")]);
    let warc = ws.path().join("export.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);

    let root = ws.path().join("pywb");
    std::fs::create_dir(&root).unwrap();
    let wb = |args: &[&str]| {
        let out = Command::new("wb-manager")
            .args(args)
            .current_dir(&root)
            .output();
        let out = out.expect("wb-manager (pywb) is needed: run `bash .ci/run`, which installs it");
        assert!(
            out.status.success(),
            "wb-manager {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    wb(&["init", "coll"]);
    wb(&["add", "coll", warc.to_str().unwrap()]);

    // pywb's index keys for our responses are the keys of our own CDXJ.
    let theirs = std::fs::read_to_string(root.join("collections/coll/indexes/index.cdxj")).unwrap();
    let ours = std::fs::read_to_string(ws.path().join("export.cdxj")).unwrap();
    for line in ours.lines() {
        let key: String = line.splitn(3, ' ').take(2).collect::<Vec<_>>().join(" ");
        assert!(
            theirs.lines().any(|l| l.starts_with(&key)),
            "pywb has no {key}:\n{theirs}"
        );
    }

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut wayback = Command::new("wayback")
        .args(["-p", &port.to_string(), "-b", "127.0.0.1"])
        .current_dir(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wayback (pywb)");
    // Wait for pywb to say it is listening.
    let mut log = BufReader::new(wayback.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("Starting Gevent Server") {
        line.clear();
        assert!(
            log.read_line(&mut line).unwrap() > 0,
            "pywb exited before it started listening"
        );
    }
    // pywb logs that line just before it binds: retry the connection until it accepts.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let connect = || loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(c) => break c,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("pywb never accepted a connection: {e}"),
        }
    };
    // The raw capture (`id_`) of a URL, as pywb serves it.
    let replay = |url: &str| -> Vec<u8> {
        let mut conn = connect();
        write!(conn, "GET /coll/20270203040506id_/{url} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        assert!(head.starts_with("HTTP/1.1 200"), "{url}: {head}");
        let body = &raw[split + 4..];
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_vec()
        }
    };
    let image = replay(&s.url("/rally.jpg"));
    let page = replay(&s.url("/article"));
    let _ = wayback.kill();
    let _ = wayback.wait();
    assert_eq!(
        image, JPEG,
        "pywb replays exactly the bytes linkvault captured"
    );
    assert_eq!(
        page, ARTICLE,
        "the article page itself is in the archive, so its page entry replays"
    );
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}
