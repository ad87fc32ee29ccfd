//! `config.toml`: the schema, its defaults, and validation that names the key at fault.
//!
//! Durations and sizes are written as people write them (`6h`, `2GiB`); they are parsed here
//! once, so the rest of the crate sees `Duration`s and byte counts. A missing file means the
//! built-in defaults; an unknown key is an error, never silently ignored.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use crate::fetch::FetchConfig;
pub use crate::filter::FilterConfig;
pub use crate::store::{S3Config, StoreConfig};
pub use crate::timestamp::{HashAlg, TimestampConfig};
use crate::units::{parse_duration, parse_size};

/// Why a configuration file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (a missing file only when it was named explicitly).
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The configuration file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The file was read but its content is not a valid configuration.
    #[error("config file {path} is not valid: {problem}")]
    Invalid {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong, naming the key.
        problem: ConfigProblem,
    },
}

/// The parser's error on one line — "line 3, column 2: invalid array; expected `]`" — instead
/// of its multi-line drawing, which an error line cannot show.
fn toml_problem(text: &str, e: &toml::de::Error) -> String {
    let message = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    match e.span() {
        Some(span) => {
            // The parser's offsets are byte positions; one inside a character (it should not
            // be) counts the whole text rather than panicking.
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// What is wrong inside a configuration, naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigProblem {
    /// Not TOML, an unknown key, or a value of the wrong type (the parser's own words).
    #[error("{0}")]
    Syntax(String),
    /// A duration or size that does not read.
    #[error("{key}: {source}")]
    Unit {
        /// The key, e.g. `fetch.stall_timeout`.
        key: &'static str,
        /// What is wrong with the value.
        source: crate::units::UnitError,
    },
    /// A value outside what the key allows (the message names the key and what it allows).
    #[error("{0}")]
    Value(String),
}

impl From<String> for ConfigProblem {
    fn from(message: String) -> Self {
        ConfigProblem::Value(message)
    }
}

impl From<&str> for ConfigProblem {
    fn from(message: &str) -> Self {
        ConfigProblem::Value(message.to_string())
    }
}

/// The whole configuration, with every value resolved.
#[derive(Debug, Clone)]
pub struct Config {
    /// Store directory; the database lives inside it.
    pub archive: PathBuf,
    /// Articles read on every run, as written: http(s) URLs, files, globs, feeds.
    pub articles: Vec<String>,
    /// `[extract]`: which references an article yields.
    pub extract: ExtractConfig,
    /// `[fetch]`: how references are requested.
    pub fetch: FetchConfig,
    /// `[schedule]`: when references and articles are looked at again.
    pub schedule: ScheduleConfig,
    /// `[confirm]`: when failures count as confirmed dead.
    pub confirm: ConfirmConfig,
    /// `[video]`: capture through yt-dlp.
    pub video: VideoConfig,
    /// `[rescue]`: lookups in web archives and second copies pushed to them.
    pub rescue: RescueConfig,
    /// `[filter]`: references never fetched, checked or reported.
    pub filter: FilterConfig,
    /// `[render]`: article pages rendered in headless Chromium.
    pub render: RenderConfig,
    /// Where the objects live (`store` and `[s3]`).
    pub store: StoreConfig,
    /// `[timestamp]`: RFC 3161 timestamps over each run's captures.
    pub timestamp: TimestampConfig,
}

/// Whether article pages are rendered in headless Chromium.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderMode {
    /// On when a Chromium is found, otherwise off (and `doctor` says how to install one).
    Auto,
    /// On; a run without a Chromium says so and reads pages without a browser.
    On,
    /// Off: pages are read as static HTML only.
    Off,
}

/// Rendering article pages in headless Chromium: references in the rendered DOM, media the
/// page loaded, and a full-page screenshot of each version.
#[derive(Debug, Clone)]
pub struct RenderConfig {
    /// `render.enabled`: `true`, `false` or `"auto"`.
    pub enabled: RenderMode,
    /// Command name (looked up on PATH) or path; empty: the usual names are tried.
    pub chromium: String,
    /// The most one page may take, from loading to screenshot.
    pub timeout: Duration,
    /// Pages rendered at once (tabs of the one browser).
    pub tabs: usize,
    /// Keep a full-page PNG screenshot of each article version.
    pub screenshot: bool,
    /// Window size in CSS pixels.
    pub viewport: (u32, u32),
    /// Rendered DOM read at most (a larger one is read up to this).
    pub max_dom_bytes: u64,
    /// Screenshots stop at this height in CSS pixels (and scrolling for lazy loaders too).
    pub max_screenshot_height: u32,
}

/// Rescue from web archives (Memento TimeGates) and second copies pushed to them.
#[derive(Debug, Clone)]
pub struct RescueConfig {
    /// Rescue at all: lookups in the archives and submissions to the save endpoints.
    pub enabled: bool,
    /// TimeGate URL prefixes; a reference's URL is appended to each.
    pub timegates: Vec<String>,
    /// Save-Page-Now-style endpoint prefixes; a live reference's URL is appended to each.
    pub submit: Vec<String>,
    /// Request headers for the submission endpoints: header name → the environment variable
    /// holding its value (secrets stay out of the file).
    pub submit_headers: Vec<(String, String)>,
    /// Minimum time between two submissions to one endpoint host.
    pub submit_interval: Duration,
    /// References looked up per run at most (the rest wait for the next run).
    pub per_run: usize,
    /// References submitted per run at most.
    pub submit_per_run: usize,
}

/// Capturing the media behind video pages with yt-dlp.
#[derive(Debug, Clone)]
pub struct VideoConfig {
    /// Send video pages through yt-dlp at all.
    pub enabled: bool,
    /// Command name (looked up on PATH) or path of yt-dlp.
    pub yt_dlp: String,
    /// yt-dlp format selection; the default is the best single file.
    pub format: String,
    /// Largest video downloaded, in bytes (yt-dlp's `--max-filesize`).
    pub max_bytes: u64,
    /// Hosts (and their subdomains) whose pages always go through yt-dlp.
    pub hosts: Vec<String>,
    /// URL substrings that send a reference through yt-dlp.
    pub patterns: Vec<String>,
    /// yt-dlp processes at once.
    pub processes: usize,
    /// Minimum time between two yt-dlp runs on one host.
    pub per_host_interval: Duration,
    /// A yt-dlp run taking longer is stopped and recorded as failed.
    pub timeout: Duration,
    /// Arguments added to every yt-dlp command line.
    pub extra_args: Vec<String>,
    /// Download again on every check instead of only checking that the video is still there.
    pub recapture: bool,
}

/// Which references an article yields.
#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// Take references from the whole page, not only its marked main content.
    pub whole_page: bool,
    /// Take cited pages (`<a href>`) too, not only images, video, audio and embeds.
    pub include_links: bool,
}

/// When things are looked at again.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// A reference that answered is checked again after this long.
    pub recheck_alive: Duration,
    /// An article URL is fetched again (conditionally) after this long; files every run.
    pub reread_articles: Duration,
    /// First retry of a failing reference; doubles per failure up to `confirm.interval`.
    pub retry_failing: Duration,
    /// A confirmed dead reference is still checked this often, in case it comes back.
    pub recheck_dead: Duration,
}

/// When failures count as a confirmed death.
#[derive(Debug, Clone)]
pub struct ConfirmConfig {
    /// Failed checks needed before a reference counts as confirmed dead.
    pub checks: u32,
    /// The least time between two failed checks that count toward `checks`.
    pub interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            archive: PathBuf::from("archive"),
            articles: Vec::new(),
            extract: ExtractConfig {
                whole_page: false,
                include_links: true,
            },
            fetch: FetchConfig {
                user_agent: format!(
                    "linkvault/{} (link-rot archiver)",
                    env!("CARGO_PKG_VERSION")
                ),
                concurrency: 16,
                per_host_concurrency: 2,
                per_host_interval: Duration::from_millis(250),
                connect_timeout: Duration::from_secs(15),
                stall_timeout: Duration::from_secs(30),
                min_speed: 1024,
                max_bytes: 2 << 30,
                max_article_bytes: 64 << 20,
                max_error_body: 1 << 20,
                max_redirects: 10,
                retries: 2,
                retry_backoff: Duration::from_secs(2),
                max_retry_after: Duration::from_secs(10),
                soft404_probe: true,
                proxy: None,
                allow_private: false,
                witnesses: Vec::new(),
                session: crate::fetch::Session::default(),
                nameservers: Vec::new(),
            },
            schedule: ScheduleConfig {
                recheck_alive: Duration::from_secs(7 * 86_400),
                reread_articles: Duration::from_secs(86_400),
                retry_failing: Duration::from_secs(3600),
                recheck_dead: Duration::from_secs(30 * 86_400),
            },
            confirm: ConfirmConfig {
                checks: 3,
                interval: Duration::from_secs(3 * 86_400),
            },
            video: VideoConfig {
                enabled: true,
                yt_dlp: "yt-dlp".into(),
                format: "b".into(),
                max_bytes: 2 << 30,
                hosts: [
                    "youtube.com",
                    "youtu.be",
                    "vimeo.com",
                    "dailymotion.com",
                    "dai.ly",
                    "twitter.com",
                    "x.com",
                    "facebook.com",
                    "fb.watch",
                    "instagram.com",
                    "tiktok.com",
                    "rumble.com",
                    "twitch.tv",
                    "bitchute.com",
                    "odysee.com",
                    "streamable.com",
                    "vk.com",
                    "t.me",
                ]
                .map(String::from)
                .to_vec(),
                patterns: Vec::new(),
                processes: 2,
                per_host_interval: Duration::from_secs(5),
                timeout: Duration::from_secs(30 * 60),
                extra_args: Vec::new(),
                recapture: false,
            },
            rescue: RescueConfig {
                enabled: true,
                timegates: vec!["https://web.archive.org/web/".into()],
                submit: Vec::new(),
                submit_headers: Vec::new(),
                submit_interval: Duration::from_secs(5),
                per_run: 500,
                submit_per_run: 50,
            },
            filter: FilterConfig::default(),
            store: StoreConfig {
                location: None,
                s3: S3Config {
                    conditional_put: true,
                    ..S3Config::default()
                },
            },
            render: RenderConfig {
                enabled: RenderMode::Auto,
                chromium: String::new(),
                timeout: Duration::from_secs(30),
                tabs: 2,
                screenshot: true,
                viewport: (1280, 800),
                max_dom_bytes: 16 << 20,
                max_screenshot_height: 16_384,
            },
            timestamp: TimestampConfig::default(),
        }
    }
}

// The file as written: every field optional, unknown keys refused.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    archive: Option<PathBuf>,
    articles: Option<Vec<String>>,
    extract: Option<RawExtract>,
    fetch: Option<RawFetch>,
    schedule: Option<RawSchedule>,
    confirm: Option<RawConfirm>,
    video: Option<RawVideo>,
    rescue: Option<RawRescue>,
    filter: Option<RawFilter>,
    render: Option<RawRender>,
    store: Option<String>,
    s3: Option<RawS3>,
    timestamp: Option<RawTimestamp>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTimestamp {
    tsa: Option<Vec<String>>,
    hash: Option<String>,
    required: Option<bool>,
    timeout: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawS3 {
    endpoint: Option<String>,
    region: Option<String>,
    allow_http: Option<bool>,
    conditional_put: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRender {
    enabled: Option<RawRenderMode>,
    chromium: Option<String>,
    timeout: Option<String>,
    tabs: Option<usize>,
    screenshot: Option<bool>,
    viewport: Option<String>,
    max_dom_bytes: Option<Size>,
    max_screenshot_height: Option<u32>,
}

/// `true`, `false` or `"auto"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawRenderMode {
    Flag(bool),
    Word(String),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    exclude: Option<Vec<String>>,
    include: Option<Vec<String>>,
    exclude_hosts: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRescue {
    enabled: Option<bool>,
    timegates: Option<Vec<String>>,
    submit: Option<Vec<String>>,
    submit_headers: Option<std::collections::BTreeMap<String, String>>,
    submit_interval: Option<String>,
    per_run: Option<usize>,
    submit_per_run: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawVideo {
    enabled: Option<bool>,
    yt_dlp: Option<String>,
    format: Option<String>,
    max_bytes: Option<Size>,
    hosts: Option<Vec<String>>,
    patterns: Option<Vec<String>>,
    processes: Option<usize>,
    per_host_interval: Option<String>,
    timeout: Option<String>,
    extra_args: Option<Vec<String>>,
    recapture: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExtract {
    whole_page: Option<bool>,
    include_links: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    user_agent: Option<String>,
    concurrency: Option<usize>,
    per_host_concurrency: Option<usize>,
    per_host_interval: Option<String>,
    connect_timeout: Option<String>,
    stall_timeout: Option<String>,
    min_speed: Option<Size>,
    max_bytes: Option<Size>,
    max_article_bytes: Option<Size>,
    max_error_body: Option<Size>,
    max_redirects: Option<usize>,
    retries: Option<u32>,
    retry_backoff: Option<String>,
    max_retry_after: Option<String>,
    soft404_probe: Option<bool>,
    proxy: Option<String>,
    allow_private: Option<bool>,
    witnesses: Option<Vec<String>>,
    headers: Option<Vec<RawHostHeaders>>,
    cookies: Option<PathBuf>,
    nameservers: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHostHeaders {
    host: String,
    headers: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    recheck_alive: Option<String>,
    reread_articles: Option<String>,
    retry_failing: Option<String>,
    recheck_dead: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfirm {
    checks: Option<u32>,
    interval: Option<String>,
}

/// A size may be written as a number of bytes or a string with a unit.
#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

/// `1280x800` (also `1280×800`, `1280 x 800`), each side 100 to 10,000 pixels.
fn parse_viewport(v: &str) -> Option<(u32, u32)> {
    let (w, h) = v.split_once(['x', 'X', '×'])?;
    let side = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (100..=10_000).contains(n))
    };
    Some((side(w)?, side(h)?))
}

impl Config {
    /// Loads `path`; a missing file gives the defaults (`explicit` = the user named the file,
    /// in which case it must exist).
    pub fn load(path: &Path, explicit: bool) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Config::default())
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let base = path.parent().unwrap_or(Path::new(""));
        Config::parse(&text, base).map_err(|problem| ConfigError::Invalid {
            path: path.to_path_buf(),
            problem,
        })
    }

    /// Parses config text; a relative `archive` is taken relative to `base` (the config's folder).
    pub fn parse(text: &str, base: &Path) -> Result<Config, ConfigProblem> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigProblem::Syntax(toml_problem(text, &e)))?;
        let mut c = Config::default();
        if let Some(a) = raw.archive {
            c.archive = if a.is_relative() && !base.as_os_str().is_empty() {
                base.join(a)
            } else {
                a
            };
        } else if !base.as_os_str().is_empty() {
            c.archive = base.join(&c.archive);
        }
        c.articles = raw.articles.unwrap_or_default();
        let e = raw.extract.unwrap_or_default();
        set(&mut c.extract.whole_page, e.whole_page);
        set(&mut c.extract.include_links, e.include_links);

        let f = raw.fetch.unwrap_or_default();
        let cf = &mut c.fetch;
        set(&mut cf.user_agent, f.user_agent);
        set(&mut cf.concurrency, f.concurrency);
        set(&mut cf.per_host_concurrency, f.per_host_concurrency);
        dur(
            &mut cf.per_host_interval,
            f.per_host_interval,
            "fetch.per_host_interval",
        )?;
        dur(
            &mut cf.connect_timeout,
            f.connect_timeout,
            "fetch.connect_timeout",
        )?;
        dur(
            &mut cf.stall_timeout,
            f.stall_timeout,
            "fetch.stall_timeout",
        )?;
        size(&mut cf.min_speed, f.min_speed, "fetch.min_speed")?;
        size(&mut cf.max_bytes, f.max_bytes, "fetch.max_bytes")?;
        size(
            &mut cf.max_article_bytes,
            f.max_article_bytes,
            "fetch.max_article_bytes",
        )?;
        size(
            &mut cf.max_error_body,
            f.max_error_body,
            "fetch.max_error_body",
        )?;
        set(&mut cf.max_redirects, f.max_redirects);
        set(&mut cf.retries, f.retries);
        dur(
            &mut cf.retry_backoff,
            f.retry_backoff,
            "fetch.retry_backoff",
        )?;
        dur(
            &mut cf.max_retry_after,
            f.max_retry_after,
            "fetch.max_retry_after",
        )?;
        set(&mut cf.soft404_probe, f.soft404_probe);
        cf.proxy = f.proxy.filter(|p| !p.trim().is_empty());
        set(&mut cf.allow_private, f.allow_private);
        set(&mut cf.witnesses, f.witnesses);
        set(&mut cf.nameservers, f.nameservers);
        let headers: Vec<(String, Vec<(String, String)>)> = f
            .headers
            .unwrap_or_default()
            .into_iter()
            .map(|h| (h.host, h.headers.into_iter().collect()))
            .collect();
        let cookies = f.cookies.map(|p| {
            if p.is_relative() && !base.as_os_str().is_empty() {
                base.join(p)
            } else {
                p
            }
        });
        cf.session = crate::fetch::Session::new(&headers, cookies.as_deref())
            .map_err(|e| ConfigProblem::Value(e.to_string()))?;

        let s = raw.schedule.unwrap_or_default();
        let cs = &mut c.schedule;
        dur(
            &mut cs.recheck_alive,
            s.recheck_alive,
            "schedule.recheck_alive",
        )?;
        dur(
            &mut cs.reread_articles,
            s.reread_articles,
            "schedule.reread_articles",
        )?;
        dur(
            &mut cs.retry_failing,
            s.retry_failing,
            "schedule.retry_failing",
        )?;
        dur(
            &mut cs.recheck_dead,
            s.recheck_dead,
            "schedule.recheck_dead",
        )?;

        let k = raw.confirm.unwrap_or_default();
        set(&mut c.confirm.checks, k.checks);
        dur(&mut c.confirm.interval, k.interval, "confirm.interval")?;

        let v = raw.video.unwrap_or_default();
        let cv = &mut c.video;
        set(&mut cv.enabled, v.enabled);
        set(&mut cv.yt_dlp, v.yt_dlp);
        set(&mut cv.format, v.format);
        size(&mut cv.max_bytes, v.max_bytes, "video.max_bytes")?;
        set(&mut cv.hosts, v.hosts);
        set(&mut cv.patterns, v.patterns);
        set(&mut cv.processes, v.processes);
        dur(
            &mut cv.per_host_interval,
            v.per_host_interval,
            "video.per_host_interval",
        )?;
        dur(&mut cv.timeout, v.timeout, "video.timeout")?;
        set(&mut cv.extra_args, v.extra_args);
        set(&mut cv.recapture, v.recapture);

        let r = raw.rescue.unwrap_or_default();
        let cr = &mut c.rescue;
        set(&mut cr.enabled, r.enabled);
        set(&mut cr.timegates, r.timegates);
        set(&mut cr.submit, r.submit);
        if let Some(h) = r.submit_headers {
            cr.submit_headers = h.into_iter().collect();
        }
        dur(
            &mut cr.submit_interval,
            r.submit_interval,
            "rescue.submit_interval",
        )?;
        set(&mut cr.per_run, r.per_run);
        set(&mut cr.submit_per_run, r.submit_per_run);

        let t = raw.timestamp.unwrap_or_default();
        let ct = &mut c.timestamp;
        set(&mut ct.tsa, t.tsa);
        if let Some(h) = t.hash {
            ct.hash = HashAlg::parse(&h).ok_or_else(|| {
                ConfigProblem::Value(format!(
                    "timestamp.hash: `{h}` is not a hash linkvault asks for: use \"sha256\" or \"sha512\""
                ))
            })?;
        }
        set(&mut ct.required, t.required);
        dur(&mut ct.timeout, t.timeout, "timestamp.timeout")?;

        let x = raw.filter.unwrap_or_default();
        set(&mut c.filter.exclude, x.exclude);
        set(&mut c.filter.include, x.include);
        set(&mut c.filter.exclude_hosts, x.exclude_hosts);

        // A folder given relative is taken relative to the config's folder, as `archive` is.
        c.store.location = raw.store.filter(|s| !s.trim().is_empty()).map(|s| {
            let local = !s.contains("://") && Path::new(&s).is_relative();
            if local && !base.as_os_str().is_empty() {
                base.join(&s).to_string_lossy().into_owned()
            } else {
                s
            }
        });
        let s3 = raw.s3.unwrap_or_default();
        let cs3 = &mut c.store.s3;
        cs3.endpoint = s3.endpoint.filter(|s| !s.trim().is_empty());
        cs3.region = s3.region.filter(|s| !s.trim().is_empty());
        cs3.allow_http = s3.allow_http;
        set(&mut cs3.conditional_put, s3.conditional_put);

        let r = raw.render.unwrap_or_default();
        let cr = &mut c.render;
        match r.enabled {
            None => {}
            Some(RawRenderMode::Flag(true)) => cr.enabled = RenderMode::On,
            Some(RawRenderMode::Flag(false)) => cr.enabled = RenderMode::Off,
            Some(RawRenderMode::Word(w)) if w.eq_ignore_ascii_case("auto") => {
                cr.enabled = RenderMode::Auto
            }
            Some(RawRenderMode::Word(w)) => {
                return Err(ConfigProblem::Value(format!(
                    "render.enabled `{w}` must be true, false or \"auto\""
                )))
            }
        }
        set(&mut cr.chromium, r.chromium);
        dur(&mut cr.timeout, r.timeout, "render.timeout")?;
        set(&mut cr.tabs, r.tabs);
        set(&mut cr.screenshot, r.screenshot);
        if let Some(v) = r.viewport {
            cr.viewport = parse_viewport(&v).ok_or_else(|| {
                format!("render.viewport `{v}` must be WIDTHxHEIGHT in pixels, e.g. \"1280x800\"")
            })?;
        }
        size(
            &mut cr.max_dom_bytes,
            r.max_dom_bytes,
            "render.max_dom_bytes",
        )?;
        set(&mut cr.max_screenshot_height, r.max_screenshot_height);
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<(), ConfigProblem> {
        let r = &self.render;
        if r.tabs == 0 {
            return Err("render.tabs must be at least 1".into());
        }
        if r.timeout.is_zero() {
            return Err("render.timeout must be more than 0".into());
        }
        if r.max_screenshot_height < 100 || r.max_screenshot_height > 100_000 {
            return Err("render.max_screenshot_height must be between 100 and 100000".into());
        }
        let f = &self.fetch;
        if f.concurrency == 0 {
            return Err("fetch.concurrency must be at least 1".into());
        }
        if f.per_host_concurrency == 0 {
            return Err("fetch.per_host_concurrency must be at least 1".into());
        }
        if f.max_bytes == 0 {
            return Err("fetch.max_bytes must be more than 0".into());
        }
        if f.stall_timeout.is_zero() || f.connect_timeout.is_zero() {
            return Err("fetch.connect_timeout and fetch.stall_timeout must be more than 0".into());
        }
        if f.user_agent.trim().is_empty() || f.user_agent.contains(['\r', '\n']) {
            return Err("fetch.user_agent must be one non-empty line".into());
        }
        if let Some(p) = &f.proxy {
            let ok = ["http://", "https://", "socks5://", "socks5h://"]
                .iter()
                .any(|s| p.to_ascii_lowercase().starts_with(s));
            if !ok {
                return Err(ConfigProblem::Value(format!(
                    "fetch.proxy `{p}` must start with http://, https://, socks5:// or socks5h://"
                )));
            }
        }
        for n in &f.nameservers {
            if n.parse::<std::net::SocketAddr>().is_err() {
                return Err(ConfigProblem::Value(format!(
                    "fetch.nameservers: `{n}` is not an address like 127.0.0.1:53 or [::1]:53"
                )));
            }
        }
        for w in &f.witnesses {
            if crate::input::http_url(w).is_none() {
                return Err(ConfigProblem::Value(format!(
                    "fetch.witnesses: `{w}` is not an http(s) URL (e.g. \"https://example.org/\")"
                )));
            }
        }
        if self.video.processes == 0 {
            return Err("video.processes must be at least 1".into());
        }
        if self.video.timeout.is_zero() {
            return Err("video.timeout must be more than 0".into());
        }
        for (key, list) in [
            ("rescue.timegates", &self.rescue.timegates),
            ("rescue.submit", &self.rescue.submit),
        ] {
            for prefix in list {
                if crate::input::http_url(prefix).is_none() {
                    return Err(ConfigProblem::Value(format!(
                        "{key}: `{prefix}` is not an http(s) URL prefix (e.g. \"https://web.archive.org/web/\")"
                    )));
                }
            }
        }
        for tsa in &self.timestamp.tsa {
            if crate::input::http_url(tsa).is_none() {
                return Err(ConfigProblem::Value(format!(
                    "timestamp.tsa: `{tsa}` is not an http(s) URL (e.g. \"https://freetsa.org/tsr\")"
                )));
            }
        }
        if self.timestamp.timeout.is_zero() {
            return Err("timestamp.timeout must be more than 0".into());
        }
        for (name, var) in &self.rescue.submit_headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(ConfigProblem::Value(format!(
                    "rescue.submit_headers: `{name}` is not an HTTP header name"
                )));
            }
            if var.is_empty() || var.contains('=') || var.contains('\0') {
                return Err(ConfigProblem::Value(format!(
                    "rescue.submit_headers: `{name}` must name an environment variable holding its value, e.g. {name} = \"SPN_AUTHORIZATION\""
                )));
            }
        }
        if f.max_article_bytes == 0 {
            return Err("fetch.max_article_bytes must be more than 0".into());
        }
        crate::filter::Filter::new(&self.filter)
            .map_err(|e| ConfigProblem::Value(e.to_string()))?;
        if self.confirm.checks == 0 {
            return Err("confirm.checks must be at least 1".into());
        }
        Ok(())
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn dur(slot: &mut Duration, value: Option<String>, key: &'static str) -> Result<(), ConfigProblem> {
    if let Some(v) = value {
        *slot = parse_duration(&v).map_err(|source| ConfigProblem::Unit { key, source })?;
    }
    Ok(())
}

fn size(slot: &mut u64, value: Option<Size>, key: &'static str) -> Result<(), ConfigProblem> {
    match value {
        Some(Size::Bytes(b)) => *slot = b,
        Some(Size::Text(t)) => {
            *slot = parse_size(&t).map_err(|source| ConfigProblem::Unit { key, source })?
        }
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_is_one_line_with_its_place() {
        let err = Config::parse("articles = [\n \"x\",\n[extract]\n", Path::new("")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3, column 2: invalid array; expected `]`"
        );
        let err = Config::parse("[fetch]\nconcurrenc = 3\n", Path::new("")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 2, column 1: unknown field `concurrenc`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let err = Config::parse("[fetch]\nconcurrenc = 3\n", Path::new("")).unwrap_err();
        assert!(err.to_string().contains("concurrenc"), "{err}");
        let err =
            Config::parse("[schedule]\nrecheck_alive = \"soon\"\n", Path::new("")).unwrap_err();
        assert!(err.to_string().contains("schedule.recheck_alive"), "{err}");
        let err =
            Config::parse("[fetch]\nwitnesses = [\"archive.org\"]\n", Path::new("")).unwrap_err();
        assert!(
            err.to_string().contains("fetch.witnesses: `archive.org`"),
            "{err}"
        );
    }

    #[test]
    fn values_parse_with_units() {
        let c = Config::parse(
            "archive = \"/tmp/a\"\n[fetch]\nmax_bytes = \"10MiB\"\nper_host_interval = \"0s\"\n",
            Path::new(""),
        )
        .unwrap();
        assert_eq!(c.fetch.max_bytes, 10 << 20);
        assert!(c.fetch.per_host_interval.is_zero());
        assert_eq!(c.archive, PathBuf::from("/tmp/a"));
    }

    #[test]
    fn timestamp_defaults_and_validation() {
        let c = Config::parse("", Path::new("")).unwrap();
        assert!(c.timestamp.tsa.is_empty(), "off by default");
        assert_eq!(c.timestamp.hash, HashAlg::Sha256);
        assert!(!c.timestamp.required);
        let c = Config::parse(
            "[timestamp]\ntsa = [\"https://freetsa.org/tsr\"]\nhash = \"sha512\"\nrequired = true\ntimeout = \"5s\"\n",
            Path::new(""),
        )
        .unwrap();
        assert_eq!(c.timestamp.tsa, ["https://freetsa.org/tsr"]);
        assert_eq!(c.timestamp.hash, HashAlg::Sha512);
        assert!(c.timestamp.required);
        assert_eq!(c.timestamp.timeout, Duration::from_secs(5));
        for (text, key) in [
            ("[timestamp]\nhash = \"md5\"\n", "timestamp.hash"),
            (
                "[timestamp]\ntsa = [\"freetsa.org/tsr\"]\n",
                "timestamp.tsa",
            ),
            ("[timestamp]\ntimeout = \"0s\"\n", "timestamp.timeout"),
            ("[timestamp]\nauthority = []\n", "authority"),
        ] {
            let err = Config::parse(text, Path::new(""))
                .and_then(|c| c.validate().map(|()| c))
                .unwrap_err();
            assert!(err.to_string().contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn rescue_defaults_and_validation() {
        let c = Config::parse("", Path::new("")).unwrap();
        assert!(c.rescue.enabled);
        assert_eq!(c.rescue.timegates, ["https://web.archive.org/web/"]);
        assert!(c.rescue.submit.is_empty());
        let c = Config::parse(
            "[rescue]\nsubmit = [\"https://web.archive.org/save/\"]\nsubmit_headers = { Authorization = \"SPN_AUTH\" }\n",
            Path::new(""),
        )
        .unwrap();
        assert_eq!(
            c.rescue.submit_headers,
            [("Authorization".to_string(), "SPN_AUTH".to_string())]
        );
        let err = Config::parse(
            "[rescue]\ntimegates = [\"web.archive.org\"]\n",
            Path::new(""),
        )
        .unwrap_err();
        assert!(err.to_string().contains("rescue.timegates"), "{err}");
        let err = Config::parse(
            "[rescue]\nsubmit_headers = { \"Bad Header\" = \"X\" }\n",
            Path::new(""),
        )
        .unwrap_err();
        assert!(err.to_string().contains("rescue.submit_headers"), "{err}");
    }

    #[test]
    fn witnesses_are_read_as_given() {
        let c = Config::parse(
            "[fetch]\nwitnesses = [\"https://archive.org/\", \"http://example.org/x\"]\n",
            Path::new(""),
        )
        .unwrap();
        assert_eq!(
            c.fetch.witnesses,
            ["https://archive.org/", "http://example.org/x"]
        );
    }
}
