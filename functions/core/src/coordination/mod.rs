//! What every run in the account shares, kept in one DynamoDB table: the
//! slot semaphore (QuickSight's running-job cap), the call budget (its calls
//! per second) and the durations of recent jobs (to time the first poll).
//!
//! Three narrow ports, one real adapter over `aws-sdk-dynamodb`
//! (`dynamodb`) and one in-memory fake (`memory`). The policies built on
//! them (who gets a freed slot, how long to wait before a call, when to
//! look at a job) are plain functions elsewhere: `steps::slots`,
//! `quicksight::budgeted`, `pacing`.

use std::future::Future;

use crate::aws::{ServiceError, Verdict};

pub mod dynamodb;
pub mod memory;
pub mod semaphore;

pub use dynamodb::DynamoCoordination;

/// A lease outlives its recipient's deadline by this much (the fetch and
/// the record after it), then stops counting even if nobody released it.
pub const LEASE_GRACE_SECONDS: u32 = 600;

/// QuickSight's per-account limits as this deployment shares them between
/// its runs (and leaves to other workloads): read at init by every function
/// that takes a slot or calls QuickSight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedLimits {
    /// Snapshot jobs running at once, over every run (`SLOT_CAP`, 1-12).
    pub slot_cap: u32,
    /// QuickSight calls per second, over every run
    /// (`QUICKSIGHT_CALLS_PER_SECOND`, 1-10). 8 by default: calls are spaced
    /// evenly, and any one second then holds at most 9, under the 10 that
    /// QuickSight allows, with one to spare for the console and other tools.
    pub calls_per_second: u32,
    /// Asset bundle export jobs running at once, over every run
    /// (`ASSET_BUNDLE_SLOT_CAP`, 1-5): QuickSight allows 5.
    pub bundle_slot_cap: u32,
}

impl Default for SharedLimits {
    fn default() -> Self {
        SharedLimits {
            slot_cap: 12,
            calls_per_second: 8,
            bundle_slot_cap: 5,
        }
    }
}

impl SharedLimits {
    /// The cap of one kind of slot.
    pub fn cap_of(&self, kind: SlotKind) -> u32 {
        match kind {
            SlotKind::Snapshot => self.slot_cap,
            SlotKind::AssetBundle => self.bundle_slot_cap,
        }
    }
}

/// Which of QuickSight's job caps a slot counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlotKind {
    /// Dashboard snapshot jobs: 12 running per account.
    Snapshot,
    /// Asset bundle export jobs: 5 running per account.
    AssetBundle,
}

impl SlotKind {
    pub const ALL: [SlotKind; 2] = [SlotKind::Snapshot, SlotKind::AssetBundle];

    pub fn as_str(self) -> &'static str {
        match self {
            SlotKind::Snapshot => "snapshot",
            SlotKind::AssetBundle => "asset-bundle",
        }
    }

    /// The slots a run's jobs take.
    pub fn of(kind: crate::model::JobKind) -> Self {
        match kind {
            crate::model::JobKind::DashboardSnapshot => SlotKind::Snapshot,
            crate::model::JobKind::AssetBundleExport => SlotKind::AssetBundle,
        }
    }
}

/// Who holds (or waits for) a slot: one recipient of one execution.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Holder {
    /// The execution that owns the run (the reaper frees by it).
    pub run: String,
    pub recipient: String,
}

impl Holder {
    /// The key a lease or a waiter is stored under. Recipient IDs hold no
    /// `#` (validation allows `[A-Za-z0-9_-]`), so the key splits back.
    pub fn key(&self) -> String {
        format!("{}#{}", self.run, self.recipient)
    }

    pub fn from_key(key: &str) -> Option<Holder> {
        let (run, recipient) = key.rsplit_once('#')?;
        (!run.is_empty() && !recipient.is_empty()).then(|| Holder {
            run: run.to_string(),
            recipient: recipient.to_string(),
        })
    }
}

/// A slot taken: it counts against the cap until released or expired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub holder: Holder,
    pub granted_at_ms: u64,
    /// A lease nobody released (a run that died unseen) stops counting here.
    pub expires_at_ms: u64,
}

/// A recipient waiting for a slot, with the task token that resumes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiter {
    pub holder: Holder,
    pub task_token: String,
    /// When it first asked: kept when it asks again with a new token.
    pub since_ms: u64,
    /// How long its lease lasts once granted: its run's deadline, and a grace.
    pub lease_seconds: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoordinationError {
    /// DynamoDB or Step Functions could not answer now (5xx, throttling,
    /// timeouts): retried by the state machine.
    #[error("the coordination table could not serve {operation} now: {message}")]
    Unavailable {
        operation: &'static str,
        message: String,
    },
    /// Refused for good (no such table, access denied, a malformed request).
    #[error("{operation} was refused: {code}: {message}")]
    Rejected {
        operation: &'static str,
        code: String,
        message: String,
    },
}

impl CoordinationError {
    /// A DynamoDB or Step Functions failure as coordination names it:
    /// transient ones (no answer, 5xx, throttling, a transaction conflict)
    /// are `Unavailable` and retried, the rest `Rejected`.
    pub fn from_service(operation: &'static str, error: ServiceError) -> Self {
        match error.verdict(&[
            "TransactionConflictException",
            "InternalServerError",
            "ServiceUnavailable",
        ]) {
            Verdict::Transient { message } => CoordinationError::Unavailable { operation, message },
            Verdict::Refused { code, message } => CoordinationError::Rejected {
                operation,
                code,
                message,
            },
        }
    }
}

/// The slot semaphore's storage: leases and waiters per kind. Every write
/// is conditional where two callers could race; the policy is in
/// `steps::slots`.
pub trait SlotTable: Send + Sync {
    /// Every lease of `kind`, expired ones included.
    fn leases(
        &self,
        kind: SlotKind,
    ) -> impl Future<Output = Result<Vec<Lease>, CoordinationError>> + Send;

    /// Writes `lease` if its holder has none and fewer than `cap` leases
    /// exist. False otherwise (the cap is reached, or another hand-over
    /// granted this holder first).
    fn grant(
        &self,
        kind: SlotKind,
        lease: &Lease,
        cap: u32,
    ) -> impl Future<Output = Result<bool, CoordinationError>> + Send;

    /// Removes the holder's lease; with `granted_at_ms`, only if it is that
    /// grant. True when a lease was removed.
    fn revoke(
        &self,
        kind: SlotKind,
        holder: &Holder,
        granted_at_ms: Option<u64>,
    ) -> impl Future<Output = Result<bool, CoordinationError>> + Send;

    /// Adds a waiter, or gives an existing one its new token (keeping
    /// `since_ms`).
    fn add_waiter(
        &self,
        kind: SlotKind,
        waiter: &Waiter,
    ) -> impl Future<Output = Result<(), CoordinationError>> + Send;

    fn waiters(
        &self,
        kind: SlotKind,
    ) -> impl Future<Output = Result<Vec<Waiter>, CoordinationError>> + Send;

    /// Removes the holder's waiter, whatever its token: it no longer waits
    /// (its outcome is recorded).
    fn drop_waiter(
        &self,
        kind: SlotKind,
        holder: &Holder,
    ) -> impl Future<Output = Result<(), CoordinationError>> + Send;

    /// Removes the holder's waiter if it still waits with `task_token`.
    /// True when this call removed it: only then may the caller resume it.
    fn remove_waiter(
        &self,
        kind: SlotKind,
        holder: &Holder,
        task_token: &str,
    ) -> impl Future<Output = Result<bool, CoordinationError>> + Send;
}

/// The account's QuickSight call budget: calls are spaced `spacing_ms`
/// apart, whoever makes them.
pub trait CallBudget: Send + Sync {
    /// Reserves the next call time at or after `now_ms` (epoch ms) and
    /// returns it; the caller waits until then.
    fn reserve(
        &self,
        spacing_ms: u64,
        now_ms: u64,
    ) -> impl Future<Output = Result<u64, CoordinationError>> + Send;
}

/// How long recent jobs of one dashboard took.
pub trait DurationLog: Send + Sync {
    fn record(
        &self,
        dashboard: &str,
        snapshot_job_id: &str,
        finished_at_ms: u64,
        seconds: f64,
    ) -> impl Future<Output = Result<(), CoordinationError>> + Send;

    /// The last `limit` durations (seconds), newest first.
    fn recent(
        &self,
        dashboard: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<f64>, CoordinationError>> + Send;
}

/// The dashboard a duration belongs to, as the log keys it.
pub fn dashboard_key(account_id: &str, region: &str, dashboard_id: &str) -> String {
    format!("{account_id}#{region}#{dashboard_id}")
}
