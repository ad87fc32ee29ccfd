//! Extraction throughput over the real-article corpus: decompresses all pages into memory, then
//! times `extract_html` alone. Run with `cargo run --example extract_bench [--release]`.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

use linkvault::extract::{extract_html, ExtractOptions};
use url::Url;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real-articles");
    let tsv = std::fs::read_to_string(root.join("urls.tsv"))?;
    let mut pages = Vec::new();
    for line in tsv.lines().skip(1) {
        let Some((id, url)) = line.split_once('\t') else {
            continue;
        };
        let gz = std::fs::File::open(root.join("html").join(format!("{id}.html.gz")))?;
        let mut html = Vec::new();
        flate2::read::GzDecoder::new(gz).read_to_end(&mut html)?;
        pages.push((html, Url::parse(url.trim())?));
    }
    let bytes: usize = pages.iter().map(|(h, _)| h.len()).sum();
    let rounds = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3u32);
    let opts = ExtractOptions {
        whole_page: true,
        include_links: true,
    };
    let start = Instant::now();
    let mut refs = 0;
    for _ in 0..rounds {
        for (html, url) in &pages {
            refs += extract_html(html, Some(url), &opts).refs.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = (bytes as f64 * f64::from(rounds)) / 1e6;
    println!(
        "{} pages, {:.1} MB x {rounds}: {:.2} s, {:.1} MB/s, {} refs/round",
        pages.len(),
        bytes as f64 / 1e6,
        secs,
        mb / secs,
        refs / rounds as usize
    );
    Ok(())
}
