//! The files a request asks for: formats, sheets, visuals, and the caps
//! QuickSight sets on each.

use super::*;

pub(super) fn check_file_groups(errors: &mut ValidationErrors, groups: &[FileGroup]) {
    if groups.is_empty() || groups.len() > MAX_FILE_GROUPS {
        errors.push(
            "file_groups",
            format!(
                "must have 1-{MAX_FILE_GROUPS} file groups, got {}",
                groups.len()
            ),
        );
    }
    let count = |format: FileFormat| groups.iter().filter(|g| g.format == format).count();
    for (format, max) in [
        (FileFormat::Pdf, MAX_PDF_FILES),
        (FileFormat::Excel, MAX_EXCEL_FILES),
        (FileFormat::Csv, MAX_CSV_FILES),
    ] {
        let n = count(format);
        if n > max {
            errors.push(
                "file_groups",
                format!(
                    "has {n} {} files; a job produces at most {max}",
                    format.as_str()
                ),
            );
        }
    }
    for (i, group) in groups.iter().enumerate() {
        check_file_group(errors, &format!("file_groups[{i}]"), group);
    }
}

pub(super) fn check_file_group(errors: &mut ValidationErrors, path: &str, group: &FileGroup) {
    let sheets_path = format!("{path}.sheets");
    let n = group.sheets.len();
    if n == 0 || n > MAX_SHEET_SELECTIONS {
        errors.push(
            &sheets_path,
            format!("must have 1-{MAX_SHEET_SELECTIONS} sheet selections, got {n}"),
        );
    }
    for (j, sheet) in group.sheets.iter().enumerate() {
        let sheet_path = format!("{sheets_path}[{j}]");
        check_resource_id(errors, &format!("{sheet_path}.sheet_id"), &sheet.sheet_id);
        let scope = sheet.effective_scope();
        let visuals_path = format!("{sheet_path}.visual_ids");
        match scope {
            SelectionScope::AllVisuals => {
                if !sheet.visual_ids.is_empty() {
                    errors.push(&visuals_path, "must be empty when scope is ALL_VISUALS");
                }
            }
            SelectionScope::SelectedVisuals => {
                let v = sheet.visual_ids.len();
                if v == 0 || v > MAX_VISUAL_IDS {
                    errors.push(
                        &visuals_path,
                        format!(
                            "must have 1-{MAX_VISUAL_IDS} visual IDs with scope SELECTED_VISUALS, got {v}"
                        ),
                    );
                }
            }
        }
        for (k, visual) in sheet.visual_ids.iter().enumerate() {
            check_resource_id(errors, &format!("{visuals_path}[{k}]"), visual);
        }
        match group.format {
            FileFormat::Pdf if scope != SelectionScope::AllVisuals => errors.push(
                format!("{sheet_path}.scope"),
                "a PDF takes whole sheets: scope must be ALL_VISUALS (leave out visual_ids)",
            ),
            FileFormat::Csv | FileFormat::Excel if scope != SelectionScope::SelectedVisuals => {
                errors.push(
                    format!("{sheet_path}.scope"),
                    format!(
                        "a {} file takes selected visuals: scope must be SELECTED_VISUALS with visual_ids",
                        group.format.as_str()
                    ),
                )
            }
            _ => {}
        }
    }
    match group.format {
        FileFormat::Pdf if n > 1 => errors.push(
            &sheets_path,
            format!("a PDF takes exactly one sheet, got {n}"),
        ),
        FileFormat::Csv => {
            let visuals: usize = group.sheets.iter().map(|s| s.visual_ids.len()).sum();
            if n > 1 || visuals > 1 {
                errors.push(
                    &sheets_path,
                    format!(
                        "a CSV holds exactly one visual of one sheet, got {visuals} visuals on {n} sheets"
                    ),
                );
            }
        }
        FileFormat::Excel => {
            let visuals: usize = group.sheets.iter().map(|s| s.visual_ids.len()).sum();
            if visuals > MAX_EXCEL_VISUALS {
                errors.push(
                    &sheets_path,
                    format!(
                        "an Excel workbook holds at most {MAX_EXCEL_VISUALS} visuals in all, got {visuals}"
                    ),
                );
            }
        }
        _ => {}
    }
}
