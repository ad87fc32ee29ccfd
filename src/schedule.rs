//! The lifecycle of a reference: how one check changes its state, when a death counts as
//! confirmed, and when it is next due. Pure functions over `RefStatus`, so a cron job every
//! hour does little work between due dates and a report never cries wolf.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::config::{ConfirmConfig, ScheduleConfig};
use crate::db::RefStatus;
use crate::model::{Reason, State};

/// The verdict of one check, as the lifecycle sees it.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// The check's verdict.
    pub state: State,
    /// Why.
    pub reason: Reason,
    /// The final HTTP status; `None` when no server answered.
    pub http_status: Option<u16>,
    /// Where the redirects ended; `None` when no server answered.
    pub final_url: Option<&'a str>,
    /// Seconds the server asked us to wait (`Retry-After`): the next check is no sooner.
    pub retry_after: Option<u64>,
}

fn secs(d: Duration) -> i64 {
    d.as_secs() as i64
}

/// The reference's status after a check observed `obs` at `now`.
pub fn apply_check(
    prev: &RefStatus,
    obs: &Observed<'_>,
    now: Timestamp,
    schedule: &ScheduleConfig,
    confirm: &ConfirmConfig,
) -> RefStatus {
    let mut s = prev.clone();
    s.checks += 1;
    s.last_checked = Some(now);
    s.reason = Some(obs.reason);
    s.http_status = obs.http_status;
    s.final_url = obs.final_url.map(str::to_string);
    if obs.state == State::Alive {
        s.state = State::Alive;
        s.last_alive = Some(now);
        s.dead_since = None;
        s.fail_checks = 0;
        s.spaced_failures = 0;
        s.last_counted_fail = None;
        s.confirmed = false;
        s.next_check_at = now + secs(schedule.recheck_alive);
        return s;
    }
    let in_streak = s.fail_checks > 0;
    if !in_streak {
        s.dead_since = Some(now);
        s.spaced_failures = 1;
        s.last_counted_fail = Some(now);
    } else if s
        .last_counted_fail
        .is_none_or(|t| now - t >= secs(confirm.interval))
    {
        s.spaced_failures += 1;
        s.last_counted_fail = Some(now);
    }
    s.fail_checks += 1;
    s.confirmed = s.spaced_failures >= confirm.checks as i64;
    s.state = match obs.state {
        // Failing "for now" for long enough is failing: a confirmed transient is dead.
        State::Transient if s.confirmed => State::Dead,
        other => other,
    };
    let mut next = if s.confirmed {
        now + secs(schedule.recheck_dead)
    } else if obs.state == State::Transient {
        // 1h, 2h, 4h… but never later than the next confirmation check would be.
        let backoff =
            secs(schedule.retry_failing).saturating_mul(1 << (s.fail_checks - 1).clamp(0, 16));
        now + backoff.min(secs(confirm.interval).max(secs(schedule.retry_failing)))
    } else {
        now + secs(confirm.interval).max(secs(schedule.retry_failing))
    };
    if let Some(wait) = obs.retry_after {
        next = next.max(now + wait as i64);
    }
    s.next_check_at = next;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const DAY: i64 = 86_400;

    fn obs(state: State, reason: Reason) -> Observed<'static> {
        Observed {
            state,
            reason,
            http_status: None,
            final_url: None,
            retry_after: None,
        }
    }

    #[test]
    fn death_is_confirmed_only_by_failures_spread_over_time() {
        let c = Config::default();
        let dead = obs(State::Dead, Reason::Http(404));
        let mut s = apply_check(&RefStatus::default(), &dead, 0, &c.schedule, &c.confirm);
        assert_eq!(
            (s.state, s.confirmed, s.dead_since),
            (State::Dead, false, Some(0))
        );
        assert_eq!(s.next_check_at, 3 * DAY);
        // Two more failures the same day do not confirm anything.
        s = apply_check(&s, &dead, 3600, &c.schedule, &c.confirm);
        s = apply_check(&s, &dead, 7200, &c.schedule, &c.confirm);
        assert!(!s.confirmed);
        s = apply_check(&s, &dead, 3 * DAY, &c.schedule, &c.confirm);
        assert!(!s.confirmed);
        s = apply_check(&s, &dead, 6 * DAY, &c.schedule, &c.confirm);
        assert!(s.confirmed);
        assert_eq!(s.dead_since, Some(0));
        assert_eq!(s.next_check_at, 6 * DAY + 30 * DAY);
    }

    #[test]
    fn alive_again_resets_the_streak() {
        let c = Config::default();
        let s = apply_check(
            &RefStatus::default(),
            &obs(State::Transient, Reason::Http(503)),
            0,
            &c.schedule,
            &c.confirm,
        );
        assert_eq!(s.state, State::Transient);
        assert_eq!(s.next_check_at, 3600);
        let s = apply_check(
            &s,
            &obs(State::Alive, Reason::Ok),
            7200,
            &c.schedule,
            &c.confirm,
        );
        assert_eq!(
            (s.state, s.dead_since, s.fail_checks, s.last_alive),
            (State::Alive, None, 0, Some(7200))
        );
        assert_eq!(s.next_check_at, 7200 + 7 * DAY);
    }

    #[test]
    fn long_transient_failure_becomes_confirmed_dead_and_retry_after_is_honoured() {
        let c = Config::default();
        let t = Observed {
            retry_after: Some(10 * DAY as u64),
            ..obs(State::Transient, Reason::Http(503))
        };
        let mut s = RefStatus::default();
        for day in [0, 3, 6] {
            s = apply_check(&s, &t, day * DAY, &c.schedule, &c.confirm);
        }
        assert_eq!((s.state, s.confirmed), (State::Dead, true));
        assert!(s.next_check_at >= 16 * DAY);
    }
}
