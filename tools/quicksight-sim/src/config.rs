//! The simulator's settings: job timing, QuickSight's limits, failures to
//! inject, and where to write snapshot files.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;

/// A local stand-in for Amazon QuickSight's snapshot-job and asset-bundle
/// APIs, with the real wire format and the real limits.
#[derive(Clone, Debug, Parser)]
#[command(name = "quicksight-sim", version)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,

    /// How long a snapshot job takes from Start to COMPLETED, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    pub job_duration_ms: u64,

    /// How long a job stays QUEUED before RUNNING, in milliseconds.
    #[arg(long, default_value_t = 200)]
    pub queued_ms: u64,

    /// Snapshot jobs that may run at once per account; one more Start gets
    /// LimitExceededException.
    #[arg(long, default_value_t = 12)]
    pub max_running_jobs: usize,

    /// Asset bundle export jobs that may run at once per account (QuickSight
    /// allows 5); one more Start gets LimitExceededException.
    #[arg(long, default_value_t = 5)]
    pub max_running_bundle_exports: usize,

    /// How long a bundle's DownloadUrl stays valid, in seconds (QuickSight:
    /// five minutes). Each Describe issues a fresh one.
    #[arg(long, default_value_t = 300)]
    pub bundle_url_ttl_seconds: u64,

    /// The first N DownloadUrls of each bundle job are handed out already
    /// expired, as when a URL sat too long between Describe and the download.
    #[arg(long, default_value_t = 0)]
    pub stale_bundle_urls: u32,

    /// A seeded fault profile: `KIND=PROBABILITY,...` with KIND throttle,
    /// internal, limit, reset or lost-reply (see `faults`).
    #[arg(long, default_value = "")]
    pub faults: crate::faults::FaultRates,

    /// The fault profile's seed: the same seed, the same faults.
    #[arg(long, default_value_t = 1)]
    pub fault_seed: u64,

    /// Bytes of padding in every bundle, to stand in for a large one.
    #[arg(long, default_value_t = 0)]
    pub bundle_padding_bytes: usize,

    /// API calls per second per account; more get ThrottlingException.
    #[arg(long, default_value_t = 10)]
    pub calls_per_second: usize,

    /// Jobs whose SnapshotJobId contains PATTERN fail with a job-level error
    /// of TYPE, e.g. `--fail-job bad-tenant=DASHBOARD_ACCESS_DENIED`. Repeatable.
    #[arg(long = "fail-job", value_name = "PATTERN=TYPE")]
    pub fail_jobs: Vec<Rule>,

    /// Jobs whose SnapshotJobId contains PATTERN complete, but their first
    /// file carries an error of TYPE, e.g. `--file-error stale=RLS_CHANGED`.
    #[arg(long = "file-error", value_name = "PATTERN=TYPE")]
    pub file_errors: Vec<Rule>,

    /// Describe calls on jobs whose SnapshotJobId contains PATTERN get
    /// AccessDeniedException, as when a job was started by another user.
    /// Repeatable.
    #[arg(long = "deny-describe", value_name = "PATTERN")]
    pub deny_describe: Vec<String>,

    /// Dashboards that exist (comma-separated). When not given, every
    /// well-formed dashboard ID exists.
    #[arg(long, value_delimiter = ',')]
    pub dashboards: Vec<String>,

    /// S3-compatible endpoint to write the snapshot files to when a job
    /// completes (path-style), as QuickSight's service role: with the
    /// credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    /// AWS_SESSION_TOKEN when they are set, else any. Without it the result
    /// still lists S3 URIs, but no file is written.
    #[arg(long)]
    pub s3_endpoint: Option<String>,

    /// A JSON file of the callers' access keys and IAM policies
    /// (`{"<key id>": {"principal": ARN, "statements": [...]}}`): every
    /// QuickSight call must then be signed with one of those keys and be
    /// allowed by its statements, or gets AccessDeniedException
    /// (UnrecognizedClientException for another key). Without it anyone may
    /// call anything.
    #[arg(long, value_parser = crate::iam::CallerPolicies::load)]
    pub iam_policies: Option<crate::iam::CallerPolicies>,
}

impl SimConfig {
    /// Defaults, as with no flags: for tests.
    pub fn for_tests() -> Self {
        SimConfig::parse_from(["quicksight-sim"])
    }

    pub fn job_duration(&self) -> Duration {
        Duration::from_millis(self.job_duration_ms)
    }

    pub fn queued_for(&self) -> Duration {
        Duration::from_millis(self.queued_ms.min(self.job_duration_ms))
    }
}

/// `PATTERN=TYPE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub pattern: String,
    pub error_type: String,
}

impl FromStr for Rule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((pattern, error_type)) if !pattern.is_empty() && !error_type.is_empty() => {
                Ok(Rule {
                    pattern: pattern.to_string(),
                    error_type: error_type.to_string(),
                })
            }
            _ => Err(format!("expected PATTERN=TYPE, got {s:?}")),
        }
    }
}

impl Rule {
    pub fn find<'a>(rules: &'a [Rule], job_id: &str) -> Option<&'a Rule> {
        rules.iter().find(|r| job_id.contains(&r.pattern))
    }
}
