//! The settings of a deployment, read once at init from the functions'
//! environment (the SAM template's parameters).

pub use crate::coordination::{LEASE_GRACE_SECONDS, SharedLimits};
use crate::error::ExportError;
pub use crate::model::RunSettings;

/// History events one status check costs a child execution: a Wait (2), a
/// Lambda Task (5) and a Choice (2).
pub const HISTORY_EVENTS_PER_CHECK: u32 = 9;
/// The wait before a throttled step is tried again once its retrier gave up
/// (the definition's "Wait for QuickSight to have room"): a throttled
/// recipient keeps trying until its deadline, not for so many attempts.
pub const THROTTLED_WAIT_SECONDS: u32 = 120;
/// History events of one such lap: the Wait (2), the Task (5) and its six
/// retries (3 each) before the Catch (2).
pub const HISTORY_EVENTS_PER_THROTTLED_LAP: u32 = 27;
/// How long "Take a slot" waits for its callback before asking again (a
/// lost callback costs at most this much).
pub const SLOT_WAIT_SECONDS: u32 = 900;
/// History events of asking again: the timed-out task's retry.
pub const HISTORY_EVENTS_PER_SLOT_ASK: u32 = 3;
/// The execution's own `TimeoutSeconds` (14 days): what bounds the wait
/// for a slot.
pub const EXECUTION_TIMEOUT_SECONDS: u32 = 1_209_600;
/// History events of a child beyond its checks, laps and asks, with room
/// for retries: measured at 20-40 for a child with no retry
/// (docs/sharing-limits.md, "How big a run can be"); 500 leaves room for
/// dozens of retried calls.
pub const HISTORY_EVENTS_BESIDE_CHECKS: u32 = 500;
/// Step Functions' cap on one execution's history.
pub const HISTORY_EVENT_LIMIT: u32 = 25_000;
/// Jobs one recipient may start: QuickSight may ask for one re-run
/// (RLS_CHANGED, CLS_CHANGED), then the recipient is recorded with the error.
pub const MAX_JOB_ATTEMPTS: u32 = 2;

impl RunSettings {
    /// The most status checks one child can make: each attempt polled
    /// every interval from its slot to its deadline, plus its first and its
    /// last check.
    pub fn max_checks_per_recipient(&self) -> u32 {
        MAX_JOB_ATTEMPTS
            * (self
                .job_timeout_seconds
                .div_ceil(self.poll_interval_seconds)
                + 2)
    }

    /// The largest history a child execution can write at these settings:
    /// for each attempt (each takes a slot and has a deadline of its own),
    /// every check and a throttled lap for every THROTTLED_WAIT_SECONDS of
    /// its deadline; and a new ask for a slot every SLOT_WAIT_SECONDS of the
    /// execution's timeout. Each bound assumes the worst for the whole
    /// time, so their sum is far above what a child can reach.
    pub fn max_history_events_per_recipient(&self) -> u32 {
        HISTORY_EVENTS_PER_CHECK * self.max_checks_per_recipient()
            + HISTORY_EVENTS_PER_THROTTLED_LAP
                * MAX_JOB_ATTEMPTS
                * self.job_timeout_seconds.div_ceil(THROTTLED_WAIT_SECONDS)
            + HISTORY_EVENTS_PER_SLOT_ASK * EXECUTION_TIMEOUT_SECONDS.div_ceil(SLOT_WAIT_SECONDS)
            + HISTORY_EVENTS_BESIDE_CHECKS
    }
}

impl SharedLimits {
    pub fn from_env() -> Result<Self, ExportError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ExportError> {
        let defaults = SharedLimits::default();
        Ok(SharedLimits {
            slot_cap: read_setting(&lookup, "SLOT_CAP", defaults.slot_cap, 1, 12)?,
            bundle_slot_cap: read_setting(
                &lookup,
                "ASSET_BUNDLE_SLOT_CAP",
                defaults.bundle_slot_cap,
                1,
                5,
            )?,
            calls_per_second: read_setting(
                &lookup,
                "QUICKSIGHT_CALLS_PER_SECOND",
                defaults.calls_per_second,
                1,
                10,
            )?,
        })
    }

    /// The time between two QuickSight calls of the account.
    pub fn call_spacing_ms(&self) -> u64 {
        1000u64.div_ceil(u64::from(self.calls_per_second))
    }
}

/// What the API needs of the deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiSettings {
    pub state_machine_arn: String,
    pub stack: StackPlace,
}

/// Where the stack is: its export bucket, region and account. Its roles
/// may read and write that bucket only, and call QuickSight in that region
/// and account only (QuickSight also wants the bucket in the call's
/// region), so a request naming anything else is refused up front rather
/// than failing every recipient with AccessDenied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackPlace {
    /// `EXPORT_BUCKET`.
    pub export_bucket: String,
    /// `AWS_REGION`, which Lambda sets.
    pub region: String,
    /// `STACK_ACCOUNT_ID` (the template sets it to `AWS::AccountId`).
    pub account_id: String,
}

impl StackPlace {
    pub fn new(export_bucket: &str, region: &str, account_id: &str) -> Self {
        StackPlace {
            export_bucket: export_bucket.to_string(),
            region: region.to_string(),
            account_id: account_id.to_string(),
        }
    }

    pub fn from_env() -> Result<Self, ExportError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ExportError> {
        let required = |name: &str, what: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| ExportError::Configuration(format!("{name} must name {what}")))
        };
        Ok(StackPlace {
            export_bucket: export_bucket_from_lookup(lookup)?,
            region: required("AWS_REGION", "the stack's region")?,
            account_id: required("STACK_ACCOUNT_ID", "the stack's AWS account")?,
        })
    }

    /// What validation checks a request against.
    pub fn deployment(&self) -> crate::validation::Deployment<'_> {
        crate::validation::Deployment {
            export_bucket: &self.export_bucket,
            region: &self.region,
            account_id: &self.account_id,
        }
    }
}

/// Where events go and how long download links work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverySettings {
    /// `EVENT_BUS_NAME`: `default` unless set.
    pub event_bus: String,
    /// `LINK_EXPIRY_SECONDS`, 60 s to 7 days (3600 by default; a link
    /// signed with a role's temporary credentials dies with them sooner).
    pub link_expiry: std::time::Duration,
}

impl DeliverySettings {
    pub fn from_env() -> Result<Self, ExportError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ExportError> {
        let link_expiry = read_setting(&lookup, "LINK_EXPIRY_SECONDS", 3600, 60, 604_800)?;
        Ok(DeliverySettings {
            event_bus: lookup("EVENT_BUS_NAME")
                .map(|b| b.trim().to_string())
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| "default".to_string()),
            link_expiry: std::time::Duration::from_secs(u64::from(link_expiry)),
        })
    }
}

impl ApiSettings {
    pub fn from_env() -> Result<Self, ExportError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ExportError> {
        let state_machine_arn = lookup("STATE_MACHINE_ARN")
            .map(|a| a.trim().to_string())
            .filter(|a| a.contains(":stateMachine:"))
            .ok_or_else(|| {
                ExportError::Configuration(
                    "STATE_MACHINE_ARN must be the export state machine's ARN".to_string(),
                )
            })?;
        Ok(ApiSettings {
            state_machine_arn,
            stack: StackPlace::from_lookup(&lookup)?,
        })
    }
}

/// A whole number from `min` to `max`, or the default when not set.
fn read_setting(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ExportError> {
    match lookup(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (min..=max).contains(v))
            .ok_or_else(|| {
                ExportError::Configuration(format!(
                    "{name} must be a whole number from {min} to {max}, got {raw:?}"
                ))
            }),
    }
}

impl RunSettings {
    /// From `MAX_CONCURRENT_JOBS`, `FIRST_POLL_SECONDS`, `POLL_INTERVAL_SECONDS`,
    /// `JOB_TIMEOUT_SECONDS` and `TOLERATED_FAILURE_PERCENTAGE`; missing ones
    /// take the defaults. Settings whose polling could outgrow a child
    /// execution's history are refused.
    pub fn from_env() -> Result<Self, ExportError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ExportError> {
        let defaults = RunSettings::default();
        let read = |name: &str, default: u32, min: u32, max: u32| {
            read_setting(&lookup, name, default, min, max)
        };
        let settings = RunSettings {
            max_concurrent_jobs: read("MAX_CONCURRENT_JOBS", defaults.max_concurrent_jobs, 1, 12)?,
            first_poll_seconds: read("FIRST_POLL_SECONDS", defaults.first_poll_seconds, 1, 3600)?,
            poll_interval_seconds: read(
                "POLL_INTERVAL_SECONDS",
                defaults.poll_interval_seconds,
                1,
                3600,
            )?,
            job_timeout_seconds: read(
                "JOB_TIMEOUT_SECONDS",
                defaults.job_timeout_seconds,
                10,
                86_400,
            )?,
            tolerated_failure_percentage: read(
                "TOLERATED_FAILURE_PERCENTAGE",
                defaults.tolerated_failure_percentage,
                0,
                100,
            )?,
        };
        let events = settings.max_history_events_per_recipient();
        if events > HISTORY_EVENT_LIMIT {
            return Err(ExportError::Configuration(format!(
                "JOB_TIMEOUT_SECONDS {} polled every POLL_INTERVAL_SECONDS {} could write {events} \
                 history events for one recipient, past Step Functions' {HISTORY_EVENT_LIMIT}: \
                 raise the interval or lower the timeout",
                settings.job_timeout_seconds, settings.poll_interval_seconds
            )));
        }
        Ok(settings)
    }
}

/// The stack's export bucket (`EXPORT_BUCKET`): requests are read from it
/// and every destination must be it.
/// The coordination table's name from `COORDINATION_TABLE`.
pub fn coordination_table_from_env() -> Result<String, ExportError> {
    std::env::var("COORDINATION_TABLE")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ExportError::Configuration(
                "COORDINATION_TABLE must name the stack's coordination table".to_string(),
            )
        })
}

pub fn export_bucket_from_env() -> Result<String, ExportError> {
    export_bucket_from_lookup(&|name| std::env::var(name).ok())
}

pub fn export_bucket_from_lookup(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<String, ExportError> {
    lookup("EXPORT_BUCKET")
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            ExportError::Configuration(
                "EXPORT_BUCKET must name the stack's export bucket".to_string(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(pairs: &[(&str, &str)]) -> Result<RunSettings, ExportError> {
        RunSettings::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_fit_a_child_history_four_times_over() {
        let settings = from(&[]).unwrap();
        assert_eq!(settings, RunSettings::default());
        // 2 x (3600/30 + 2) = 244 checks (2,196 events), 2 x 30 throttled
        // laps (1,620), 1,344 asks for a slot over 14 days (4,032), 500 more.
        assert_eq!(settings.max_checks_per_recipient(), 244);
        assert_eq!(settings.max_history_events_per_recipient(), 8_348);
    }

    #[test]
    fn polling_that_could_outgrow_the_history_is_refused() {
        // A day polled every 120 s: 1,444 checks (12,996), 1,440 laps (38,880).
        let error = from(&[
            ("JOB_TIMEOUT_SECONDS", "86400"),
            ("POLL_INTERVAL_SECONDS", "120"),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("history events"), "{error}");
        // Six hours polled every 120 s fit: 364 checks, 360 laps.
        let six = from(&[
            ("JOB_TIMEOUT_SECONDS", "21600"),
            ("POLL_INTERVAL_SECONDS", "120"),
        ])
        .unwrap();
        assert_eq!(
            six.max_history_events_per_recipient(),
            3_276 + 9_720 + 4_032 + 500
        );
    }

    #[test]
    fn calls_are_spaced_to_stay_under_quicksights_rate() {
        let limits = SharedLimits::from_lookup(|_| None).unwrap();
        assert_eq!((limits.slot_cap, limits.calls_per_second), (12, 8));
        assert_eq!(limits.call_spacing_ms(), 125);
        let error = SharedLimits::from_lookup(|n| {
            (n == "QUICKSIGHT_CALLS_PER_SECOND").then(|| "11".to_string())
        })
        .unwrap_err();
        assert!(
            error.to_string().contains("QUICKSIGHT_CALLS_PER_SECOND"),
            "{error}"
        );
    }

    #[test]
    fn out_of_range_values_name_the_setting() {
        let error = from(&[("MAX_CONCURRENT_JOBS", "13")]).unwrap_err();
        assert!(error.to_string().contains("MAX_CONCURRENT_JOBS"), "{error}");
        let error = from(&[("TOLERATED_FAILURE_PERCENTAGE", "101")]).unwrap_err();
        assert!(
            error.to_string().contains("TOLERATED_FAILURE_PERCENTAGE"),
            "{error}"
        );
    }
}
