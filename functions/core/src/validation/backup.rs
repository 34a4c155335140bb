//! Validation of an asset bundle backup request: every problem at once,
//! each naming its field, before any export starts.

use super::{
    Deployment, ValidationErrors, check_account_id, check_destination, check_region,
    check_stack_target, is_bucket_name,
};
use crate::model::{BACKUP_KIND, BackupRequest, BundleFormat};

/// QuickSight takes at most 100 resource ARNs per export job.
pub const MAX_BUNDLE_SIZE: usize = 100;
/// Resources one backup run takes (named, or found by `all_dashboards`).
pub const MAX_BACKUP_RESOURCES: usize = 10_000;

pub fn validate_backup(
    request: &BackupRequest,
    deployment: Deployment<'_>,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if request.kind != BACKUP_KIND {
        errors.push(
            "kind",
            format!("must be {BACKUP_KIND:?} for a backup request"),
        );
    }
    check_account_id(&mut errors, "account_id", &request.account_id);
    check_region(&mut errors, "region", &request.region);
    check_stack_target(
        &mut errors,
        deployment,
        &request.account_id,
        &request.region,
    );
    match (request.resource_arns.is_empty(), request.all_dashboards) {
        (true, false) => errors.push(
            "resource_arns",
            "is required (QuickSight resource ARNs to back up), unless all_dashboards is true",
        ),
        (false, true) => errors.push(
            "all_dashboards",
            "cannot be combined with resource_arns: name the resources, or ask for every dashboard",
        ),
        _ => {}
    }
    check_arns(&mut errors, request);
    let size = request.bundle_size();
    if !(1..=MAX_BUNDLE_SIZE).contains(&size) {
        errors.push(
            "bundle_size",
            format!("must be 1-{MAX_BUNDLE_SIZE} resources per bundle, got {size}"),
        );
    }
    if request.cloudformation_override_properties.is_some()
        && request.export_format != BundleFormat::CloudFormationJson
    {
        errors.push(
            "cloudformation_override_properties",
            "applies only to export_format CLOUDFORMATION_JSON",
        );
    }
    match &request.destination {
        None => errors.push(
            "destination",
            "is required: the S3 bucket, prefix and region to store the bundles in",
        ),
        Some(destination) => {
            check_destination(&mut errors, destination, &request.region);
            if is_bucket_name(&destination.bucket) && destination.bucket != deployment.export_bucket
            {
                errors.push(
                    "destination.bucket",
                    format!(
                        "must be this stack's export bucket {:?}, got {:?}: the functions may write nowhere else",
                        deployment.export_bucket, destination.bucket
                    ),
                );
            }
        }
    }
    errors.into_result()
}

/// ARNs of QuickSight resources in the request's account and region, each once.
fn check_arns(errors: &mut ValidationErrors, request: &BackupRequest) {
    if request.resource_arns.len() > MAX_BACKUP_RESOURCES {
        errors.push(
            "resource_arns",
            format!(
                "names {} resources; one backup takes at most {MAX_BACKUP_RESOURCES} (split it)",
                request.resource_arns.len()
            ),
        );
        return;
    }
    let mut seen = std::collections::HashMap::new();
    for (i, arn) in request.resource_arns.iter().enumerate() {
        let path = format!("resource_arns[{i}]");
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let well_formed = parts.len() == 6
            && parts[0] == "arn"
            && parts[1].starts_with("aws")
            && parts[2] == "quicksight"
            && parts[5].contains('/');
        if !well_formed {
            errors.push(
                path,
                format!(
                    "{arn:?} is not a QuickSight resource ARN (arn:aws:quicksight:<region>:<account>:<type>/<id>)"
                ),
            );
            continue;
        }
        if parts[3] != request.region || parts[4] != request.account_id {
            errors.push(
                path,
                format!(
                    "{arn:?} is not in the request's account {:?} and region {:?}",
                    request.account_id, request.region
                ),
            );
            continue;
        }
        if let Some(first) = seen.insert(arn.as_str(), i) {
            errors.push(path, format!("duplicates resource_arns[{first}]"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::S3Destination;

    fn request() -> BackupRequest {
        BackupRequest {
            kind: BACKUP_KIND.into(),
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            resource_arns: vec!["arn:aws:quicksight:us-east-1:123456789012:dashboard/sales".into()],
            destination: Some(S3Destination {
                bucket: "exports".into(),
                prefix: "backups".into(),
                region: "us-east-1".into(),
            }),
            ..Default::default()
        }
    }

    const DEPLOYMENT: Deployment<'static> = Deployment {
        export_bucket: "exports",
        region: "us-east-1",
        account_id: "123456789012",
    };

    #[test]
    fn a_well_formed_backup_passes() {
        validate_backup(&request(), DEPLOYMENT).unwrap();
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        let mut bad = request();
        bad.kind = "backup".into();
        bad.account_id = "12".into();
        bad.resource_arns = vec![
            "arn:aws:quicksight:us-east-1:123456789012:dashboard/a".into(),
            "arn:aws:s3:::bucket/key".into(),
            "arn:aws:quicksight:eu-west-1:123456789012:dashboard/b".into(),
            "arn:aws:quicksight:us-east-1:123456789012:dashboard/a".into(),
        ];
        bad.bundle_size = Some(0);
        bad.cloudformation_override_properties = Some(Default::default());
        bad.destination.as_mut().unwrap().bucket = "elsewhere".into();
        let errors = validate_backup(&bad, DEPLOYMENT).unwrap_err();
        let mut paths = errors.paths();
        paths.sort_unstable();
        assert_eq!(
            paths,
            [
                "account_id",
                "bundle_size",
                "cloudformation_override_properties",
                "destination.bucket",
                "kind",
                // In account "12" now, as are the others.
                "resource_arns[0]",
                "resource_arns[1]",
                "resource_arns[2]",
                "resource_arns[3]",
            ]
        );
    }

    #[test]
    fn resources_are_named_or_all_dashboards_never_both_nor_neither() {
        let mut neither = request();
        neither.resource_arns.clear();
        assert_eq!(
            validate_backup(&neither, DEPLOYMENT).unwrap_err().paths(),
            ["resource_arns"]
        );
        let mut both = request();
        both.all_dashboards = true;
        assert_eq!(
            validate_backup(&both, DEPLOYMENT).unwrap_err().paths(),
            ["all_dashboards"]
        );
        neither.all_dashboards = true;
        validate_backup(&neither, DEPLOYMENT).unwrap();
    }
}
