//! `write-manifest`: the run manifest, assembled from the outcome objects.
//!
//! It reads the run record, the Map's items (every requested recipient, in
//! request order) and one outcome object per recipient, and writes
//! `<run>/manifest.json`. A recipient without an outcome object is listed as
//! failed with `Export.OutcomeMissing`, never dropped. Nothing is taken from
//! the execution's state, so the manifest can be written again for any run,
//! finished, failed or stopped (docs/request.md, "Writing a manifest again").

use crate::steps::{Ports, Steps};
use futures_util::{StreamExt, TryStreamExt, stream};
use tracing::{info, warn};

use crate::error::ExportError;
use crate::error_name::ErrorName;
use crate::layout;
use crate::model::{
    Counts, ErrorDetail, Manifest, ManifestEntry, ManifestInput, OutcomeStatus, RecipientOutcome,
    RecipientRef, RunRecord, RunSummary,
};
use crate::storage::ObjectStore;
use crate::time::{format_rfc3339, now_epoch_seconds};

/// Outcome objects read at once: enough to read 10,000 in seconds, few
/// enough to stay far from S3's per-prefix request rate.
const CONCURRENT_READS: usize = 32;

fn missing(recipient_id: &str, why: &str, noted_at: &str) -> ManifestEntry {
    ManifestEntry {
        recipient_id: recipient_id.to_string(),
        status: OutcomeStatus::Failed,
        snapshot_job_id: None,
        attempts: 0,
        files: Vec::new(),
        error: Some(ErrorDetail {
            error_type: ErrorName::OutcomeMissing.as_str().to_string(),
            message: why.to_string(),
        }),
        job_seconds: None,
        bundle: None,
        issues: Vec::new(),
        recorded_at: noted_at.to_string(),
    }
}

/// How long a run took against what it could have taken alone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunTiming {
    /// From the run record's start to this manifest.
    pub makespan_seconds: f64,
    /// ceil(recipients / concurrency) x the median job of the run: the
    /// makespan of this run alone at full concurrency. `None` before any
    /// job finished.
    pub bound_seconds: Option<f64>,
}

impl RunTiming {
    /// `stack_cap`: the stack's slot cap for the run's kind, which bounds
    /// the run's own concurrency.
    pub fn of(record: &RunRecord, entries: &[ManifestEntry], now: f64, stack_cap: u32) -> Self {
        let started = crate::time::parse_utc_timestamp(&record.started_at)
            .map(|t| t.as_secs_f64())
            .unwrap_or(now);
        let mut jobs: Vec<u64> = entries.iter().filter_map(|e| e.job_seconds).collect();
        jobs.sort_unstable();
        let concurrency = record.settings.max_concurrent_jobs.min(stack_cap).max(1) as usize;
        let bound_seconds = (!jobs.is_empty()).then(|| {
            let median = jobs[jobs.len() / 2] as f64;
            entries.len().div_ceil(concurrency) as f64 * median
        });
        RunTiming {
            makespan_seconds: (now - started).max(0.0),
            bound_seconds,
        }
    }
}

/// The run's figures in embedded metric format (docs/operating.md, "Metrics"). A
/// manifest written again emits them again.
fn emit_run_metrics(run_id: &str, counts: &Counts, timing: &RunTiming) {
    use crate::metrics::{Metric, emit};
    let mut figures = vec![
        Metric::count("Recipients", counts.recipients),
        Metric::count("RecipientsCompleted", counts.completed),
        Metric::count("RecipientsFailed", counts.failed),
        Metric::count("RecipientsCancelled", counts.cancelled),
        Metric::count("RecipientsMissing", counts.missing),
        Metric::count("RunsFinished", 1),
        Metric::count("RunsWithFailedRecipients", usize::from(counts.failed > 0)),
        Metric::seconds("Makespan", timing.makespan_seconds),
    ];
    if let Some(bound) = timing.bound_seconds {
        figures.push(Metric::seconds("MakespanBound", bound));
        if bound > 0.0 {
            figures.push(Metric::ratio(
                "MakespanOverBound",
                timing.makespan_seconds / bound,
            ));
        }
    }
    emit(&figures, serde_json::json!({ "run_id": run_id }));
}

async fn read_json<S: ObjectStore, T: serde::de::DeserializeOwned>(
    store: &S,
    bucket: &str,
    key: &str,
    what: &'static str,
) -> Result<T, ExportError> {
    let object = store.get(bucket, key, None).await?;
    serde_json::from_slice(&object.body).map_err(|e| ExportError::MalformedInput {
        expected: what,
        detail: format!("s3://{bucket}/{key}: {e}"),
    })
}

impl<P: Ports> Steps<P> {
    /// Written, the manifest is announced ("Export Run Finished").
    pub async fn write_manifest(&self, input: ManifestInput) -> Result<RunSummary, ExportError> {
        let (store, announcer) = (&self.store, &self.announcer);
        let (bucket, run_prefix) = (&input.bucket, input.run_prefix.trim_end_matches('/'));
        let record: RunRecord = read_json(
            store,
            bucket,
            &layout::run_record_key(run_prefix),
            "run record",
        )
        .await?;
        let items: Vec<RecipientRef> = read_json(
            store,
            bucket,
            &layout::items_key(run_prefix),
            "recipient list",
        )
        .await?;

        let recorded: std::collections::HashSet<String> = store
            .list(bucket, &layout::outcomes_prefix(run_prefix))
            .await?
            .iter()
            .filter_map(|key| layout::recipient_of_outcome_key(run_prefix, key))
            .map(str::to_string)
            .collect();
        // Owned items: a future that borrows from the closure's argument trips
        // the compiler's check that the whole future is Send (rust#102211).
        let written_at = format_rfc3339(now_epoch_seconds());
        let noted_at = written_at.as_str();
        let entries: Vec<ManifestEntry> = stream::iter(items.into_iter().map(|item| {
        let found = recorded.contains(&item.id);
        async move {
            if !found {
                return Ok::<_, ExportError>(missing(
                    &item.id,
                    "no outcome was recorded: the run stopped or failed before this recipient finished",
                    noted_at,
                ));
            }
            let key = layout::outcome_key(run_prefix, &item.id);
            let object = store.get(bucket, &key, None).await?;
            Ok(match serde_json::from_slice::<RecipientOutcome>(&object.body) {
                Ok(outcome) if outcome.recipient_id == item.id => outcome,
                Ok(other) => missing(
                    &item.id,
                    &format!("the outcome object names {:?}", other.recipient_id),
                    noted_at,
                ),
                Err(e) => {
                    warn!(recipient_id = %item.id, error = %e, "unreadable outcome object");
                    missing(&item.id, &format!("unreadable outcome object: {e}"), noted_at)
                }
            })
        }
    }))
    .buffered(CONCURRENT_READS)
    .try_collect()
    .await?;

        let counts = Counts::of(&entries);
        let stack_cap = self
            .slots
            .limits
            .cap_of(crate::coordination::SlotKind::of(record.kind));
        let timing = RunTiming::of(&record, &entries, now_epoch_seconds(), stack_cap);
        let manifest = Manifest {
            kind: record.kind,
            run_id: record.run_id.clone(),
            execution_id: record.execution_id,
            description: record.description,
            dashboard: record.dashboard,
            started_at: record.started_at,
            written_at,
            counts: counts.clone(),
            recipients: entries,
        };
        let key = layout::manifest_key(run_prefix);
        let body = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
        store
            .put_json(bucket, &key, body, crate::storage::PutMode::Overwrite)
            .await?;
        info!(
            run_id = %record.run_id,
            completed = counts.completed,
            failed = counts.failed,
            missing = counts.missing,
            "run manifest written"
        );
        emit_run_metrics(&record.run_id, &counts, &timing);
        let manifest_uri = format!("s3://{bucket}/{key}");
        announcer
            .run_finished(store, bucket, &record.run_id, &counts, &manifest_uri)
            .await?;
        Ok(RunSummary {
            run_id: record.run_id,
            manifest_uri,
            counts,
        })
    }
}
