//! The report page in a real browser: headless Chromium (Debian's `chromium`, installed by
//! `.ci/run`) renders `report --format html`, and the screenshot must show the chart.

mod common;

use std::process::Command;

use common::{Reply, Server, Workspace};

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
    let ws = Workspace::new();
    let page = ws.write(
        "p.html",
        &format!(
            "<img src=\"{}\"><img src=\"{}\">",
            s.url("/ok.png"),
            s.url("/dead.png")
        ),
    );
    ws.ok(&["run", page.to_str().unwrap()]);
    let html = ws.path().join("report.html");
    ws.ok(&[
        "report",
        "--all",
        "--format",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);

    let shot = ws.path().join("shot.png");
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
