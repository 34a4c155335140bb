//! Validation of an export request against QuickSight's constraints, before
//! any job starts.
//!
//! Every error names the field it is about (`recipients[3].rls_tags[0].value`)
//! and all errors are collected, not just the first. Tag values and parameter
//! values are sensitive: a message may say that one is wrong, never what it is.

use std::collections::HashMap;

mod backup;
mod errors;
mod fields;
mod file_groups;

pub use backup::{MAX_BACKUP_RESOURCES, MAX_BUNDLE_SIZE, validate_backup};
pub use errors::{FieldError, ValidationErrors};
use fields::*;
use file_groups::check_file_groups;

use crate::model::{
    DashboardParameters, ExportRequest, FileFormat, FileGroup, Parameter, Recipient, S3Destination,
    SelectionScope,
};

pub const MAX_FILE_GROUPS: usize = 7;
pub const MAX_PDF_FILES: usize = 1;
pub const MAX_EXCEL_FILES: usize = 1;
pub const MAX_CSV_FILES: usize = 5;
pub const MAX_SHEET_SELECTIONS: usize = 5;
pub const MAX_VISUAL_IDS: usize = 5;
pub const MAX_EXCEL_VISUALS: usize = 5;
pub const MAX_RLS_TAGS: usize = 50;
pub const MAX_TAG_KEY_CHARS: usize = 128;
pub const MAX_TAG_VALUE_CHARS: usize = 256;
pub const MAX_PARAMETERS_PER_TYPE: usize = 100;
pub const MAX_RESOURCE_ID_CHARS: usize = 512;
pub const MAX_RUN_ID_CHARS: usize = 80;
pub const MAX_RECIPIENT_ID_CHARS: usize = 128;
pub const MAX_PREFIX_CHARS: usize = 512;
/// Recipients in one request. A run fans out with a Distributed Map, one
/// child execution per recipient, so neither the 25,000-event history nor
/// the 256 KiB state payload grows with this number (docs/sharing-limits.md,
/// "How big a run can be", has the measured figures). What does grow: the
/// stored request that every start-job reads (bounded by
/// [`MAX_REQUEST_BYTES`]) and the manifest step, which reads one outcome
/// object per recipient in one invocation.
pub const MAX_RECIPIENTS: usize = 10_000;
/// The stored request's size: what one API call can carry (Lambda's 6 MB
/// invocation payload), and what every start-job instance reads once.
pub const MAX_REQUEST_BYTES: usize = 6 * 1024 * 1024;

/// What validation needs to know of the deployment.
#[derive(Clone, Copy, Debug)]
pub struct Deployment<'a> {
    /// The stack's export bucket: the only destination it can write to.
    pub export_bucket: &'a str,
    /// The stack's region: its roles call QuickSight there only.
    pub region: &'a str,
    /// The stack's account: its roles call QuickSight in it only.
    pub account_id: &'a str,
}

/// `account_id` and `region` are the stack's own: its roles are scoped to
/// them, so a request naming another would fail every recipient with
/// AccessDenied; one refusal up front says why.
pub(crate) fn check_stack_target(
    errors: &mut ValidationErrors,
    deployment: Deployment<'_>,
    account_id: &str,
    region: &str,
) {
    if is_account_id(account_id) && account_id != deployment.account_id {
        errors.push(
            "account_id",
            format!(
                "must be this stack's account {}: its roles may call QuickSight in no other",
                deployment.account_id
            ),
        );
    }
    if is_region(region) && region != deployment.region {
        errors.push(
            "region",
            format!(
                "must be this stack's region {}: its roles may call QuickSight in no other, and QuickSight writes only to a bucket in the call's region",
                deployment.region
            ),
        );
    }
}

/// Checks the whole request: the shared target, every recipient, and the
/// rules across recipients (duplicate IDs, how many).
pub fn validate_request(
    request: &ExportRequest,
    deployment: Deployment<'_>,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    check_target(&mut errors, request);
    check_stack_target(
        &mut errors,
        deployment,
        &request.account_id,
        &request.region,
    );
    if let Some(destination) = &request.destination
        && is_bucket_name(&destination.bucket)
        && destination.bucket != deployment.export_bucket
    {
        errors.push(
            "destination.bucket",
            format!(
                "must be this stack's export bucket {:?}, got {:?}: the functions may write nowhere else",
                deployment.export_bucket, destination.bucket
            ),
        );
    }

    if request.recipients.is_empty() {
        errors.push("recipients", "must list at least one recipient");
    } else if request.recipients.len() > MAX_RECIPIENTS {
        errors.push(
            "recipients",
            format!(
                "has {} recipients; one run takes at most {MAX_RECIPIENTS} (split the batch)",
                request.recipients.len()
            ),
        );
    }
    let mut first_index_of: HashMap<&str, usize> = HashMap::new();
    for (i, recipient) in request.recipients.iter().enumerate() {
        let path = format!("recipients[{i}]");
        check_recipient(&mut errors, &path, recipient);
        if recipient.id.is_empty() {
            continue;
        }
        if let Some(first) = first_index_of.get(recipient.id.as_str()) {
            errors.push(
                format!("{path}.id"),
                format!(
                    "duplicates recipients[{first}].id ({:?}); recipient IDs must be unique",
                    recipient.id
                ),
            );
        } else {
            first_index_of.insert(&recipient.id, i);
        }
    }
    errors.into_result()
}

/// Checks what one job needs: the shared target and its recipient.
/// `start-job` runs this on the recipient it reads, so a direct invocation
/// fails as clearly as a run.
pub fn validate_job(
    request: &ExportRequest,
    recipient: &Recipient,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    check_target(&mut errors, request);
    check_recipient(&mut errors, "recipient", recipient);
    errors.into_result()
}

/// Checks a run ID taken from an execution name.
pub fn validate_run_id(run_id: &str) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    check_run_id(&mut errors, "run_id", run_id);
    errors.into_result()
}

fn check_target(errors: &mut ValidationErrors, target: &ExportRequest) {
    check_account_id(errors, "account_id", &target.account_id);
    check_region(errors, "region", &target.region);
    check_resource_id(errors, "dashboard_id", &target.dashboard_id);
    check_file_groups(errors, &target.file_groups);
    match &target.destination {
        None => errors.push(
            "destination",
            "is required: the S3 bucket, prefix and region to write the snapshots to",
        ),
        Some(destination) => check_destination(errors, destination, &target.region),
    }
    if let Some(parameters) = &target.parameters {
        check_parameters(errors, parameters);
    }
}

fn check_destination(errors: &mut ValidationErrors, destination: &S3Destination, region: &str) {
    if destination.bucket.is_empty() {
        errors.push("destination.bucket", "is required");
    } else if !is_bucket_name(&destination.bucket) {
        errors.push(
            "destination.bucket",
            format!(
                "{:?} is not a valid S3 bucket name (3-63 characters of a-z, 0-9, . and -)",
                destination.bucket
            ),
        );
    }
    let prefix_chars = destination.prefix.chars().count();
    if prefix_chars > MAX_PREFIX_CHARS {
        errors.push(
            "destination.prefix",
            format!("must be at most {MAX_PREFIX_CHARS} characters, got {prefix_chars}"),
        );
    }
    if destination.prefix.split('/').any(|part| part == "..") {
        errors.push("destination.prefix", "must not contain \"..\" segments");
    }
    if destination.region.is_empty() {
        errors.push("destination.region", "is required");
    } else if !is_region(&destination.region) {
        errors.push(
            "destination.region",
            format!("{:?} is not an AWS region name", destination.region),
        );
    } else if is_region(region) && destination.region != region {
        // QuickSight writes only to a bucket in the region it is called in.
        errors.push(
            "destination.region",
            format!(
                "must be the request's region {region:?}: QuickSight writes snapshots only to a bucket in its own region, got {:?}",
                destination.region
            ),
        );
    }
}

fn check_parameters(errors: &mut ValidationErrors, parameters: &DashboardParameters) {
    check_parameter_list(errors, "parameters.string", &parameters.string, |_| None);
    check_parameter_list(errors, "parameters.integer", &parameters.integer, |_| None);
    check_parameter_list(errors, "parameters.decimal", &parameters.decimal, |v| {
        (!v.is_finite()).then_some("must be a finite number")
    });
    check_parameter_list(errors, "parameters.datetime", &parameters.datetime, |v| {
        crate::time::parse_rfc3339(v)
            .is_none()
            .then_some("must be an RFC 3339 date-time such as 2026-01-31T00:00:00Z")
    });
}

/// `bad_value` says what is wrong with a value without showing it.
fn check_parameter_list<T>(
    errors: &mut ValidationErrors,
    path: &str,
    list: &[Parameter<T>],
    bad_value: impl Fn(&T) -> Option<&'static str>,
) {
    if list.len() > MAX_PARAMETERS_PER_TYPE {
        errors.push(
            path,
            format!(
                "must have at most {MAX_PARAMETERS_PER_TYPE} parameters, got {}",
                list.len()
            ),
        );
    }
    let mut first_index_of: HashMap<&str, usize> = HashMap::new();
    for (i, parameter) in list.iter().enumerate() {
        let name_path = format!("{path}[{i}].name");
        if parameter.name.trim().is_empty() {
            errors.push(&name_path, "is required (the dashboard parameter's name)");
        } else if let Some(first) = first_index_of.get(parameter.name.as_str()) {
            errors.push(
                &name_path,
                format!("duplicates {path}[{first}].name ({:?})", parameter.name),
            );
        } else {
            first_index_of.insert(&parameter.name, i);
        }
        if parameter.values.is_empty() {
            errors.push(
                format!("{path}[{i}].values"),
                "must have at least one value",
            );
        }
        for (j, value) in parameter.values.iter().enumerate() {
            if let Some(problem) = bad_value(value.expose()) {
                errors.push(format!("{path}[{i}].values[{j}]"), problem);
            }
        }
    }
}

/// Why a recipient without tags is refused rather than run as someone.
///
/// Without `UserConfiguration` QuickSight runs the job as the registered user
/// whose credentials call it, and only that user may describe and fetch the
/// job. These functions call with their own role, which is no QuickSight user
/// of the reader's: each registered recipient would need identity-enhanced
/// credentials of its own QuickSight user, shared by start, check and fetch.
/// Until that exists, a missing or null list is an error, never a silent
/// change of identity.
const REGISTERED_USERS_UNSUPPORTED: &str = "is required: 1-50 row-level-security tags, the \
     recipient's rows (registered-user snapshots are not supported: they must run with \
     that QuickSight user's own identity-enhanced credentials)";

fn check_recipient(errors: &mut ValidationErrors, path: &str, recipient: &Recipient) {
    check_id_chars(
        errors,
        &format!("{path}.id"),
        &recipient.id,
        MAX_RECIPIENT_ID_CHARS,
    );
    let tags_path = format!("{path}.rls_tags");
    let Some(tags) = &recipient.rls_tags else {
        errors.push(&tags_path, REGISTERED_USERS_UNSUPPORTED);
        return;
    };
    if tags.is_empty() || tags.len() > MAX_RLS_TAGS {
        errors.push(
            &tags_path,
            format!("must have 1-{MAX_RLS_TAGS} tags, got {}", tags.len()),
        );
    }
    let mut first_index_of: HashMap<&str, usize> = HashMap::new();
    for (k, tag) in tags.iter().enumerate() {
        let key_path = format!("{tags_path}[{k}].key");
        let key_chars = tag.key.chars().count();
        if key_chars == 0 || key_chars > MAX_TAG_KEY_CHARS {
            errors.push(
                &key_path,
                format!("must be 1-{MAX_TAG_KEY_CHARS} characters, got {key_chars}"),
            );
        } else if let Some(first) = first_index_of.get(tag.key.as_str()) {
            errors.push(
                &key_path,
                format!("duplicates {tags_path}[{first}].key ({:?})", tag.key),
            );
        } else {
            first_index_of.insert(&tag.key, k);
        }
        let value_chars = tag.value.expose().chars().count();
        if value_chars == 0 || value_chars > MAX_TAG_VALUE_CHARS {
            // The count only: the value itself is sensitive.
            errors.push(
                format!("{tags_path}[{k}].value"),
                format!("must be 1-{MAX_TAG_VALUE_CHARS} characters, got {value_chars}"),
            );
        }
    }
}
