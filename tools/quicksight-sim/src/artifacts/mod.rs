//! Small but real files, so a person can open what a local run produced: a
//! snapshot job's PDF, CSV and XLSX, and an asset bundle's zip. The rows are
//! made up; no tag value is ever written into a file, only tag keys.

pub mod asset_bundle;
pub mod csv;
pub mod pdf;
pub mod xlsx;

use std::fmt;

/// What a snapshot file shows.
pub struct Snapshot<'a> {
    pub dashboard_id: &'a str,
    pub snapshot_job_id: &'a str,
    pub sheet_ids: Vec<&'a str>,
    pub visual_ids: Vec<&'a str>,
    /// Tag keys only: the values are sensitive.
    pub tag_keys: &'a [String],
    pub created_at: &'a str,
}

/// The columns of every table in a snapshot file.
pub const COLUMNS: [&str; 3] = ["month", "item", "amount"];

/// One made-up table row.
pub struct Row {
    pub month: String,
    pub item: String,
    pub amount: f64,
}

impl Snapshot<'_> {
    /// A deterministic "query result" that differs per job.
    pub fn rows(&self) -> Vec<Row> {
        let seed = self
            .snapshot_job_id
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        (1..=5)
            .map(|i| Row {
                month: format!("2026-0{i}"),
                item: format!("item-{i}"),
                amount: (seed.wrapping_mul(i * 2654435761) % 100_000) as f64 / 100.0,
            })
            .collect()
    }

    /// Whose view the snapshot shows, naming tag keys only.
    pub fn scope_line(&self) -> String {
        if self.tag_keys.is_empty() {
            "registered user".to_string()
        } else {
            format!("row-level security on {}", self.tag_keys.join(", "))
        }
    }
}

/// A file that could not be produced. The writers fail only on input that
/// validation already refuses, but a bad file must not take the simulator
/// down with it.
#[derive(Debug)]
pub struct RenderError(String);

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RenderError {}

impl From<rust_xlsxwriter::XlsxError> for RenderError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        RenderError(format!("xlsx: {e}"))
    }
}

impl From<zip::result::ZipError> for RenderError {
    fn from(e: zip::result::ZipError) -> Self {
        RenderError(format!("zip: {e}"))
    }
}

impl From<std::io::Error> for RenderError {
    fn from(e: std::io::Error) -> Self {
        RenderError(format!("io: {e}"))
    }
}

/// `FormatType` is one of PDF, CSV and EXCEL (validated at Start).
pub fn content_type(format: &str) -> &'static str {
    match format {
        "PDF" => "application/pdf",
        "CSV" => "text/csv",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
}

pub fn extension(format: &str) -> &'static str {
    match format {
        "PDF" => "pdf",
        "CSV" => "csv",
        _ => "xlsx",
    }
}

pub fn render(format: &str, snapshot: &Snapshot<'_>) -> Result<Vec<u8>, RenderError> {
    match format {
        "PDF" => Ok(pdf::render(snapshot)),
        "CSV" => Ok(csv::render(snapshot)),
        _ => xlsx::render(snapshot),
    }
}

#[cfg(test)]
pub(crate) fn sample() -> Snapshot<'static> {
    Snapshot {
        dashboard_id: "sales",
        snapshot_job_id: "run-1-acme-0011",
        sheet_ids: vec!["summary"],
        visual_ids: vec!["orders", "returns"],
        tag_keys: &[],
        created_at: "2026-11-24T00:00:00Z",
    }
}
