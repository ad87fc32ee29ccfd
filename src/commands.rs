//! One function per subcommand: turn parsed arguments into library calls and printed output.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use serde_json::json;

use linkvault::config::Config;
use linkvault::db::Db;
use linkvault::extract::ExtractOptions;
use linkvault::fetch::{build_client, Fetcher};
use linkvault::input::{self, Document, Source};
use linkvault::progress::Progress;
use linkvault::run::{run_pass, RunOptions, RunSummary};
use linkvault::store::Store;
use linkvault::units::{format_size, parse_duration};
use linkvault::{export, history, report, restore, verify};

use crate::cli::{Cli, Command, ExportFormat, ReportFormat, TextOrJson};

pub fn dispatch(args: Cli) -> Result<ExitCode> {
    let explicit = args.config.is_some();
    let path = args.config.unwrap_or_else(|| PathBuf::from("config.toml"));
    let mut cfg = Config::load(&path, explicit)?;
    if let Some(a) = args.archive {
        cfg.archive = a;
    }
    match args.command {
        Command::Run {
            articles,
            recheck,
            every,
            wait,
            quiet,
        } => {
            let opts = RunOptions {
                articles,
                recheck,
                wait,
            };
            run(&cfg, &opts, every.as_deref(), quiet)
        }
        Command::Extract { articles, format } => extract(&cfg, &articles, format),
        Command::Report {
            all,
            article,
            format,
            output,
        } => {
            let db = Db::open_existing(&cfg.archive)?;
            let format = match format {
                ReportFormat::Table => report::Format::Table,
                ReportFormat::Json => report::Format::Json,
                ReportFormat::Csv => report::Format::Csv,
                ReportFormat::Markdown => report::Format::Markdown,
                ReportFormat::Html => report::Format::Html,
            };
            with_output(output.as_deref(), |out| {
                report::write(&db, all, article.as_deref(), format, out)?;
                Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::History { url, format } => {
            let db = Db::open_existing(&cfg.archive)?;
            let text = match (history::load(&db, &url)?, format) {
                (history::Found::Reference(h), TextOrJson::Text) => history::render_text(&h),
                (history::Found::Reference(h), TextOrJson::Json) => history::render_json(&h),
                (history::Found::Article(a), TextOrJson::Text) => history::render_article_text(&a),
                (history::Found::Article(a), TextOrJson::Json) => history::render_article_json(&a),
            };
            emit(&text, None)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore {
            hash,
            url,
            at,
            output,
        } => {
            let db = Db::open_existing(&cfg.archive)?;
            let sha = match (&hash, &url) {
                (Some(h), _) => restore::resolve_hash(&db, h)?,
                (None, Some(u)) => restore::resolve_url(&db, u, at.as_deref())?,
                (None, None) => bail!("give a HASH or --url URL"),
            };
            let out = match output {
                Some(p) => p,
                None if std::io::stdout().is_terminal() => {
                    bail!("refusing to write binary data to the terminal: use -o PATH, or -o - to force standard output")
                }
                None => PathBuf::from("-"),
            };
            let store = Store::open_existing(&cfg.archive);
            let n = restore::write(&store, &sha, &out)?;
            if out != Path::new("-") {
                eprintln!("restored {sha} ({n} bytes, verified) to {}", out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { format } => export(&cfg, format),
        Command::Serve { listen } => {
            Db::open_existing(&cfg.archive)?;
            runtime()?.block_on(linkvault::serve::serve(cfg.archive.clone(), listen))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Robustify {
            article,
            output,
            base,
        } => {
            let db = Db::open_existing(&cfg.archive)?;
            let html = std::fs::read(&article)
                .with_context(|| format!("while reading {}", article.display()))?;
            let (out, n) = linkvault::robust::robustify(&db, &html, &base)?;
            std::fs::write(&output, out)
                .with_context(|| format!("while writing {}", output.display()))?;
            eprintln!("{n} link(s) given a version URL in {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor => {
            print!("{}", doctor(&cfg));
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify { repair } => {
            let mut db = Db::open_existing(&cfg.archive)?;
            let store = Store::open_existing(&cfg.archive);
            // Repair changes the archive: no run may be writing meanwhile.
            let _lock = if repair {
                Some(linkvault::lock::ArchiveLock::acquire(
                    &cfg.archive,
                    true,
                    |holder| eprintln!("waiting for the run holding the archive ({holder})"),
                )?)
            } else {
                None
            };
            let r = verify::verify(&db, &store)?;
            print!("{}", r.render());
            if repair {
                let done = verify::repair(&mut db, &store, &r)?;
                print!("{}", done.render());
                return Ok(ExitCode::SUCCESS);
            }
            Ok(if r.is_consistent() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn export(cfg: &Config, format: ExportFormat) -> Result<ExitCode> {
    let db = Db::open_existing(&cfg.archive)?;
    let store = Store::open_existing(&cfg.archive);
    let (summary, what) = match format {
        ExportFormat::Warc { output, scope } => {
            let opts = scope.into();
            let name = output
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "export.warc.gz".into());
            let tmp = output.with_file_name(format!(".{name}.part"));
            let summary = match export::export_warc(&db, &store, &opts, &tmp, &name) {
                Ok(s) => s,
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
            };
            std::fs::rename(&tmp, &output)
                .with_context(|| format!("while writing {}", output.display()))?;
            let cdxj = cdxj_path(&output);
            export::write_cdxj(&summary.cdxj_lines, &cdxj)?;
            (
                summary,
                format!("{} and its index {}", output.display(), cdxj.display()),
            )
        }
        ExportFormat::Wacz { output, scope } => {
            let opts = scope.into();
            let summary = export::write_wacz(&db, &store, &opts, &output)?;
            (summary, output.display().to_string())
        }
    };
    eprintln!(
        "exported {} response, {} revisit, {} resource and {} metadata record(s) to {what}",
        summary.responses, summary.revisits, summary.resources, summary.metadata
    );
    if !summary.missing.is_empty() {
        eprintln!(
            "left out {} capture(s) whose objects are missing from the store ({}{}); `linkvault verify` says more",
            summary.missing.len(),
            summary.missing[..summary.missing.len().min(5)].join(", "),
            if summary.missing.len() > 5 { ", …" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `x.warc.gz` → `x.cdxj`, beside it.
fn cdxj_path(warc: &Path) -> PathBuf {
    let name = warc
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".warc.gz")
        .or_else(|| name.strip_suffix(".warc"))
        .unwrap_or(&name);
    warc.with_file_name(format!("{stem}.cdxj"))
}

/// One article for `extract`: read from disk or fetched into memory, then parsed.
fn read_for_extract(
    rt: &tokio::runtime::Runtime,
    fetcher: &Fetcher,
    source: &Source,
    opts: &ExtractOptions,
) -> Result<Document> {
    let (bytes, ct) = match source {
        Source::File(p) => (
            std::fs::read(p).with_context(|| format!("while reading article {}", p.display()))?,
            None,
        ),
        Source::Url(u) => {
            let f = rt.block_on(fetcher.fetch_document(u, None, None, false))?;
            match (f.in_memory, f.error) {
                (Some(b), None) => (b, f.content_type),
                (_, e) => bail!(
                    "cannot fetch article {u}: {}",
                    e.unwrap_or_else(|| "no body".into())
                ),
            }
        }
    };
    input::analyse(&bytes, ct.as_deref(), source, opts)
        .with_context(|| format!("while reading {}", source.key()))
}

fn doctor(cfg: &Config) -> String {
    let mut out = String::new();
    match linkvault::video::find_tool(&cfg.video.yt_dlp) {
        Some(t) => out.push_str(&format!("yt-dlp   {}  ({})\n", t.version, t.path)),
        None => out.push_str(&format!(
            "yt-dlp   not found (`{}`): video pages are captured as pages only. Install it with `pip install yt-dlp`, or set video.yt_dlp in config.toml\n",
            cfg.video.yt_dlp
        )),
    }
    let ffmpeg = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    match ffmpeg {
        Some(o) => {
            let v = String::from_utf8_lossy(&o.stdout);
            out.push_str(&format!("ffmpeg   {}\n", v.lines().next().unwrap_or("").trim()));
        }
        None => out.push_str("ffmpeg   not found (optional: yt-dlp uses it to merge separate audio/video formats and to fix HLS containers)\n"),
    }
    out.push_str(&format!(
        "video capture {}\n",
        if cfg.video.enabled {
            "enabled"
        } else {
            "disabled (video.enabled = false)"
        }
    ));
    out
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("while starting the async runtime")
}

fn run(cfg: &Config, opts: &RunOptions, every: Option<&str>, quiet: bool) -> Result<ExitCode> {
    let rt = runtime()?;
    let progress = Arc::new(Progress::new(quiet));
    let Some(every) = every else {
        let summary = rt.block_on(run_pass(cfg, opts, progress.clone()))?;
        print_summary(&summary, &progress);
        return Ok(ExitCode::SUCCESS);
    };
    let interval = parse_duration(every).map_err(|e| anyhow::anyhow!("--every: {e}"))?;
    if interval.is_zero() {
        bail!("--every must be longer than 0s");
    }
    // Command-line articles are registered by the first pass; later passes find them in the database.
    let mut opts = opts.clone();
    loop {
        match rt.block_on(run_pass(cfg, &opts, progress.clone())) {
            Ok(s) => print_summary(&s, &progress),
            Err(e) => progress.say(&format!("pass failed: {e}; trying again in {every}")),
        }
        opts.articles.clear();
        opts.recheck = false;
        progress.info(&format!("next pass in {every}"));
        let interrupted = rt.block_on(async {
            tokio::select! {
                _ = tokio::time::sleep(interval) => false,
                _ = tokio::signal::ctrl_c() => true,
            }
        });
        if interrupted {
            progress.say("interrupted between passes; exiting");
            return Ok(ExitCode::SUCCESS);
        }
    }
}

fn print_summary(s: &RunSummary, progress: &Progress) {
    if s.network_down {
        progress.say("NETWORK DOWN: no server answered at all in this run (every host failed to resolve or connect), nor did any witness (fetch.witnesses, hosts that answered before).");
        progress.say("Nothing was marked dead. Check this machine's network, DNS or proxy settings; the references will be checked again on the next run.");
    }
    progress.say(&format!(
        "run complete: {} article(s) read ({} with errors), {} reference(s) cited; {} checked: {} alive, {} dead, {} blocked, {} transient; {} downloaded, {} new snapshot(s)",
        s.articles_read,
        s.article_errors.len(),
        s.refs_cited,
        s.checked,
        s.alive,
        s.dead,
        s.blocked,
        s.transient,
        format_size(s.downloaded),
        s.new_snapshots
    ));
    if s.videos_captured > 0 {
        progress.info(&format!(
            "{} video(s) captured with yt-dlp",
            s.videos_captured
        ));
    }
    if s.articles_edited > 0 {
        progress.say(&format!(
            "{} article(s) edited since they were last read: `linkvault history ARTICLE` lists the versions",
            s.articles_edited
        ));
    }
    if s.video_page_only > 0 {
        progress.say(&format!(
            "{} video reference(s) were captured as pages only: yt-dlp was not found. Install it (pip install yt-dlp) or set video.yt_dlp; `linkvault doctor` checks.",
            s.video_page_only
        ));
    }
    print_rescue(s, progress);
}

/// What the web archives gave back, and what could not be asked.
fn print_rescue(s: &RunSummary, progress: &Progress) {
    let r = &s.rescue;
    let again = r
        .next_lookup
        .map(linkvault::clock::format)
        .unwrap_or_default();
    if r.looked_up > 0 {
        let rescued = r.rescued_total();
        let mut line = format!(
            "rescued {rescued} of {} reference(s) without a copy of their own from web archives",
            r.looked_up
        );
        if rescued > 0 {
            let per: Vec<String> = r.rescued.iter().map(|(a, n)| format!("{a}: {n}")).collect();
            line.push_str(&format!(" ({})", per.join(", ")));
        }
        if r.not_found > 0 {
            line.push_str(&format!(
                "; {} not held by any archive, looked up again after {again}",
                r.not_found
            ));
        }
        progress.say(&line);
    }
    for (archive, (n, why)) in &r.unreachable {
        progress.say(&format!(
            "web archive {archive} could not be asked for {n} lookup(s) ({why}); the run is otherwise complete, and they are looked up again after {again}"
        ));
    }
    let sub = &s.submitted;
    if sub.submitted > 0 {
        progress.info(&format!(
            "submitted {} live reference(s) to save endpoints for a second copy",
            sub.submitted
        ));
    }
    for endpoint in &sub.rate_limited {
        progress.say(&format!(
            "save endpoint {endpoint} asked linkvault to slow down (HTTP 429): its submissions wait for a later run"
        ));
    }
    for (endpoint, (n, why)) in &sub.failed {
        progress.say(&format!(
            "save endpoint {endpoint} refused or failed {n} submission(s) ({why}); they are tried again on a later run"
        ));
    }
}

/// Runs `f` with a buffered writer to `output` (a file, written whole or not at all) or stdout.
fn with_output(output: Option<&Path>, f: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    match output {
        // Devices and pipes (`-o /dev/null`) are written directly.
        Some(p) if p != Path::new("-") && p.exists() && !p.is_file() => {
            let mut w = std::io::BufWriter::new(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(p)
                    .with_context(|| format!("while opening {}", p.display()))?,
            );
            f(&mut w)?;
            w.flush().map_err(Into::into)
        }
        Some(p) if p != Path::new("-") => {
            let tmp = p.with_extension("linkvault-part");
            let file = std::fs::File::create(&tmp)
                .with_context(|| format!("while creating {}", p.display()))?;
            let mut w = std::io::BufWriter::new(file);
            let written = f(&mut w).and_then(|_| w.flush().map_err(Into::into));
            match written {
                Ok(()) => std::fs::rename(&tmp, p)
                    .with_context(|| format!("while writing {}", p.display())),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(e)
                }
            }
        }
        _ => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            match f(&mut w) {
                // A closed pipe (`| head`) is not an error worth a message.
                Err(e)
                    if e.chain().any(|c| {
                        c.downcast_ref::<std::io::Error>()
                            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                    }) =>
                {
                    Ok(())
                }
                other => other,
            }
        }
    }
}

fn emit(text: &str, output: Option<&Path>) -> Result<()> {
    match output {
        Some(p) if p != Path::new("-") => {
            std::fs::write(p, text).with_context(|| format!("while writing {}", p.display()))
        }
        _ => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = out.write_all(text.as_bytes());
            Ok(())
        }
    }
}

fn extract(cfg: &Config, specs: &[String], format: TextOrJson) -> Result<ExitCode> {
    let rt = runtime()?;
    let opts = ExtractOptions {
        whole_page: cfg.extract.whole_page,
        include_links: cfg.extract.include_links,
    };
    let client = build_client(&cfg.fetch)?;
    let fetcher = Fetcher::new(
        client,
        Store::open_existing(&cfg.archive),
        cfg.fetch.clone(),
    );
    let mut sources = Vec::new();
    for spec in specs {
        sources.extend(input::resolve(spec)?);
    }
    // Articles are independent: read and parse them on every core, keeping their order.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Result<Document>>>> = sources
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(sources.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(source) = sources.get(i) else { break };
                let doc = read_for_extract(&rt, &fetcher, source, &opts);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(doc);
                }
            });
        }
    });
    let mut docs = Vec::with_capacity(sources.len());
    for (source, slot) in sources.iter().zip(slots) {
        let doc = slot
            .into_inner()
            .ok()
            .flatten()
            .unwrap_or_else(|| Err(anyhow::anyhow!("not read")));
        docs.push((source.key(), doc?));
    }
    let text = match format {
        TextOrJson::Json => {
            let arr: Vec<_> = docs
                .iter()
                .map(|(name, doc)| match doc {
                    Document::Feed(items) => json!({
                        "article": name,
                        "feed_items": items.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
                    }),
                    Document::Page(ex) => json!({
                        "article": name,
                        "title": ex.title,
                        "canonical": ex.canonical.as_ref().map(|u| u.as_str()),
                        "published": ex.published.map(linkvault::clock::format),
                        "unresolved": ex.unresolved,
                        "outside_main": ex.outside_main,
                        "references": ex.refs.iter().map(|r| json!({
                            "url": r.url.as_str(),
                            "kind": r.kind.as_str(),
                            "found_in": r.found_in,
                        })).collect::<Vec<_>>(),
                    }),
                })
                .collect();
            serde_json::to_string_pretty(&arr)? + "\n"
        }
        TextOrJson::Text => {
            let mut out = String::new();
            for (name, doc) in &docs {
                match doc {
                    Document::Feed(items) => {
                        out.push_str(&format!("# {name}: feed with {} item(s)\n", items.len()));
                        for u in items {
                            out.push_str(&format!("article\tfeed-item\t{u}\n"));
                        }
                    }
                    Document::Page(ex) => {
                        out.push_str(&format!(
                            "# {name}: {} reference(s), {} unresolved, {} outside the main content\n",
                            ex.refs.len(),
                            ex.unresolved,
                            ex.outside_main
                        ));
                        for r in &ex.refs {
                            out.push_str(&format!("{}\t{}\t{}\n", r.kind, r.found_in, r.url));
                        }
                    }
                }
            }
            out
        }
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}
