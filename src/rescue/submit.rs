//! Second copies: a live reference is submitted to Save-Page-Now-style endpoints (its URL
//! appended to each `rescue.submit` prefix) once when first captured and again when its content
//! drifts, so an independent archive holds it too. Politely: one submission at a time per
//! endpoint host, `rescue.submit_interval` apart, at most `rescue.submit_per_run` per run; a
//! `429` stops that endpoint for the run and backs the reference off (its `Retry-After`, or an
//! hour). Credentials come from the environment (`rescue.submit_headers`) and are never logged.

use std::collections::{BTreeMap, HashSet};

use reqwest::header::{HeaderName, HeaderValue};
use url::Url;

use super::memento::links_in;
use crate::clock::{self, Timestamp};
use crate::config::Config;
use crate::db::{archive_name, Db, NewSubmission, SubmitDue};
use crate::fetch::Politeness;
use crate::fetch::{Exchange, Fetcher, Read};
use crate::progress::Progress;

use super::{count_failure, RescueError};

/// A rate-limited reference waits at least this long (or as long as the endpoint asked).
const RATE_LIMIT_BACKOFF: i64 = 3600;

/// What the submissions of one run did.
#[derive(Debug, Clone, Default)]
pub struct SubmitSummary {
    /// References some endpoint accepted.
    pub submitted: u64,
    /// Endpoints that said "too many requests" (by name); each is asked no more this run.
    pub rate_limited: Vec<String>,
    /// Endpoints that failed: name → (submissions that failed, the last reason).
    pub failed: BTreeMap<String, (u64, String)>,
}

/// How one endpoint took one submission.
struct Answered {
    outcome: &'static str,
    http_status: Option<u16>,
    memento_url: Option<String>,
    detail: Option<String>,
    retry_after: Option<u64>,
}

/// Submits the live references that are due to every configured endpoint.
pub async fn submit_live(
    db: &mut Db,
    cfg: &Config,
    fetcher: &Fetcher,
    run_id: i64,
    progress: &Progress,
) -> Result<SubmitSummary, RescueError> {
    let mut summary = SubmitSummary::default();
    if !cfg.rescue.enabled || cfg.rescue.submit.is_empty() {
        return Ok(summary);
    }
    let due = db.submit_due(clock::now(), cfg.rescue.submit_per_run)?;
    if due.is_empty() {
        return Ok(summary);
    }
    let headers = submit_headers(cfg, progress);
    let gates = Politeness::new(1, cfg.rescue.submit_interval);
    progress.info(&format!(
        "submitting {} live reference(s) to {} save endpoint(s)",
        due.len(),
        cfg.rescue.submit.len()
    ));
    let mut stopped: HashSet<usize> = HashSet::new();
    for d in &due {
        let mut accepted = false;
        // How long to wait before this reference is submitted again, if it is not accepted.
        let mut wait: i64 = 0;
        let mut answers = Vec::new();
        for (i, endpoint) in cfg.rescue.submit.iter().enumerate() {
            if stopped.contains(&i) {
                continue;
            }
            let host = archive_name(endpoint);
            let answered = {
                let _turn = gates.acquire(&host).await;
                submit_one(fetcher, endpoint, d, &headers).await
            };
            match answered.outcome {
                "submitted" => accepted = true,
                "rate_limited" => {
                    stopped.insert(i);
                    summary.rate_limited.push(host.clone());
                    let asked = answered.retry_after.unwrap_or(0) as i64;
                    wait = wait.max(asked.max(RATE_LIMIT_BACKOFF));
                }
                _ => {
                    count_failure(&mut summary.failed, host, answered.detail.as_deref());
                    wait = wait.max(cfg.schedule.retry_failing.as_secs() as i64);
                }
            }
            answers.push((endpoint.as_str(), clock::now(), answered));
        }
        let now = clock::now();
        let next_at: Timestamp = if accepted {
            0
        } else {
            now.saturating_add(wait)
        };
        // Every answer about this reference, and when to submit it again, in one transaction.
        db.transaction(|tx| {
            for (endpoint, at, a) in &answers {
                tx.record_submission(&NewSubmission {
                    ref_id: d.ref_id,
                    run_id,
                    submitted_at: *at,
                    endpoint,
                    outcome: a.outcome,
                    http_status: a.http_status,
                    memento_url: a.memento_url.as_deref(),
                    detail: a.detail.as_deref(),
                })?;
            }
            tx.set_submitted(d.ref_id, accepted.then_some(now), next_at)
        })?;
        summary.submitted += accepted as u64;
        if stopped.len() == cfg.rescue.submit.len() {
            break;
        }
    }
    Ok(summary)
}

/// The configured headers whose environment variables are set. A missing variable is said once,
/// by name; values are never printed.
fn submit_headers(cfg: &Config, progress: &Progress) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = Vec::new();
    for (name, var) in &cfg.rescue.submit_headers {
        let Ok(value) = std::env::var(var) else {
            progress.say(&format!(
                "warning: rescue.submit_headers: the environment variable {var} is not set, so {name} is not sent"
            ));
            continue;
        };
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            (Ok(n), Ok(mut v)) => {
                v.set_sensitive(true);
                out.push((n, v));
            }
            _ => progress.say(&format!(
                "warning: rescue.submit_headers: the value of {var} is not a valid {name} header; not sent"
            )),
        }
    }
    out
}

async fn submit_one(
    fetcher: &Fetcher,
    endpoint: &str,
    d: &SubmitDue,
    headers: &[(HeaderName, HeaderValue)],
) -> Answered {
    let mut answered = Answered {
        outcome: "error",
        http_status: None,
        memento_url: None,
        detail: None,
        retry_after: None,
    };
    let Ok(url) = Url::parse(&format!("{endpoint}{}", d.url)) else {
        answered.detail = Some(format!("`{endpoint}{}` is not a valid URL", d.url));
        return answered;
    };
    // Not followed: credentials never go to another host, and a redirect names the memento.
    let ex = match fetcher.exchange(&url, headers, false, Read::Drain).await {
        Ok(ex) => ex,
        Err(e) => {
            answered.detail = Some(e.to_string());
            return answered;
        }
    };
    answered.http_status = Some(ex.status);
    answered.retry_after = ex.retry_after;
    answered.memento_url = new_memento(&ex);
    match ex.status {
        200..=399 => answered.outcome = "submitted",
        429 => {
            answered.outcome = "rate_limited";
            answered.detail = Some("too many requests: backing off".into());
        }
        s => answered.detail = Some(format!("the endpoint answered HTTP {s}")),
    }
    answered
}

/// The new memento, where the answer names it: `Content-Location`, the latest `Link`
/// `rel=memento`, or a redirect's `Location`.
fn new_memento(ex: &Exchange) -> Option<String> {
    let resolve = |u: &str| ex.url.join(u.trim()).ok().map(String::from);
    if let Some(cl) = ex.header("content-location").and_then(resolve) {
        return Some(cl);
    }
    let latest = links_in(ex)
        .into_iter()
        .filter(|l| l.has_rel("memento"))
        .max_by_key(|l| l.datetime.unwrap_or(i64::MIN));
    if let Some(l) = latest.and_then(|l| resolve(&l.uri)) {
        return Some(l);
    }
    if (300..400).contains(&ex.status) {
        return ex.header("location").and_then(resolve);
    }
    None
}
