//! The pages in a real browser: headless Chromium (Debian's `chromium`, installed by `.ci/run`)
//! renders `report --format html` (the screenshot must show the chart), and the web view of
//! `linkvault serve` — report, article and reference pages — driven over the DevTools protocol:
//! kept images decode, kept video and audio play from `/objects/` with ranges, badges and dates
//! never wrap at 1280 px, and links lead where they say. Screenshots are kept as artefacts
//! (their paths are printed).

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::cdp::Browser;
use common::{sha256_hex, Reply, Server, Workspace};

/// Where screenshots are kept for a person to look at after the run.
fn artefact(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Decodes an 8-bit RGB/RGBA PNG with Python's zlib and counts pixels near the chart's green
/// (#2e7d32) and red (#c62828): the areas of the link-rot chart.
const COUNT_CHART_PIXELS: &str = r#"
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat = 8, b''
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw, stride, prev, rows, i = zlib.decompress(idat), w * bpp, bytearray(w * bpp), [], 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
def near(px, rgb): return all(abs(px[k] - rgb[k]) < 40 for k in range(3))
green = red = other = 0
for line in rows:
    for x in range(0, stride, bpp):
        px = line[x:x + 3]
        if near(px, (0x2e, 0x7d, 0x32)): green += 1
        elif near(px, (0xc6, 0x28, 0x28)): red += 1
        elif px != bytearray(b'\xff\xff\xff'): other += 1
print(w, h, green, red, other)
"#;

#[test]
fn the_report_page_renders_in_headless_chromium_with_a_visible_chart() {
    let s = Server::start();
    s.resource("/ok.png", "image/png", b"fine".to_vec());
    s.route("/dead.png", |_| Reply::status(404));
    let mut ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &format!(
            "<img src=\"{}\"><img src=\"{}\">",
            s.url("/ok.png"),
            s.url("/dead.png")
        ),
    );
    // Two days of checks: one day alone draws no chart, only a sentence saying so.
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-03-01T09:00:00Z".into())];
    ws.ok(&["run", page.to_str().unwrap()]);
    let html = ws.path().join("report.html");
    let render = |ws: &Workspace| {
        ws.ok(&[
            "report",
            "--all",
            "--format",
            "html",
            "-o",
            html.to_str().unwrap(),
        ]);
        std::fs::read_to_string(&html).unwrap()
    };
    let one_day = render(&ws);
    assert!(
        !one_day.contains("<svg") && one_day.contains("once checks span two days"),
        "{one_day}"
    );
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-03-02T09:00:00Z".into())];
    ws.ok(&["run", "--recheck"]);
    render(&ws);

    let shot = artefact("standalone-report.png");
    let profile = ws.path().join("chromium-profile");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1000,800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium is needed for this test: run `bash .ci/run`, which installs it");
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counted = Command::new("python3")
        .args(["-c", COUNT_CHART_PIXELS])
        .arg(&shot)
        .output()
        .unwrap();
    assert!(
        counted.status.success(),
        "{}",
        String::from_utf8_lossy(&counted.stderr)
    );
    let nums: Vec<u64> = String::from_utf8_lossy(&counted.stdout)
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let (w, h, green, red, other) = (nums[0], nums[1], nums[2], nums[3], nums[4]);
    assert_eq!((w, h), (1000, 800));
    assert!(
        green > 2_000,
        "the chart's alive band is visible ({green} green pixels)"
    );
    assert!(
        red > 2_000,
        "the chart's dead band is visible ({red} red pixels)"
    );
    assert!(
        other > 1_000,
        "text and tables are drawn too ({other} other pixels)"
    );
    // Kept for a person to look at (printed path, not captured by the harness).
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "report screenshot: {} ({green} green, {red} red, {other} other pixels)\n",
            shot.display()
        )
        .as_bytes(),
    );
}

const CLIP: &[u8] = include_bytes!("fixtures/media/clip.webm"); // 160×90 VP8, 1 s
const FRAME: &[u8] = include_bytes!("fixtures/media/frame.png"); // 64×48
const TONE: &[u8] = include_bytes!("fixtures/media/tone.ogg"); // 1 s

const TITLE: &str = "Flooding in the valley: what the drone footage shows";

/// `?url=` as the pages write it.
fn q(url: &str) -> String {
    url.replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F")
}

/// Facts about the page that the test asserts on: every badge and `new` mark fully inside its
/// cell on one line, every reference's address whole (shortened in the middle, never cut at the
/// end), every date on one line, the page no wider than the viewport.
const LAYOUT: &str = r#"(() => {
  const clipped = [...document.querySelectorAll('.badge, .new')].filter(b => {
    const r = b.getBoundingClientRect(), cell = b.closest('td, p, th');
    const c = cell ? cell.getBoundingClientRect() : r;
    return r.right > c.right + 0.5 || r.left < c.left - 0.5;
  }).map(b => b.textContent);
  const heights = [...document.querySelectorAll('td .badge')].map(b => b.getBoundingClientRect().height);
  const cutUrls = [...document.querySelectorAll('td a[href^="/ref?"]')].filter(a => {
    const td = a.closest('td');
    return a.getBoundingClientRect().right > td.getBoundingClientRect().right - parseFloat(getComputedStyle(td).paddingRight) + 0.5;
  }).map(a => a.textContent);
  const wrappedDates = [...document.querySelectorAll('td.date span')]
    .filter(d => d.getClientRects().length !== 1).map(d => d.textContent);
  return {clipped, cutUrls, heights, wrappedDates, width: document.documentElement.scrollWidth,
          h1: document.querySelector('h1').textContent};
})()"#;

fn assert_layout(b: &mut Browser, page: &str) -> serde_json::Value {
    let l = b.eval(LAYOUT);
    assert_eq!(
        l["clipped"],
        serde_json::json!([]),
        "{page}: badges cut off by their cell"
    );
    assert_eq!(
        l["cutUrls"],
        serde_json::json!([]),
        "{page}: addresses cut off at the end (they are shortened in the middle)"
    );
    assert_eq!(
        l["wrappedDates"],
        serde_json::json!([]),
        "{page}: dates broken over lines"
    );
    let heights: Vec<f64> = l["heights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_f64().unwrap())
        .collect();
    assert!(!heights.is_empty(), "{page}: no badges in tables");
    let (min, max) = heights
        .iter()
        .fold((f64::MAX, 0f64), |(a, b), h| (a.min(*h), b.max(*h)));
    assert!(
        max - min < 1.0 && max < 28.0,
        "{page}: a badge wrapped (heights {heights:?})"
    );
    assert!(
        l["width"].as_f64().unwrap() <= 1280.0,
        "{page}: wider than 1280 px: {l}"
    );
    l
}

/// Links of the table row whose text contains `needle`: (href, text, title).
fn row_links(b: &mut Browser, needle: &str) -> Vec<(String, String, String)> {
    let v = b.eval(&format!(
        r#"(() => {{
  const row = [...document.querySelectorAll('tr')].find(tr => tr.textContent.includes({needle:?}));
  return row ? [...row.querySelectorAll('a')].map(a => [a.getAttribute('href'), a.textContent, a.title]) : null;
}})()"#
    ));
    let rows = v
        .as_array()
        .unwrap_or_else(|| panic!("no row mentions {needle}"));
    rows.iter()
        .map(|l| {
            let s = |i: usize| l[i].as_str().unwrap_or("").to_string();
            (s(0), s(1), s(2))
        })
        .collect()
}

/// Waits (in the page) until the first `selector` media element has its metadata or failed.
fn media_state(b: &mut Browser, selector: &str) -> serde_json::Value {
    b.eval(&format!(
        r#"new Promise(done => {{
  const m = document.querySelector({selector:?});
  if (!m) return done(null);
  const report = () => done({{ready: m.readyState, error: m.error && m.error.code,
    src: m.currentSrc, width: m.videoWidth || 0, height: m.videoHeight || 0,
    duration: m.duration, canPlay: m.canPlayType((m.querySelector('source') || {{}}).type || '')}});
  if (m.readyState >= 1 || m.error) return report();
  m.addEventListener('loadedmetadata', report);
  m.addEventListener('error', report, true);
  const source = m.querySelector('source');
  if (source) source.addEventListener('error', report);
  if (m.networkState === HTMLMediaElement.NETWORK_EMPTY) m.load();
}})"#
    ))
}

#[test]
fn the_web_view_in_headless_chromium_shows_what_is_kept() {
    let s = Server::start();
    let tone_gone = Arc::new(AtomicBool::new(false));
    let edited = Arc::new(AtomicBool::new(false));
    let story = {
        let base = s.url("");
        let edited = edited.clone();
        move |_: &common::Request| {
            let extra = if edited.load(Ordering::SeqCst) {
                "<p>Update: the ministry has since withdrawn its statement.</p>"
            } else {
                ""
            };
            Reply::html(&format!(
                r#"<html><head><title>{TITLE}</title></head><body><h1>Flooding</h1>
<p>Drone footage: <video src="{base}/media/clip.webm"></video> and a still <img src="{base}/media/frame.png">.
Sound from the scene <audio src="{base}/media/tone.ogg"></audio>.
Sources: <a href="{base}/reports/ngo-report.pdf">the NGO's report</a>,
<img src="{base}/images/2027/03/01/a/very/long/path/to/make/the/address/longer/than/any/column/photo-final.jpg">.</p>
{extra}</body></html>"#
            ))
        }
    };
    s.route("/story.html", story);
    s.resource("/media/clip.webm", "video/webm", CLIP.to_vec());
    s.resource("/media/frame.png", "image/png", FRAME.to_vec());
    let gone = tone_gone.clone();
    s.route("/media/tone.ogg", move |_| {
        if gone.load(Ordering::SeqCst) {
            Reply::status(404)
        } else {
            Reply::new(200, "audio/ogg", TONE.to_vec())
        }
    });
    s.route("/reports/ngo-report.pdf", |_| Reply::status(404));
    let article = s.url("/story.html");
    let tone = s.url("/media/tone.ogg");
    let clip = s.url("/media/clip.webm");
    let frame = s.url("/media/frame.png");

    // Day one everything but two references answers; day three the sound is gone (a new
    // failure) and the article has been edited.
    let mut ws = Workspace::new();
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-03-01T09:00:00Z".into())];
    ws.ok(&["run", &article]);
    tone_gone.store(true, Ordering::SeqCst);
    edited.store(true, Ordering::SeqCst);
    ws.extra_env = vec![("LINKVAULT_NOW".into(), "2027-03-03T09:00:00Z".into())];
    ws.ok(&["run", "--recheck"]);
    ws.extra_env.clear();
    let srv = ws.serve();
    let origin = format!("http://127.0.0.1:{}", srv.port);
    let mut b = Browser::launch(1280, 1600);

    // The report: the chart (two days), the new failure first and marked, links that lead to
    // the reference's page, the citing article's page (named by its title) and the kept bytes.
    b.navigate(&format!("{origin}/"));
    let l = assert_layout(&mut b, "report");
    assert_eq!(l["h1"], "Dead-link report");
    assert_eq!(
        b.eval("!!document.querySelector('svg')"),
        true,
        "two days of checks: a chart"
    );
    let first = b.eval("document.querySelector('table.refs tr:nth-child(2)').textContent");
    assert!(
        first.as_str().unwrap().contains("tone.ogg"),
        "newest failure first: {first}"
    );
    assert_eq!(
        b.eval("[...document.querySelectorAll('table.refs tr')].filter(r => r.querySelector('.new')).map(r => r.textContent.includes('tone.ogg'))"),
        serde_json::json!([true]),
        "only the reference that failed in the latest run is marked new"
    );
    let links = row_links(&mut b, "tone.ogg");
    let tone_sha = sha256_hex(TONE);
    let want_ref = format!("/ref?url={}", q(&tone));
    let want_article = format!("/article?url={}", q(&article));
    let want_object = format!("/objects/{tone_sha}");
    assert!(
        links
            .iter()
            .any(|(h, t, title)| *h == want_ref && *title == tone && tone.ends_with(t.as_str())),
        "{links:?}"
    );
    assert!(
        links.iter().any(|(h, t, title)| *h == want_article
            && TITLE.starts_with(t.trim_end_matches('…'))
            && *title == article),
        "{links:?}"
    );
    assert!(
        links
            .iter()
            .any(|(h, t, _)| *h == want_object && tone_sha.starts_with(t.as_str()) && t.len() < 20),
        "{links:?}"
    );
    let long = row_links(&mut b, "photo-final");
    assert!(
        long.iter()
            .any(|(_, t, title)| t.contains('…') && title.ends_with("photo-final.jpg")),
        "a long address is shortened in the middle, whole on hover: {long:?}"
    );
    b.screenshot(&artefact("report.png"));

    // The article page, reached through the report's link.
    b.navigate(&format!("{origin}{want_article}"));
    let l = assert_layout(&mut b, "article");
    assert_eq!(l["h1"], TITLE);
    let text = b
        .eval("document.body.innerText")
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("text edited"),
        "the edited version is marked: {text}"
    );
    let versions = b.eval(
        "[...document.querySelectorAll('a[href^=\"/objects/\"]')].map(a => a.getAttribute('href'))",
    );
    let versions: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for (i, href) in versions.iter().enumerate() {
        let got = common::http::request(srv.port, "GET", href, &[]);
        assert_eq!(got.status, 200, "{href}");
        assert_eq!(
            format!("/objects/{}", sha256_hex(&got.body)),
            *href,
            "link {i} leads to the bytes it names"
        );
    }
    assert!(
        versions.len() >= 5,
        "two versions read and three copies held: {versions:?}"
    );
    let refs = row_links(&mut b, "clip.webm");
    assert!(
        refs.iter()
            .any(|(h, _, _)| *h == format!("/ref?url={}", q(&clip))),
        "{refs:?}"
    );
    b.screenshot(&artefact("article.png"));

    // A reference whose live copy is gone: the kept sound plays from /objects/.
    b.navigate(&format!("{origin}{want_ref}"));
    assert_layout(&mut b, "reference (audio)");
    let audio = media_state(&mut b, "audio");
    assert_eq!(audio["error"], serde_json::Value::Null, "{audio}");
    assert!(
        audio["ready"].as_u64().unwrap() >= 1 && audio["duration"].as_f64().unwrap() > 0.5,
        "{audio}"
    );
    assert_eq!(audio["src"], format!("{origin}/objects/{tone_sha}"));
    let cited =
        b.eval("[...document.querySelectorAll('p.cited a')].map(a => a.getAttribute('href'))");
    assert_eq!(
        cited,
        serde_json::json!([want_article]),
        "cited by links to the article page"
    );

    // The kept video: a playable source, its frames decoded, fetched with a range request.
    b.navigate(&format!("{origin}/ref?url={}", q(&clip)));
    assert_layout(&mut b, "reference (video)");
    let video = media_state(&mut b, "video");
    assert_eq!(video["error"], serde_json::Value::Null, "{video}");
    assert!(
        !video["canPlay"].as_str().unwrap_or("").is_empty(),
        "{video}"
    );
    assert_eq!(
        (video["width"].as_u64(), video["height"].as_u64()),
        (Some(160), Some(90)),
        "{video}"
    );
    b.settle();
    let clip_object = format!("{origin}/objects/{}", sha256_hex(CLIP));
    assert!(
        b.responses()
            .iter()
            .any(|(status, url)| *status == 206 && *url == clip_object),
        "the player asked for a range and got 206: {:?}",
        b.responses()
    );
    b.screenshot(&artefact("reference-video.png"));

    // The kept image, decoded.
    b.navigate(&format!("{origin}/ref?url={}", q(&frame)));
    let img = b.eval("(() => { const i = document.querySelector('.preview img'); return i && [i.naturalWidth, i.naturalHeight, i.getAttribute('src')]; })()");
    assert_eq!(
        img,
        serde_json::json!([64, 48, format!("/objects/{}", sha256_hex(FRAME))])
    );
    b.screenshot(&artefact("reference-image.png"));

    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("web view screenshots: {}\n", artefact("").display()).as_bytes(),
    );
}
