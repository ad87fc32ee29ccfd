//! Articles: what the user points linkvault at (URLs, HTML files and globs, text files, feeds)
//! turned into sources, and a source's bytes turned into references or feed items. Lists of
//! articles (URL lists, bookmark exports, OPML) are unpacked by [`lists`].

mod listing;
mod lists;

pub use listing::{ListedRef, Listing};
pub use lists::{list_lines, resolve_listed};

use std::path::{Path, PathBuf};

use url::Url;

use crate::extract::{self, ExtractOptions, Extraction};

/// Why an article (or a list of them) could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Neither a URL nor an existing file, and no file matches it as a glob (the text as
    /// given).
    #[error("`{0}` matches no file. Give an http(s) URL, a file, or a glob that matches files")]
    NoMatch(String),
    /// The glob does not parse.
    #[error("`{pattern}` is not a valid glob: {message}")]
    BadGlob {
        /// The glob as given.
        pattern: String,
        /// The glob crate's explanation.
        message: String,
    },
    /// The file (or standard input) cannot be opened or read.
    #[error("cannot read article {path}: {source}")]
    Unreadable {
        /// The file, or `standard input`.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The article is longer than `fetch.max_article_bytes`; nothing of it was kept.
    #[error("article {path} is larger than fetch.max_article_bytes ({max}); it was not read. Raise fetch.max_article_bytes in config.toml to read it")]
    TooLarge {
        /// The file, or `standard input`.
        path: PathBuf,
        /// The limit, formatted (`64.0 MiB`).
        max: String,
    },
    /// A folder was given as an article (its path as shown).
    #[error("{0} is a directory, not an article: give the files in it (e.g. \"{0}/*.html\")")]
    Directory(String),
}

/// `s` as an http(s) URL with a host, the only kind linkvault fetches.
pub fn http_url(s: &str) -> Option<Url> {
    Url::parse(s)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// Reads an article from standard input, never more than `max` bytes.
pub fn read_stdin_bounded(max: u64) -> Result<Vec<u8>, InputError> {
    read_capped(std::io::stdin(), Path::new("standard input"), max)
}

/// The articles listed on standard input, one per line (`#` comments and blank lines
/// skipped), never more than `max` bytes of list.
pub fn read_stdin_list(max: u64) -> Result<Vec<String>, InputError> {
    let bytes = read_stdin_bounded(max)?;
    Ok(list_lines(&String::from_utf8_lossy(&bytes)))
}

/// Reads a local article whole, but never more than `max` bytes: `/dev/zero`, a FIFO that never
/// ends or a huge sparse file is refused, not read into memory.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, InputError> {
    let f = std::fs::File::open(path).map_err(|source| InputError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let meta = f.metadata().map_err(|source| InputError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(InputError::Directory(path.display().to_string()));
    }
    if meta.is_file() && meta.len() > max {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            max: crate::units::format_size(max),
        });
    }
    read_capped(f, path, max)
}

/// Everything `r` gives, refused past `max` bytes (one byte more is read to know).
fn read_capped(r: impl std::io::Read, path: &Path, max: u64) -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let mut buf = Vec::new();
    r.take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| InputError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > max {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            max: crate::units::format_size(max),
        });
    }
    Ok(buf)
}

/// Where an article comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// An http(s) URL, normalized as references are.
    Url(Url),
    /// A local file (made absolute and canonical when resolved from what the user gave).
    File(PathBuf),
}

impl Source {
    /// The key the database knows the article by: the URL, or the file's absolute path.
    pub fn key(&self) -> String {
        match self {
            Source::Url(u) => u.to_string(),
            Source::File(p) => p.to_string_lossy().into_owned(),
        }
    }

    /// Reads a key back (as stored by `key`).
    pub fn from_key(key: &str) -> Source {
        match Url::parse(key) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Source::Url(u),
            _ => Source::File(PathBuf::from(key)),
        }
    }
}

/// Turns what the user typed into sources: http(s) URLs as they are, files made absolute,
/// globs expanded (a pattern matching nothing is an error, so a typo is not silently ignored).
pub fn resolve(spec: &str) -> Result<Vec<Source>, InputError> {
    let spec = spec.trim();
    if let Ok(u) = Url::parse(spec) {
        if matches!(u.scheme(), "http" | "https") {
            let mut u = u;
            crate::urlkey::normalize(&mut u);
            return Ok(vec![Source::Url(u)]);
        }
        if u.scheme() == "file" {
            if let Ok(p) = u.to_file_path() {
                return resolve_path(&p.to_string_lossy());
            }
        }
    }
    resolve_path(spec)
}

fn resolve_path(spec: &str) -> Result<Vec<Source>, InputError> {
    let path = Path::new(spec);
    if path.exists() {
        return Ok(vec![Source::File(absolute(path))]);
    }
    if spec.contains(['*', '?', '[']) {
        let paths = glob::glob(spec).map_err(|e| InputError::BadGlob {
            pattern: spec.to_string(),
            message: e.to_string(),
        })?;
        let files: Vec<Source> = paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .map(|p| Source::File(absolute(&p)))
            .collect();
        if files.is_empty() {
            return Err(InputError::NoMatch(spec.to_string()));
        }
        return Ok(files);
    }
    Err(InputError::NoMatch(spec.to_string()))
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// What an article's bytes turned out to be.
#[derive(Debug)]
pub enum Document {
    /// An RSS or Atom feed: its items' page URLs, in feed order.
    Feed(Vec<Url>),
    /// An HTML page or plain text: what extraction found in it.
    Page(Box<Extraction>),
}

/// Reads an article's bytes as a feed, an HTML page or plain text, by declared type and content.
pub fn analyse(
    bytes: &[u8],
    content_type: Option<&str>,
    source: &Source,
    opts: &ExtractOptions,
) -> Result<Document, extract::FeedError> {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let ext = match source {
        Source::File(p) => p
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default(),
        Source::Url(_) => String::new(),
    };
    let doc_url = match source {
        Source::Url(u) => Some(u),
        Source::File(_) => None,
    };
    let declared_feed =
        ct.contains("rss") || ct.contains("atom") || matches!(ext.as_str(), "rss" | "atom");
    let maybe_xml = ct.contains("xml") || matches!(ext.as_str(), "xml" | "rdf");
    if extract::looks_like_feed(bytes)
        && (declared_feed || maybe_xml || !extract::looks_like_html(bytes))
    {
        return extract::parse_feed(bytes, doc_url).map(Document::Feed);
    }
    let declared_text = ct.starts_with("text/plain")
        || matches!(ext.as_str(), "txt" | "text" | "md" | "csv" | "tsv");
    if declared_text && !extract::looks_like_html(bytes) {
        return Ok(Document::Page(Box::new(extract::extract_text(bytes))));
    }
    if ct.contains("html")
        || matches!(ext.as_str(), "html" | "htm" | "xhtml")
        || extract::looks_like_html(bytes)
    {
        return Ok(Document::Page(Box::new(extract::extract_html(
            bytes, doc_url, opts,
        ))));
    }
    Ok(Document::Page(Box::new(extract::extract_text(bytes))))
}
