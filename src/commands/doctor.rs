//! `linkvault doctor`: checks what can go wrong before a scheduled run finds out — the
//! configuration parses, the archive opens and is writable, the network answers (witnesses,
//! web archives), and the external tools are there — and says what each finding means.
//! Exits 1 when something would stop a run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use linkvault::config::{Config, RenderMode, StoreConfig};
use linkvault::db::Db;

use super::{count, emit, runtime};

pub(crate) fn doctor(
    config: Option<&Path>,
    archive: Option<PathBuf>,
    store: Option<String>,
) -> Result<ExitCode> {
    let mut findings: Vec<(bool, &str, String)> = Vec::new();
    let mut line = |ok: bool, what: &'static str, text: String| findings.push((ok, what, text));
    let path = super::config_path(config);
    let cfg = match super::load_config(config, archive, store) {
        Ok(c) => {
            let how = if path.exists() {
                format!("{} parses", path.display())
            } else {
                format!("no {} here: built-in defaults", path.display())
            };
            line(true, "config", how);
            c
        }
        Err(e) => {
            line(false, "config", format!("PROBLEM: {e}"));
            return finish(&findings);
        }
    };
    let (ok, text) = archive_state(&cfg);
    line(ok, "archive", text);
    if cfg.store.location.is_some() {
        let (ok, text) = store_state(&cfg);
        line(ok, "store", text);
    }
    let rt = runtime()?;
    for (ok, what, text) in rt.block_on(network_state(&cfg)) {
        line(ok, what, text);
    }
    for (what, text) in tools(&cfg) {
        line(true, what, text);
    }
    finish(&findings)
}

/// Prints the findings and the verdict; exit code 1 when something would stop a run.
fn finish(findings: &[(bool, &str, String)]) -> Result<ExitCode> {
    let mut out = String::new();
    for (_, what, text) in findings {
        out.push_str(&format!("{what:<9} {text}\n"));
    }
    let problems = findings.iter().filter(|(ok, _, _)| !ok).count() as u64;
    out.push_str(&if problems == 0 {
        "no problems found\n".to_string()
    } else {
        format!(
            "{} found: a run would fail until fixed\n",
            count(problems, "problem", "problems")
        )
    });
    emit(&out)?;
    Ok(if problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn archive_state(cfg: &Config) -> (bool, String) {
    let dir = &cfg.archive;
    if !dir.exists() {
        return (
            true,
            format!(
                "{} does not exist yet: the first run (or `linkvault init`) creates it",
                dir.display()
            ),
        );
    }
    if !dir.join(linkvault::db::DB_FILE).exists() && !has_objects(dir) {
        return (
            true,
            format!(
                "{}: no archive yet; the first run (or `linkvault init`) creates one",
                dir.display()
            ),
        );
    }
    let db = match Db::open_read_only(dir) {
        Ok(db) => db,
        Err(e) => return (false, format!("PROBLEM: {e}")),
    };
    let refs = db.ref_count().unwrap_or(0);
    let articles = db.article_count(None).unwrap_or(0);
    let writable = linkvault::store::Store::open(dir, &StoreConfig::default()).is_ok();
    if !writable {
        return (
            false,
            format!(
                "PROBLEM: {} opens (read-only views work) but is not writable: runs cannot record anything; fix its permissions",
                dir.display()
            ),
        );
    }
    (
        true,
        format!(
            "{} opens and is writable: {}, {}",
            dir.display(),
            count(articles, "article", "articles"),
            count(refs.max(0) as u64, "reference", "references")
        ),
    )
}

/// The configured object store (a folder or a bucket): reachable and writable, proved by
/// writing and deleting a tiny object.
fn store_state(cfg: &Config) -> (bool, String) {
    match linkvault::store::Store::open(&cfg.archive, &cfg.store) {
        Ok(store) => (
            true,
            format!("{} is reachable and writable", store.describe()),
        ),
        Err(e) => (false, format!("PROBLEM: {e}")),
    }
}

fn has_objects(dir: &Path) -> bool {
    linkvault::store::Store::local(dir).count_local_objects(1) > 0
}

/// Witnesses and web archives, asked once each (a HEAD).
async fn network_state(cfg: &Config) -> Vec<(bool, &'static str, String)> {
    let mut lines = Vec::new();
    let fetcher = match super::fetcher(cfg) {
        Ok(f) => f,
        Err(e) => return vec![(false, "network", format!("PROBLEM: {e}"))],
    };
    if cfg.fetch.witnesses.is_empty() {
        lines.push((
            true,
            "network",
            "no fetch.witnesses set: a run where no cited server answers cannot tell a network outage from gone hosts as surely (set two or three, e.g. https://www.wikipedia.org/)".to_string(),
        ));
    }
    // Each server asked once: (label, address, what it means when it answers, when not).
    let mut asked: Vec<(&'static str, &String, String, String)> = cfg
        .fetch
        .witnesses
        .iter()
        .map(|w| {
            (
                "witness",
                w,
                format!("{w} answers"),
                format!(
                    "{w} does not answer: if no witness answers, runs are treated as network-down"
                ),
            )
        })
        .collect();
    if cfg.rescue.enabled {
        asked.extend(cfg.rescue.timegates.iter().map(|tg| {
            (
                "rescue",
                tg,
                format!("web archive {tg} answers (dead references are looked up there)"),
                format!("web archive {tg} does not answer: lookups there will fail until it does"),
            )
        }));
    }
    for (label, address, yes, no) in asked {
        let Ok(url) = url::Url::parse(address) else {
            continue;
        };
        let answers = fetcher.answers(&url).await;
        lines.push((true, label, if answers { yes } else { no }));
    }
    // Timestamp authorities: a real request, and the token checked as a run would.
    if cfg.timestamp.tsa.is_empty() {
        lines.push((
            true,
            "timestamp",
            "off ([timestamp] tsa = []): captures are hashed but not timestamped; README \"Evidence\" says how to turn it on".to_string(),
        ));
    }
    let probes = linkvault::timestamp::probe_authorities(&cfg.timestamp).await;
    let none_answer = !probes.is_empty() && probes.iter().all(|(_, r)| r.is_err());
    for (tsa, result) in probes {
        lines.push(match result {
            Ok(text) => (true, "timestamp", format!("{tsa}: {text}")),
            Err(why) if cfg.timestamp.required && none_answer => (
                false,
                "timestamp",
                format!("PROBLEM: {tsa} gives no token ({why}); with required = true, runs fail until one authority does"),
            ),
            Err(why) => (
                true,
                "timestamp",
                format!("{tsa} gives no token ({why}): trees wait for a run where an authority answers"),
            ),
        });
    }
    lines
}

fn tools(cfg: &Config) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let ytdlp = linkvault::video::find_tool(&cfg.video.yt_dlp);
    out.push((
        "yt-dlp",
        match &ytdlp {
            Some(t) => format!("{} ({})", t.version, t.path),
            None => format!(
                "not found (`{}`): install it with `pip install yt-dlp`, or set video.yt_dlp",
                cfg.video.yt_dlp
            ),
        },
    ));
    out.push((
        "ffmpeg",
        match version_line("ffmpeg", "-version") {
            Some(v) => v,
            None => "not found (optional: yt-dlp uses it to merge separate audio and video, and to fix HLS containers)".into(),
        },
    ));
    let chromium = linkvault::render::find_chromium(&cfg.render.chromium);
    out.push((
        "chromium",
        match &chromium {
            Some(c) => format!("{} (`{}`)", c.version, c.command),
            None => linkvault::render::missing_chromium(&cfg.render.chromium),
        },
    ));
    out.push((
        "render",
        match (cfg.render.enabled, &chromium) {
            (RenderMode::Off, _) => "off (render.enabled = false): pages are read from their static HTML only, no screenshots".into(),
            (mode, Some(c)) => format!(
                "on{}: article pages are rendered in {} ({} at once, {}s each) for the references scripts add, the media they load{}",
                if mode == RenderMode::Auto { " (auto: a Chromium is found)" } else { "" },
                c.label(),
                cfg.render.tabs,
                cfg.render.timeout.as_secs(),
                if cfg.render.screenshot { " and a full-page screenshot" } else { "" },
            ),
            (RenderMode::Auto, None) => "off (auto: no Chromium found): pages are read from their static HTML only. To render them and keep screenshots, install Chromium (Debian: apt-get install chromium) or set render.chromium".into(),
            (RenderMode::On, None) => "render.enabled = true but no Chromium is found: runs read pages without a browser and say so. Install Chromium (Debian: apt-get install chromium) or set render.chromium".into(),
        },
    ));
    out.push((
        "video",
        match (cfg.video.enabled, ytdlp.is_some()) {
            (true, true) => "capture enabled: video pages are kept as their media".into(),
            (true, false) => "capture enabled, but yt-dlp is not found: video pages are kept as pages only until it is installed".into(),
            (false, _) => "capture disabled (video.enabled = false): video pages are kept as pages only".into(),
        },
    ));
    out
}

fn version_line(cmd: &str, arg: &str) -> Option<String> {
    let o = std::process::Command::new(cmd)
        .arg(arg)
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&o.stdout);
    Some(text.lines().next().unwrap_or("").trim().to_string())
}
