//! The steps of a run, one module each, as methods of one [`Steps`] value
//! that owns the ports they call ([`Ports`] names their types once). The
//! Lambda binaries reach them through `crate::handlers`; tests call them
//! directly over [`Fakes`].
//!
//! ```text
//! kind      the job kinds dispatched in one place: prepare, start, describe, fetch
//! prepare   prepare-run     a dashboard export: read and validate the stored request, claim the run, write the Map's items
//! start     start-job       one recipient's snapshot job, its ID bound to the submission
//! check     check-job       pending / completed / failed / deadline passed, and when to look again (either kind)
//! fetch     fetch-result    the result, recorded as the recipient's outcome (or run again once)
//! record    record-failure  a caught failure, recorded as the recipient's outcome
//! manifest  write-manifest  the manifest, from the outcome objects
//! bundle/   the second job kind, asset bundle exports: its prepare, start and fetch
//! claim     what both kinds' prepare share: the stored request, the run's claim, the Map's items
//! deadline  a recipient's deadline, and QuickSight's refusals until then
//! ```

use crate::callbacks::TaskCallbacks;
use crate::coordination::semaphore::SlotService;
use crate::coordination::{DurationLog, SlotTable};
use crate::delivery::Announcer;
use crate::events::EventSink;
use crate::executions::Executions;
use crate::quicksight::SnapshotJobs;
use crate::quicksight::bundles::AssetBundles;
use crate::request_store::RequestReader;
use crate::storage::transfer::UrlTransfer;
use crate::storage::{DownloadLinks, ObjectStore};

pub mod bundle;
pub mod check;
pub mod claim;
pub mod deadline;
pub mod fetch;
pub mod kind;
pub mod manifest;
pub mod prepare;
pub mod record;
pub mod start;

pub use record::{Recorded, record_outcome};

/// The ports' types, named once: the real ones (`crate::wiring::Aws`), the
/// in-memory fakes ([`Fakes`]), or a mix a test needs.
pub trait Ports: Send + Sync + 'static {
    type QuickSight: SnapshotJobs + AssetBundles;
    type Store: ObjectStore + DownloadLinks;
    /// Downloads streamed into the bucket (asset bundles).
    type Transfer: UrlTransfer;
    /// Recent job durations, which time the first check.
    type Durations: DurationLog;
    /// The slot semaphore's table.
    type Slots: SlotTable;
    type Callbacks: TaskCallbacks;
    type Events: EventSink;
    /// Runs as the API starts, lists and stops them.
    type Executions: Executions;
}

/// What every step works with; built once at init.
pub struct Steps<P: Ports> {
    pub quicksight: P::QuickSight,
    pub store: P::Store,
    pub transfer: P::Transfer,
    pub durations: P::Durations,
    pub slots: SlotService<P::Slots, P::Callbacks>,
    pub announcer: Announcer<P::Events>,
    pub requests: RequestReader,
}

/// Every port in memory: the steps' and the API's tests.
pub struct Fakes;

impl Ports for Fakes {
    type QuickSight = crate::quicksight::fake::FakeSnapshotJobs;
    type Store = crate::storage::memory::MemoryStore;
    type Transfer = crate::storage::transfer::FakeTransfer;
    type Durations = crate::coordination::memory::MemoryCoordination;
    type Slots = crate::coordination::memory::MemoryCoordination;
    type Callbacks = crate::callbacks::fake::FakeCallbacks;
    type Events = crate::events::fake::FakeEvents;
    type Executions = crate::executions::fake::FakeExecutions;
}
