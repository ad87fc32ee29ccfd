//! The shared corpus of real article pages (`../shared/corpus/real-articles`, gzipped) and
//! the fixtures kept from it: where it is, how to read a page, and each page's original URL.

use std::io::Read;
use std::path::{Path, PathBuf};

use url::Url;

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real-articles")
}

pub fn gunzip(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut html = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut html)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    html
}

/// `id → url` from a `urls.tsv` with an `id` and a `url` column.
pub fn read_urls(tsv: &Path) -> Vec<(String, Url)> {
    let text = std::fs::read_to_string(tsv).unwrap_or_else(|e| panic!("{}: {e}", tsv.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{}: no {name} column", tsv.display()))
    };
    let (id_col, url_col) = (col("id"), col("url"));
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            let url = Url::parse(cells[url_col].trim())
                .unwrap_or_else(|e| panic!("{}: bad url {l:?}: {e}", tsv.display()));
            (cells[id_col].to_string(), url)
        })
        .collect()
}
