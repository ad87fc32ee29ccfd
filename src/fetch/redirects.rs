//! One request: redirects followed by hand so the chain is recorded (each hop under the
//! address guard, the host's politeness and its own session headers), bad targets, loops and
//! overlong chains refused, and the final response handed to `body` to be read.

use std::collections::HashSet;

use reqwest::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH, LOCATION};
use tokio::time::timeout;
use url::Url;

use super::answer::{Answer, Ask, Failure, Sink};
use super::transport::{classify, describe, host_of, ip_literal};
use super::{address, Fetcher, Hop};
use crate::clock;
use crate::model::{Reason, State};

impl Fetcher {
    /// One request, redirects followed and recorded, body streamed to `sink`.
    pub(super) async fn request(
        &self,
        url: &Url,
        validators: &Ask,
        sink: Sink,
    ) -> Result<Answer, Failure> {
        let mut current = url.clone();
        let mut redirects: Vec<Hop> = Vec::new();
        let mut seen: HashSet<String> = HashSet::from([current.to_string()]);
        loop {
            if self.guard_addresses {
                if let Some(ip) = ip_literal(&current) {
                    if !address::is_public(ip) {
                        return Err(Failure {
                            state: State::Blocked,
                            reason: Reason::PrivateAddress,
                            message: format!(
                                "{ip} is a {} (set fetch.allow_private = true to allow it)",
                                address::REFUSED
                            ),
                            got_response: false,
                            http_status: None,
                            final_url: Some(current),
                            redirects,
                            downloaded: 0,
                            store_error: None,
                        });
                    }
                }
            }
            let _permit = self.politeness.acquire(&host_of(&current)).await;
            let mut req = self.client.get(current.clone());
            if let Some(e) = &validators.etag {
                req = req.header(IF_NONE_MATCH, e.as_str());
            }
            if let Some(lm) = &validators.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm.as_str());
            }
            for (name, value) in &validators.headers {
                req = req.header(name, value);
            }
            // Matched per hop: a redirect to another host never carries them along.
            for (name, value) in self.cfg.session.headers_for(&current, clock::now()) {
                req = req.header(name, value);
            }
            let fail =
                |state, reason, message: String, got_response, redirects: &Vec<Hop>| Failure {
                    state,
                    reason,
                    message,
                    got_response,
                    http_status: None,
                    final_url: None,
                    redirects: redirects.clone(),
                    downloaded: 0,
                    store_error: None,
                };
            let resp = match timeout(self.cfg.stall_timeout, req.send()).await {
                Err(_) => {
                    return Err(fail(
                        State::Transient,
                        Reason::Timeout,
                        format!(
                            "no response within fetch.stall_timeout ({:?})",
                            self.cfg.stall_timeout
                        ),
                        false,
                        &redirects,
                    ))
                }
                Ok(Err(e)) => {
                    let (state, reason) = classify(&e);
                    return Err(fail(state, reason, describe(&e), false, &redirects));
                }
                Ok(Ok(resp)) => resp,
            };
            let status = resp.status().as_u16();
            if (300..400).contains(&status) && status != 304 && !validators.no_follow {
                if let Some(loc) = resp.headers().get(LOCATION) {
                    let loc = String::from_utf8_lossy(loc.as_bytes()).trim().to_string();
                    redirects.push(Hop {
                        url: current.to_string(),
                        status,
                    });
                    let next = match current.join(&loc) {
                        Ok(n) if matches!(n.scheme(), "http" | "https") => n,
                        Ok(n) => {
                            return Err(fail(
                                State::Dead,
                                Reason::BadRedirect,
                                format!(
                                    "redirects to a non-HTTP address `{}`; not followed",
                                    n.scheme()
                                ),
                                true,
                                &redirects,
                            ))
                        }
                        Err(e) => {
                            return Err(fail(
                                State::Dead,
                                Reason::BadRedirect,
                                format!(
                                    "redirects to an invalid address `{}`: {e}",
                                    truncate(&loc, 200)
                                ),
                                true,
                                &redirects,
                            ))
                        }
                    };
                    let mut next = next;
                    crate::urlkey::normalize(&mut next);
                    if !seen.insert(next.to_string()) {
                        return Err(fail(
                            State::Dead,
                            Reason::RedirectLoop,
                            format!("redirect loop back to {next}"),
                            true,
                            &redirects,
                        ));
                    }
                    if redirects.len() > self.cfg.max_redirects {
                        return Err(fail(
                            State::Dead,
                            Reason::TooManyRedirects,
                            format!(
                                "more than fetch.max_redirects ({}) redirects",
                                self.cfg.max_redirects
                            ),
                            true,
                            &redirects,
                        ));
                    }
                    current = next;
                    continue;
                }
            }
            return self.read_answer(resp, current, redirects, sink).await;
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
