//! The export request a person writes and stores in S3.
//!
//! Field names are snake_case throughout; QuickSight's own PascalCase shapes
//! stay inside the adapter (`quicksight::sdk`). Required fields default to
//! empty when missing so that validation can report every missing field at
//! once instead of stopping at the first one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One batch: a dashboard exported once per recipient.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// Free text for people; copied to the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub account_id: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub dashboard_id: String,
    /// The files each recipient gets: 1-7 groups of one file each.
    #[serde(default)]
    pub file_groups: Vec<FileGroup>,
    #[serde(default)]
    pub destination: Option<S3Destination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<DashboardParameters>,
    #[serde(default)]
    pub recipients: Vec<Recipient>,
}

/// One file of a snapshot. QuickSight wraps each file in a "file group" of
/// exactly one file; this model makes that rule structural.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileGroup {
    pub format: FileFormat,
    #[serde(default)]
    pub sheets: Vec<SheetSelection>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "UPPERCASE")]
pub enum FileFormat {
    Csv,
    Pdf,
    Excel,
}

impl FileFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            FileFormat::Csv => "CSV",
            FileFormat::Pdf => "PDF",
            FileFormat::Excel => "EXCEL",
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SheetSelection {
    #[serde(default)]
    pub sheet_id: String,
    /// Defaults to SELECTED_VISUALS when `visual_ids` is given, else ALL_VISUALS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<SelectionScope>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub visual_ids: Vec<String>,
}

impl SheetSelection {
    pub fn effective_scope(&self) -> SelectionScope {
        self.scope.unwrap_or(if self.visual_ids.is_empty() {
            SelectionScope::AllVisuals
        } else {
            SelectionScope::SelectedVisuals
        })
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SelectionScope {
    AllVisuals,
    SelectedVisuals,
}

impl SelectionScope {
    pub fn as_str(self) -> &'static str {
        match self {
            SelectionScope::AllVisuals => "ALL_VISUALS",
            SelectionScope::SelectedVisuals => "SELECTED_VISUALS",
        }
    }
}

/// Where QuickSight writes the snapshots: the stack's export bucket, under
/// `<prefix>/<run_id>/` (see `layout` for the keys of one run).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3Destination {
    #[serde(default)]
    pub bucket: String,
    #[serde(default)]
    pub prefix: String,
    #[serde(default)]
    pub region: String,
}

/// Dashboard parameters applied to every job. Values are sensitive: they are
/// never logged and never appear in error messages.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DashboardParameters {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub string: Vec<Parameter<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub integer: Vec<Parameter<i64>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decimal: Vec<Parameter<f64>>,
    /// RFC 3339 date-times, for example `2026-01-31T00:00:00Z`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datetime: Vec<Parameter<String>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Parameter<T> {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub values: Vec<Sensitive<T>>,
}

/// A recipient: one snapshot job, run as an anonymous user who sees only the
/// rows its `rls_tags` allow. `rls_tags` is an `Option` only so that
/// validation can name a missing list; a request without it is invalid
/// (registered-user snapshots are not supported, see validation).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rls_tags: Option<Vec<RlsTag>>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RlsTag {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: Sensitive<String>,
}

/// A value that must never be printed: `Debug` shows `***`. Serde sees the
/// value itself, because it has to reach QuickSight.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct Sensitive<T>(pub T);

impl<T> Sensitive<T> {
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Sensitive(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_do_not_show_in_debug_output() {
        let tag = RlsTag {
            key: "tenant".into(),
            value: Sensitive("acme-secret".into()),
        };
        let shown = format!("{tag:?}");
        assert!(shown.contains("tenant"));
        assert!(!shown.contains("acme-secret"), "{shown}");
    }

    #[test]
    fn sheet_scope_follows_visual_ids_when_not_given() {
        let all: SheetSelection = serde_json::from_str(r#"{"sheet_id":"s1"}"#).unwrap();
        assert_eq!(all.effective_scope(), SelectionScope::AllVisuals);
        let some: SheetSelection =
            serde_json::from_str(r#"{"sheet_id":"s1","visual_ids":["v"]}"#).unwrap();
        assert_eq!(some.effective_scope(), SelectionScope::SelectedVisuals);
    }
}
