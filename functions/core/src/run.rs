//! The first step of a run: validate the whole request, name the run, and
//! hand the state machine what it needs (the shared target, the recipients
//! and the polling settings).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ExportError;
use crate::input;
use crate::model::{ExportRequest, ExportTarget, Recipient};
use crate::validation::{FieldError, ValidationErrors, validate_request, validate_run_id};

/// How the state machine paces one run. Read from the prepare function's
/// environment (the SAM template's parameters) and passed along in the state,
/// so that Wait and Map read them with `SecondsPath` / `MaxConcurrencyPath`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct RunSettings {
    /// Map concurrency: snapshot jobs this run keeps running at once.
    /// QuickSight allows 12 per account; lower it when other workloads share them.
    pub max_concurrent_jobs: u32,
    /// Wait between Start and the first status check. Set it near the
    /// expected job duration: every extra poll costs Step Functions transitions.
    pub first_poll_seconds: u32,
    /// Wait between later status checks.
    pub poll_interval_seconds: u32,
    /// A job still running this long after it was created is recorded as
    /// failed (`Export.JobTimedOut`) and no longer polled.
    pub job_timeout_seconds: u32,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            max_concurrent_jobs: 12,
            first_poll_seconds: 120,
            poll_interval_seconds: 30,
            job_timeout_seconds: 3600,
        }
    }
}

impl RunSettings {
    /// From `MAX_CONCURRENT_JOBS`, `FIRST_POLL_SECONDS`, `POLL_INTERVAL_SECONDS`
    /// and `JOB_TIMEOUT_SECONDS`; missing ones take the defaults.
    pub fn from_env() -> Result<Self, ExportError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ExportError> {
        let defaults = RunSettings::default();
        let read = |name: &str, default: u32, min: u32, max: u32| -> Result<u32, ExportError> {
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
        };
        Ok(RunSettings {
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
                60,
                86_400,
            )?,
        })
    }
}

/// What the state machine passes to the prepare step.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrepareRunInput {
    /// The export request, as the execution received it.
    pub request: Value,
    /// `$$.Execution.Name`: the run ID when the request has none.
    #[serde(default)]
    pub execution_name: Option<String>,
    /// `$$.Execution.StartTime`.
    #[serde(default)]
    pub started_at: Option<String>,
}

/// The state the Map and the manifest step work from.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct PreparedRun {
    pub run_id: String,
    /// Always present (possibly null): JSONPath references to it must resolve.
    pub description: Option<String>,
    pub started_at: String,
    pub export: ExportTarget,
    pub recipients: Vec<Recipient>,
    pub settings: RunSettings,
}

/// A run ID from an execution name: execution names may hold characters a
/// snapshot job ID may not.
fn run_id_from_execution_name(name: &str) -> String {
    crate::job_id::readable(name, crate::validation::MAX_RUN_ID_CHARS)
}

/// Validates the request in full; every problem is reported at once as
/// `Export.InvalidRequest`, and no job starts.
pub fn prepare_run(
    input: PrepareRunInput,
    settings: &RunSettings,
) -> Result<PreparedRun, ExportError> {
    let request: ExportRequest = input::parse(input.request, "export request").map_err(|e| {
        // The request is the user's: a field of the wrong type or an unknown
        // field is a problem with the request, reported like the others.
        let detail = match e {
            ExportError::MalformedInput { detail, .. } => detail,
            other => other.to_string(),
        };
        let (path, message) = detail
            .split_once(": ")
            .map(|(p, m)| (p.to_string(), m.to_string()))
            .unwrap_or_else(|| ("(request)".to_string(), detail.clone()));
        ExportError::InvalidRequest(ValidationErrors(vec![FieldError { path, message }]))
    })?;
    validate_request(&request)?;
    let run_id = match (&request.run_id, &input.execution_name) {
        (Some(run_id), _) => run_id.clone(),
        (None, Some(name)) => run_id_from_execution_name(name),
        (None, None) => {
            return Err(ExportError::InvalidRequest(ValidationErrors(vec![
                FieldError {
                    path: "run_id".into(),
                    message: "is required when the run has no execution name".into(),
                },
            ])));
        }
    };
    validate_run_id(&run_id)?;
    let started_at = input
        .started_at
        .unwrap_or_else(|| crate::time::format_rfc3339(crate::time::now_epoch_seconds()));
    tracing::info!(
        run_id = %run_id,
        dashboard_id = %request.dashboard_id,
        recipients = request.recipients.len(),
        file_groups = request.file_groups.len(),
        "export request accepted"
    );
    Ok(PreparedRun {
        run_id,
        description: request.description.clone(),
        started_at,
        export: request.target(),
        recipients: request.recipients,
        settings: settings.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request() -> Value {
        json!({
            "account_id": "123456789012",
            "region": "us-east-1",
            "dashboard_id": "d1",
            "file_groups": [{ "format": "PDF", "sheets": [{ "sheet_id": "s1" }] }],
            "destination": { "bucket": "bucket-1", "prefix": "p", "region": "us-east-1" },
            "recipients": [{ "id": "a" }, { "id": "b", "rls_tags": [{ "key": "k", "value": "v" }] }]
        })
    }

    fn prepare(request: Value, execution_name: &str) -> Result<PreparedRun, ExportError> {
        prepare_run(
            PrepareRunInput {
                request,
                execution_name: Some(execution_name.into()),
                started_at: Some("2026-11-24T00:00:00Z".into()),
            },
            &RunSettings::default(),
        )
    }

    #[test]
    fn the_execution_name_names_the_run_when_the_request_does_not() {
        let run = prepare(request(), "nightly:2026-11-24").unwrap();
        assert_eq!(run.run_id, "nightly_2026-11-24");
        assert_eq!(run.recipients.len(), 2);
        assert_eq!(run.settings, RunSettings::default());
        // description is always present so that JSONPath can reference it.
        assert!(
            serde_json::to_value(&run)
                .unwrap()
                .get("description")
                .is_some()
        );
    }

    #[test]
    fn a_request_run_id_wins() {
        let mut req = request();
        req["run_id"] = json!("monthly-11");
        let run = prepare(req, "exec").unwrap();
        assert_eq!(run.run_id, "monthly-11");
    }

    #[test]
    fn type_errors_and_unknown_fields_are_invalid_requests_with_a_path() {
        let mut req = request();
        req["recipients"][1]["rls_tags"][0]["value"] = json!(42);
        let err = prepare(req, "e").unwrap_err();
        assert_eq!(
            err.error_name(),
            crate::error_name::ErrorName::InvalidRequest
        );
        assert!(
            err.to_string().contains("recipients[1].rls_tags[0].value"),
            "{err}"
        );
        assert!(!err.to_string().contains("42"), "{err}");

        let mut req = request();
        req["recipient"] = json!([]);
        let err = prepare(req, "e").unwrap_err();
        assert!(err.to_string().contains("recipient"), "{err}");
    }

    #[test]
    fn settings_come_from_the_environment_and_are_checked() {
        let settings = RunSettings::from_lookup(|name| match name {
            "MAX_CONCURRENT_JOBS" => Some("8".into()),
            "POLL_INTERVAL_SECONDS" => Some("5".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(settings.max_concurrent_jobs, 8);
        assert_eq!(settings.poll_interval_seconds, 5);
        assert_eq!(settings.first_poll_seconds, 120);

        let err = RunSettings::from_lookup(|name| {
            (name == "MAX_CONCURRENT_JOBS").then(|| "13".to_string())
        })
        .unwrap_err();
        assert_eq!(
            err.error_name(),
            crate::error_name::ErrorName::Configuration
        );
        assert!(err.to_string().contains("MAX_CONCURRENT_JOBS"));
    }
}
