//! The Excel workbook: one worksheet per selected visual, each holding the
//! table, and the dashboard, job and scope in the document properties.
//! Written with `rust_xlsxwriter`.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

use super::{COLUMNS, RenderError, Snapshot};

/// Excel's limit on a worksheet name, in UTF-16 units.
const MAX_SHEET_NAME: usize = 31;

pub fn render(s: &Snapshot<'_>) -> Result<Vec<u8>, RenderError> {
    let mut properties = DocProperties::new()
        .set_title(format!("Dashboard {}", s.dashboard_id))
        .set_subject(format!("Snapshot job {}", s.snapshot_job_id))
        .set_comment(format!(
            "Sheet {}, taken {} for {}",
            s.sheet_ids.join(", "),
            s.created_at,
            s.scope_line()
        ));
    // Created when the job was, not when the file is written.
    if let Ok(created) = ExcelDateTime::parse_from_str(s.created_at) {
        properties = properties.set_creation_datetime(&created);
    }
    let mut workbook = Workbook::new();
    workbook.set_properties(&properties);
    let rows = s.rows();
    for name in sheet_names(&s.visual_ids) {
        let sheet = workbook.add_worksheet().set_name(name)?;
        for (col, title) in (0u16..).zip(COLUMNS) {
            sheet.write_string(0, col, title)?;
        }
        for (r, row) in (1u32..).zip(&rows) {
            sheet.write_string(r, 0, &row.month)?;
            sheet.write_string(r, 1, &row.item)?;
            sheet.write_number(r, 2, row.amount)?;
        }
    }
    Ok(workbook.save_to_buffer()?)
}

/// One worksheet name per visual, as Excel takes them: 1 to 31 characters,
/// none of `[]:*?/\`, no apostrophe at either end, unique regardless of case.
/// Visual IDs are `[\w-]+`, so most pass unchanged; a workbook without
/// visuals gets one `Sheet1`.
fn sheet_names(visual_ids: &[&str]) -> Vec<String> {
    if visual_ids.is_empty() {
        return vec!["Sheet1".to_string()];
    }
    let mut names: Vec<String> = Vec::new();
    for (i, id) in visual_ids.iter().enumerate() {
        let cleaned: String = id
            .chars()
            .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
            .collect();
        let mut base = fit(&cleaned, MAX_SHEET_NAME);
        if base.is_empty() {
            base = format!("Visual {}", i + 1);
        }
        let mut name = base.clone();
        let mut n = 2;
        while names
            .iter()
            .any(|taken| taken.to_lowercase() == name.to_lowercase())
        {
            let suffix = format!(" ({n})");
            name = format!("{}{suffix}", fit(&base, MAX_SHEET_NAME - suffix.len()));
            n += 1;
        }
        names.push(name);
    }
    names
}

/// The longest prefix of `name` within `max` UTF-16 units, without
/// apostrophes at either end.
fn fit(name: &str, max: usize) -> String {
    let mut units = 0;
    let prefix: String = name
        .chars()
        .take_while(|c| {
            units += c.len_utf16();
            units <= max
        })
        .collect();
    prefix.trim_matches('\'').to_string()
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

    use super::*;
    use crate::artifacts::sample;

    #[test]
    fn has_one_worksheet_per_visual_with_the_table() {
        let bytes = render(&sample()).unwrap();
        let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(workbook.sheet_names(), ["orders", "returns"]);
        let range = workbook.worksheet_range("returns").unwrap();
        assert_eq!(range.get_size(), (6, 3));
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(header, COLUMNS);
        let first = &range.rows().nth(1).unwrap();
        assert_eq!(first[0], Data::String("2026-01".into()));
        assert_eq!(first[1], Data::String("item-1".into()));
        assert!(matches!(first[2], Data::Float(_)), "{:?}", first[2]);
    }

    #[test]
    fn names_the_dashboard_and_job_and_tag_keys_only() {
        let keys = ["tenant".to_string()];
        let snapshot = Snapshot {
            tag_keys: &keys,
            ..sample()
        };
        let bytes = render(&snapshot).unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut core = String::new();
        zip.by_name("docProps/core.xml")
            .unwrap()
            .read_to_string(&mut core)
            .unwrap();
        assert!(core.contains("Dashboard sales"), "{core}");
        assert!(core.contains("Snapshot job run-1-acme-0011"), "{core}");
        assert!(core.contains("row-level security on tenant"), "{core}");
        assert!(core.contains(">2026-11-24T00:00:00Z<"), "{core}");
    }

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let long = "v".repeat(40);
        let names = sheet_names(&["orders", "ORDERS", &long, &long, "a/b", "'q'"]);
        assert_eq!(names[0], "orders");
        assert_eq!(names[1], "ORDERS (2)");
        assert_eq!(names[2], "v".repeat(31));
        assert_eq!(names[3], format!("{} (2)", "v".repeat(27)));
        assert_eq!(names[4], "a_b");
        assert_eq!(names[5], "q");
        assert_eq!(sheet_names(&[]), ["Sheet1"]);
        // And the writer takes them all.
        let visuals = ["orders", "ORDERS", &long, &long, "a/b", "'q'"];
        let snapshot = Snapshot {
            visual_ids: visuals.to_vec(),
            ..sample()
        };
        let bytes = render(&snapshot).unwrap();
        let workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(workbook.sheet_names().len(), 6);
    }
}
