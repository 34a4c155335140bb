//! The second job kind: an asset bundle backup. A person stores a backup
//! request (which resources, in which format); `prepare-run` splits the
//! resources into bundles, each bundle is one Map item and one
//! `StartAssetBundleExportJob`, and its outcome records where the bundle
//! went, its size and its checksum. Resource ARNs are names, not secrets.

use serde::{Deserialize, Serialize};

use super::request::S3Destination;

/// The `kind` a backup request carries; a request without `kind` is an
/// export request (dashboard snapshots).
pub const BACKUP_KIND: &str = "asset_bundle_backup";

/// Bundles of this many resources when the request does not say.
pub const DEFAULT_BUNDLE_SIZE: usize = 20;

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    /// Always [`BACKUP_KIND`].
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub region: String,
    /// QuickSight resource ARNs to back up (dashboards, analyses, data
    /// sets, themes, ...). Either this or `all_dashboards`.
    #[serde(default)]
    pub resource_arns: Vec<String>,
    /// Back up every dashboard of the account in the region, as
    /// ListDashboards pages them when the run starts.
    #[serde(default)]
    pub all_dashboards: bool,
    /// Resources per bundle (1-100; default 20): one export job each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_size: Option<usize>,
    #[serde(default)]
    pub export_format: BundleFormat,
    /// Export what the resources depend on too (data sets, data sources).
    #[serde(default = "yes")]
    pub include_all_dependencies: bool,
    #[serde(default)]
    pub include_permissions: bool,
    #[serde(default)]
    pub include_tags: bool,
    /// For CLOUDFORMATION_JSON only: which properties become parameters of
    /// the CloudFormation template (QuickSight's
    /// `CloudFormationOverridePropertyConfiguration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudformation_override_properties: Option<CloudFormationOverrides>,
    #[serde(default)]
    pub destination: Option<S3Destination>,
}

/// The override properties this project passes on.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CloudFormationOverrides {
    /// Parameterize a prefix for every resource ID.
    #[serde(default)]
    pub prefix_for_all_resources: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_sources: Vec<OverrideProperties>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_sets: Vec<OverrideProperties>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analyses: Vec<OverrideProperties>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dashboards: Vec<OverrideProperties>,
}

/// One resource's properties to parameterize (`Name`, `DataSourceParameters`,
/// ... as QuickSight names them; `*` for every resource of the type).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct OverrideProperties {
    pub arn: String,
    pub properties: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum BundleFormat {
    #[default]
    #[serde(rename = "QUICKSIGHT_JSON")]
    QuickSightJson,
    #[serde(rename = "CLOUDFORMATION_JSON")]
    CloudFormationJson,
}

impl BundleFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            BundleFormat::QuickSightJson => "QUICKSIGHT_JSON",
            BundleFormat::CloudFormationJson => "CLOUDFORMATION_JSON",
        }
    }

    /// The file a bundle of this format is stored as.
    pub fn file_name(self, bundle_id: &str) -> String {
        match self {
            BundleFormat::QuickSightJson => format!("{bundle_id}.qs"),
            BundleFormat::CloudFormationJson => format!("{bundle_id}.json"),
        }
    }
}

impl BackupRequest {
    pub fn bundle_size(&self) -> usize {
        self.bundle_size.unwrap_or(DEFAULT_BUNDLE_SIZE)
    }
}

/// One bundle of a run: `<run>/bundles.json` lists them in item order.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BundlePlan {
    /// `bundle-0001`, ...: the Map item's ID, the outcome's `recipient_id`.
    pub id: String,
    pub resource_arns: Vec<String>,
}

/// A stored bundle, in its outcome.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct StoredBundle {
    pub s3_uri: String,
    pub bytes: u64,
    /// Hex SHA-256 of the bundle's bytes, computed while it streamed.
    pub sha256: String,
    pub resource_arns: Vec<String>,
    /// DownloadUrls it took: more than 1 when one had expired or was refused.
    pub download_attempts: u32,
}

/// One entry of a failed export's `Errors`, or of its `Warnings`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct BundleIssue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub issue_type: Option<String>,
    pub message: String,
}
