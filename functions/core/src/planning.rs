//! The capacity planner's arithmetic (`tools/plan`): how a batch of N jobs
//! fits QuickSight's limits. Jobs run in waves of the slot cap, so the
//! makespan is ceil(N / cap) x the job duration, as QuickSight's
//! throttling guidance counts it (100 jobs, 12 at a time, 12 minutes each:
//! 9 waves, 108 minutes). Calls and costs follow this project's state
//! machine: 3 calls per job at one poll, one more per extra poll. The job
//! duration is measured, or taken from the duration log the start step
//! keeps ([`recorded_job_seconds`]).

use crate::coordination::{CoordinationError, DurationLog};
use crate::pacing::{RECENT_JOBS, expected_seconds};

/// What a plan is asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanInput {
    pub jobs: u64,
    pub job_seconds: f64,
    pub slot_cap: u32,
    pub calls_per_second: u32,
    pub first_poll_seconds: u32,
    pub poll_interval_seconds: u32,
}

/// Prices (USD, us-east-1, arm64) the cost estimate uses; a deployment in
/// another region scales them.
pub const STEP_FUNCTIONS_PER_TRANSITION: f64 = 0.025 / 1000.0;
pub const LAMBDA_PER_GB_SECOND: f64 = 0.000_013_333_4;
pub const LAMBDA_PER_REQUEST: f64 = 0.20 / 1_000_000.0;
pub const DYNAMODB_PER_WRITE: f64 = 1.25 / 1_000_000.0;
pub const DYNAMODB_PER_READ: f64 = 0.25 / 1_000_000.0;

/// Measured on the local stack (docs/sharing-limits.md, "How big a run can
/// be"): a
/// recipient whose job is done at its first check makes 8 state
/// transitions; each further poll adds 3 (Wait, Check, Choice).
const TRANSITIONS_AT_ONE_POLL: f64 = 8.0;
const TRANSITIONS_PER_EXTRA_POLL: f64 = 3.0;
/// Lambda invocations at one poll: take-slot, start, check, fetch.
const INVOCATIONS_AT_ONE_POLL: f64 = 4.0;
/// A step's billed time, 256 MB: a few SDK calls.
const INVOCATION_SECONDS: f64 = 0.3;
const FUNCTION_GB: f64 = 0.25;
/// Coordination table items written and read per job (waiter, lease,
/// release, budget reservations, duration).
const TABLE_WRITES_PER_JOB: f64 = 10.0;
const TABLE_READS_PER_JOB: f64 = 8.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub waves: u64,
    pub makespan_seconds: f64,
    /// Status checks per job.
    pub polls_per_job: u64,
    pub calls: u64,
    /// The call budget's floor on the makespan: every call spaced evenly.
    pub call_bound_seconds: f64,
    pub transitions: f64,
    pub cost_usd: f64,
}

pub fn plan(input: &PlanInput) -> Plan {
    let cap = u64::from(input.slot_cap.max(1));
    let waves = input.jobs.div_ceil(cap);
    let extra = (input.job_seconds - f64::from(input.first_poll_seconds)).max(0.0);
    let polls_per_job = 1 + (extra / f64::from(input.poll_interval_seconds.max(1))).ceil() as u64;
    let calls_per_job = 2 + polls_per_job;
    let calls = input.jobs * calls_per_job;
    let call_bound_seconds = calls as f64 / f64::from(input.calls_per_second.max(1));
    // A job is seen done at its last poll, not when it ends.
    let seen_done_after = f64::from(input.first_poll_seconds)
        + (polls_per_job - 1) as f64 * f64::from(input.poll_interval_seconds);
    let makespan_seconds =
        (waves as f64 * seen_done_after.max(input.job_seconds)).max(call_bound_seconds);
    let extra_polls = (polls_per_job - 1) as f64;
    let jobs = input.jobs as f64;
    let transitions = jobs * (TRANSITIONS_AT_ONE_POLL + TRANSITIONS_PER_EXTRA_POLL * extra_polls);
    let invocations = jobs * (INVOCATIONS_AT_ONE_POLL + extra_polls);
    let cost_usd = transitions * STEP_FUNCTIONS_PER_TRANSITION
        + invocations
            * (LAMBDA_PER_REQUEST + INVOCATION_SECONDS * FUNCTION_GB * LAMBDA_PER_GB_SECOND)
        + jobs
            * (TABLE_WRITES_PER_JOB * DYNAMODB_PER_WRITE + TABLE_READS_PER_JOB * DYNAMODB_PER_READ);
    Plan {
        waves,
        makespan_seconds,
        polls_per_job,
        calls,
        call_bound_seconds,
        transitions,
        cost_usd,
    }
}

/// A job duration read from the duration log.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedDuration {
    /// The 90th percentile of the recent jobs, as the start step times its
    /// first check with.
    pub seconds: f64,
    /// How many recent jobs it was taken from (at most [`RECENT_JOBS`]).
    pub jobs: usize,
}

/// The duration the dashboard's recent jobs (`dashboard` as
/// [`crate::coordination::dashboard_key`] makes it) stayed within, or
/// `None` when the log holds none (records are kept a day).
pub async fn recorded_job_seconds<D: DurationLog>(
    log: &D,
    dashboard: &str,
) -> Result<Option<RecordedDuration>, CoordinationError> {
    let recent = log.recent(dashboard, RECENT_JOBS).await?;
    Ok(expected_seconds(&recent).map(|seconds| RecordedDuration {
        seconds,
        jobs: recent.len(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coordination::memory::MemoryCoordination;

    #[tokio::test]
    async fn the_recorded_duration_is_the_90th_percentile_of_the_last_jobs() {
        let log = MemoryCoordination::new();
        assert_eq!(recorded_job_seconds(&log, "a#r#sales").await.unwrap(), None);
        // 30 jobs of 1..=30 s, oldest first: the last 20 are 11..=30 s.
        for s in 1..=30u32 {
            log.record(
                "a#r#sales",
                &format!("job-{s}"),
                u64::from(s) * 1000,
                f64::from(s),
            )
            .await
            .unwrap();
        }
        log.record("a#r#other", "job-x", 99_000, 500.0)
            .await
            .unwrap();
        let recorded = recorded_job_seconds(&log, "a#r#sales")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(recorded.jobs, RECENT_JOBS);
        assert_eq!(recorded.seconds, 28.0);
    }

    fn input(jobs: u64, job_seconds: f64) -> PlanInput {
        PlanInput {
            jobs,
            job_seconds,
            slot_cap: 12,
            calls_per_second: 8,
            first_poll_seconds: job_seconds as u32,
            poll_interval_seconds: 30,
        }
    }

    #[test]
    fn quicksights_own_example_is_nine_waves_and_108_minutes() {
        let plan = plan(&input(100, 12.0 * 60.0));
        assert_eq!(plan.waves, 9);
        assert_eq!(plan.makespan_seconds, 108.0 * 60.0);
        assert_eq!(plan.polls_per_job, 1);
        assert_eq!(plan.calls, 300);
    }

    #[test]
    fn late_first_polls_add_polls_and_short_jobs_meet_the_call_budget() {
        let mut slow = input(12, 600.0);
        slow.first_poll_seconds = 120;
        let p = plan(&slow);
        assert_eq!(p.polls_per_job, 1 + 16);
        assert_eq!(p.calls, 12 * 19);
        // 1,000 one-second jobs: 3,000 calls at 8 a second bind, not the waves.
        let fast = plan(&input(1000, 1.0));
        assert_eq!(fast.call_bound_seconds, 375.0);
        assert_eq!(fast.makespan_seconds, 375.0);
    }
}
