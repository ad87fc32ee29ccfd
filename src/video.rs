//! Video capture with yt-dlp: for references that are video *pages* (a watch page, an embed, an
//! HLS playlist), the media itself is what must survive. yt-dlp downloads it into a temporary
//! folder inside the store; every resulting file is hashed into the store like any other body,
//! and yt-dlp's info JSON is kept beside it. When a capture is already held, only liveness is
//! checked (`--simulate --check-formats`), and yt-dlp's own verdict — removed, private,
//! geo-blocked — becomes the reference's reason.
//!
//! Dependencies run one way, `video` → `fetch`: this module reuses fetch's politeness, session
//! and address gate, and folds its outcome into a `fetch::CheckResult` ([`merge`]). The outcome
//! itself is plain data in [`crate::video_outcome`] (re-exported here), so `fetch` can carry it
//! without knowing about yt-dlp.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use tokio::sync::Semaphore;
use url::Url;

use crate::config::{FetchConfig, VideoConfig};
use crate::extract::kind_from_url;
use crate::fetch::{PolicyProxy, Politeness, Session};
use crate::model::{Kind, Reason, State};
use crate::store::{Store, StoredObject, WriteError};
pub use crate::video_outcome::{CapturedFile, VideoOutcome};

/// The yt-dlp found on this machine.
#[derive(Debug, Clone)]
pub struct Tool {
    /// The command as configured (`video.yt_dlp`): a name looked up on PATH, or a path.
    pub path: String,
    /// The first line of its `--version`, e.g. `2025.01.15`.
    pub version: String,
}

impl Tool {
    /// `yt-dlp 2025.01.15`: the tool and its version, for records and messages.
    pub fn label(&self) -> String {
        format!("yt-dlp {}", self.version)
    }
}

/// Runs `command --version`; None when it cannot be run.
pub fn find_tool(command: &str) -> Option<Tool> {
    let out = std::process::Command::new(command)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Some(Tool {
        path: command.to_string(),
        version: version.lines().next().unwrap_or("").to_string(),
    })
}

/// Shared by a run's checks: the tool, the process limit and per-host politeness for yt-dlp.
pub struct VideoCapturer {
    cfg: VideoConfig,
    user_agent: String,
    proxy: Option<String>,
    store: Store,
    tool: Option<Tool>,
    processes: Arc<Semaphore>,
    politeness: Politeness,
    retries: u32,
    retry_backoff: std::time::Duration,
    /// The cookies file and per-host headers of `[fetch]`, handed to yt-dlp.
    session: Session,
    /// The address policy for yt-dlp's own requests (None: private addresses are allowed, or
    /// a configured proxy decides, as for every fetch).
    gate: Option<PolicyProxy>,
    /// Why the gate could not start, if it could not (yt-dlp then does not run at all).
    gate_error: Option<String>,
}

impl VideoCapturer {
    /// Looks for yt-dlp (`video.yt_dlp`) and, when linkvault guards addresses itself, starts
    /// the policy proxy its requests go through. Call inside the tokio runtime.
    pub fn new(cfg: &VideoConfig, fetch: &FetchConfig, store: Store) -> VideoCapturer {
        VideoCapturer {
            tool: find_tool(&cfg.yt_dlp),
            processes: Arc::new(Semaphore::new(cfg.processes.max(1))),
            politeness: Politeness::new(1, cfg.per_host_interval),
            cfg: cfg.clone(),
            user_agent: fetch.user_agent.clone(),
            retries: fetch.retries,
            retry_backoff: fetch.retry_backoff,
            proxy: fetch.proxy.clone(),
            session: fetch.session.clone(),
            store,
            gate: None,
            gate_error: None,
        }
        .with_gate(fetch)
    }

    /// Starts the policy proxy yt-dlp goes through when linkvault guards addresses itself.
    fn with_gate(mut self, fetch: &FetchConfig) -> VideoCapturer {
        if !fetch.guards_addresses() || self.tool.is_none() {
            return self;
        }
        match PolicyProxy::for_fetch(fetch) {
            Ok(gate) => self.gate = Some(gate),
            Err(e) => self.gate_error = Some(e.to_string()),
        }
        self
    }

    /// The yt-dlp found, if any (without it, video pages are captured as pages only).
    pub fn tool(&self) -> Option<&Tool> {
        self.tool.as_ref()
    }

    /// Whether this reference goes through yt-dlp: a configured host or pattern, an HLS/DASH
    /// playlist, or a video/embed reference that is a page rather than a media file.
    pub fn eligible(&self, url: &str, kind: Kind) -> bool {
        self.cfg.enabled && is_eligible(&self.cfg, url, kind)
    }

    /// Captures (or, with `download` false, only checks) the video behind `url`.
    pub async fn capture(&self, url: &str, download: bool) -> Result<VideoOutcome, WriteError> {
        let Some(tool) = self.tool.clone() else {
            return Ok(VideoOutcome::ToolMissing);
        };
        let host = Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.attempt(&tool, &host, url, download).await?;
            match &outcome {
                VideoOutcome::Failed { message, .. }
                    if attempt <= self.retries && is_transient(message) =>
                {
                    tokio::time::sleep(self.retry_backoff * 2u32.saturating_pow(attempt - 1)).await;
                }
                _ => return Ok(outcome),
            }
        }
    }

    /// One yt-dlp run, within the process limit and the host's politeness.
    async fn attempt(
        &self,
        tool: &Tool,
        host: &str,
        url: &str,
        download: bool,
    ) -> Result<VideoOutcome, WriteError> {
        // The host's turn first: a process slot is never held while waiting out a host's
        // interval, so other hosts' videos keep the slots busy meanwhile.
        let _host = self.politeness.acquire(host).await;
        let _slot = self.processes.acquire().await.ok();
        let dir = self
            .store
            .scratch_dir("video")
            .map_err(|source| WriteError::Io {
                path: self.store.spool_dir().to_path_buf(),
                source,
            })?;
        // yt-dlp runs inside the folder, so the output template must not be relative to ours.
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        let outcome = self.run_tool(tool, url, &dir, download).await;
        let _ = std::fs::remove_dir_all(&dir);
        outcome
    }

    async fn run_tool(
        &self,
        tool: &Tool,
        url: &str,
        dir: &Path,
        download: bool,
    ) -> Result<VideoOutcome, WriteError> {
        let label = tool.label();
        let mut cmd = tokio::process::Command::new(&tool.path);
        cmd.args([
            "--no-playlist",
            "--no-progress",
            "--no-color",
            "--no-mtime",
            "--ignore-config",
        ])
        .args(["-f", &self.cfg.format])
        .args(["--max-filesize", &self.cfg.max_bytes.to_string()])
        .args(["--user-agent", &self.user_agent]);
        match (&self.gate, &self.gate_error) {
            (Some(gate), _) => {
                cmd.args(["--proxy", &gate.url()]);
            }
            (None, Some(e)) => {
                return Ok(VideoOutcome::Failed {
                    message: format!(
                        "the address policy for yt-dlp could not be set up ({e}); not run"
                    ),
                    tool: label,
                })
            }
            (None, None) => {
                if let Some(p) = &self.proxy {
                    cmd.args(["--proxy", p]);
                }
            }
        }
        // yt-dlp writes its cookie jar back into the file it reads: it gets a copy.
        if let Some(cookies) = self.session.cookies_file() {
            let copy = dir.join("cookies.txt");
            if std::fs::copy(cookies, &copy).is_ok() {
                cmd.arg("--cookies").arg(&copy);
            }
        }
        // `[[fetch.headers]]` are not handed over: yt-dlp would send them to every host it
        // contacts (CDNs, embeds), and its command line is readable by every local user.
        if download {
            cmd.arg("--write-info-json")
                .arg("-o")
                .arg(dir.join("media.%(ext)s"));
        } else {
            cmd.args(["--simulate", "--check-formats", "--dump-single-json"]);
        }
        cmd.args(&self.cfg.extra_args)
            .arg("--")
            .arg(url)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(if download {
                Stdio::null()
            } else {
                Stdio::piped()
            })
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                return Ok(VideoOutcome::Failed {
                    message: format!("cannot start {}: {e}", tool.path),
                    tool: label,
                })
            }
        };
        let output = match tokio::time::timeout(self.cfg.timeout, child.wait_with_output()).await {
            Err(_) => {
                return Ok(VideoOutcome::Failed {
                    message: format!(
                        "no result within video.timeout ({:?}); stopped",
                        self.cfg.timeout
                    ),
                    tool: label,
                })
            }
            Ok(Err(e)) => {
                return Ok(VideoOutcome::Failed {
                    message: format!("yt-dlp failed to run: {e}"),
                    tool: label,
                })
            }
            Ok(Ok(o)) => o,
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let message = last_error_line(&stderr);
            if stderr.contains("Unsupported URL") {
                return Ok(VideoOutcome::NotAVideo { tool: label });
            }
            return Ok(match classify(&stderr) {
                Some((state, reason)) => VideoOutcome::Gone {
                    state,
                    reason,
                    message,
                    tool: label,
                },
                None => VideoOutcome::Failed {
                    message,
                    tool: label,
                },
            });
        }
        if !download {
            let info: serde_json::Value =
                serde_json::from_slice(&output.stdout).unwrap_or_default();
            if let Some((state, reason)) = availability_verdict(&info) {
                return Ok(VideoOutcome::Gone {
                    state,
                    reason,
                    message: format!(
                        "the platform now lists the video as {}",
                        info["availability"]
                    ),
                    tool: label,
                });
            }
            return Ok(VideoOutcome::StillThere { tool: label });
        }
        let store = self.store.clone();
        let dir = dir.to_path_buf();
        let ingested = tokio::task::spawn_blocking(move || ingest(&store, &dir))
            .await
            .map_err(|e| WriteError::Io {
                path: PathBuf::new(),
                source: std::io::Error::other(e),
            })??;
        let (media, info) = ingested;
        if media.is_empty() {
            let message = if stderr.contains("max-filesize") || stderr.contains("larger than max") {
                "the video is larger than video.max_bytes; not downloaded".to_string()
            } else {
                "yt-dlp finished without producing a media file".to_string()
            };
            return Ok(VideoOutcome::Failed {
                message,
                tool: label,
            });
        }
        Ok(VideoOutcome::Captured {
            media,
            info,
            tool: label,
        })
    }
}

/// Folds the video step into the check: yt-dlp's verdict wins over a page that answered
/// (a platform serves its watch page long after the video is gone).
pub fn merge(r: &mut crate::fetch::CheckResult, outcome: VideoOutcome) {
    if let VideoOutcome::Gone {
        state,
        reason,
        message,
        ..
    } = &outcome
    {
        r.state = *state;
        r.reason = *reason;
        r.error = Some(message.clone());
    }
    r.video = Some(outcome);
}

/// See [`VideoCapturer::eligible`]; separate for testing.
pub fn is_eligible(cfg: &VideoConfig, url: &str, kind: Kind) -> bool {
    let Ok(u) = Url::parse(url) else {
        return false;
    };
    let host = u.host_str().unwrap_or("").to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    let on_listed_host = cfg
        .hosts
        .iter()
        .any(|h| host == h || host.ends_with(&format!(".{h}")));
    if on_listed_host
        || cfg
            .patterns
            .iter()
            .any(|p| !p.is_empty() && url.contains(p.as_str()))
    {
        return true;
    }
    let path = u.path().to_ascii_lowercase();
    if path.ends_with(".m3u8") || path.ends_with(".mpd") {
        return true;
    }
    // A video or embed reference that is itself a media file is an ordinary fetch.
    let direct_media = kind_from_url(&u).is_some_and(|k| k.is_media());
    matches!(kind, Kind::Video | Kind::Embed) && !direct_media
}

/// yt-dlp's verdict from its error output: the platform's own words mapped to a reason.
pub fn classify(stderr: &str) -> Option<(State, Reason)> {
    let e = stderr.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| e.contains(n));
    if has(&[
        "private video",
        "video is private",
        "members-only",
        "members only",
        "join this channel",
        "login required",
        "log in",
        "sign in to view",
        "requires authentication",
        "needs_auth",
        "premium_only",
        "subscriber_only",
    ]) && !has(&["confirm your age", "age-restricted", "age restricted"])
    {
        return Some((State::Blocked, Reason::VideoPrivate));
    }
    if has(&[
        "confirm your age",
        "age-restricted",
        "age restricted",
        "inappropriate for some users",
    ]) {
        return Some((State::Blocked, Reason::AgeRestricted));
    }
    if has(&[
        "not available in your country",
        "not made this video available in your country",
        "geo restrict",
        "geo-restrict",
        "blocked it in your country",
        "from your location",
    ]) {
        return Some((State::Blocked, Reason::GeoBlocked));
    }
    if has(&[
        "video has been removed",
        "has been removed",
        "removed by the uploader",
        "video unavailable",
        "no longer available",
        "account associated with this video has been terminated",
        "this video does not exist",
        "video not found",
        "copyright claim",
        "violating",
        "http error 404",
        "http error 410",
        "requested format is not available",
    ]) {
        return Some((State::Dead, Reason::VideoRemoved));
    }
    if has(&["http error 403", "http error 401", "http error 451"]) {
        return Some((State::Blocked, Reason::VideoPrivate));
    }
    None
}

/// The `availability` yt-dlp reports for a video that still answers.
pub fn availability_verdict(info: &serde_json::Value) -> Option<(State, Reason)> {
    match info["availability"].as_str()? {
        "private" | "needs_auth" | "premium_only" | "subscriber_only" => {
            Some((State::Blocked, Reason::VideoPrivate))
        }
        _ => None,
    }
}

/// A failure worth another try in the same run (the platform or network hiccuped).
fn is_transient(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "timed out",
        "http error 429",
        "http error 50",
        "connection reset",
        "temporary failure",
        "remote end closed",
    ]
    .iter()
    .any(|n| m.contains(n))
}

fn last_error_line(stderr: &str) -> String {
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("ERROR"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("yt-dlp failed without a message");
    line.chars().take(500).collect()
}

/// Hashes every file yt-dlp left in `dir` into the store: media files and the info JSON.
fn ingest(
    store: &Store,
    dir: &Path,
) -> Result<(Vec<CapturedFile>, Option<CapturedFile>), WriteError> {
    let mut media = Vec::new();
    let mut info = None;
    let entries = std::fs::read_dir(dir).map_err(|source| WriteError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if !path.is_file()
            || name.ends_with(".part")
            || name.ends_with(".ytdl")
            || name.ends_with(".temp")
        {
            continue;
        }
        let is_info = name.ends_with(".info.json");
        let object = copy_into_store(store, &path)?;
        let content_type = if is_info {
            "application/json".to_string()
        } else {
            media_type(&name).to_string()
        };
        let file = CapturedFile {
            object,
            content_type,
        };
        if is_info {
            info = Some(file);
        } else {
            media.push(file);
        }
    }
    Ok((media, info))
}

fn copy_into_store(store: &Store, path: &Path) -> Result<StoredObject, WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = File::open(path).map_err(io)?;
    let mut w = store.writer()?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        w.write(&buf[..n])?;
    }
    w.finish()
}

fn media_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mkv" => "video/x-matroska",
        "mov" => "video/quicktime",
        "ts" => "video/mp2t",
        "flv" => "video/x-flv",
        "3gp" => "video/3gpp",
        "m4a" => "audio/mp4",
        "mp3" => "audio/mpeg",
        "ogg" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "vtt" => "text/vtt",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn platform_words_become_reasons() {
        let r = |s| classify(s).map(|x| x.1);
        assert_eq!(r("ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader"), Some(Reason::VideoRemoved));
        assert_eq!(r("ERROR: [youtube] abc: Private video. Sign in if you've been granted access to this video"), Some(Reason::VideoPrivate));
        assert_eq!(r("ERROR: [youtube] abc: The uploader has not made this video available in your country"), Some(Reason::GeoBlocked));
        assert_eq!(r("ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users."), Some(Reason::AgeRestricted));
        assert_eq!(
            r("ERROR: unable to download video data: HTTP Error 404: Not Found"),
            Some(Reason::VideoRemoved)
        );
        assert_eq!(
            r("ERROR: [generic] Unable to download webpage: <urlopen error timed out>"),
            None
        );
    }

    #[test]
    fn availability_and_transient_failures() {
        let private: serde_json::Value = serde_json::json!({"availability": "private"});
        assert_eq!(
            availability_verdict(&private),
            Some((State::Blocked, Reason::VideoPrivate))
        );
        assert_eq!(
            availability_verdict(&serde_json::json!({"availability": "public"})),
            None
        );
        assert!(is_transient(
            "ERROR: unable to download video data: HTTP Error 503: Service Unavailable"
        ));
        assert!(!is_transient("ERROR: Unsupported URL: https://x.example/"));
    }

    #[test]
    fn which_references_go_through_yt_dlp() {
        let c = Config::default().video;
        assert!(is_eligible(
            &c,
            "https://www.youtube.com/watch?v=abc",
            Kind::Page
        ));
        assert!(is_eligible(
            &c,
            "https://m.youtube.com/watch?v=abc",
            Kind::Video
        ));
        assert!(is_eligible(
            &c,
            "https://news.example/player/123",
            Kind::Embed
        ));
        assert!(is_eligible(
            &c,
            "https://cdn.example/live/index.m3u8",
            Kind::Video
        ));
        assert!(!is_eligible(
            &c,
            "https://cdn.example/clip.mp4",
            Kind::Video
        ));
        assert!(!is_eligible(&c, "https://news.example/story", Kind::Page));
        assert!(!is_eligible(&c, "https://notyoutube.com/watch", Kind::Page));
    }
}
