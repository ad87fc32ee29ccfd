//! One check of one reference: request it (with retries), then judge the answer — status,
//! where the redirects ended, a soft 404, content drift — into the `CheckResult`.

use tokio::time::Instant;
use url::Url;

use super::answer::{Answer, Ask, Body};
use super::{verdict, CheckResult, Fetcher};
use crate::clock;
use crate::db::DueRef;
use crate::extract::kind_from_content_type;
use crate::model::{Reason, State};
use crate::store::WriteError;
use crate::units::format_size;

impl Fetcher {
    /// Checks one reference. An `Err` means the archive itself failed (e.g. disk full).
    pub async fn check(&self, due: &DueRef) -> Result<CheckResult, WriteError> {
        let started = Instant::now();
        let checked_at = clock::now();
        let mut result = CheckResult {
            ref_id: due.id,
            url: due.url.clone(),
            host: due.host.clone(),
            checked_at,
            state: State::Dead,
            reason: Reason::Protocol,
            http_status: None,
            final_url: None,
            redirects: Vec::new(),
            error: None,
            body: None,
            content_type: None,
            headers: Vec::new(),
            http_version: None,
            reason_phrase: None,
            etag: None,
            last_modified: None,
            elapsed_ms: 0,
            attempts: 0,
            got_response: false,
            retry_after: None,
            drift: false,
            kind_hint: None,
            downloaded: 0,
            video: None,
            decoded_from: None,
        };
        if due.url.len() > super::MAX_URL_BYTES {
            result.reason = Reason::UrlTooLong;
            result.error = Some(format!(
                "the URL is {} long, more than any server accepts ({}): it cannot be fetched",
                format_size(due.url.len() as u64),
                format_size(super::MAX_URL_BYTES as u64)
            ));
            return Ok(result);
        }
        let url = match Url::parse(&due.url) {
            Ok(u) => u,
            Err(e) => {
                result.error = Some(format!("not a valid URL: {e}"));
                return Ok(result);
            }
        };
        // Ask "has it changed?" only if we still hold the copy it would be unchanged from.
        let validators = match &due.good_sha256 {
            Some(sha) if self.store.contains(sha) => Ask {
                etag: due.etag.clone(),
                last_modified: due.last_modified.clone(),
                ..Ask::default()
            },
            _ => Ask::default(),
        };

        let outcome = self
            .request_with_retries(&url, &validators, &mut result)
            .await;
        match outcome {
            Ok(answer) => self.judge_answer(&url, due, answer, &mut result).await,
            Err(f) => {
                if let Some(e) = f.store_error {
                    return Err(e);
                }
                result.state = f.state;
                result.reason = f.reason;
                result.error = Some(f.message);
                result.got_response |= f.got_response;
                result.http_status = f.http_status;
                result.final_url = f.final_url.map(String::from);
                result.redirects = f.redirects;
                result.downloaded += f.downloaded;
            }
        }
        result.elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(result)
    }

    async fn judge_answer(&self, url: &Url, due: &DueRef, a: Answer, r: &mut CheckResult) {
        let (mut state, mut reason) = verdict::from_status(a.status);
        r.http_status = Some(a.status);
        r.final_url = Some(a.final_url.to_string());
        r.headers = a.headers;
        r.http_version = Some(a.http_version);
        r.reason_phrase = a.reason_phrase;
        r.content_type = a.content_type.clone();
        r.etag = a.etag;
        r.last_modified = a.last_modified;
        r.kind_hint = a.content_type.as_deref().and_then(kind_from_content_type);
        r.decoded_from = a.decoded_from;
        let redirected = !a.redirects.is_empty();
        r.redirects = a.redirects;
        match a.body {
            Body::Stored(obj) | Body::Document(obj, _) => r.body = Some(obj),
            Body::TooLarge => {
                reason = Reason::TooLarge;
                r.error = Some(format!(
                    "the body is larger than fetch.max_bytes ({}); it was not stored. Raise fetch.max_bytes to keep it",
                    format_size(self.cfg.max_bytes)
                ));
            }
            Body::None | Body::Memory(_) | Body::Skipped => {}
        }
        if state == State::Alive && reason == Reason::Ok {
            if redirected {
                if let Some(why) = verdict::from_redirect_ending(url, &a.final_url) {
                    (state, reason) = (State::Dead, why);
                }
            }
            let is_html = r.content_type.as_deref().is_some_and(is_html_type);
            if state == State::Alive && is_html && self.cfg.soft404_probe && verdict::is_deep(url) {
                if let Some(body) = &r.body {
                    if self
                        .is_soft_404(url, &a.final_url, redirected, &body.sha256)
                        .await
                    {
                        (state, reason) = (State::Dead, Reason::SoftNotFound);
                    }
                }
            }
            if state == State::Alive {
                if let (Some(body), Some(prev)) = (&r.body, &due.good_sha256) {
                    if &body.sha256 != prev {
                        r.drift = !is_html || self.text_changed(prev, &body.sha256);
                    }
                }
            }
        }
        if state != State::Alive && r.error.is_none() {
            r.error = Some(match reason {
                Reason::SoftNotFound => {
                    "answers 200, but with the same page a made-up address on this site gets"
                        .to_string()
                }
                Reason::RedirectToRoot => {
                    format!("redirects to the site's front page {}", a.final_url)
                }
                Reason::RedirectToLogin => format!("redirects to a sign-in page {}", a.final_url),
                _ => format!("HTTP {}", a.status),
            });
        }
        r.state = state;
        r.reason = reason;
    }
}

/// Whether a Content-Type is HTML (`text/html` or XHTML), whatever its case and parameters.
pub fn is_html_type(ct: &str) -> bool {
    let ct = ct.to_ascii_lowercase();
    ct.starts_with("text/html") || ct.starts_with("application/xhtml")
}
