//! The articles of a pass: which to read (config, command line, registered), reading them
//! (fetched into the store, or from disk), and recording what they cite.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::task::JoinSet;
use url::Url;

use super::context::RunContext;
use super::outcome::NetSeen;
use super::rendering::{self, RenderedArticle};
use super::{RunError, RunSummary};
use crate::clock;
use crate::db::{ArticleRead, ArticleRow, Db, NewArticleCapture, NewScreenshot, Tx};
use crate::extract::ExtractOptions;
use crate::fetch::Fetcher;
use crate::input::{self, Document, Source};
use crate::render::Renderer;
use crate::store::{PendingObject, WriteError};

/// Config articles, command-line articles (remembered as `cli`) and those registered before.
pub(super) fn register_articles(
    ctx: &RunContext,
    db: &mut Db,
    cli: Vec<Source>,
) -> Result<Vec<(ArticleRow, Source)>, RunError> {
    let (cfg, progress, now) = (&ctx.cfg, &ctx.progress, ctx.started_at);
    let mut given: Vec<(Source, &str)> = Vec::new();
    for spec in &cfg.articles {
        match input::resolve(spec) {
            Ok(sources) => given.extend(sources.into_iter().map(|s| (s, "config"))),
            Err(e) => progress.say(&format!("warning: config article skipped: {e}")),
        }
    }
    given.extend(cli.into_iter().map(|s| (s, "cli")));
    // Articles registered before are read as they are: no write for them unless the command
    // line promotes one to `cli` (thousands of registered feed items cost nothing per run).
    let mut seen: HashSet<String> = HashSet::new();
    let mut rows = Vec::new();
    let mut known = Vec::with_capacity(given.len());
    for (source, _) in &given {
        known.push(db.registered_article(&source.key())?);
    }
    db.transaction(|tx| {
        for ((source, origin), known) in given.iter().zip(known) {
            let key = source.key();
            let row = match known {
                Some(row) if row.origin == "cli" || *origin != "cli" => row,
                _ => tx.upsert_article(&key, origin, None, now)?,
            };
            if seen.insert(key) {
                rows.push((row, source.clone()));
            }
        }
        Ok(())
    })?;
    // The other registered articles: only those a run may read (due, files, or all on
    // --recheck); the rest wait for their date without being loaded.
    for row in db.registered_articles_due(now, ctx.recheck)? {
        if seen.contains(&row.source) {
            continue;
        }
        let source = Source::from_key(&row.source);
        rows.push((row, source));
    }
    Ok(rows)
}

/// What reading one article produced, before it is recorded.
struct ArticleOutcome {
    row: ArticleRow,
    source: Source,
    read: ArticleRead,
    content_type: Option<String>,
    bytes: Option<Vec<u8>>,
    not_modified: bool,
    /// Not fetched because our own address policy refused it (not a network failure).
    refused: bool,
    /// A new body read (from the web or a file), kept as a version of the article.
    capture: Option<Capture>,
    /// The version rendered in the browser, when it was.
    rendered: Option<RenderedArticle>,
    /// The page's object while it is not yet durable (made so before it is recorded).
    pending: Option<Arc<PendingObject>>,
}

/// What is recorded of one version of an article besides its bytes.
#[derive(Default)]
struct Capture {
    /// The URL that answered, or the file's `file:` URL.
    url: String,
    /// The HTTP response, for a page from the web.
    status: Option<u16>,
    headers: Vec<(String, String)>,
    http_version: Option<&'static str>,
    reason_phrase: Option<String>,
    /// The text differs from the copy read before (an edit, not a rotating ad).
    edited: bool,
    /// The Content-Encoding the page arrived in (stored decoded).
    decoded_from: Option<String>,
}

pub(super) async fn read_articles(
    ctx: &Arc<RunContext>,
    db: &mut Db,
    renderer: Option<&Arc<Renderer>>,
    articles: Vec<(ArticleRow, Source)>,
    summary: &mut RunSummary,
    net: &mut NetSeen,
) -> Result<(), RunError> {
    // Every article read is recorded at once, on this loop that every other article waits
    // for: the log is copied into the database on a thread of its own meanwhile.
    let mut checkpoints = db.checkpoint_in_background();
    let read: Result<(), RunError> = async {
        let (cfg, progress) = (&ctx.cfg, &ctx.progress);
        let extract_opts = ExtractOptions {
            whole_page: cfg.extract.whole_page,
            include_links: cfg.extract.include_links,
        };
        let mut queue = articles;
        let mut done: HashSet<i64> = HashSet::new();
        let mut cited: HashSet<i64> = HashSet::new();
        let how = HowToRecord {
            extract: &extract_opts,
            renderer: renderer.map(|r| &**r),
        };
        // Rounds: feeds found in one round add their items to the next.
        while !queue.is_empty() {
            let now = clock::now();
            let batch: Vec<(ArticleRow, Source)> = std::mem::take(&mut queue)
                .into_iter()
                .filter(|(row, source)| {
                    done.insert(row.id)
                        && (ctx.recheck
                            || matches!(source, Source::File(_))
                            || row.next_read_at <= now)
                })
                .collect();
            progress.articles_total(batch.len() as u64 + summary.articles_read);
            // Each article is read by a task of its own (so reading goes on while this loop
            // records) and recorded as soon as it is read, so at most `concurrency` of them
            // (bodies, rendered DOMs) are held at once. Dropping the set (an interrupt) stops them.
            let mut waiting = batch.into_iter();
            let mut reading = JoinSet::new();
            let start = |reading: &mut JoinSet<_>, (row, source): (ArticleRow, Source)| {
                let (ctx, renderer) = (Arc::clone(ctx), renderer.cloned());
                reading
                    .spawn(async move { read_one(&ctx, renderer.as_deref(), row, source).await });
            };
            for article in waiting.by_ref().take(cfg.fetch.concurrency.max(1)) {
                start(&mut reading, article);
            }
            while let Some(first) = reading.join_next().await {
                // Every article read by now is recorded together: their pages made durable in one
                // group commit first, while the next ones are being read.
                let mut joined = vec![first];
                while let Some(more) = reading.try_join_next() {
                    joined.push(more);
                }
                let mut outcomes = Vec::with_capacity(joined.len());
                for j in joined {
                    if let Some(article) = waiting.next() {
                        start(&mut reading, article);
                    }
                    outcomes.push(j.map_err(|e| {
                        RunError::Task(format!("reading an article failed: {e}"))
                    })??);
                }
                queue.extend(record_reads(
                    ctx, db, outcomes, &how, summary, net, &mut cited,
                )?);
                checkpoints.committed();
            }
        }
        summary.refs_cited = cited.len() as u64;
        Ok(())
    }
    .await;
    checkpoints.finish(db);
    read
}

async fn read_one(
    ctx: &RunContext,
    renderer: Option<&Renderer>,
    row: ArticleRow,
    source: Source,
) -> Result<ArticleOutcome, WriteError> {
    let (fetcher, cfg) = (&ctx.fetcher, &ctx.cfg);
    let now = clock::now();
    let mut read = ArticleRead {
        next_read_at: now + cfg.schedule.reread_articles.as_secs() as i64,
        ..ArticleRead::default()
    };
    let mut bytes = None;
    let mut content_type = None;
    let mut not_modified = false;
    let mut refused = false;
    let mut capture = None;
    let mut pending = None;
    let max = cfg.fetch.max_article_bytes;
    match &source {
        // Bounded: `/dev/zero` or a 3 GiB sparse file is an error, not a few GB of memory.
        Source::File(path) => match crate::input::read_bounded(path, max) {
            Ok(b) => {
                // A copy is kept: the file may be moved, edited or deleted later.
                let store = fetcher.store().clone();
                let (b, stored) = tokio::task::spawn_blocking(move || {
                    let stored = store.put(&b);
                    (b, stored)
                })
                .await
                .map_err(|e| WriteError::Io {
                    path: path.clone(),
                    source: std::io::Error::other(format!("storing the article failed: {e}")),
                })?;
                let obj = stored?;
                capture = Some(Capture {
                    url: Url::from_file_path(path)
                        .map(String::from)
                        .unwrap_or_else(|_| path.display().to_string()),
                    edited: is_edit(fetcher, row.last_sha256.as_deref(), &obj.sha256),
                    ..Capture::default()
                });
                read.sha256 = Some(obj.sha256);
                read.bytes = obj.bytes;
                bytes = Some(b);
            }
            Err(e) => read.error = Some(e.to_string()),
        },
        Source::Url(url) => {
            let have_copy = row.last_sha256.is_some();
            let (etag, lm) = if have_copy {
                (row.etag.clone(), row.last_modified.clone())
            } else {
                (None, None)
            };
            let f = fetcher.fetch_document(url, etag, lm, true).await?;
            refused = f.refused;
            read.status = f.status;
            read.error = f.error;
            read.etag = f.etag;
            read.last_modified = f.last_modified;
            not_modified = f.status == Some(304);
            if let Some(obj) = f.stored {
                if let Some(status) = f.status.filter(|s| (200..300).contains(s)) {
                    let final_url = f.final_url.as_ref().unwrap_or(url);
                    capture = Some(Capture {
                        url: final_url.to_string(),
                        status: Some(status),
                        headers: f.headers,
                        http_version: f.http_version,
                        reason_phrase: f.reason_phrase,
                        edited: is_edit(fetcher, row.last_sha256.as_deref(), &obj.sha256),
                        decoded_from: f.decoded_from,
                    });
                    match f.in_memory {
                        Some(b) => bytes = Some(b),
                        None => {
                            read.error = Some(
                                "the stored article's bytes were not kept: read it again".into(),
                            )
                        }
                    }
                    pending = obj.pending;
                    read.sha256 = Some(obj.sha256);
                    read.bytes = obj.bytes;
                    read.url = f.final_url.map(|u| u.to_string());
                    content_type = f.content_type;
                }
            }
        }
    }
    let mut rendered = None;
    if let (Some(renderer), Some(b), Some(sha), Some(c)) =
        (renderer, &bytes, &read.sha256, &capture)
    {
        if rendering::wants_render(
            content_type.as_deref(),
            b,
            sha,
            row.rendered_sha256.as_deref(),
        ) {
            rendered = Some(rendering::render_article(renderer, fetcher.store(), &c.url).await?);
        }
    }
    if read.error.is_some() {
        // A failed read is tried again on the next run: the cause may have been fixed meanwhile
        // (a config change, a server back up), and one request per run costs nobody much.
        read.next_read_at = now;
    }
    Ok(ArticleOutcome {
        row,
        source,
        read,
        content_type,
        bytes,
        not_modified,
        refused,
        capture,
        rendered,
        pending,
    })
}

/// Whether `new` is an edit of the copy `prev` read before: its visible text differs, not
/// just its ads and clocks.
fn is_edit(fetcher: &Fetcher, prev: Option<&str>, new: &str) -> bool {
    prev.is_some_and(|prev| {
        prev != new && fetcher.store().contains(prev) && fetcher.text_changed(prev, new)
    })
}

/// What recording an article read needs besides the read itself.
struct HowToRecord<'a> {
    extract: &'a ExtractOptions,
    renderer: Option<&'a Renderer>,
}

/// Records the articles read at the same time: their pages made durable in one group commit,
/// then one transaction for all of them (a commit per article was most of the recording time;
/// the run stops on its error, as it did on each article's). Returns feed items to read next.
fn record_reads(
    ctx: &RunContext,
    db: &mut Db,
    outcomes: Vec<ArticleOutcome>,
    how: &HowToRecord<'_>,
    summary: &mut RunSummary,
    net: &mut NetSeen,
    cited: &mut HashSet<i64>,
) -> Result<Vec<(ArticleRow, Source)>, RunError> {
    let pages: Vec<_> = outcomes.iter().filter_map(|o| o.pending.clone()).collect();
    ctx.store.make_durable(&pages)?;
    let new_items = db.transaction(|tx| {
        let mut new_items = Vec::new();
        for outcome in &outcomes {
            new_items.extend(record_article(ctx, tx, outcome, how, summary, cited)?);
        }
        Ok(new_items)
    })?;
    for outcome in &outcomes {
        ctx.progress.article_done();
        net.any_response |= outcome.read.status.is_some();
        // A refusal by our own policy says nothing about the network.
        if let (None, Some(_), false, Source::Url(u)) = (
            outcome.read.status,
            &outcome.read.error,
            outcome.refused,
            &outcome.source,
        ) {
            net.network_failures += 1;
            net.failing_hosts
                .insert(u.host_str().unwrap_or_default().to_string());
        }
    }
    Ok(new_items)
}

/// Records one article read in the transaction `tx` (shared with the other articles read at
/// the same time); returns feed items to read next.
fn record_article(
    ctx: &RunContext,
    tx: &Tx<'_>,
    o: &ArticleOutcome,
    how: &HowToRecord<'_>,
    summary: &mut RunSummary,
    cited: &mut HashSet<i64>,
) -> rusqlite::Result<Vec<(ArticleRow, Source)>> {
    let (opts, filter, renderer) = (how.extract, &ctx.filter, how.renderer);
    let progress = &ctx.progress;
    let now = clock::now();
    let mut read = o.read.clone();
    let content_type = o.content_type.clone();
    let name = o.source.key();
    if let Some(err) = &read.error {
        summary.article_errors.push((name.clone(), err.clone()));
        progress.detail(&format!("article not read: {name}: {err}"));
    }
    if o.not_modified {
        summary.articles_read += 1;
        tx.record_article_read(o.row.id, now, &read)?;
        cited.extend(tx.cited_by(o.row.id)?);
        return Ok(Vec::new());
    }
    if let Some(sha) = &read.sha256 {
        let headers = o
            .capture
            .as_ref()
            .filter(|c| c.status.is_some())
            .and_then(|c| serde_json::to_string(&c.headers).ok());
        let kept_edit = {
            tx.insert_object(sha, read.bytes, now)?;
            if let Some(r) = &o.capture {
                let kept = tx.insert_article_capture(&NewArticleCapture {
                    article_id: o.row.id,
                    url: &r.url,
                    sha256: sha,
                    bytes: read.bytes,
                    content_type: content_type.as_deref(),
                    http_status: r.status,
                    captured_at: now,
                    headers_json: headers.as_deref(),
                    http_version: r.http_version,
                    reason_phrase: r.reason_phrase.as_deref(),
                    edited: r.edited,
                    decoded_from: r.decoded_from.as_deref(),
                })?;
                kept && r.edited
            } else {
                false
            }
        };
        if kept_edit {
            summary.articles_edited += 1;
            progress.info(&format!(
                "{name}: the article's text has changed since it was last read (both versions are kept)"
            ));
        }
    }
    let Some(bytes) = &o.bytes else {
        tx.record_article_read(o.row.id, now, &read)?;
        return Ok(Vec::new());
    };
    summary.articles_read += 1;
    let doc = match input::analyse(bytes, content_type.as_deref(), &o.source, opts) {
        Ok(d) => d,
        Err(e) => {
            let err = format!("not a readable feed: {e}");
            progress.detail(&format!("article not read: {name}: {err}"));
            summary.article_errors.push((name, err.clone()));
            read.error = Some(err);
            tx.record_article_read(o.row.id, now, &read)?;
            return Ok(Vec::new());
        }
    };
    match doc {
        Document::Feed(items) => {
            read.is_feed = true;
            tx.record_article_read(o.row.id, now, &read)?;
            let mut rows = Vec::new();
            for item in &items {
                let row = tx.upsert_article(item.as_str(), "feed", Some(o.row.id), now)?;
                if !row.removed {
                    rows.push((row, Source::Url(item.clone())));
                }
            }
            progress.info(&format!("feed {name}: {} item(s)", items.len()));
            Ok(rows)
        }
        Document::Page(ex) => {
            read.title = ex.title.clone();
            read.published_at = ex.published;
            if let Source::File(_) = o.source {
                read.url = ex.canonical.as_ref().map(Url::to_string);
            }
            summary.unresolved += ex.unresolved as u64;
            if ex.unresolved > 0 {
                progress.info(&format!(
                    "{name}: {} relative reference(s) could not be resolved (no <base>, canonical or og:url)",
                    ex.unresolved
                ));
            }
            let mut refs = ex.refs;
            let mut shown = None;
            if let (Some(r), Some(renderer)) = (&o.rendered, renderer) {
                match &r.result {
                    Ok(page) => {
                        let added = rendering::added_refs(page, &refs, ex.base.as_ref(), opts);
                        if !added.is_empty() {
                            progress.detail(&format!(
                                "{name}: rendering found {} more reference(s)",
                                added.len()
                            ));
                        }
                        refs.extend(added);
                        shown = Some((page, r.screenshot.as_ref()));
                    }
                    Err(e) => {
                        if let Some(m) = rendering::failure_message(renderer, &name, e) {
                            progress.info(&m);
                        }
                    }
                }
            }
            // Excluded references are never cited, so never fetched nor reported.
            let kept: Vec<_> = refs
                .iter()
                .filter(|r| filter.excludes(&r.url).is_none())
                .collect();
            summary.excluded += (refs.len() - kept.len()) as u64;
            let budget = renderer.map(Renderer::budget).unwrap_or_default();
            let ids = {
                tx.record_article_read(o.row.id, now, &read)?;
                if let (Some((page, shot)), Some(sha)) = (shown, &read.sha256) {
                    if let (Some(obj), Some(s)) = (shot, &page.screenshot) {
                        tx.insert_object(&obj.sha256, obj.bytes, now)?;
                        let url = o.capture.as_ref().map(|c| c.url.as_str()).unwrap_or("");
                        tx.insert_screenshot(&NewScreenshot {
                            article_id: o.row.id,
                            url: page.final_url.as_deref().unwrap_or(url),
                            sha256: &obj.sha256,
                            bytes: obj.bytes,
                            captured_at: now,
                            tool: &page.tool,
                            note: page.note(budget).as_deref(),
                            width: s.width,
                            height: s.height,
                        })?;
                    }
                    tx.mark_rendered(o.row.id, sha)?;
                }
                let mut ids = Vec::new();
                for r in kept {
                    let host = r.url.host_str().unwrap_or("");
                    ids.push(tx.cite(o.row.id, r.url.as_str(), host, r.kind, &r.found_in, now)?);
                }
                ids
            };
            cited.extend(ids);
            Ok(Vec::new())
        }
    }
}
