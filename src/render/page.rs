//! Rendering one page in its own browser context (no cookies or storage shared with any other
//! page): load it, wait for the network to go quiet, scroll to the end in steps so lazy
//! loaders fire, then read the rendered DOM, the media URLs shown inside the article's content,
//! every response the page received, and a full-page screenshot.
//!
//! Every phase has its share of the page's time budget; a page that never settles is read as
//! it stands when its share runs out. The caller bounds the whole, for pages whose scripts
//! never yield.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::emulation::{
    ClearDeviceMetricsOverrideParams, SetDeviceMetricsOverrideParams,
};
use chromiumoxide::cdp::browser_protocol::network::{
    CookieParam, EventLoadingFailed, EventLoadingFinished, EventRequestWillBeSent,
    EventResponseReceived, ResourceType, TimeSinceEpoch,
};
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, GetLayoutMetricsParams, NavigateParams,
    Viewport,
};
use chromiumoxide::cdp::browser_protocol::storage::SetCookiesParams;
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams, DisposeBrowserContextParams,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::{Browser, Page};
use futures_util::StreamExt;
use tokio::time::Instant;

use super::RenderError;
use crate::fetch::BrowserCookie;

/// No request started or ended for this long (with at most two still open, e.g. a long poll):
/// the network is quiet.
const QUIET: Duration = Duration::from_millis(500);
/// After each scroll step, a shorter quiet is awaited (at most `STEP_WAIT`).
const STEP_QUIET: Duration = Duration::from_millis(150);
const STEP_WAIT: Duration = Duration::from_secs(1);
/// How often the network state is looked at while waiting.
const POLL: Duration = Duration::from_millis(50);
/// Responses remembered per page at most.
const MAX_RESPONSES: usize = 20_000;

/// What the page needs besides its URL.
pub(super) struct PageJob<'a> {
    pub url: &'a str,
    pub viewport: (u32, u32),
    pub budget: Duration,
    pub screenshot: bool,
    pub max_dom_bytes: u64,
    pub max_height: u32,
    pub cookies: &'a [BrowserCookie],
}

/// One response the page received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Response {
    pub url: String,
    pub resource: Resource,
    pub mime: String,
    pub status: i64,
}

/// The kinds of resource a response can be for (the DevTools protocol's, folded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resource {
    Document,
    Image,
    /// Loaded by a `<video>`/`<audio>` element.
    Media,
    /// `fetch()`/XHR: how players load HLS/DASH manifests and segments.
    Fetch,
    /// Stylesheets, scripts, fonts, pings, beacons and the like.
    Furniture,
}

/// A full-page screenshot.
#[derive(Debug, Clone)]
pub struct Screenshot {
    /// The PNG file's bytes.
    pub png: Vec<u8>,
    /// In CSS pixels: the viewport's width.
    pub width: u32,
    /// In CSS pixels: the page's height (at least the viewport's), at most
    /// `render.max_screenshot_height`.
    pub height: u32,
    /// The page was taller than `max_height`: the screenshot shows its top only.
    pub cut: bool,
}

/// Everything one rendering saw.
#[derive(Debug, Default)]
pub(super) struct PageRender {
    /// Where the page ended up (after redirects and script navigation).
    pub final_url: Option<String>,
    /// The rendered DOM as markup, at most `max_dom_bytes`.
    pub dom: Option<String>,
    pub dom_cut: bool,
    /// Absolute URLs of media shown inside the article's content (or the whole page when it
    /// marks none): `currentSrc`, posters, CSS backgrounds as computed.
    pub shown: HashSet<String>,
    pub responses: Vec<Response>,
    pub screenshot: Option<Screenshot>,
    /// The network went quiet before its share of the time ran out.
    pub settled: bool,
}

/// Network activity as the event task sees it.
#[derive(Default)]
struct Net {
    open: HashSet<String>,
    last_activity: Option<Instant>,
    responses: Vec<Response>,
}

/// Renders `job.url` in a fresh context of `browser`, giving up after `hard_limit`. The
/// context (and with it the tab) is disposed of whatever happens.
pub(super) async fn render_page(
    browser: &Browser,
    job: &PageJob<'_>,
    hard_limit: Duration,
) -> Result<PageRender, RenderError> {
    let context = browser
        .create_browser_context(CreateBrowserContextParams {
            dispose_on_detach: Some(true),
            ..Default::default()
        })
        .await
        .map_err(cdp("make a browser context"))?;
    let result = tokio::time::timeout(hard_limit, render_in(browser, &context, job))
        .await
        .unwrap_or(Err(RenderError::Timeout(hard_limit.as_secs())));
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        browser.execute(DisposeBrowserContextParams::new(context)),
    )
    .await;
    result
}

async fn render_in(
    browser: &Browser,
    context: &BrowserContextId,
    job: &PageJob<'_>,
) -> Result<PageRender, RenderError> {
    let started = Instant::now();
    let settle_by = started + job.budget / 2;
    let scroll_by = started + job.budget * 3 / 4;
    if !job.cookies.is_empty() {
        let cookies = job.cookies.iter().map(cookie_param).collect();
        browser
            .execute(SetCookiesParams {
                cookies,
                browser_context_id: Some(context.clone()),
            })
            .await
            .map_err(cdp("give the browser the cookies file"))?;
    }
    let mut target = CreateTargetParams::new("about:blank");
    target.browser_context_id = Some(context.clone());
    let page = browser.new_page(target).await.map_err(cdp("open a tab"))?;
    let result = async {
        let net = watch_network(&page).await?;
        let (w, h) = job.viewport;
        set_window(&page, w, h)
            .await
            .map_err(cdp("set the viewport"))?;
        // The navigation answers once the page has loaded (its `load` event): a page with a
        // resource that never arrives never does, so past its share of the time the page is
        // read as it stands.
        let loaded =
            match tokio::time::timeout_at(settle_by, page.execute(NavigateParams::new(job.url)))
                .await
            {
                Ok(nav) => {
                    let nav = nav.map_err(cdp("load the page"))?;
                    if let Some(e) = nav.result.error_text.as_deref().filter(|e| !e.is_empty()) {
                        return Err(RenderError::Load(e.to_string()));
                    }
                    true
                }
                Err(_) => false,
            };
        let settled = loaded && wait_quiet(&net, QUIET, settle_by).await;
        scroll_through(&page, &net, job, scroll_by).await?;
        let mut out = PageRender {
            settled,
            ..PageRender::default()
        };
        read_dom(&page, job.max_dom_bytes, &mut out).await?;
        out.shown = shown_media(&page).await.unwrap_or_default();
        if job.screenshot {
            out.screenshot = Some(screenshot(&page, job).await?);
        }
        if let Ok(mut n) = net.lock() {
            out.responses = std::mem::take(&mut n.responses);
        }
        Ok(out)
    }
    .await;
    let _ = page.close().await;
    result
}

/// Sizes the page's window (CSS pixels, no device scaling).
async fn set_window(page: &Page, width: u32, height: u32) -> chromiumoxide::Result<()> {
    page.execute(SetDeviceMetricsOverrideParams::new(
        i64::from(width),
        i64::from(height),
        1.0,
        false,
    ))
    .await
    .map(|_| ())
}

fn cookie_param(c: &BrowserCookie) -> CookieParam {
    let mut p = CookieParam::new(c.name.clone(), c.value.clone());
    p.domain = Some(c.domain.clone());
    p.path = Some(c.path.clone());
    p.secure = Some(c.secure);
    p.expires = c.expires.map(|e| TimeSinceEpoch::new(e as f64));
    p
}

fn cdp(what: &'static str) -> impl Fn(chromiumoxide::error::CdpError) -> RenderError {
    move |e| RenderError::Protocol(format!("could not {what}: {e}"))
}

/// Follows the page's requests in a task of its own, until the tab closes.
async fn watch_network(page: &Page) -> Result<Arc<Mutex<Net>>, RenderError> {
    let listen = "listen to the page's network";
    let mut sent = page
        .event_listener::<EventRequestWillBeSent>()
        .await
        .map_err(cdp(listen))?;
    let mut received = page
        .event_listener::<EventResponseReceived>()
        .await
        .map_err(cdp(listen))?;
    let mut finished = page
        .event_listener::<EventLoadingFinished>()
        .await
        .map_err(cdp(listen))?;
    let mut failed = page
        .event_listener::<EventLoadingFailed>()
        .await
        .map_err(cdp(listen))?;
    let net = Arc::new(Mutex::new(Net::default()));
    let state = net.clone();
    tokio::spawn(async move {
        loop {
            let ended = tokio::select! {
                e = sent.next() => e.map(|e| Event::Opened(e.request_id.inner().clone())),
                e = finished.next() => e.map(|e| Event::Closed(e.request_id.inner().clone())),
                e = failed.next() => e.map(|e| Event::Closed(e.request_id.inner().clone())),
                e = received.next() => e.map(|e| Event::Response(Response {
                    url: e.response.url.clone(),
                    resource: fold(&e.r#type),
                    mime: e.response.mime_type.clone(),
                    status: e.response.status,
                })),
            };
            let Some(event) = ended else { break };
            let Ok(mut n) = state.lock() else { break };
            n.last_activity = Some(Instant::now());
            match event {
                Event::Opened(id) => {
                    n.open.insert(id);
                }
                Event::Closed(id) => {
                    n.open.remove(&id);
                }
                Event::Response(r) => {
                    if n.responses.len() < MAX_RESPONSES {
                        n.responses.push(r);
                    }
                }
            }
        }
    });
    Ok(net)
}

enum Event {
    Opened(String),
    Closed(String),
    Response(Response),
}

fn fold(t: &ResourceType) -> Resource {
    match t {
        ResourceType::Document => Resource::Document,
        ResourceType::Image => Resource::Image,
        ResourceType::Media => Resource::Media,
        ResourceType::Xhr | ResourceType::Fetch => Resource::Fetch,
        _ => Resource::Furniture,
    }
}

/// Waits until no request started or ended for `quiet` with at most two open; false if
/// `until` came first.
async fn wait_quiet(net: &Mutex<Net>, quiet: Duration, until: Instant) -> bool {
    let since = Instant::now();
    loop {
        let now = Instant::now();
        let calm = net.lock().map(|n| {
            let last = n.last_activity.unwrap_or(since).max(since);
            n.open.len() <= 2 && now.duration_since(last) >= quiet
        });
        if calm.unwrap_or(true) {
            return true;
        }
        if now >= until {
            return false;
        }
        tokio::time::sleep(POLL.min(until - now)).await;
    }
}

/// Scrolls down a viewport at a time (up to the screenshot cap), letting lazy loaders fetch,
/// then back to the top.
async fn scroll_through(
    page: &Page,
    net: &Mutex<Net>,
    job: &PageJob<'_>,
    until: Instant,
) -> Result<(), RenderError> {
    let step = f64::from(job.viewport.1).max(100.0);
    let mut y = 0.0;
    loop {
        let height = eval(
            page,
            "document.documentElement ? document.documentElement.scrollHeight : 0",
        )
        .await?
        .as_f64()
        .unwrap_or(0.0);
        let bottom = height.min(job.max_height as f64) - job.viewport.1 as f64;
        if y >= bottom || Instant::now() >= until {
            break;
        }
        y = (y + step).min(bottom.max(0.0));
        // Lazy loaders (IntersectionObserver) act on the next rendered frames: wait for two
        // of them (at most a second) before judging the network, or a loaded machine can
        // scroll past an image before its observer ever saw it in view.
        eval(
            page,
            &format!(
                "new Promise(done => {{ window.scrollTo(0, {y}); \
                   requestAnimationFrame(() => requestAnimationFrame(() => done(0))); \
                   setTimeout(() => done(0), 1000); }})"
            ),
        )
        .await?;
        let step_until = (Instant::now() + STEP_WAIT).min(until);
        wait_quiet(net, STEP_QUIET, step_until).await;
    }
    eval(page, "window.scrollTo(0, 0)").await?;
    let back_until = (Instant::now() + STEP_WAIT).min(until.max(Instant::now() + STEP_QUIET));
    wait_quiet(net, STEP_QUIET, back_until).await;
    Ok(())
}

/// Evaluates `expression` in the page and returns its value (JSON).
async fn eval(page: &Page, expression: &str) -> Result<serde_json::Value, RenderError> {
    let mut p = EvaluateParams::new(expression);
    p.return_by_value = Some(true);
    p.await_promise = Some(true);
    let r = page
        .execute(p)
        .await
        .map_err(cdp("run a script in the page"))?;
    if let Some(ex) = &r.result.exception_details {
        return Err(RenderError::Protocol(format!(
            "a script in the page failed: {}",
            ex.text
        )));
    }
    Ok(r.result.result.value.clone().unwrap_or_default())
}

/// The markup of the rendered document, cut at `max` bytes (UTF-16 units, near enough).
async fn read_dom(page: &Page, max: u64, out: &mut PageRender) -> Result<(), RenderError> {
    let script = format!(
        "(() => {{ const d = document.doctype ? '<!DOCTYPE html>' : ''; \
           const h = d + (document.documentElement ? document.documentElement.outerHTML : ''); \
           return [location.href, h.length > {max} ? h.slice(0, {max}) : h, h.length > {max}]; }})()"
    );
    let v = eval(page, &script).await?;
    out.final_url = v.get(0).and_then(|u| u.as_str()).map(str::to_owned);
    out.dom = v.get(1).and_then(|u| u.as_str()).map(str::to_owned);
    out.dom_cut = v.get(2).and_then(|c| c.as_bool()).unwrap_or(false);
    Ok(())
}

/// Media URLs shown inside the article's content (`<article>`, `<main>`,
/// `itemprop=articleBody`), or the whole body when the page marks none.
const SHOWN_MEDIA: &str = r#"(() => {
  const marked = Array.from(document.querySelectorAll('article, main, [itemprop~="articleBody"]'));
  const roots = marked.length ? marked : [document.body || document.documentElement];
  const out = new Set();
  const add = (u) => {
    try {
      const abs = new URL(u, document.baseURI).href;
      if (/^https?:/i.test(abs) && out.size < 5000) out.add(abs);
    } catch (e) {}
  };
  let seen = 0;
  for (const root of roots) {
    if (!root) continue;
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (++seen > 50000) break;
      if (el.currentSrc) add(el.currentSrc);
      if (el.poster) add(el.poster);
      if (el.tagName === 'SOURCE' && el.src) add(el.src);
      const bg = getComputedStyle(el).backgroundImage;
      if (bg && bg !== 'none') {
        for (const m of bg.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)) add(m[1]);
      }
    }
  }
  return Array.from(out);
})()"#;

async fn shown_media(page: &Page) -> Result<HashSet<String>, RenderError> {
    let v = eval(page, SHOWN_MEDIA).await?;
    Ok(v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// A PNG of the whole page (up to `max_height`), at the viewport's width.
async fn screenshot(page: &Page, job: &PageJob<'_>) -> Result<Screenshot, RenderError> {
    let metrics = page
        .execute(GetLayoutMetricsParams::default())
        .await
        .map_err(cdp("measure the page"))?;
    let content = &metrics.result.css_content_size;
    let (w, vh) = job.viewport;
    let full = content.height.ceil().max(f64::from(vh));
    let height = full.min(f64::from(job.max_height)) as u32;
    let cut = full > f64::from(job.max_height);
    set_window(page, w, height)
        .await
        .map_err(cdp("size the page for its screenshot"))?;
    let p = CaptureScreenshotParams {
        format: Some(CaptureScreenshotFormat::Png),
        capture_beyond_viewport: Some(true),
        clip: Some(Viewport {
            x: 0.0,
            y: 0.0,
            width: f64::from(w),
            height: f64::from(height),
            scale: 1.0,
        }),
        ..CaptureScreenshotParams::default()
    };
    let shot = page.execute(p).await.map_err(cdp("take the screenshot"))?;
    let _ = page
        .execute(ClearDeviceMetricsOverrideParams::default())
        .await;
    let data: &str = shot.result.data.as_ref();
    let png = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| RenderError::Protocol(format!("the screenshot was not base64: {e}")))?;
    Ok(Screenshot {
        png,
        width: w,
        height,
        cut,
    })
}
