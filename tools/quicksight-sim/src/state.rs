//! The simulator's shared state: its settings, and per account the calls
//! counted against the rate limit, the snapshot jobs and the asset-bundle
//! export jobs, all behind one lock. The operations live in the modules of
//! their API family, as `impl Sim` blocks.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::asset_bundles::AssetBundleJob;
use crate::config::SimConfig;
use crate::rate_limit::CallWindow;
use crate::snapshot_jobs::SnapshotJob;
use crate::snapshot_output;
use crate::stats::Stats;

/// One simulated QuickSight: every account it has seen, and its counters.
pub struct Sim {
    pub(crate) config: SimConfig,
    state: Mutex<SimState>,
    /// Where completed snapshot jobs write their files, when `--s3-endpoint`
    /// was given.
    pub(crate) s3: Option<aws_sdk_s3::Client>,
    /// `--faults`, drawn with `--fault-seed`.
    pub(crate) faults: crate::faults::FaultDraw,
}

#[derive(Default)]
pub(crate) struct SimState {
    pub accounts: HashMap<String, Account>,
    pub stats: Stats,
}

/// What QuickSight keeps per AWS account.
#[derive(Default)]
pub(crate) struct Account {
    pub calls: CallWindow,
    pub snapshot_jobs: HashMap<String, SnapshotJob>,
    pub bundles: HashMap<String, AssetBundleJob>,
}

impl Account {
    /// Snapshot jobs QUEUED or RUNNING: what the running-job cap counts.
    pub fn active_snapshot_jobs(&self) -> usize {
        self.snapshot_jobs
            .values()
            .filter(|j| j.status.is_active())
            .count()
    }
}

impl Sim {
    /// The dashboards `--dashboards` names, for ListDashboards.
    pub(crate) fn known_dashboards(&self) -> &[String] {
        &self.config.dashboards
    }
}

impl Sim {
    pub async fn new(config: SimConfig) -> Self {
        let s3 = config
            .s3_endpoint
            .as_deref()
            .map(snapshot_output::s3_client);
        Sim {
            faults: crate::faults::FaultDraw::new(config.faults.clone(), config.fault_seed),
            config,
            state: Mutex::new(SimState::default()),
            s3,
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The state, locked. A panic in another task while it held the lock
    /// must not turn every later call into a panic too: the state is plain
    /// counters and records, still worth serving.
    pub(crate) fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `--dashboards`, when given, lists the dashboards that exist.
    pub(crate) fn dashboard_exists(&self, dashboard_id: &str) -> bool {
        self.config.dashboards.is_empty()
            || self.config.dashboards.iter().any(|d| d == dashboard_id)
    }
}
