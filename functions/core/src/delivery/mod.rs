//! Delivery: an EventBridge event for every recorded outcome and for every
//! written manifest, each file with a download link made now (a link signed
//! with a Lambda role's temporary credentials dies with them, so none is
//! kept anywhere). Events are published at least once: a retried step
//! announces the outcome that is kept again; consumers key on `run_id` and
//! `recipient_id`. IDs, statuses, errors and links only: never a tag or
//! parameter value.

use std::time::Duration;

use serde_json::{Value, json};

use crate::error::ExportError;
use crate::events::{EventSink, RECIPIENT_OUTCOME, RUN_FINISHED};
use crate::model::RecipientOutcome;
use crate::storage::DownloadLinks;

pub struct Announcer<V> {
    pub events: V,
    /// How long a download link works (`LINK_EXPIRY_SECONDS`).
    pub link_expiry: Duration,
}

/// A download link for an `s3://` URI in `bucket`; `None` elsewhere.
pub async fn link_for<L: DownloadLinks>(
    links: &L,
    bucket: &str,
    uri: &str,
    expiry: Duration,
) -> Result<Option<String>, ExportError> {
    let Some(key) = uri.strip_prefix(&format!("s3://{bucket}/")) else {
        return Ok(None);
    };
    Ok(Some(links.link(bucket, key, expiry).await?))
}

/// An outcome with a download link for each of its files.
pub async fn outcome_with_links<L: DownloadLinks>(
    links: &L,
    bucket: &str,
    outcome: &RecipientOutcome,
    expiry: Duration,
) -> Result<Value, ExportError> {
    let mut value = json!(outcome);
    for (i, file) in outcome.files.iter().enumerate() {
        let mut urls = Vec::new();
        for uri in &file.s3_uris {
            urls.extend(link_for(links, bucket, uri, expiry).await?);
        }
        value["files"][i]["download_urls"] = json!(urls);
    }
    Ok(value)
}

impl<V: EventSink> Announcer<V> {
    /// "Export Recipient Outcome": `{run_id, outcome}`.
    pub async fn outcome<L: DownloadLinks>(
        &self,
        links: &L,
        bucket: &str,
        run_id: &str,
        outcome: &RecipientOutcome,
    ) -> Result<(), ExportError> {
        let outcome = outcome_with_links(links, bucket, outcome, self.link_expiry).await?;
        self.events
            .publish(
                RECIPIENT_OUTCOME,
                json!({ "run_id": run_id, "outcome": outcome }),
            )
            .await?;
        Ok(())
    }

    /// "Export Run Finished": `{run_id, counts, manifest_uri,
    /// manifest_download_url, failed_recipients}`.
    pub async fn run_finished<L: DownloadLinks>(
        &self,
        links: &L,
        bucket: &str,
        run_id: &str,
        counts: &crate::model::Counts,
        manifest_uri: &str,
    ) -> Result<(), ExportError> {
        let link = link_for(links, bucket, manifest_uri, self.link_expiry).await?;
        self.events
            .publish(
                RUN_FINISHED,
                json!({
                    "run_id": run_id,
                    "counts": counts,
                    "failed_recipients": counts.failed > 0,
                    "manifest_uri": manifest_uri,
                    "manifest_download_url": link,
                }),
            )
            .await?;
        Ok(())
    }
}
