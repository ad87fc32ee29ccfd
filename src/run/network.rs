//! Network down, or hosts gone? When no server answered at all in a run, the failures may be
//! ours (cable out, DNS broken, proxy down) or theirs (every host this run needed vanished).
//! Before deciding, witnesses are asked: the configured `fetch.witnesses` and a few hosts that
//! answered in earlier runs, never one that just failed. Any HTTP answer from one of them means
//! the network is up and the failures count; none means the network is down, and the held
//! failures are recorded as such (they mark nothing dead).

use std::collections::HashSet;

use futures_util::stream::{FuturesUnordered, StreamExt};
use url::Url;

use super::context::RunContext;
use super::outcome::{CheckOutcome, NetSeen};
use super::record::record_batch;
use super::RunError;
use crate::db::Db;

/// Hosts from the archive's history asked, besides the configured witnesses.
const HISTORY_WITNESSES: usize = 3;

/// Decides whether the network was down in this run and records the failures held back until
/// that was known. Returns true for "network down".
pub(super) async fn settle(
    ctx: &RunContext,
    db: &mut Db,
    net: &NetSeen,
    out: &mut CheckOutcome,
) -> bool {
    let progress = &ctx.progress;
    // The writer started from the article reads' `any_response`, so this covers the whole run.
    let silent = !out.any_response;
    let failed = !out.held.is_empty() || net.network_failures > 0;
    // A run that stopped on its own error (disk full) asks nobody: the failures wait, as if
    // the network had been down, and are checked again next run.
    let down = if silent && failed && out.fatal.is_none() {
        let mut failing: HashSet<String> = out.held.iter().map(|r| r.host.clone()).collect();
        failing.extend(net.failing_hosts.iter().cloned());
        match answering_witness(ctx, db, &failing).await {
            Ok(Some(witness)) => {
                progress.info(&format!(
                    "no cited server answered, but {witness} did: the network is up, so these failures count"
                ));
                false
            }
            Ok(None) => true,
            Err(e) => {
                out.fatal.get_or_insert(e);
                true
            }
        }
    } else {
        silent && failed
    };
    let held = std::mem::take(&mut out.held);
    if !down {
        for r in &held {
            progress.failure(r);
        }
    }
    if let Err(e) = record_batch(ctx, db, &held, down, out) {
        out.fatal.get_or_insert(e);
    }
    down
}

/// The first witness to answer, asked all at once; None when none answers.
async fn answering_witness(
    ctx: &RunContext,
    db: &Db,
    failing_hosts: &HashSet<String>,
) -> Result<Option<String>, RunError> {
    let fetcher = &*ctx.fetcher;
    let mut urls = ctx.cfg.fetch.witnesses.clone();
    urls.extend(db.witness_urls(failing_hosts, HISTORY_WITNESSES)?);
    let mut asks: FuturesUnordered<_> = urls
        .into_iter()
        .filter_map(|u| Url::parse(&u).ok().map(|url| (u, url)))
        .map(|(u, url)| async move { fetcher.answers(&url).await.then_some(u) })
        .collect();
    while let Some(answer) = asks.next().await {
        if answer.is_some() {
            return Ok(answer);
        }
    }
    Ok(None)
}
