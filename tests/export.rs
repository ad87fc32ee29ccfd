//! Exports judged by the web-archive ecosystem's own tools (installed by `.ci/run`):
//! `warcio check` on the WARC, Python `surt` on the CDXJ keys, `wacz validate` on the WACZ.

mod common;

use std::process::Command;

use common::{sha256_hex, Reply, Server, Workspace};

fn tool(name: &str) -> String {
    let ok = Command::new(name)
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{name} is needed for these tests: run `bash .ci/run` (it installs it)"
    );
    name.to_string()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-a-picture-held-twice-";

/// An archive with a picture cited under two URLs (same bytes: one response, one revisit),
/// a page, and an error page.
fn archive() -> (Server, Workspace) {
    let s = Server::start();
    s.resource("/a.png", "image/png", PNG);
    s.resource("/copy/a.png", "image/png", PNG);
    s.route("/story", |_| {
        Reply::html("<html><body><p>The source of the story, with facts.</p></body></html>")
    });
    s.route("/gone.png", |_| Reply::status(404));
    s.route("/article", |_| {
        Reply::html("<html><head><title>Rallies</title></head><body><article><img src=\"/a.png\"><img src=\"/copy/a.png\"><a href=\"/story\">s</a><img src=\"/gone.png\"></article></body></html>")
    });
    let ws = Workspace::new();
    ws.ok(&["run", &s.url("/article")]);
    (s, ws)
}

#[test]
fn warc_export_passes_warcio_check_and_has_revisits_and_a_surt_index() {
    let (s, ws) = archive();
    let warc = ws.path().join("out.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    let check = Command::new(tool("warcio"))
        .args(["check", "-v"])
        .arg(&warc)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "warcio check failed:\n{text}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        text.contains("response")
            && text.contains("revisit")
            && text.contains("metadata")
            && text.contains("warcinfo"),
        "{text}"
    );

    // The index: one line per response/revisit, sorted, keys exactly as Python surt makes them.
    let cdxj = std::fs::read_to_string(ws.path().join("out.cdxj")).unwrap();
    let lines: Vec<&str> = cdxj.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "CDXJ is sorted bytewise");
    let img = lines
        .iter()
        .find(|l| l.contains(&format!("\"url\":\"{}\"", s.url("/a.png"))))
        .unwrap();
    assert!(
        img.contains(&format!("\"digest\":\"sha256:{}\"", sha256_hex(PNG))),
        "{img}"
    );
    let urls: Vec<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l.splitn(3, ' ').nth(2).unwrap()).unwrap()
                ["url"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let script = "import sys, surt\nfor u in sys.stdin.read().split():\n    print(surt.surt(u))";
    let mut py = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        py.stdin
            .take()
            .unwrap()
            .write_all(urls.join("\n").as_bytes())
            .unwrap();
    }
    let expected = String::from_utf8(py.wait_with_output().unwrap().stdout).unwrap();
    let ours: Vec<&str> = lines.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(
        ours,
        expected.lines().collect::<Vec<_>>(),
        "SURT keys differ from the surt library"
    );
}

#[test]
fn warc_records_keep_the_status_line_as_received() {
    let s = Server::start();
    s.route("/fine.png", |_| {
        Reply::new(200, "image/png", PNG).status_line("HTTP/1.1", "Fine, Thanks")
    });
    s.route("/old.png", |_| {
        Reply::new(200, "image/png", b"old server".to_vec()).status_line("HTTP/1.0", "OK")
    });
    s.route("/gone.png", |_| {
        Reply::status(404).status_line("HTTP/1.1", "Nothing Here")
    });
    let ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &["/fine.png", "/old.png", "/gone.png"]
            .map(|p| format!(r#"<img src="{}">"#, s.url(p)))
            .concat(),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let warc = ws.path().join("out.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    // Read back with warcio's own parser: URI | protocol and status line | WARC-Protocol.
    let script = "import sys\nfrom warcio.archiveiterator import ArchiveIterator\n\
        for r in ArchiveIterator(open(sys.argv[1], 'rb')):\n\
        \x20   if r.rec_type == 'response':\n\
        \x20       h = r.http_headers\n\
        \x20       print(r.rec_headers.get_header('WARC-Target-URI'), h.protocol, h.statusline, r.rec_headers.get_header('WARC-Protocol'), sep='|')";
    tool("warcio");
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&warc)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        format!("{}|HTTP/1.1|200 Fine, Thanks|http/1.1", s.url("/fine.png")),
        format!("{}|HTTP/1.0|200 OK|http/1.0", s.url("/old.png")),
        format!("{}|HTTP/1.1|404 Nothing Here|http/1.1", s.url("/gone.png")),
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
}

#[test]
fn a_corrupted_warc_fails_warcio_check() {
    let (_s, ws) = archive();
    let warc = ws.path().join("out.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    // Rewrite one record's payload so its digests no longer match.
    let mut raw = Vec::new();
    {
        use std::io::Read;
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&warc).unwrap())
            .read_to_end(&mut raw)
            .unwrap();
    }
    let pos = raw.windows(PNG.len()).position(|w| w == PNG).unwrap();
    raw[pos + 10] ^= 0x55;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &raw).unwrap();
    let bad = ws.path().join("bad.warc.gz");
    std::fs::write(&bad, gz.finish().unwrap()).unwrap();
    let check = Command::new(tool("warcio"))
        .args(["check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(
        !check.status.success(),
        "warcio check must reject a corrupted payload"
    );
}

#[test]
fn wacz_export_passes_wacz_validate() {
    let (s, ws) = archive();
    let wacz = ws.path().join("out.wacz");
    ws.ok(&["export", "wacz", "-o", wacz.to_str().unwrap()]);
    let v = Command::new(tool("wacz"))
        .args(["validate", "-f"])
        .arg(&wacz)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    assert!(
        v.status.success() && text.contains("valid"),
        "wacz validate failed:\n{text}"
    );
    // pages.jsonl lists the article.
    let listing = Command::new("python3")
        .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.read('pages/pages.jsonl').decode()); print([i.compress_type for i in z.infolist()])"])
        .arg(&wacz)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains(&s.url("/article")) && listing.contains("Rallies"),
        "{listing}"
    );
    assert!(
        listing.contains("[0, 0, 0, 0]"),
        "entries are stored, not deflated: {listing}"
    );
}

#[test]
fn export_for_one_article_since_a_time() {
    let (s, ws) = archive();
    let warc = ws.path().join("one.warc.gz");
    ws.ok(&[
        "export",
        "warc",
        "-o",
        warc.to_str().unwrap(),
        "--article",
        &s.url("/article"),
        "--since",
        "2000-01-01",
    ]);
    assert!(
        std::fs::read_to_string(ws.path().join("one.cdxj"))
            .unwrap()
            .lines()
            .count()
            >= 3
    );
    ws.ok(&[
        "export",
        "warc",
        "-o",
        warc.to_str().unwrap(),
        "--since",
        "2999-01-01",
    ]);
    assert_eq!(
        std::fs::read_to_string(ws.path().join("one.cdxj"))
            .unwrap()
            .lines()
            .count(),
        0
    );
    let out = ws.run(&[
        "export",
        "warc",
        "-o",
        warc.to_str().unwrap(),
        "--article",
        "https://nowhere.example/",
    ]);
    assert!(!out.status.success());
}

fn assert_warcio_check_passes(warc: &std::path::Path) {
    let check = Command::new(tool("warcio"))
        .args(["check"])
        .arg(warc)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "warcio check: {}",
        String::from_utf8_lossy(&check.stdout)
    );
}

/// The CDXJ lines for `url`, as (timestamp, digest).
fn index_entries(cdxj: &str, url: &str) -> Vec<(String, String)> {
    cdxj.lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ' ');
            let (_, ts, json) = (parts.next()?, parts.next()?, parts.next()?);
            let v: serde_json::Value = serde_json::from_str(json).ok()?;
            (v["url"] == url).then(|| {
                (
                    ts.to_string(),
                    v["digest"].as_str().unwrap_or("").to_string(),
                )
            })
        })
        .collect()
}

#[test]
fn every_version_of_an_article_page_is_exported_beside_its_references() {
    let s = Server::start();
    let versions = [
        "<html><head><title>Rallies</title></head><body><article><p>First report.</p><img src=\"/a.png\"></article></body></html>",
        "<html><head><title>Rallies</title></head><body><article><p>Corrected report: 83 towns.</p><img src=\"/a.png\"></article></body></html>",
    ];
    let current = std::sync::Arc::new(std::sync::Mutex::new(versions[0]));
    let c = current.clone();
    s.route("/article", move |_| Reply::html(&c.lock().unwrap()));
    s.resource("/a.png", "image/png", PNG);
    let mut ws = Workspace::new();
    let t0: i64 = 1_800_000_000;
    ws.extra_env = vec![("LINKVAULT_NOW".into(), t0.to_string())];
    ws.ok(&["run", &s.url("/article")]);
    // A day later the article is re-read (articles are re-read daily) and has been edited;
    // the day after, it is read again unchanged.
    *current.lock().unwrap() = versions[1];
    for day in [1, 2] {
        ws.extra_env = vec![("LINKVAULT_NOW".into(), (t0 + day * 86_400).to_string())];
        ws.ok(&["run"]);
    }
    let warc = ws.path().join("out.warc.gz");
    ws.ok(&["export", "warc", "-o", warc.to_str().unwrap()]);
    let cdxj = std::fs::read_to_string(ws.path().join("out.cdxj")).unwrap();
    let article = index_entries(&cdxj, &s.url("/article"));
    let digests: Vec<String> = versions
        .iter()
        .map(|v| format!("sha256:{}", sha256_hex(v.as_bytes())))
        .collect();
    assert_eq!(
        article.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>(),
        digests,
        "both versions, once each, oldest first:\n{cdxj}"
    );
    assert_eq!(index_entries(&cdxj, &s.url("/a.png")).len(), 1, "{cdxj}");
    assert_warcio_check_passes(&warc);
}

#[test]
fn a_missing_object_fails_the_export_unless_told_to_leave_it_out() {
    let (s, ws) = archive();
    let sha = sha256_hex(PNG);
    std::fs::remove_file(ws.archive().join("objects").join(&sha[..2]).join(&sha[2..])).unwrap();
    let warc = ws.path().join("out.warc.gz");
    let out = ws.run(&["export", "warc", "-o", warc.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(
        err.contains(&sha) && err.contains("--skip-missing"),
        "{err}"
    );
    assert!(!warc.exists(), "no partial export is left");

    let out = ws.run(&[
        "export",
        "warc",
        "-o",
        warc.to_str().unwrap(),
        "--skip-missing",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("left out 2 capture(s)"),
        "the picture was captured under two URLs: {}",
        common::stderr(&out)
    );
    assert_warcio_check_passes(&warc);
    let cdxj = std::fs::read_to_string(ws.path().join("out.cdxj")).unwrap();
    assert!(index_entries(&cdxj, &s.url("/a.png")).is_empty(), "{cdxj}");
    assert_eq!(index_entries(&cdxj, &s.url("/article")).len(), 1, "{cdxj}");
}

#[test]
fn an_article_given_with_a_fragment_is_found_by_export_report_and_history() {
    let (s, ws) = archive();
    // A second article, so the filter has something to leave out.
    s.route("/other", |_| {
        Reply::html("<html><body><article><img src=\"/other.png\"></article></body></html>")
    });
    s.resource(
        "/other.png",
        "image/png",
        b"\x89PNG\r\n\x1a\n-other-".to_vec(),
    );
    ws.ok(&["run", &s.url("/other")]);
    let typed = format!("{}#comments", s.url("/article"));
    let warc = ws.path().join("one.warc");
    let out = ws.ok(&[
        "export",
        "warc",
        "-o",
        warc.to_str().unwrap(),
        "--article",
        &typed,
    ]);
    let bytes = std::fs::read(&warc).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(&s.url("/a.png")), "{out}");
    assert!(
        !text.contains(&s.url("/other.png")),
        "the other article leaked in"
    );
    let report = ws.ok(&["report", "--all", "--article", &typed, "--format", "json"]);
    assert!(report.contains(&s.url("/a.png")) && !report.contains(&s.url("/other.png")));
    let history = ws.ok(&["history", &typed]);
    assert!(history.contains(&s.url("/article")), "{history}");
}
