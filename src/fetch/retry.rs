//! Retries: a transient failure is tried again with exponential backoff, or after the
//! `Retry-After` the server asked for (up to `fetch.max_retry_after`); a `429`/`503` with
//! `Retry-After` also pauses every later request to that host.

use std::time::Duration;

use url::Url;

use super::answer::{Answer, Ask, Failure, Sink};
use super::transport::host_of;
use super::{verdict, CheckResult, Fetcher};
use crate::model::State;

impl Fetcher {
    pub(super) async fn request_with_retries(
        &self,
        url: &Url,
        validators: &Ask,
        result: &mut CheckResult,
    ) -> Result<Answer, Failure> {
        loop {
            result.attempts += 1;
            let outcome = self.request(url, validators, Sink::Store).await;
            let (state, retry_after) = match &outcome {
                Ok(a) => (verdict::from_status(a.status).0, a.retry_after),
                Err(f) if f.store_error.is_some() => return outcome,
                Err(f) => (f.state, None),
            };
            match &outcome {
                Ok(a) => {
                    result.got_response = true;
                    result.downloaded += a.downloaded;
                }
                Err(f) => result.got_response |= f.got_response,
            }
            if let Ok(a) = &outcome {
                self.heed_retry_after(a).await;
            }
            if retry_after.is_some() {
                result.retry_after = retry_after;
            }
            if state != State::Transient || result.attempts > self.cfg.retries {
                return outcome;
            }
            let wait = match retry_after {
                Some(s) if Duration::from_secs(s) > self.cfg.max_retry_after => return outcome,
                Some(s) => Duration::from_secs(s),
                None => self.cfg.retry_backoff * 2u32.saturating_pow(result.attempts - 1),
            };
            drop(outcome);
            tokio::time::sleep(wait).await;
        }
    }

    /// A `429` or `503` with `Retry-After` asks the whole host to slow down: every later
    /// request to it waits, but one run waits at most `fetch.max_retry_after`.
    pub(super) async fn heed_retry_after(&self, a: &Answer) {
        if let Some(wait) = a.retry_after.filter(|_| matches!(a.status, 429 | 503)) {
            let pause = Duration::from_secs(wait).min(self.cfg.max_retry_after);
            self.politeness.pause(&host_of(&a.final_url), pause).await;
        }
    }
}
