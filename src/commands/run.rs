//! `linkvault run`: one archive pass, or a loop of them (`--every`). Says what happened as it
//! goes (by verbosity), lists what is not alive at the end (`-q`: for the cron mail, new
//! failures marked), and turns the outcome into an exit code.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;

use linkvault::clock::{self, Timestamp};
use linkvault::config::Config;
use linkvault::db::Db;
use linkvault::progress::{Progress, Verbosity};
use linkvault::report::{self, FailOn};
use linkvault::run::{run_pass, Interrupt, RunOptions, RunSummary};
use linkvault::units::format_size;

use super::{code, count, runtime, UsageError};
use crate::cli::RunArgs;

pub(crate) fn run(cfg: &Config, a: RunArgs) -> Result<ExitCode> {
    let rt = runtime()?;
    let verbosity = match (a.quiet, a.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };
    let progress = Arc::new(Progress::new(verbosity));
    let interrupt = Interrupt::new();
    rt.spawn(interrupt.clone().watch_signals());
    let mut opts = RunOptions {
        articles: read_stdin_specs(cfg, &a.articles)?,
        recheck: a.recheck,
        wait: a.wait,
        interrupt: Some(interrupt.clone()),
    };
    let fail_on = a.fail_on.map(FailOn::from);
    let Some(every) = a.every else {
        let summary = rt.block_on(run_pass(cfg, &opts, progress.clone()))?;
        return finish(cfg, &summary, &progress, fail_on);
    };
    // Command-line articles are registered by the first pass; later passes find them there.
    loop {
        match rt.block_on(run_pass(cfg, &opts, progress.clone())) {
            Ok(s) => {
                if let Some(stop) = s.interrupted {
                    print_summary(&s, &progress);
                    return Ok(ExitCode::from(stop.exit_code()));
                }
                finish(cfg, &s, &progress, None)?;
            }
            Err(e) => progress.say(&format!(
                "pass failed: {e}; trying again in {}",
                linkvault::units::format_duration(every)
            )),
        }
        opts.articles.clear();
        opts.recheck = false;
        progress.info(&format!(
            "next pass in {}",
            linkvault::units::format_duration(every)
        ));
        if let Some(stop) = rt.block_on(interrupt.sleep(every)) {
            progress.say("interrupted between passes; exiting");
            return Ok(ExitCode::from(stop.exit_code()));
        }
    }
}

/// `-` among the articles means one article per line on standard input.
fn read_stdin_specs(cfg: &Config, specs: &[String]) -> Result<Vec<String>> {
    if !specs.iter().any(|s| s == "-") {
        return Ok(specs.to_vec());
    }
    let mut out: Vec<String> = specs.iter().filter(|s| *s != "-").cloned().collect();
    out.extend(linkvault::input::read_stdin_list(
        cfg.fetch.max_article_bytes,
    )?);
    if out.is_empty() {
        return Err(UsageError("no articles on standard input".into()).into());
    }
    Ok(out)
}

/// After one pass: the list of what is not alive (quiet), the summary, and the exit code.
fn finish(
    cfg: &Config,
    s: &RunSummary,
    progress: &Progress,
    fail_on: Option<FailOn>,
) -> Result<ExitCode> {
    let db = Db::open_existing(&cfg.archive)?;
    if progress.verbosity() == Verbosity::Quiet {
        print_not_alive(&db, s.started_at, progress)?;
    }
    print_summary(s, progress);
    if let Some(stop) = s.interrupted {
        return Ok(ExitCode::from(stop.exit_code()));
    }
    if s.network_down {
        return Ok(ExitCode::from(code::NETWORK_DOWN));
    }
    if let Some(f) = fail_on {
        let n = report::count_in_state(&db, f, Some(s.started_at), None)?;
        if let Some(exit) = super::fail_on_exit(n, f) {
            return Ok(exit);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every reference not alive after the run, one line each, those that began failing in this
/// run marked NEW: what the cron mail must name.
fn print_not_alive(db: &Db, started_at: Timestamp, progress: &Progress) -> Result<()> {
    progress.say_each(|say| report::each_not_alive_line(db, started_at, say))?;
    Ok(())
}

fn print_summary(s: &RunSummary, progress: &Progress) {
    if s.network_down {
        progress.say("NETWORK DOWN: no server answered at all in this run (every host failed to resolve or connect), nor did any witness (fetch.witnesses, hosts that answered before).");
        progress.say("Nothing was marked dead. Check this machine's network, DNS or proxy settings; the references will be checked again on the next run.");
    }
    for (name, err) in &s.article_errors {
        progress.say(&format!(
            "article not read: {name}: {err}; it is read again on the next run"
        ));
    }
    progress.say(&format!(
        "run complete: {} read ({} with errors), {} cited",
        count(s.articles_read, "article", "articles"),
        s.article_errors.len(),
        count(s.refs_cited, "reference", "references"),
    ));
    progress.say(&format!(
        "{} checked: {} alive, {} dead, {} blocked, {} transient; {} downloaded, {}",
        s.checked,
        s.alive,
        s.dead,
        s.blocked,
        s.transient,
        format_size(s.downloaded),
        count(s.new_snapshots, "new snapshot", "new snapshots")
    ));
    if let Some(stop) = s.interrupted {
        progress.say(&format!(
            "interrupted by {}: checks in flight were abandoned and recorded nothing; the run is recorded as interrupted and the next run carries on",
            stop.name()
        ));
    }
    if s.videos_captured > 0 {
        progress.info(&format!(
            "{} captured with yt-dlp",
            count(s.videos_captured, "video", "videos")
        ));
    }
    if s.articles_edited > 0 {
        progress.say(&format!(
            "{} edited since last read: `linkvault history ARTICLE` lists the versions",
            count(s.articles_edited, "article", "articles")
        ));
    }
    if s.video_page_only > 0 {
        progress.say(&format!(
            "{} captured as pages only: yt-dlp was not found. Install it (pip install yt-dlp) or set video.yt_dlp; `linkvault doctor` checks.",
            count(s.video_page_only, "video reference was", "video references were")
        ));
    }
    print_rescue(s, progress);
    print_timestamps(s, progress);
}

/// Which trees were timestamped, by whom, and what still waits.
fn print_timestamps(s: &RunSummary, progress: &Progress) {
    let t = &s.timestamps;
    let mut trees: Vec<i64> = t.stamped.iter().map(|x| x.0).collect();
    trees.dedup();
    for tree in trees {
        let by: Vec<String> = t
            .stamped
            .iter()
            .filter(|x| x.0 == tree)
            .map(|(_, _, signer, _, at)| format!("{signer} at {}", clock::format(*at)))
            .collect();
        let size = t.stamped.iter().find(|x| x.0 == tree).map_or(0, |x| x.1);
        progress.say(&format!(
            "timestamped {} (tree {tree}) by {}; `linkvault prove HASH -o proof.json` writes a proof for any of them",
            count(size, "capture", "captures"),
            by.join(" and ")
        ));
    }
    for (tsa, why) in &t.failures {
        progress.say(&format!("timestamp authority {tsa} failed: {why}"));
    }
    if t.pending > 0 {
        progress.say(&format!(
            "{} ({}) not timestamped yet: no authority answered; the next run asks again (`linkvault doctor` checks [timestamp] tsa)",
            count(t.pending, "tree", "trees"),
            count(t.pending_captures, "capture", "captures")
        ));
    }
}

/// What the web archives gave back, and what could not be asked.
fn print_rescue(s: &RunSummary, progress: &Progress) {
    let r = &s.rescue;
    let again = r.next_lookup.map(clock::format).unwrap_or_default();
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
            "submitted {} to save endpoints for a second copy",
            count(sub.submitted, "live reference", "live references")
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
