//! Rendering article pages in headless Chromium, driven over the DevTools protocol
//! (chromiumoxide): what a reader's browser shows, beyond the static HTML. For each page it
//! gives the rendered DOM (its references are extracted like the static ones, `found_in`
//! prefixed `rendered:`), the media the page loaded (`media`), and a full-page screenshot.
//!
//! One browser serves the whole run: started at the first page that needs it (`launch`),
//! `render.tabs` pages at a time, each in a context of its own (`page`), and killed with the
//! run. When linkvault guards addresses itself, the browser goes through the same policy
//! proxy as yt-dlp (`fetch::gate`), loopback included, so a page cannot make it reach a
//! private address either.

mod launch;
mod media;
mod page;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::Browser;
use futures_util::StreamExt;
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinHandle;

use crate::config::{Config, RenderMode};
use crate::fetch::{BrowserCookie, PolicyProxy};
pub use launch::{find_chromium, Chromium};
pub use media::LoadedMedia;
pub use page::Screenshot;

/// Time past `render.timeout` allowed for closing a page that overran it.
const GRACE: Duration = Duration::from_secs(5);
/// A browser that crashed is started again at most this many times in one run.
const MAX_LAUNCHES: u32 = 3;

/// Why a page was not rendered.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    /// The browser could not be started or reached (what went wrong, in words).
    #[error("the browser could not be started: {0}")]
    Launch(String),
    /// A DevTools command failed, or a script of ours failed in the page (in words).
    #[error("{0}")]
    Protocol(String),
    /// The browser could not load the page (its navigation error).
    #[error("the browser could not load the page: {0}")]
    Load(String),
    /// The page took longer than its hard limit, in whole seconds.
    #[error("rendering did not finish within {0}s (the page's scripts never yielded)")]
    Timeout(u64),
    /// `render.enabled = true` and no browser answered.
    #[error("{0}")]
    Missing(String),
    /// `render.enabled = "auto"` and no browser: rendering is simply off.
    #[error("no Chromium was found; pages are not rendered")]
    Unavailable,
}

/// What a rendering of one page gave.
#[derive(Debug)]
pub struct Rendered {
    /// Where the page ended up.
    pub final_url: Option<String>,
    /// The rendered DOM as markup, at most `render.max_dom_bytes`.
    pub dom: Option<String>,
    /// The DOM was larger than `render.max_dom_bytes`: `dom` is its start only.
    pub dom_cut: bool,
    /// The media the page loaded, once per URL, in the order first received.
    pub media: Vec<LoadedMedia>,
    /// The full-page screenshot, when `render.screenshot` is on.
    pub screenshot: Option<Screenshot>,
    /// The network went quiet before half of `render.timeout` ran out.
    pub settled: bool,
    /// The browser, e.g. `Chromium 156.0.8078.108`.
    pub tool: String,
}

impl Rendered {
    /// What is worth saying about how the rendering went, if anything.
    pub fn note(&self, budget: Duration) -> Option<String> {
        let mut notes = Vec::new();
        if !self.settled {
            notes.push(format!(
                "the page never went quiet within {}s; read as it stood",
                (budget / 2).as_secs()
            ));
        }
        if self.dom_cut {
            notes.push("its DOM was larger than render.max_dom_bytes; read up to it".into());
        }
        if self.screenshot.as_ref().is_some_and(|s| s.cut) {
            notes.push(
                "the screenshot stops at render.max_screenshot_height; the page is taller".into(),
            );
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }
}

/// The run's browser and its limits. Nothing is started, nor even looked for, until the first
/// page that needs rendering: a run with nothing to read costs nothing here.
pub struct Renderer {
    mode: RenderMode,
    cfg: crate::config::RenderConfig,
    fetch: crate::config::FetchConfig,
    tabs: Semaphore,
    browser: Mutex<BrowserState>,
    /// Set once the run has said why the browser cannot be used.
    told: AtomicBool,
}

#[derive(Default)]
struct BrowserState {
    /// Looked for at the first page; `Some(None)`: looked for and not found.
    chromium: Option<Option<Chromium>>,
    cookies: Arc<Vec<BrowserCookie>>,
    /// The address-policy proxy the browser goes through (when linkvault guards addresses).
    gate: Option<PolicyProxy>,
    running: Option<Running>,
    launches: u32,
    /// Why the browser cannot be used this run, once that is known.
    broken: Option<RenderError>,
}

struct Running {
    browser: Arc<Browser>,
    handler: JoinHandle<()>,
    process: launch::Launched,
    label: String,
}

impl Renderer {
    /// The renderer the configuration asks for; `None` when `render.enabled = false`.
    pub fn new(cfg: &Config) -> Option<Renderer> {
        let r = &cfg.render;
        (r.enabled != RenderMode::Off).then(|| Renderer {
            mode: r.enabled,
            cfg: r.clone(),
            fetch: cfg.fetch.clone(),
            tabs: Semaphore::new(r.tabs),
            browser: Mutex::new(BrowserState::default()),
            told: AtomicBool::new(false),
        })
    }

    /// True the first time it is asked: a browser-wide failure is said once per run.
    pub fn first_to_say(&self) -> bool {
        !self.told.swap(true, Ordering::Relaxed)
    }

    /// The page budget (`render.timeout`).
    pub fn budget(&self) -> Duration {
        self.cfg.timeout
    }

    /// Renders `url` (http(s) or `file:`), waiting for a free tab first.
    pub async fn render(&self, url: &str) -> Result<Rendered, RenderError> {
        let _tab = self
            .tabs
            .acquire()
            .await
            .map_err(|_| RenderError::Protocol("the renderer is shutting down".into()))?;
        let (browser, cookies, tool) = self.browser().await?;
        let job = page::PageJob {
            url,
            viewport: self.cfg.viewport,
            budget: self.cfg.timeout,
            screenshot: self.cfg.screenshot,
            max_dom_bytes: self.cfg.max_dom_bytes,
            max_height: self.cfg.max_screenshot_height,
            cookies: &cookies,
        };
        let hard_limit = self.cfg.timeout + GRACE;
        let r = page::render_page(&browser, &job, hard_limit).await?;
        let media = media::loaded_media(&r.responses, &r.shown);
        Ok(Rendered {
            final_url: r.final_url,
            dom: r.dom,
            dom_cut: r.dom_cut,
            media,
            screenshot: r.screenshot,
            settled: r.settled,
            tool,
        })
    }

    /// The running browser, looked for and started (again, after a crash) when needed.
    async fn browser(
        &self,
    ) -> Result<(Arc<Browser>, Arc<Vec<BrowserCookie>>, String), RenderError> {
        let mut state = self.browser.lock().await;
        if let Some(e) = &state.broken {
            return Err(e.clone());
        }
        if let Some(r) = &state.running {
            if !r.handler.is_finished() {
                return Ok((r.browser.clone(), state.cookies.clone(), r.label.clone()));
            }
        }
        state.running = None;
        let chromium = match &state.chromium {
            Some(found) => found.clone(),
            None => {
                let configured = self.cfg.chromium.clone();
                let found = tokio::task::spawn_blocking(move || find_chromium(&configured))
                    .await
                    .ok()
                    .flatten();
                state.chromium = Some(found.clone());
                state.cookies = Arc::new(self.fetch.session.browser_cookies(crate::clock::now()));
                found
            }
        };
        let Some(chromium) = chromium else {
            let e = match self.mode {
                RenderMode::On => RenderError::Missing(missing_message(&self.cfg.chromium)),
                _ => RenderError::Unavailable,
            };
            state.broken = Some(e.clone());
            return Err(e);
        };
        if state.launches >= MAX_LAUNCHES {
            let e = RenderError::Launch(format!(
                "it stopped {MAX_LAUNCHES} times in this run; pages are read without it until the next run"
            ));
            state.broken = Some(e.clone());
            return Err(e);
        }
        state.launches += 1;
        if self.fetch.guards_addresses() && state.gate.is_none() {
            match PolicyProxy::for_fetch(&self.fetch) {
                Ok(g) => state.gate = Some(g),
                Err(e) => {
                    let e = RenderError::Launch(format!(
                        "the address-policy proxy it must go through could not start ({e})"
                    ));
                    state.broken = Some(e.clone());
                    return Err(e);
                }
            }
        }
        let proxy = state
            .gate
            .as_ref()
            .map(PolicyProxy::url)
            .or_else(|| self.fetch.proxy.clone());
        match self.start(&chromium, proxy.as_deref()).await {
            Ok(r) => {
                let out = (r.browser.clone(), state.cookies.clone(), r.label.clone());
                state.running = Some(r);
                Ok(out)
            }
            Err(e) => {
                // A browser that cannot start now will not start for the next page either.
                state.broken = Some(e.clone());
                Err(e)
            }
        }
    }

    async fn start(
        &self,
        chromium: &Chromium,
        proxy: Option<&str>,
    ) -> Result<Running, RenderError> {
        let process = launch::launch(chromium, proxy, self.cfg.viewport).await?;
        let config = HandlerConfig {
            ignore_https_errors: false,
            viewport: None,
            request_timeout: self.cfg.timeout,
            ..HandlerConfig::default()
        };
        let (browser, mut handler) = Browser::connect_with_config(process.ws_url.clone(), config)
            .await
            .map_err(|e| RenderError::Launch(format!("cannot reach its DevTools endpoint: {e}")))?;
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if event.is_err() {
                    break;
                }
            }
        });
        Ok(Running {
            browser: Arc::new(browser),
            handler,
            process,
            label: chromium.label(),
        })
    }

    /// Closes the browser (killed if it does not exit promptly) and the policy proxy.
    pub async fn shut_down(&self) {
        let mut state = self.browser.lock().await;
        state.gate = None;
        if let Some(mut r) = state.running.take() {
            r.handler.abort();
            let _ = r.process.child.start_kill();
            let _ = tokio::time::timeout(Duration::from_secs(5), r.process.child.wait()).await;
        }
    }
}

/// Where a browser was looked for and not found.
pub fn missing_chromium(configured: &str) -> String {
    if configured.trim().is_empty() {
        format!(
            "not found (looked for {} on PATH)",
            launch::CANDIDATES.join(", ")
        )
    } else {
        format!(
            "not found (`{}` did not answer --version)",
            configured.trim()
        )
    }
}

/// What to say when `render.enabled = true` finds no browser.
pub fn missing_message(configured: &str) -> String {
    let looked = missing_chromium(configured);
    format!(
        "render.enabled = true but Chromium was {looked}: pages are read without a \
         browser this run. Install one (Debian: apt-get install chromium) or set render.chromium \
         to its path"
    )
}
