//! The asset bundle a download URL serves: a zip with a manifest and one
//! JSON file per exported resource. Written with the `zip` crate; entries are
//! stored uncompressed, as they are small.

use std::io::{Cursor, Write};

use serde_json::json;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::RenderError;

/// `padding_bytes` adds an entry of that many bytes (`padding.bin`, a
/// pseudo-random stream), to stand in for a large bundle.
pub fn zip(
    export_format: &str,
    resource_arns: &[String],
    include_all_dependencies: bool,
    padding_bytes: usize,
) -> Result<Vec<u8>, RenderError> {
    let manifest = json!({
        "ExportFormat": export_format,
        "ResourceArns": resource_arns,
        "IncludeAllDependencies": include_all_dependencies,
    });
    let mut files = vec![(
        "manifest.json".to_string(),
        serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
    )];
    for arn in resource_arns {
        let resource = arn.rsplit(':').next().unwrap_or(arn).replace('/', "-");
        // A zip holds each name once; the same resource twice (or in two
        // regions) gets a numbered name.
        let mut name = format!("resources/{resource}.json");
        let mut n = 2;
        while files.iter().any(|(taken, _)| *taken == name) {
            name = format!("resources/{resource}-{n}.json");
            n += 1;
        }
        files.push((
            name,
            serde_json::to_vec_pretty(&json!({ "Arn": arn })).unwrap_or_default(),
        ));
    }
    if padding_bytes > 0 {
        // xorshift: incompressible, reproducible, no dependency.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let padding = (0..padding_bytes)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        files.push(("padding.bin".to_string(), padding));
    }
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(padding_bytes >= u32::MAX as usize);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in &files {
        zip.start_file(name, options)?;
        zip.write_all(data)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn reads_back_entry_by_entry() {
        let arns = [
            "arn:aws:quicksight:us-east-1:123456789012:dashboard/sales".to_string(),
            "arn:aws:quicksight:us-east-1:123456789012:dashboard/costs".to_string(),
        ];
        let bytes = zip("QUICKSIGHT_JSON", &arns, true, 0).unwrap();
        // Reading every entry through checks its CRC, as unzip does.
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut entries = Vec::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            entries.push((entry.name().unwrap().into_owned(), text));
        }
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "manifest.json",
                "resources/dashboard-sales.json",
                "resources/dashboard-costs.json"
            ]
        );
        let manifest: serde_json::Value = serde_json::from_str(&entries[0].1).unwrap();
        assert_eq!(manifest["ResourceArns"], json!(arns));
        assert_eq!(manifest["ExportFormat"], "QUICKSIGHT_JSON");
        assert_eq!(manifest["IncludeAllDependencies"], true);
        let resource: serde_json::Value = serde_json::from_str(&entries[2].1).unwrap();
        assert_eq!(resource["Arn"], json!(arns[1]));
    }

    #[test]
    fn a_resource_listed_twice_gets_two_entries() {
        let arn = "arn:aws:quicksight:us-east-1:123456789012:dashboard/sales".to_string();
        let bytes = zip("QUICKSIGHT_JSON", &[arn.clone(), arn], false, 0).unwrap();
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 3);
        assert!(
            archive
                .index_for_name("resources/dashboard-sales-2.json")
                .is_some()
        );
    }
}
