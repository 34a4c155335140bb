//! The account-wide slot semaphore: QuickSight runs 12 snapshot jobs at
//! once per account, whatever started them, so every recipient of every run
//! takes a slot before its job starts and gives it back when its outcome is
//! recorded.
//!
//! A recipient asks with the task token of its waiting "Take a slot" task
//! (`take_slot`): it joins the waiters, and whoever frees a slot (a
//! recipient finishing, `release_slot`; the reaper, `reap_run`; or the
//! asker itself, when a slot is free) hands it over at once (`hand_over`):
//! it writes the lease, then resumes the waiter's task with
//! `SendTaskSuccess`. No recipient polls for a slot, and a freed slot is
//! taken again within one hand-over.
//!
//! **Fairness: fair share between runs.** A freed slot goes to the run that
//! holds the fewest slots among those waiting; ties go to the run whose
//! oldest waiter has waited longest; within a run, the oldest waiter. Two
//! runs started together therefore split the slots evenly, and a small run
//! started beside a large one is never starved behind it.

use serde_json::json;
use tracing::{info, warn};

use super::{CoordinationError, Holder, Lease, SlotKind, SlotTable, Waiter};
use super::{LEASE_GRACE_SECONDS, SharedLimits};
use crate::callbacks::{Delivery, TaskCallbacks};
use crate::model::{SlotGrant, TakeSlotInput};

/// One recipient of one run, as the semaphore knows it.
pub fn holder_of(execution_id: &str, recipient_id: &str) -> Holder {
    Holder {
        run: execution_id.to_string(),
        recipient: recipient_id.to_string(),
    }
}

/// What a waiting recipient is given, or not, by [`choose`].
#[derive(Debug, PartialEq, Eq)]
pub enum Choice<'a> {
    /// It holds a lease already (granted, but not yet told): resume it.
    Resume(&'a Waiter),
    /// Give it a new lease.
    Grant(&'a Waiter),
}

/// The fair-share choice among `waiters`, given the live `leases`; `None`
/// when nobody waits, or the slots are all taken and no waiter holds one.
pub fn choose<'a>(leases: &[Lease], waiters: &'a [Waiter], cap: u32) -> Option<Choice<'a>> {
    let holds = |w: &Waiter| leases.iter().any(|l| l.holder == w.holder);
    if let Some(w) = waiters.iter().find(|w| holds(w)) {
        return Some(Choice::Resume(w));
    }
    if leases.len() >= cap as usize {
        return None;
    }
    let held_by = |run: &str| leases.iter().filter(|l| l.holder.run == run).count();
    let oldest_of = |run: &str| {
        waiters
            .iter()
            .filter(|w| w.holder.run == run)
            .map(|w| w.since_ms)
            .min()
            .unwrap_or(u64::MAX)
    };
    waiters
        .iter()
        .min_by(|a, b| {
            (
                held_by(&a.holder.run),
                oldest_of(&a.holder.run),
                &a.holder.run,
                a.since_ms,
                a.holder.key(),
            )
                .cmp(&(
                    held_by(&b.holder.run),
                    oldest_of(&b.holder.run),
                    &b.holder.run,
                    b.since_ms,
                    b.holder.key(),
                ))
        })
        .map(Choice::Grant)
}

/// The semaphore and what it needs: its table, the callbacks that resume
/// waiting tasks, and the account's limits.
pub struct SlotService<T, C> {
    pub table: T,
    pub callbacks: C,
    pub limits: SharedLimits,
}

/// A lease outlives the recipient's deadline by the grace period.
pub fn lease_seconds(job_timeout_seconds: u32) -> u64 {
    u64::from(job_timeout_seconds) + u64::from(LEASE_GRACE_SECONDS)
}

/// What the reaper freed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reaped {
    pub leases: usize,
    pub waiters: usize,
    pub handed_over: usize,
}

impl<T: SlotTable, C: TaskCallbacks> SlotService<T, C> {
    /// Gives free slots to waiters until none is free or nobody waits.
    /// Expired leases are dropped on the way. Returns how many waiters
    /// were resumed.
    pub async fn hand_over(&self, kind: SlotKind, now_ms: u64) -> Result<usize, CoordinationError> {
        let (table, cap) = (&self.table, self.limits.cap_of(kind));
        let mut resumed = 0;
        // Each lap resumes a waiter, or finds the slots taken or nobody
        // waiting; a lap lost to a concurrent hand-over is taken again.
        for _ in 0..(4 * cap as usize + 8) {
            let mut leases = table.leases(kind).await?;
            for expired in leases.iter().filter(|l| l.expires_at_ms <= now_ms) {
                warn!(holder = %expired.holder.key(), "a lease expired unreleased; its slot is reclaimed");
                table
                    .revoke(kind, &expired.holder, Some(expired.granted_at_ms))
                    .await?;
            }
            leases.retain(|l| l.expires_at_ms > now_ms);
            let waiters = table.waiters(kind).await?;
            let Some(choice) = choose(&leases, &waiters, cap) else {
                break;
            };
            let (waiter, granted_now) = match choice {
                Choice::Resume(w) => (w, None),
                Choice::Grant(w) => {
                    let lease = Lease {
                        holder: w.holder.clone(),
                        granted_at_ms: now_ms,
                        expires_at_ms: now_ms + w.lease_seconds * 1000,
                    };
                    if !table.grant(kind, &lease, cap).await? {
                        continue; // taken meanwhile: look again
                    }
                    (w, Some(lease.granted_at_ms))
                }
            };
            // Only the caller that removes the waiter may resume it.
            if !table
                .remove_waiter(kind, &waiter.holder, &waiter.task_token)
                .await?
            {
                continue;
            }
            let granted_at = granted_now.unwrap_or(now_ms) / 1000;
            let output = json!(SlotGrant { granted_at }).to_string();
            match self.callbacks.succeed(&waiter.task_token, output).await? {
                Delivery::Delivered => {
                    resumed += 1;
                    info!(holder = %waiter.holder.key(), "slot handed over");
                    crate::metrics::emit(
                        &[crate::metrics::Metric::seconds(
                            "SlotWait",
                            now_ms.saturating_sub(waiter.since_ms) as f64 / 1000.0,
                        )],
                        json!({ "holder": waiter.holder.key() }),
                    );
                }
                Delivery::TaskGone => {
                    // Its task timed out (it asks again) or its run ended.
                    if let Some(at) = granted_now {
                        table.revoke(kind, &waiter.holder, Some(at)).await?;
                    }
                }
            }
        }
        Ok(resumed)
    }

    /// `take-slot`: joins the waiters and hands over whatever is free,
    /// which resumes this very task at once when a slot is free and it is
    /// next in line.
    pub async fn take(
        &self,
        input: TakeSlotInput,
        now_ms: u64,
    ) -> Result<usize, CoordinationError> {
        let holder = holder_of(&input.run.execution_id, &input.recipient.id);
        let kind = SlotKind::of(input.run.kind);
        self.table
            .add_waiter(
                kind,
                &Waiter {
                    holder: holder.clone(),
                    task_token: input.task_token,
                    since_ms: now_ms,
                    lease_seconds: lease_seconds(input.run.settings.job_timeout_seconds),
                },
            )
            .await?;
        info!(run_id = %input.run.run_id, recipient_id = %holder.recipient, "waiting for a slot");
        self.hand_over(kind, now_ms).await
    }

    /// Gives a recipient's slot back and hands it over. Idempotent: a
    /// recipient without a slot (it failed before it got one) frees nothing.
    /// A recipient still listed as waiting (its "Take a slot" failed) stops
    /// waiting, so no slot is ever handed to it.
    pub async fn release(&self, holder: &Holder, now_ms: u64) -> Result<(), CoordinationError> {
        self.release_kind(SlotKind::Snapshot, holder, now_ms).await
    }

    /// [`Self::release`] of a slot of `kind`.
    pub async fn release_kind(
        &self,
        kind: SlotKind,
        holder: &Holder,
        now_ms: u64,
    ) -> Result<(), CoordinationError> {
        self.table.drop_waiter(kind, holder).await?;
        if self.table.revoke(kind, holder, None).await? {
            info!(holder = %holder.key(), slot = kind.as_str(), "slot released");
        }
        self.hand_over(kind, now_ms).await?;
        Ok(())
    }

    /// The reaper: an execution ended (failed, timed out, stopped) with
    /// slots held or asked for; frees them and hands them over.
    pub async fn reap(&self, execution_id: &str, now_ms: u64) -> Result<Reaped, CoordinationError> {
        let mut reaped = Reaped::default();
        for kind in SlotKind::ALL {
            self.reap_kind(kind, execution_id, now_ms, &mut reaped)
                .await?;
        }
        info!(execution_id, ?reaped, "slots of an ended execution reaped");
        Ok(reaped)
    }

    async fn reap_kind(
        &self,
        kind: SlotKind,
        execution_id: &str,
        now_ms: u64,
        reaped: &mut Reaped,
    ) -> Result<(), CoordinationError> {
        for lease in self.table.leases(kind).await? {
            if lease.holder.run == execution_id
                && self
                    .table
                    .revoke(kind, &lease.holder, Some(lease.granted_at_ms))
                    .await?
            {
                reaped.leases += 1;
            }
        }
        for waiter in self.table.waiters(kind).await? {
            if waiter.holder.run == execution_id
                && self
                    .table
                    .remove_waiter(kind, &waiter.holder, &waiter.task_token)
                    .await?
            {
                reaped.waiters += 1;
            }
        }
        reaped.handed_over += self.hand_over(kind, now_ms).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiter(run: &str, recipient: &str, since_ms: u64) -> Waiter {
        Waiter {
            holder: holder_of(run, recipient),
            task_token: format!("token-{run}-{recipient}"),
            since_ms,
            lease_seconds: 60,
        }
    }

    fn lease(run: &str, recipient: &str) -> Lease {
        Lease {
            holder: holder_of(run, recipient),
            granted_at_ms: 1,
            expires_at_ms: u64::MAX,
        }
    }

    #[test]
    fn a_freed_slot_goes_to_the_waiting_run_that_holds_the_fewest() {
        let leases = [lease("big", "b1"), lease("big", "b2"), lease("small", "s1")];
        // The large run's waiter asked first; the small run still goes first.
        let waiters = [waiter("big", "b3", 10), waiter("small", "s2", 20)];
        assert_eq!(
            choose(&leases, &waiters, 12),
            Some(Choice::Grant(&waiters[1]))
        );
        // Equal shares: the run whose oldest waiter waited longest.
        let leases = [lease("a", "a1"), lease("b", "b1")];
        let waiters = [
            waiter("a", "a3", 30),
            waiter("b", "b2", 20),
            waiter("a", "a2", 15),
        ];
        assert_eq!(
            choose(&leases, &waiters, 12),
            Some(Choice::Grant(&waiters[2]))
        );
    }

    #[test]
    fn no_grant_past_the_cap_but_a_holder_is_always_resumed() {
        let leases = [lease("a", "a1"), lease("b", "b1")];
        let waiters = [waiter("c", "c1", 1), waiter("b", "b1", 2)];
        assert_eq!(
            choose(&leases, &waiters, 2),
            Some(Choice::Resume(&waiters[1]))
        );
        assert_eq!(choose(&leases, &waiters[..1], 2), None);
        assert_eq!(choose(&leases, &[], 12), None);
    }
}
