//! `linkvault serve` and `robustify`, spoken to over real sockets: Memento TimeGate, mementos
//! and TimeMaps (and the `memento_client` library as a judge), snapshots with byte ranges, the
//! report page, and Robust Links in a rewritten article.

mod common;

use common::http::{get, request};
use common::pywb::Pywb;
use common::{assert_says, sha256_hex, stderr, Reply, Server, Workspace};

const V1: &[u8] = b"\x89PNG first version of the map";
const V2: &[u8] = b"\x89PNG second version of the map, redrawn";

/// An archive holding two captures of one map (a day apart) and a dead link with a hostile URL.
fn archive() -> (Server, Workspace, String) {
    let s = Server::start();
    let version = std::sync::Arc::new(std::sync::Mutex::new(V1.to_vec()));
    let v = version.clone();
    s.route("/map.png", move |_| {
        Reply::new(200, "image/png", v.lock().unwrap().clone())
    });
    s.route("/gone", |_| Reply::status(404));
    let mut ws = Workspace::new();
    let map = s.url("/map.png");
    let page = ws.write(
        "article.html",
        &format!(r#"<p><a href="{map}">the map</a> <a href="{}?x=<b>bold</b>">gone</a> <a href="https://elsewhere.example/">not archived</a></p>"#, s.url("/gone")),
    );
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-01-01T00:00:00Z".into())];
    ws.ok(&["run", page.to_str().unwrap()]);
    *version.lock().unwrap() = V2.to_vec();
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-01-02T00:00:00Z".into())];
    ws.ok(&["run", "--recheck"]);
    ws.extra_env.clear();
    (s, ws, map)
}

#[test]
fn timegate_mementos_and_timemap_follow_rfc_7089() {
    let (_s, ws, map) = archive();
    let srv = ws.serve();
    // Absolute, on the Host the client asked for: aggregators merge TimeMaps from many archives.
    let origin = format!("http://127.0.0.1:{}", srv.port);
    for method in ["GET", "HEAD"] {
        let tg = request(
            srv.port,
            method,
            &format!("/timegate/{map}"),
            &[("Accept-Datetime", "Fri, 01 Jan 2027 05:00:00 GMT")],
        );
        assert_eq!(tg.status, 302, "{method}");
        assert_eq!(
            tg.header("Location"),
            Some(format!("{origin}/20270101000000/{map}").as_str())
        );
        assert_eq!(tg.header("Vary"), Some("accept-datetime"));
        let link = tg.header("Link").unwrap();
        assert!(
            link.contains(&format!("<{map}>; rel=\"original\""))
                && link.contains(&format!("<{origin}/timemap/link/{map}>; rel=\"timemap\""))
                && link.contains(&format!("<{origin}/timegate/{map}>; rel=\"timegate\"")),
            "{link}"
        );
    }
    let late = request(
        srv.port,
        "GET",
        &format!("/timegate/{map}"),
        &[("Accept-Datetime", "Sat, 02 Jan 2027 23:00:00 GMT")],
    );
    assert_eq!(
        late.header("Location"),
        Some(format!("{origin}/20270102000000/{map}").as_str())
    );

    let m = request(srv.port, "GET", &format!("/20270101000000/{map}"), &[]);
    assert_eq!(m.status, 200);
    assert_eq!(m.body, V1, "the memento is the bytes captured then");
    assert_eq!(
        m.header("Memento-Datetime"),
        Some("Fri, 01 Jan 2027 00:00:00 GMT")
    );
    assert!(m.header("Link").unwrap().contains("rel=\"original\""));
    assert_eq!(m.header("Content-Type"), Some("image/png"));

    let tm = request(srv.port, "GET", &format!("/timemap/link/{map}"), &[]);
    assert_eq!(tm.header("Content-Type"), Some("application/link-format"));
    let text = String::from_utf8(tm.body).unwrap();
    assert!(text.contains(&format!("<{origin}/20270101000000/{map}>; rel=\"first memento\"; datetime=\"Fri, 01 Jan 2027 00:00:00 GMT\"")), "{text}");
    assert!(
        text.contains(&format!(
            "<{origin}/20270102000000/{map}>; rel=\"last memento\""
        )),
        "{text}"
    );
    assert!(!text.contains("</"), "no relative URI left: {text}");

    assert_eq!(
        request(srv.port, "GET", "/timegate/https://never.example/", &[]).status,
        404
    );
    assert_eq!(request(srv.port, "POST", "/", &[]).status, 405, "read-only");
}

#[test]
fn an_article_page_has_mementos_for_each_version_read() {
    let s = Server::start();
    let v1 =
        "<html><body><p>Rallies in 80 towns, organisers said on Friday evening.</p></body></html>";
    let v2 = "<html><body><p>Correction: rallies in 83 towns, organisers said on Saturday.</p></body></html>";
    let current = std::sync::Arc::new(std::sync::Mutex::new(v1));
    let c = current.clone();
    s.route("/story", move |_| Reply::html(&c.lock().unwrap()));
    let mut ws = Workspace::new();
    let story = s.url("/story");
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-01-01T00:00:00Z".into())];
    ws.ok(&["run", &story]);
    *current.lock().unwrap() = v2;
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-01-02T00:00:00Z".into())];
    ws.ok(&["run"]);
    ws.extra_env.clear();
    let srv = ws.serve();
    let tg = request(
        srv.port,
        "GET",
        &format!("/timegate/{story}"),
        &[("Accept-Datetime", "Fri, 01 Jan 2027 05:00:00 GMT")],
    );
    assert_eq!(tg.status, 302);
    let first = format!("/20270101000000/{story}");
    let absolute = format!("http://127.0.0.1:{}{first}", srv.port);
    assert_eq!(tg.header("Location"), Some(absolute.as_str()));
    let m = request(srv.port, "GET", &first, &[]);
    assert_eq!(m.body, v1.as_bytes(), "the page as it was read that day");
    assert_eq!(m.header("Content-Type"), Some("text/html; charset=utf-8"));
    let latest = request(srv.port, "GET", &format!("/20270102000000/{story}"), &[]);
    assert_eq!(latest.body, v2.as_bytes());
}

#[test]
fn memento_client_finds_the_memento_through_the_timegate() {
    let (_s, ws, map) = archive();
    let srv = ws.serve();
    let script = format!(
        "import datetime, sys\nfrom memento_client import MementoClient\n\
         mc = MementoClient(timegate_uri='http://127.0.0.1:{}/timegate/', check_native_timegate=False)\n\
         info = mc.get_memento_info(sys.argv[1], datetime.datetime(2027, 1, 2, 1, 0, 0))\n\
         print(info['mementos']['closest']['uri'][0])",
        srv.port
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script, &map])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "memento_client failed (run `bash .ci/run` to install it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let closest = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        closest.ends_with(&format!("/20270102000000/{map}")),
        "{closest}"
    );
}

#[test]
fn snapshots_by_hash_support_ranges_and_the_report_page_escapes_and_filters() {
    let (s, ws, map) = archive();
    let srv = ws.serve();
    let sha = sha256_hex(V2);
    let full = request(srv.port, "GET", &format!("/objects/{sha}"), &[]);
    assert_eq!((full.status, full.body.as_slice()), (200, V2));
    assert_eq!(full.header("Content-Type"), Some("image/png"));
    let part = request(
        srv.port,
        "GET",
        &format!("/objects/{sha}"),
        &[("Range", "bytes=5-10")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &V2[5..=10]);
    assert_eq!(
        part.header("Content-Range"),
        Some(format!("bytes 5-10/{}", V2.len()).as_str())
    );
    assert_eq!(
        request(
            srv.port,
            "GET",
            &format!("/objects/{sha}"),
            &[("Range", "bytes=999-")]
        )
        .status,
        416
    );
    assert_eq!(
        request(srv.port, "GET", "/objects/../../etc/passwd", &[]).status,
        404
    );

    let page = String::from_utf8(request(srv.port, "GET", "/", &[]).body).unwrap();
    assert!(
        page.contains("<svg") && page.contains("<form"),
        "chart and filters"
    );
    assert!(!page.contains("<b>bold</b>"), "URLs are escaped");
    assert!(page.contains("/ref?url="));
    let dead_only = String::from_utf8(request(srv.port, "GET", "/?state=dead", &[]).body).unwrap();
    assert!(dead_only.contains("/gone") && !dead_only.contains(&format!(">{map}<")));
    let all = String::from_utf8(request(srv.port, "GET", "/?all=1", &[]).body).unwrap();
    assert!(all.contains(&map));
    let history = String::from_utf8(
        request(
            srv.port,
            "GET",
            &format!(
                "/ref?url={}",
                s.url("/map.png").replace(':', "%3A").replace('/', "%2F")
            ),
            &[],
        )
        .body,
    )
    .unwrap();
    assert!(
        history.contains(&format!("/objects/{sha}")) && history.contains(&sha256_hex(V1)),
        "{history}"
    );
}

#[test]
fn robustify_points_links_at_their_mementos() {
    let (_s, ws, map) = archive();
    let out = ws.path().join("robust.html");
    let article = ws.path().join("article.html");
    let run = ws.run(&[
        "robustify",
        article.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--base-url",
        "http://archive.example:8080",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let log = stderr(&run);
    assert!(
        log.contains("not annotated: https://elsewhere.example/: no good capture held (it is "),
        "says why a link got no version URL: {log}"
    );
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains(&format!("<a href=\"{map}\" data-versionurl=\"http://archive.example:8080/20270102000000/{map}\" data-versiondate=\"2027-01-02\">the map</a>")),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"https://elsewhere.example/\">not archived</a>"),
        "links without snapshots are untouched"
    );
    // Published HTML never points readers at this machine.
    for loopback in [
        "http://127.0.0.1:8080",
        "http://localhost:8080/",
        "http://[::1]:8080",
    ] {
        let refused = ws.run(&[
            "robustify",
            article.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--base-url",
            loopback,
        ]);
        assert_eq!(refused.status.code(), Some(2), "{loopback}");
        assert_says(&refused, "is a loopback address");
    }
    let refused = ws.run(&[
        "robustify",
        article.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert_says(&refused, "give --base-url");
}

#[test]
fn ranges_and_conditional_requests_follow_rfc_9110() {
    let (_s, ws, _map) = archive();
    let srv = ws.serve();
    let sha = sha256_hex(V2);
    let target = format!("/objects/{sha}");
    let get = |headers: &[(&str, &str)]| request(srv.port, "GET", &target, headers);
    // Not one byte range: the whole object, 200.
    for ignored in ["bytes=0-1,5-6", "items=0-5", "bytes=abc", "bytes=5-2"] {
        let a = get(&[("Range", ignored)]);
        assert_eq!((a.status, a.body.as_slice()), (200, V2), "{ignored}");
    }
    // A last byte past the end, even past 64 bits, means "to the end".
    for huge in [
        "bytes=0-99999999999999999999",
        "bytes=0-18446744073709551615",
    ] {
        let a = get(&[("Range", huge)]);
        assert_eq!(a.status, 206, "{huge}");
        assert_eq!(a.body, V2);
    }
    let a = get(&[("Range", "bytes=99999999999999999999-")]);
    assert_eq!(a.status, 416);
    // The hash is a strong ETag: a matching If-None-Match is 304, If-Range guards a range.
    let etag = format!("\"{sha}\"");
    let a = get(&[("If-None-Match", &etag)]);
    assert_eq!(a.status, 304);
    assert!(a.body.is_empty());
    let a = get(&[("Range", "bytes=0-3"), ("If-Range", "\"other\"")]);
    assert_eq!(a.status, 200, "a stale If-Range gets the whole object");
    let a = get(&[("Range", "bytes=0-3"), ("If-Range", &etag)]);
    assert_eq!((a.status, a.body.as_slice()), (206, &V2[..4]));
}

#[test]
fn keep_alive_head_and_a_thousand_idle_connections_do_not_stop_a_real_request() {
    use std::io::{Read, Write};
    let (_s, ws, _map) = archive();
    let srv = ws.serve_with(&[
        "--quiet",
        "--max-connections",
        "200",
        "--idle-timeout",
        "2s",
    ]);
    let port = srv.port;
    let sha = sha256_hex(V2);
    // Two requests on one connection (keep-alive); HEAD gives the length and no body.
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(conn, "HEAD /objects/{sha} HTTP/1.1\r\nHost: x\r\n\r\nGET /objects/{sha} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert_eq!(
        text.matches(&format!("content-length: {}", V2.len()))
            .count(),
        2,
        "{text}"
    );
    assert!(text.to_ascii_lowercase().contains("\r\ndate: "), "{text}");
    assert!(
        raw.ends_with(V2),
        "the GET body follows the HEAD answer directly"
    );
    // A thousand connections that never finish their request (slowloris).
    let idle: Vec<std::net::TcpStream> = (0..1000)
        .filter_map(|_| {
            let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
            c.write_all(b"GET / HTTP/1.1\r\nX-Slow: ").ok()?;
            Some(c)
        })
        .collect();
    assert!(idle.len() > 900, "{} idle connections opened", idle.len());
    let started = std::time::Instant::now();
    let mut real = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    real.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(
        real,
        "GET /objects/{sha} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut body = Vec::new();
    real.read_to_end(&mut body).unwrap();
    let took = started.elapsed();
    assert!(
        body.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(
        took < std::time::Duration::from_secs(1),
        "answered in {took:?}"
    );
    drop(idle);
    // An idle keep-alive connection is closed after --idle-timeout.
    let mut quiet = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    quiet
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        quiet.read(&mut buf).unwrap_or(0),
        0,
        "closed, not left open"
    );
}

#[test]
fn every_html_page_carries_security_headers_and_the_server_holds_its_limits() {
    let (s, ws, map) = archive();
    let srv = ws.serve();
    let article = ws.path().join("article.html");
    let q = |u: &str| u.replace(':', "%3A").replace('/', "%2F");
    let pages = [
        "/".to_string(),
        "/?state=dead&host=127.0.0.1".to_string(),
        "/articles".to_string(),
        format!("/article?url={}", q(article.to_str().unwrap())),
        format!("/ref?url={}", q(&map)),
        format!("/ref?url={}", q(&s.url("/never-cited"))),
        "/article".to_string(),
    ];
    for page in &pages {
        let a = request(srv.port, "GET", page, &[]);
        assert!(
            a.header("Content-Type")
                .unwrap_or("")
                .starts_with("text/html"),
            "{page}"
        );
        let csp = a.header("Content-Security-Policy").unwrap_or("");
        assert!(
            csp.contains("default-src 'none'")
                && csp.contains("frame-ancestors 'none'")
                && !csp.contains("script-src"),
            "{page}: {csp}"
        );
        assert_eq!(
            a.header("X-Content-Type-Options"),
            Some("nosniff"),
            "{page}"
        );
        assert_eq!(a.header("Referrer-Policy"), Some("no-referrer"), "{page}");
        assert_eq!(a.header("X-Frame-Options"), Some("DENY"), "{page}");
        let body = String::from_utf8_lossy(&a.body);
        assert!(
            !body.contains("<script") && !body.contains("<b>bold</b>"),
            "{page}: no script, everything escaped"
        );
    }
    // Captures are served sandboxed: a kept page's scripts never run on this origin.
    let kept_page = sha256_hex(&std::fs::read(&article).unwrap());
    let capture = request(srv.port, "GET", &format!("/objects/{kept_page}"), &[]);
    assert_eq!(capture.status, 200);
    assert_eq!(capture.header("Content-Security-Policy"), Some("sandbox"));
    assert_eq!(capture.header("X-Content-Type-Options"), Some("nosniff"));
    let memento = request(srv.port, "GET", &format!("/20270102000000/{map}"), &[]);
    assert_eq!(memento.header("Content-Security-Policy"), Some("sandbox"));
    assert_eq!(request(srv.port, "GET", &pages[5], &[]).status, 404);
    // Page numbers from the query string never overflow into a server error.
    for page in ["18446744073709551615", "4294967295", "-1", "x"] {
        assert_eq!(
            request(srv.port, "GET", &format!("/?page={page}"), &[]).status,
            200,
            "page={page}"
        );
    }
    assert_eq!(request(srv.port, "GET", "/article", &[]).status, 400);
    // A web address is never taken for a path on the server (serve runs in the archive's
    // folder, where this file is).
    assert_eq!(
        request(srv.port, "GET", "/article?url=article.html", &[]).status,
        404
    );
    assert_eq!(
        request(srv.port, "GET", "/ref?url=article.html", &[]).status,
        404
    );
    // The stylesheet the CSP allows is served.
    let css = request(srv.port, "GET", "/static/style.css", &[]);
    assert_eq!(
        (css.status, css.header("Content-Type")),
        (200, Some("text/css; charset=utf-8"))
    );
    // Read-only: anything but GET and HEAD is refused and says what is allowed.
    let post = request(srv.port, "POST", "/", &[("Content-Length", "0")]);
    assert_eq!(
        (post.status, post.header("Allow")),
        (405, Some("GET, HEAD"))
    );
    // Headers beyond the limit get 431, and the server goes on answering.
    // (The server may close before reading all of it: a reset after the answer is fine.)
    {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        let huge = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Huge: {}\r\n\r\n",
            "x".repeat(100 * 1024)
        );
        let _ = conn.write_all(huge.as_bytes());
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = conn.read(&mut buf) {
            answer.extend_from_slice(&buf[..n]);
        }
        assert!(
            answer.starts_with(b"HTTP/1.1 431 "),
            "{}",
            String::from_utf8_lossy(&answer)
        );
    }
    assert_eq!(request(srv.port, "GET", "/", &[]).status, 200);
}

#[test]
fn public_url_makes_memento_uris_absolute_behind_a_reverse_proxy() {
    let (_s, ws, map) = archive();
    let srv = ws.serve_with(&["--public-url", "https://archive.example.org/linkvault/"]);
    let base = "https://archive.example.org/linkvault";
    let tm = request(srv.port, "GET", &format!("/timemap/link/{map}"), &[]);
    let body = String::from_utf8(tm.body).unwrap();
    assert!(
        body.contains(&format!(
            "<{base}/20270101000000/{map}>; rel=\"first memento\""
        )) && body.contains(&format!("<{base}/timegate/{map}>; rel=\"timegate\""))
            && body.contains(&format!("<{base}/timemap/link/{map}>; rel=\"self\"")),
        "{body}"
    );
    let m = request(srv.port, "GET", &format!("/20270102000000/{map}"), &[]);
    let link = m.header("Link").unwrap();
    assert!(
        link.contains(&format!("<{base}/timegate/{map}>; rel=\"timegate\"")),
        "{link}"
    );
    let tg = request(srv.port, "GET", &format!("/timegate/{map}"), &[]);
    assert_eq!(
        tg.header("Location"),
        Some(format!("{base}/20270102000000/{map}").as_str())
    );
}

#[test]
fn report_filters_match_host_subdomains_and_article_text() {
    let s = Server::start();
    s.route("/gone.png", |_| Reply::status(404));
    let ws = Workspace::new();
    let valley = ws.write(
        "valley.html",
        &format!(
            r#"<title>Floods in the valley</title><a href="http://news.invalid/a">a</a><a href="http://cdn.news.invalid/b.jpg">b</a><img src="{}">"#,
            s.url("/gone.png")
        ),
    );
    let election = ws.write(
        "election.html",
        r#"<title>Election night</title><a href="http://othernews.invalid/c">c</a>"#,
    );
    ws.ok(&["run", valley.to_str().unwrap(), election.to_str().unwrap()]);
    let srv = ws.serve();
    let page =
        |target: &str| String::from_utf8(request(srv.port, "GET", target, &[]).body).unwrap();
    let listed = |html: &str| -> Vec<&str> {
        [
            "news.invalid/a",
            "cdn.news.invalid/b.jpg",
            "othernews.invalid/c",
            "/gone.png",
        ]
        .into_iter()
        .filter(|u| html.contains(&format!("{u}\">")) || html.contains(&format!("{u}</a>")))
        .collect()
    };
    assert_eq!(
        listed(&page("/")),
        [
            "news.invalid/a",
            "cdn.news.invalid/b.jpg",
            "othernews.invalid/c",
            "/gone.png"
        ]
    );
    assert_eq!(
        listed(&page("/?host=news.invalid")),
        ["news.invalid/a", "cdn.news.invalid/b.jpg"],
        "a host matches its subdomains, not hosts that merely end the same"
    );
    assert_eq!(
        listed(&page("/?host=NEWS.invalid.")),
        ["news.invalid/a", "cdn.news.invalid/b.jpg"]
    );
    assert_eq!(
        listed(&page("/?article=ELECTION")),
        ["othernews.invalid/c"],
        "by the article's address, case-insensitive"
    );
    assert_eq!(
        listed(&page("/?article=in+the+valley")),
        ["news.invalid/a", "cdn.news.invalid/b.jpg", "/gone.png"],
        "by the article's title"
    );
    assert_eq!(listed(&page("/?kind=image&host=127.0.0.1")), ["/gone.png"]);
    let filtered = page("/?host=news.invalid&article=valley");
    assert!(
        filtered.contains("value=\"news.invalid\"") && filtered.contains("value=\"valley\""),
        "the form shows the filters in force"
    );
}

#[test]
fn serving_beyond_loopback_warns() {
    let (_s, ws, _map) = archive();
    let srv = ws.spawn_serve(&["serve", "--listen", "0.0.0.0:0"]);
    let line = srv.first_line.clone();
    srv.stop();
    assert!(
        line.starts_with("warning: serving on 0.0.0.0:")
            && line.contains("anyone who can reach this machine"),
        "{line}"
    );
}

#[test]
fn pywb_uses_the_archive_as_a_remote_memento_source() {
    let (_s, ws, map) = archive();
    let srv = ws.serve();
    // pywb's `memento` index type: TimeMaps and TimeGate answers from linkvault, bytes from its
    // raw (`id_`) mementos.
    let root = ws.path().join("pywb");
    std::fs::create_dir_all(&root).unwrap();
    let o = format!("http://127.0.0.1:{}", srv.port);
    std::fs::write(
        root.join("config.yaml"),
        format!(
            "enable_memento: true\ncollections:\n  lv:\n    index:\n      type: memento\n      \
             timegate_url: {o}/timegate/{{url}}\n      timemap_url: {o}/timemap/link/{{url}}\n      \
             replay_url: {o}/{{timestamp}}id_/{{url}}\n"
        ),
    )
    .unwrap();
    let pywb = Pywb::start(&root, &[]);
    let cdx = get(&pywb.url(&format!("/lv/cdx?url={map}&output=json")));
    assert_eq!(cdx.status, 200);
    let cdx = String::from_utf8(cdx.body).unwrap();
    let stamps: Vec<String> = cdx
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["timestamp"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        stamps,
        ["20270101000000", "20270102000000"],
        "from our TimeMap: {cdx}"
    );
    for (stamp, want) in [("20270101050000", V1), ("20270102010000", V2)] {
        let m = get(&pywb.url(&format!("/lv/{stamp}id_/{map}")));
        assert_eq!(
            m.status,
            200,
            "{stamp}: {}",
            String::from_utf8_lossy(&m.body)
        );
        assert_eq!(
            m.body, want,
            "pywb replays the closest memento's bytes ({stamp})"
        );
    }
}

#[test]
fn one_access_log_line_per_request_unless_quiet() {
    let (_s, ws, map) = archive();
    let srv = ws.serve();
    assert_eq!(request(srv.port, "GET", "/articles", &[]).status, 200);
    assert_eq!(
        request(srv.port, "HEAD", &format!("/timemap/link/{map}"), &[]).status,
        200
    );
    let lines = [srv.log_line(), srv.log_line()];
    assert!(
        lines[0].contains("127.0.0.1") && lines[0].contains("\"GET /articles\" 200 "),
        "{lines:?}"
    );
    assert!(
        lines[1].contains(&format!("\"HEAD /timemap/link/{map}\" 200 ")),
        "{lines:?}"
    );
    drop(srv);

    // -q: requests are answered and nothing is written.
    let srv = ws.serve_with(&["-q"]);
    assert_eq!(request(srv.port, "GET", "/articles", &[]).status, 200);
    assert_eq!(srv.stop(), "", "quiet");
}

#[test]
fn a_slow_download_is_not_taken_for_an_idle_connection() {
    use std::io::{Read, Write};
    // 48 MiB: more than the kernel buffers on loopback, so the server is still sending when the
    // client pauses longer than --idle-timeout.
    let big: Vec<u8> = (0..48u32 << 20).map(|i| (i % 251) as u8).collect();
    let s = Server::start();
    s.resource("/big.bin", "application/octet-stream", big.clone());
    let ws = Workspace::new();
    let page = ws.write(
        "a.html",
        &format!(r#"<a href="{}">x</a>"#, s.url("/big.bin")),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let srv = ws.serve_with(&["--quiet", "--idle-timeout", "1s"]);
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    write!(
        conn,
        "GET /objects/{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        sha256_hex(&big)
    )
    .unwrap();
    let mut first = vec![0u8; 64 * 1024];
    conn.read_exact(&mut first).unwrap();
    // A reader slower than the idle timeout (a phone on a train): the transfer goes on.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).unwrap();
    first.extend_from_slice(&rest);
    let split = first.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(first.len() - split, big.len(), "the whole object arrived");
    assert!(first[split..] == big[..]);
}

#[test]
fn a_running_server_sees_what_a_later_run_records() {
    let s = Server::start();
    s.resource("/first.png", "image/png", b"\x89PNG first".to_vec());
    s.resource("/later.png", "image/png", b"\x89PNG later".to_vec());
    s.route("/a", |_| Reply::html(r#"<img src="/first.png">"#));
    s.route("/b", |_| Reply::html(r#"<img src="/later.png">"#));
    let ws = Workspace::new();
    ws.ok(&["run", &s.url("/a")]);
    let served = ws.serve();
    let base = format!("http://127.0.0.1:{}", served.port);
    let later = s.url("/later.png");
    let timemap = format!("{base}/timemap/link/{later}");
    // Several requests, so pooled connections are warm before the run.
    for _ in 0..4 {
        assert_eq!(get(&format!("{base}/report?all=1")).status, 200);
        assert_eq!(get(&timemap).status, 404);
    }
    ws.ok(&["run", &s.url("/b")]);
    let answer = get(&timemap);
    assert_eq!(
        answer.status, 200,
        "the new capture is served without a restart"
    );
    let sha = sha256_hex(b"\x89PNG later");
    let object = get(&format!("{base}/objects/{sha}"));
    assert_eq!(object.body, b"\x89PNG later");
    let page = String::from_utf8_lossy(&get(&format!("{base}/report?all=1")).body).into_owned();
    assert!(page.contains("later.png"), "{page}");
}
