//! `prepare-run`: the first step of a run. Reads the stored request,
//! validates it in full (every problem at once, before any job starts),
//! claims the run's prefix for this execution, and writes the Map's items.

use crate::steps::{Ports, Steps};
use tracing::info;

use super::claim::{claim_run, write_items};
use crate::error::ExportError;
use crate::job_id::readable;
use crate::layout;
use crate::model::PrepareRunInput;
use crate::model::{DashboardRef, JobKind, PinnedObject, PreparedRun, RunRecord, RunRef};
use crate::request_store::parse_request;
use crate::settings::{RunSettings, StackPlace};
use crate::validation::{MAX_RUN_ID_CHARS, validate_request, validate_run_id};

impl<P: Ports> Steps<P> {
    pub async fn prepare_export(
        &self,
        input: PrepareRunInput,
        body: &[u8],
        etag: String,
        settings: &RunSettings,
        stack: &StackPlace,
    ) -> Result<PreparedRun, ExportError> {
        let store = &self.store;
        let location = &input.request;
        let request = parse_request(body)?;
        validate_request(&request, stack.deployment())?;

        // Execution names may hold characters keys and job IDs may not.
        let run_id = readable(&input.execution.name, MAX_RUN_ID_CHARS);
        validate_run_id(&run_id)?;
        let destination = request
            .destination
            .as_ref()
            .expect("validate_request requires a destination");
        let run_prefix = layout::run_prefix(&destination.prefix, &run_id);
        let run = RunRef {
            kind: JobKind::DashboardSnapshot,
            run_id: run_id.clone(),
            execution_id: input.execution.id.clone(),
            bucket: stack.export_bucket.clone(),
            run_prefix: run_prefix.clone(),
            request: PinnedObject {
                bucket: location.bucket.clone(),
                key: location.key.clone(),
                etag,
            },
            recipients: request.recipients.len(),
            settings: settings.clone(),
        };
        let record = RunRecord::of(
            &run,
            input.execution.started_at_or_now(),
            request.description.clone(),
            DashboardRef {
                account_id: request.account_id.clone(),
                region: request.region.clone(),
                dashboard_id: request.dashboard_id.clone(),
            },
        );
        claim_run(store, &run, &record).await?;

        let prepared =
            write_items(store, run, request.recipients.iter().map(|r| r.id.clone())).await?;
        info!(
            run_id = %run_id,
            dashboard_id = %request.dashboard_id,
            recipients = prepared.run.recipients,
            file_groups = request.file_groups.len(),
            "export request accepted"
        );
        Ok(prepared)
    }
}
