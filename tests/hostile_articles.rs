//! Hostile articles at scale: nesting 100,000 deep, a 10 MB attribute, long document bases
//! that every relative reference would copy, 100,000 references through a real `linkvault run`
//! and a 100 MB article through `linkvault extract`, with the child's peak memory measured.
//!
//! Nothing here asserts a duration: a quadratic path shows up as a test that never ends. The
//! measured times and peak RSS are printed (`--nocapture` shows them).

mod common;

use std::fmt::Write as _;
use std::fs::File;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::Instant;

use linkvault::extract::{extract_html, parse_feed, ExtractOptions};
use url::Url;

use common::{assert_says, Workspace, TEST_CONFIG};

fn doc_url() -> Url {
    Url::parse("https://news.example/2020/01/article.html").unwrap()
}

#[test]
fn nesting_a_hundred_thousand_deep_is_linear() {
    let img = "<img src=/deep.png>";
    // `<noscript>` content is re-read once, not recursively: the nested ones hide the image.
    for (name, html, cites) in [
        ("div", "<div>".repeat(100_000) + img, true),
        ("article", "<article>".repeat(100_000) + img, true),
        (
            "picture",
            "<picture>".repeat(100_000) + "<source srcset=/deep.png>",
            true,
        ),
        ("svg", "<svg>".repeat(100_000) + img, true),
        ("a", "<a href=/p>".repeat(100_000) + img, true),
        ("noscript", "<noscript>".repeat(100_000) + img, false),
    ] {
        let started = Instant::now();
        let got = extract_html(
            html.as_bytes(),
            Some(&doc_url()),
            &ExtractOptions::default(),
        );
        eprintln!("100,000 nested <{name}>: {:?}", started.elapsed());
        let urls: Vec<&str> = got.refs.iter().map(|r| r.url.as_str()).collect();
        assert_eq!(
            urls.contains(&"https://news.example/deep.png"),
            cites,
            "<{name}>: {urls:?}"
        );
    }
}

#[test]
fn stray_end_tags_under_the_deepest_tracked_stack_stay_cheap() {
    // 512 open elements (the tracked maximum) and a million end tags that close none of them:
    // each once cost a scan of the whole stack.
    let mut html = String::from("<article>");
    html.push_str(&"<div>".repeat(511));
    html.push_str(&"</x>".repeat(1_000_000));
    html.push_str("<img src=/inside.png></article><img src=/outside.png>");
    let started = Instant::now();
    let got = extract_html(
        html.as_bytes(),
        Some(&doc_url()),
        &ExtractOptions::default(),
    );
    eprintln!("1,000,000 stray end tags: {:?}", started.elapsed());
    let urls: Vec<&str> = got.refs.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, ["https://news.example/inside.png"]);
    assert_eq!(got.outside_main, 1);
}

#[test]
fn a_ten_megabyte_attribute_is_read_once() {
    let ten_mb = 10 << 20;
    let long_url = format!("https://cdn.example/{}.png", "a".repeat(ten_mb));
    let html = format!(
        "<title>{title}</title><img src=\"{long_url}\" data-src=\"{junk}\" srcset=\"{commas}\">\
         <img src=/after.png>",
        title = "t ".repeat(ten_mb / 2),
        junk = "\u{1}\\%".repeat(ten_mb / 4),
        commas = ",".repeat(ten_mb),
    );
    let started = Instant::now();
    let got = extract_html(
        html.as_bytes(),
        Some(&doc_url()),
        &ExtractOptions::default(),
    );
    eprintln!("10 MB attributes: {:?}", started.elapsed());
    assert_eq!(
        got.refs.len(),
        3,
        "the long URL, the junk resolved, /after.png"
    );
    assert_eq!(got.refs[0].url.as_str(), long_url);
    assert_eq!(got.refs[2].url.as_str(), "https://news.example/after.png");
    assert_eq!(got.title.map(|t| t.chars().count()), Some(300));
}

#[test]
fn a_long_document_base_is_ignored_not_copied_into_every_reference() {
    // 2,000 query-only references each copy the whole base when resolved: a 64 KiB
    // `<base href>` once turned this 80 KB page into 130 MB of URLs.
    let long = format!("https://cdn.example/{}/", "a".repeat(64 * 1024));
    let refs: String = (0..2_000).map(|i| format!("<img src=?{i}>")).collect();
    for head in [
        format!("<base href=\"{long}\">"),
        format!("<link rel=canonical href=\"{long}\">"),
        format!("<meta property=og:url content=\"{long}\">"),
    ] {
        let html = format!("{head}{refs}");
        let got = extract_html(
            html.as_bytes(),
            Some(&doc_url()),
            &ExtractOptions::default(),
        );
        assert_eq!(got.refs.len(), 2_000);
        assert_eq!(got.base, Some(doc_url()), "{}", &head[..20]);
        assert_eq!(got.canonical, None);
        assert_eq!(
            got.refs[7].url.as_str(),
            "https://news.example/2020/01/article.html?7"
        );
        // Without a document URL the long base is no base at all.
        let got = extract_html(html.as_bytes(), None, &ExtractOptions::default());
        assert!(got.refs.is_empty());
        assert_eq!(got.unresolved, 2_000);
    }
    // A long but plausible base is still honoured.
    let plausible = format!("https://cdn.example/{}/", "a".repeat(1_900));
    let html = format!("<base href=\"{plausible}\"><img src=x.png>");
    let got = extract_html(html.as_bytes(), None, &ExtractOptions::default());
    assert_eq!(got.refs[0].url.as_str(), format!("{plausible}x.png"));
}

#[test]
fn a_long_feed_base_is_ignored_and_deep_feeds_share_their_base() {
    let feed_url = Url::parse("https://feeds.example/rss.xml").unwrap();
    let long = format!("https://cdn.example/{}/", "a".repeat(64 * 1024));
    let xml =
        format!("<rss><channel xml:base=\"{long}\"><item><link>p/1</link></item></channel></rss>");
    let pages = parse_feed(xml.as_bytes(), Some(&feed_url)).unwrap();
    assert_eq!(pages, [Url::parse("https://feeds.example/p/1").unwrap()]);

    // 100,000 elements under a 2 KB base: one copy of the base, not one per level.
    let base = format!("https://cdn.example/{}/", "a".repeat(2_000));
    let depth = 100_000;
    let mut xml = format!("<rss><channel xml:base=\"{base}\">");
    xml.push_str(&"<x>".repeat(depth));
    xml.push_str("<item><link>p/2</link></item>");
    xml.push_str(&"</x>".repeat(depth));
    xml.push_str("</channel></rss>");
    let started = Instant::now();
    let pages = parse_feed(xml.as_bytes(), Some(&feed_url)).unwrap();
    eprintln!(
        "feed 100,000 deep under a 2 KB base: {:?}",
        started.elapsed()
    );
    assert_eq!(pages, [Url::parse(&format!("{base}p/2")).unwrap()]);
}

/// Runs `linkvault` in `ws` with output to files, asserts it exited with one of `codes`, and
/// returns its peak resident set in KiB (from `wait4`, so it is this child's alone) and its
/// stdout.
fn run_measured(ws: &Workspace, args: &[&str], codes: &[i32]) -> (i64, String) {
    let out_path = ws.path().join(format!("{}.stdout", args[0]));
    let err_path = ws.path().join(format!("{}.stderr", args[0]));
    let mut cmd = ws.command(args);
    // Reaped by `wait4` below, which std's `Child::wait` cannot do: it discards the rusage.
    #[allow(clippy::zombie_processes)]
    let child = cmd
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .expect("spawn linkvault");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and `pid` is our own child, waited for once here
    // (its `Child` handle is never waited on).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap();
    if !codes.contains(&code) {
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        panic!("linkvault {args:?} exited {code}:\n{stderr}");
    }
    // `ru_maxrss` is in KiB on Linux.
    (usage.ru_maxrss, stdout)
}

/// A loopback port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// 100 MB of prose with `refs` images spread through it.
fn huge_article(refs: usize) -> String {
    let paragraph = format!(
        "<p>{}</p>\n",
        "Lorem ipsum dolor sit amet, consectetur. ".repeat(24)
    );
    let paragraphs = (100 << 20) / paragraph.len();
    let every = paragraphs / refs;
    let mut html = String::with_capacity(101 << 20);
    html.push_str("<!DOCTYPE html><html><head><title>Huge</title></head><body><article>\n");
    for i in 0..paragraphs {
        html.push_str(&paragraph);
        if i % every == 0 && i / every < refs {
            writeln!(
                html,
                "<img src=\"https://cdn.example/huge/{}.jpg\">",
                i / every
            )
            .unwrap();
        }
    }
    html.push_str("</article></body></html>\n");
    html
}

/// The two heavy cases run one after the other in this one test, so the machine holds only
/// one large child at a time.
#[test]
fn huge_articles_through_the_binary_stay_within_memory() {
    // A 100 MB article: over the default cap of 64 MiB, it is refused clearly, unread.
    let ws = Workspace::new();
    let html = huge_article(300);
    let path = ws.path().join("huge.html");
    std::fs::write(&path, &html).unwrap();
    let size_mib = html.len() >> 20;
    drop(html);
    let out = ws.run(&["extract", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_says(&out, "larger than fetch.max_article_bytes (64.0 MiB)");
    // With the cap raised, `extract` reads it whole: its peak is the file plus a little.
    let ws = Workspace::with_config(&format!("{TEST_CONFIG}max_article_bytes = \"128MiB\"\n"));
    let path2 = ws.path().join("huge.html");
    std::fs::rename(&path, &path2).unwrap();
    let path = path2;
    let started = Instant::now();
    let (rss_kib, stdout) = run_measured(
        &ws,
        &["extract", path.to_str().unwrap(), "--format", "json"],
        &[0],
    );
    eprintln!(
        "extract of a {size_mib} MiB article: {:?}, peak RSS {} MiB",
        started.elapsed(),
        rss_kib >> 10
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json[0]["references"].as_array().unwrap().len(), 300);
    // Measured: 116 MiB in a debug build; the file itself is 100 MiB.
    assert!(
        rss_kib < 300 << 10,
        "peak RSS {rss_kib} KiB for a {size_mib} MiB article"
    );

    // 100,000 references to a port that refuses connections: every check fails fast, the
    // run still completes and records each one.
    let config = "archive = \"archive\"\n[fetch]\nallow_private = true\nconcurrency = 64\n\
                  per_host_interval = \"0s\"\nretries = 0\n";
    let ws = Workspace::with_config(config);
    let port = closed_port();
    let mut html = String::from("<html><body><article>\n");
    for i in 0..100_000 {
        writeln!(html, "<img src=\"http://127.0.0.1:{port}/i{i}.png\">").unwrap();
    }
    html.push_str("</article></body></html>\n");
    let path = ws.path().join("many.html");
    std::fs::write(&path, &html).unwrap();
    let started = Instant::now();
    // Every check fails without an answer: the run is network-down (exit code 4).
    let (rss_kib, _) = run_measured(&ws, &["run", "--quiet", path.to_str().unwrap()], &[4]);
    eprintln!(
        "run over 100,000 references: {:?}, peak RSS {} MiB",
        started.elapsed(),
        rss_kib >> 10
    );
    let report = ws.report_json();
    assert_eq!(report["links"].as_array().unwrap().len(), 100_000);
    // Measured: 123 MiB in a debug build.
    assert!(
        rss_kib < 320 << 10,
        "peak RSS {rss_kib} KiB for 100,000 references"
    );
}
