//! `linkvault extract`: the references articles contain, without fetching them. Articles are
//! files, URLs (fetched into memory, bounded by `fetch.max_article_bytes`) or `-` (standard input);
//! `--base` resolves a saved file's relative links; excluded references are listed as such.

use std::borrow::Cow;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};

use linkvault::config::Config;
use linkvault::extract::ExtractOptions;
use linkvault::fetch::Fetcher;
use linkvault::filter::Filter;
use linkvault::input::{self, Document, Listing, Source};
use linkvault::text::printable;

use super::{emit, runtime, UsageError};
use crate::cli::{ExtractArgs, TextOrJson};

/// One article to read: a source, or the bytes of standard input.
enum Item {
    Source(Source),
    Stdin(Vec<u8>),
}

impl Item {
    fn name(&self) -> String {
        match self {
            Item::Source(s) => s.key(),
            Item::Stdin(_) => "-".into(),
        }
    }
}

pub(crate) fn extract(cfg: &Config, a: &ExtractArgs) -> Result<ExitCode> {
    let rt = runtime()?;
    let opts = ExtractOptions {
        whole_page: cfg.extract.whole_page,
        include_links: cfg.extract.include_links,
    };
    let filter = Filter::new(&cfg.filter)?;
    let fetcher = super::fetcher(cfg)?;
    let mut items = Vec::new();
    for spec in &a.articles {
        if spec == "-" {
            let bytes = input::read_stdin_bounded(cfg.fetch.max_article_bytes)?;
            items.push(Item::Stdin(bytes));
            continue;
        }
        for s in input::resolve(spec).map_err(|e| UsageError(e.to_string()))? {
            items.push(Item::Source(s));
        }
    }
    // Articles are independent: read and parse them on every core, keeping their order.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Result<Document>>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let doc = read(&rt, &fetcher, cfg, item, a.base.as_ref(), &opts);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(doc);
                }
            });
        }
    });
    let mut docs = Vec::with_capacity(items.len());
    for (item, slot) in items.iter().zip(slots) {
        let doc = slot
            .into_inner()
            .ok()
            .flatten()
            .unwrap_or_else(|| Err(anyhow!("not read")));
        docs.push((item.name(), doc?));
    }
    let text = match a.format {
        TextOrJson::Json => json_text(&docs, &filter)?,
        TextOrJson::Text => plain_text(&docs, &filter),
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Reads one article (bounded) and analyses it.
fn read(
    rt: &tokio::runtime::Runtime,
    fetcher: &Fetcher,
    cfg: &Config,
    item: &Item,
    base: Option<&url::Url>,
    opts: &ExtractOptions,
) -> Result<Document> {
    let (bytes, ct, source): (Cow<[u8]>, _, _) = match item {
        Item::Stdin(b) => (Cow::Borrowed(b), None, None),
        Item::Source(Source::File(p)) => (
            Cow::Owned(
                input::read_bounded(p, cfg.fetch.max_article_bytes)
                    .with_context(|| format!("while reading article {}", p.display()))?,
            ),
            None,
            Some(Source::File(p.clone())),
        ),
        // Its links resolve against where it was found, after redirects.
        Item::Source(Source::Url(u)) => {
            let (b, ct, found_at) = super::fetch_article(rt, fetcher, u)?;
            (Cow::Owned(b), ct, Some(Source::Url(found_at)))
        }
    };
    // A saved file (or standard input) resolves its links against `--base`.
    let source = match (source, base) {
        (Some(Source::Url(u)), _) => Source::Url(u),
        (_, Some(b)) => Source::Url(b.clone()),
        (Some(s), None) => s,
        (None, None) => Source::File("-".into()),
    };
    input::analyse(&bytes, ct.as_deref(), &source, opts)
        .with_context(|| format!("while reading {}", item.name()))
}

fn json_text(docs: &[(String, Document)], filter: &Filter) -> Result<String> {
    let listed: Vec<Listing> = docs
        .iter()
        .map(|(name, doc)| Listing::of(name, doc, filter))
        .collect();
    Ok(serde_json::to_string_pretty(&listed)? + "\n")
}

fn plain_text(docs: &[(String, Document)], filter: &Filter) -> String {
    let mut out = String::new();
    for (name, doc) in docs {
        match doc {
            Document::Feed(items) => {
                out.push_str(&format!(
                    "# {}: feed with {} item(s)\n",
                    printable(name),
                    items.len()
                ));
                for u in items {
                    out.push_str(&format!("article\tfeed-item\t{}\n", printable(u.as_str())));
                }
            }
            Document::Page(ex) => {
                let excluded = ex
                    .refs
                    .iter()
                    .filter(|r| filter.excludes(&r.url).is_some())
                    .count();
                out.push_str(&format!(
                    "# {}: {} reference(s), {} unresolved, {} outside the main content{}\n",
                    printable(name),
                    ex.refs.len(),
                    ex.unresolved,
                    ex.outside_main,
                    if excluded > 0 {
                        format!(", {excluded} excluded by [filter]")
                    } else {
                        String::new()
                    }
                ));
                for r in &ex.refs {
                    let mark = match filter.excludes(&r.url) {
                        Some(why) => format!("\texcluded ({why})"),
                        None => String::new(),
                    };
                    out.push_str(&format!(
                        "{}\t{}\t{}{mark}\n",
                        r.kind,
                        r.found_in,
                        printable(r.url.as_str())
                    ));
                }
            }
        }
    }
    out
}
