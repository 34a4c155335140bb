//! The constraints QuickSight enforces on StartDashboardSnapshotJob and
//! StartAssetBundleExportJob requests (botocore's service model plus the API
//! reference), answered with `InvalidParameterValueException`. Messages never
//! quote a tag value.

use crate::wire::{
    ApiError, SnapshotConfiguration, StartAssetBundleExportRequest, StartSnapshotJobRequest,
};

pub fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

/// `ShortRestrictiveResourceId`: 1-512 characters of `[\w\-]`.
pub fn is_resource_id(value: &str) -> bool {
    (1..=512).contains(&value.chars().count())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn check_account_id(value: &str) -> Result<(), ApiError> {
    if is_account_id(value) {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{value}' at 'awsAccountId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9]{{12}}$"
        )))
    }
}

pub fn check_resource_id(field: &str, value: &str) -> Result<(), ApiError> {
    if is_resource_id(value) {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length between 1 and 512 and match pattern [\\w\\-]+"
        )))
    }
}

/// Checks a Start request; `region` is the region the call was made in,
/// when the request says (from its signature).
pub fn check_start(
    request: &StartSnapshotJobRequest,
    region: Option<&str>,
) -> Result<(), ApiError> {
    let job_id = request
        .snapshot_job_id
        .as_deref()
        .ok_or_else(|| ApiError::invalid("SnapshotJobId is required"))?;
    check_resource_id("snapshotJobId", job_id)?;
    let configuration = request
        .snapshot_configuration
        .as_ref()
        .ok_or_else(|| ApiError::invalid("SnapshotConfiguration is required"))?;
    check_configuration(configuration, region)?;
    if let Some(user) = &request.user_configuration {
        let users = user.anonymous_users.as_deref().unwrap_or_default();
        if users.len() != 1 {
            return Err(ApiError::invalid(format!(
                "UserConfiguration.AnonymousUsers must have exactly 1 member, got {}",
                users.len()
            )));
        }
        let tags = users[0]
            .row_level_permission_tags
            .as_deref()
            .unwrap_or_default();
        if tags.is_empty() || tags.len() > 50 {
            return Err(ApiError::invalid(format!(
                "RowLevelPermissionTags must have between 1 and 50 members, got {}",
                tags.len()
            )));
        }
        for (i, tag) in tags.iter().enumerate() {
            let k = tag.key.chars().count();
            if !(1..=128).contains(&k) {
                return Err(ApiError::invalid(format!(
                    "RowLevelPermissionTags[{i}].Key must have length between 1 and 128, got {k}"
                )));
            }
            let v = tag.value.chars().count();
            if !(1..=256).contains(&v) {
                return Err(ApiError::invalid(format!(
                    "RowLevelPermissionTags[{i}].Value must have length between 1 and 256"
                )));
            }
        }
    }
    Ok(())
}

fn check_configuration(c: &SnapshotConfiguration, region: Option<&str>) -> Result<(), ApiError> {
    let groups = c.file_groups.as_deref().unwrap_or_default();
    if groups.is_empty() || groups.len() > 7 {
        return Err(ApiError::invalid(format!(
            "SnapshotConfiguration.FileGroups must have between 1 and 7 members, got {}",
            groups.len()
        )));
    }
    let (mut pdf, mut excel, mut csv) = (0, 0, 0);
    for (g, group) in groups.iter().enumerate() {
        let files = group.files.as_deref().unwrap_or_default();
        if files.len() != 1 {
            return Err(ApiError::invalid(format!(
                "FileGroups[{g}].Files must have exactly 1 member, got {}",
                files.len()
            )));
        }
        let file = &files[0];
        let selections = file.sheet_selections.as_deref().unwrap_or_default();
        if selections.is_empty() || selections.len() > 5 {
            return Err(ApiError::invalid(format!(
                "FileGroups[{g}].Files[0].SheetSelections must have between 1 and 5 members, got {}",
                selections.len()
            )));
        }
        let mut visuals = 0;
        for (s, selection) in selections.iter().enumerate() {
            check_resource_id("sheetId", &selection.sheet_id)?;
            let ids = selection.visual_ids.as_deref().unwrap_or_default();
            match selection.selection_scope.as_str() {
                "ALL_VISUALS" => {
                    if !ids.is_empty() {
                        return Err(ApiError::invalid(format!(
                            "FileGroups[{g}].Files[0].SheetSelections[{s}]: VisualIds must be empty when SelectionScope is ALL_VISUALS"
                        )));
                    }
                }
                "SELECTED_VISUALS" => {
                    if ids.is_empty() || ids.len() > 5 {
                        return Err(ApiError::invalid(format!(
                            "FileGroups[{g}].Files[0].SheetSelections[{s}].VisualIds must have between 1 and 5 members, got {}",
                            ids.len()
                        )));
                    }
                }
                other => {
                    return Err(ApiError::invalid(format!(
                        "SelectionScope '{other}' is not one of ALL_VISUALS, SELECTED_VISUALS"
                    )));
                }
            }
            for id in ids {
                check_resource_id("visualIds", id)?;
            }
            visuals += ids.len();
        }
        match file.format_type.as_str() {
            "PDF" => {
                pdf += 1;
                if selections.len() != 1 || selections[0].selection_scope != "ALL_VISUALS" {
                    return Err(ApiError::invalid(format!(
                        "FileGroups[{g}]: a PDF takes exactly one sheet with SelectionScope ALL_VISUALS"
                    )));
                }
            }
            "CSV" => {
                csv += 1;
                if selections.len() != 1 || visuals != 1 {
                    return Err(ApiError::invalid(format!(
                        "FileGroups[{g}]: a CSV takes exactly one visual of one sheet"
                    )));
                }
            }
            "EXCEL" => {
                excel += 1;
                if visuals > 5
                    || selections
                        .iter()
                        .any(|s| s.selection_scope != "SELECTED_VISUALS")
                {
                    return Err(ApiError::invalid(format!(
                        "FileGroups[{g}]: an Excel file takes 1 to 5 selected visuals"
                    )));
                }
            }
            other => {
                return Err(ApiError::invalid(format!(
                    "FormatType '{other}' is not one of CSV, PDF, EXCEL"
                )));
            }
        }
    }
    if pdf > 1 || excel > 1 || csv > 5 {
        return Err(ApiError::invalid(format!(
            "a job produces at most 1 PDF, 1 Excel and 5 CSV files; got {pdf}, {excel} and {csv}"
        )));
    }
    let destinations = c
        .destination_configuration
        .as_ref()
        .and_then(|d| d.s3_destinations.as_deref())
        .unwrap_or_default();
    if destinations.len() != 1 {
        return Err(ApiError::invalid(format!(
            "DestinationConfiguration.S3Destinations must have exactly 1 member, got {}",
            destinations.len()
        )));
    }
    let bucket = destinations[0]
        .bucket_configuration
        .as_ref()
        .ok_or_else(|| ApiError::invalid("S3Destinations[0].BucketConfiguration is required"))?;
    for (field, value) in [
        ("BucketName", &bucket.bucket_name),
        ("BucketPrefix", &bucket.bucket_prefix),
        ("BucketRegion", &bucket.bucket_region),
    ] {
        if value.trim().is_empty() {
            return Err(ApiError::invalid(format!(
                "S3Destinations[0].BucketConfiguration.{field} must not be empty"
            )));
        }
    }
    if let Some(region) = region
        && bucket.bucket_region != region
    {
        return Err(ApiError::invalid(format!(
            "The S3 bucket must be in the same region as the API call ({region}), got {}",
            bucket.bucket_region
        )));
    }
    if let Some(parameters) = &c.parameters {
        for list in [
            "StringParameters",
            "IntegerParameters",
            "DecimalParameters",
            "DateTimeParameters",
        ] {
            let n = parameters
                .get(list)
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len);
            if n > 100 {
                return Err(ApiError::invalid(format!(
                    "Parameters.{list} must have at most 100 members, got {n}"
                )));
            }
        }
    }
    Ok(())
}

/// Checks a StartAssetBundleExportJob request. A resource that does not
/// exist is not checked here: QuickSight fails the job, not the call.
pub fn check_asset_bundle_export(request: &StartAssetBundleExportRequest) -> Result<(), ApiError> {
    let job_id = request
        .asset_bundle_export_job_id
        .as_deref()
        .ok_or_else(|| ApiError::invalid("AssetBundleExportJobId is required"))?;
    check_resource_id("assetBundleExportJobId", job_id)?;
    let resource_arns = request.resource_arns.as_deref().unwrap_or_default();
    if resource_arns.is_empty() || resource_arns.len() > 100 {
        return Err(ApiError::invalid(format!(
            "ResourceArns must have between 1 and 100 members, got {}",
            resource_arns.len()
        )));
    }
    if let Some(bad) = resource_arns
        .iter()
        .find(|a| !a.starts_with("arn:aws:quicksight:"))
    {
        return Err(ApiError::invalid(format!(
            "{bad} is not a QuickSight resource ARN"
        )));
    }
    let export_format = request.export_format.as_deref().unwrap_or_default();
    if !matches!(export_format, "CLOUDFORMATION_JSON" | "QUICKSIGHT_JSON") {
        return Err(ApiError::invalid(format!(
            "ExportFormat '{export_format}' is not one of CLOUDFORMATION_JSON, QUICKSIGHT_JSON"
        )));
    }
    Ok(())
}
