//! `quicksight-sim`: a local QuickSight for the snapshot-job and asset-bundle
//! APIs. It speaks the REST-JSON wire format (so the real AWS SDKs talk to it
//! unchanged), keeps state per account, and enforces QuickSight's limits:
//! 12 running snapshot jobs and 10 calls per second per account.
//!
//! Layout, one concern a module:
//! - `config`: the flags; `wire`: request shapes, response and error shapes;
//!   `validate`: the InvalidParameterValue rules; `clock`: time as
//!   QuickSight shows it.
//! - `state`: the shared per-account state behind one lock; `stats`: the
//!   `/_sim/stats` counters.
//! - Limits and checks every call or Start meets: `iam` (what the caller's
//!   policy allows, with `--iam-policies`), `rate_limit` (calls per second),
//!   `job_cap` (jobs in flight), `access` (who may describe a job).
//! - One module per API family: `snapshot_jobs` and `asset_bundles`;
//!   `job_lifecycle` moves a snapshot job through its states, and
//!   `snapshot_output` writes its files to S3.
//! - `routes`: the HTTP paths; `artifacts`: the PDF, CSV, XLSX and zip
//!   writers.

mod access;
pub mod artifacts;
mod asset_bundles;
pub mod clock;
pub mod config;
pub mod faults;
pub mod iam;
mod job_cap;
mod job_lifecycle;
mod rate_limit;
pub mod routes;
mod snapshot_jobs;
mod snapshot_output;
mod state;
mod stats;
pub mod validate;
pub mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::{Rule, SimConfig};
pub use state::Sim;
pub use stats::Stats;

/// A simulator serving on a local port.
pub struct RunningSim {
    pub addr: SocketAddr,
    pub sim: Arc<Sim>,
    server: JoinHandle<()>,
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`, for `endpoint_url`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> Stats {
        self.sim.stats()
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Binds `config.addr` and serves until dropped. Returns once the listener
/// accepts connections.
pub async fn start(config: SimConfig) -> std::io::Result<RunningSim> {
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let sim = Arc::new(Sim::new(config).await);
    let app = routes::router(sim.clone());
    // Nagle plus delayed ACK would add ~40 ms to every call.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(RunningSim { addr, sim, server })
}
