//! Small but real snapshot files: a one-page PDF, a CSV and an XLSX workbook
//! (a zip of SpreadsheetML parts), so a person can open what a local run
//! produced. The rows are made up; no tag value is written into them.

use std::fmt::Write as _;

pub struct Snapshot<'a> {
    pub dashboard_id: &'a str,
    pub snapshot_job_id: &'a str,
    pub sheet_ids: Vec<&'a str>,
    pub visual_ids: Vec<&'a str>,
    /// Tag keys only: the values are sensitive.
    pub tag_keys: &'a [String],
    pub created_at: &'a str,
}

impl Snapshot<'_> {
    fn rows(&self) -> Vec<[String; 3]> {
        // A deterministic "query result" that differs per job.
        let seed = self
            .snapshot_job_id
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        (1..=5)
            .map(|i| {
                let amount = (seed.wrapping_mul(i * 2654435761) % 100_000) as f64 / 100.0;
                [
                    format!("2026-0{i}"),
                    format!("item-{i}"),
                    format!("{amount:.2}"),
                ]
            })
            .collect()
    }

    fn scope_line(&self) -> String {
        if self.tag_keys.is_empty() {
            "registered user".to_string()
        } else {
            format!("row-level security on {}", self.tag_keys.join(", "))
        }
    }
}

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

pub fn render(format: &str, snapshot: &Snapshot<'_>) -> Vec<u8> {
    match format {
        "PDF" => pdf(snapshot),
        "CSV" => csv(snapshot),
        _ => xlsx(snapshot),
    }
}

pub fn csv(s: &Snapshot<'_>) -> Vec<u8> {
    let mut out = String::from("month,item,amount\n");
    for [a, b, c] in s.rows() {
        let _ = writeln!(out, "{a},{b},{c}");
    }
    out.into_bytes()
}

fn pdf_escape(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .flat_map(|c| match c {
            '(' | ')' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect()
}

/// A one-page PDF 1.4 with a correct cross-reference table.
pub fn pdf(s: &Snapshot<'_>) -> Vec<u8> {
    let mut lines = vec![
        format!("Dashboard {}", s.dashboard_id),
        format!("Sheet {}", s.sheet_ids.join(", ")),
        format!("Snapshot job {}", s.snapshot_job_id),
        format!("Taken {} for {}", s.created_at, s.scope_line()),
        String::new(),
        "month      item      amount".to_string(),
    ];
    for [a, b, c] in s.rows() {
        lines.push(format!("{a}    {b}    {c}"));
    }
    let mut stream = String::from("BT /F1 12 Tf 50 790 Td 16 TL\n");
    for line in &lines {
        let _ = writeln!(stream, "({}) Tj T*", pdf_escape(line));
    }
    stream.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}endstream", stream.len()),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = write!(out, "{} 0 obj\n{body}\nendobj\n", i + 1);
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(out, "{offset:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.into_bytes()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A minimal Office Open XML workbook with one sheet per selected visual.
pub fn xlsx(s: &Snapshot<'_>) -> Vec<u8> {
    let names: Vec<String> = if s.visual_ids.is_empty() {
        vec!["Sheet1".to_string()]
    } else {
        s.visual_ids
            .iter()
            .map(|v| v.chars().take(31).collect())
            .collect()
    };
    let mut content_types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#,
    );
    let mut sheets = String::new();
    let mut rels = String::new();
    let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            content_types,
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
        let _ = write!(
            sheets,
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            xml_escape(name)
        );
        let _ = write!(
            rels,
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
        let mut rows = String::new();
        let header = ["month", "item", "amount"];
        let mut all_rows = vec![header.map(str::to_string)];
        all_rows.extend(s.rows());
        for (r, row) in all_rows.iter().enumerate() {
            let _ = write!(rows, r#"<row r="{}">"#, r + 1);
            for (c, cell) in row.iter().enumerate() {
                let col = (b'A' + c as u8) as char;
                if r > 0 && c == 2 {
                    let _ = write!(rows, r#"<c r="{col}{}"><v>{cell}</v></c>"#, r + 1);
                } else {
                    let _ = write!(
                        rows,
                        r#"<c r="{col}{}" t="inlineStr"><is><t>{}</t></is></c>"#,
                        r + 1,
                        xml_escape(cell)
                    );
                }
            }
            rows.push_str("</row>");
        }
        parts.push((
            format!("xl/worksheets/sheet{n}.xml"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
            )
            .into_bytes(),
        ));
    }
    content_types.push_str("</Types>");
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), content_types.into_bytes()),
        (
            "_rels/.rels".into(),
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
        ),
        (
            "xl/workbook.xml".into(),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"#
            )
            .into_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
            )
            .into_bytes(),
        ),
    ];
    files.extend(parts);
    zip_stored(&files)
}

/// A zip archive with every entry stored (no compression): enough for XLSX
/// readers and for asset-bundle downloads.
pub fn zip_stored(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let crc = crc32fast::hash(data);
        let offset = out.len() as u32;
        let size = data.len() as u32;
        let name_len = name.len() as u16;
        // Local file header.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&0u16.to_le_bytes()); // method: stored
        out.extend_from_slice(&0u16.to_le_bytes()); // time
        out.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Central directory entry.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&20u16.to_le_bytes()); // needed
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0x21u16.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk number
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = out.len() as u32;
    let central_size = central.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]); // disk numbers
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot<'static> {
        Snapshot {
            dashboard_id: "sales",
            snapshot_job_id: "run-1-acme-0011",
            sheet_ids: vec!["summary"],
            visual_ids: vec!["orders", "returns"],
            tag_keys: &[],
            created_at: "2026-11-24T00:00:00Z",
        }
    }

    #[test]
    fn pdf_xref_offsets_point_at_objects() {
        let bytes = pdf(&sample());
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("%PDF-1.4"));
        let xref_at: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[xref_at..].starts_with("xref"));
        for (i, line) in text[xref_at..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(text[offset..].starts_with(&format!("{} 0 obj", i + 1)));
        }
    }

    #[test]
    fn xlsx_is_a_zip_with_one_worksheet_per_visual() {
        let bytes = xlsx(&sample());
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("xl/worksheets/sheet2.xml"));
        assert!(text.contains(r#"name="returns""#));
    }

    fn u16_at(b: &[u8], i: usize) -> usize {
        u16::from_le_bytes([b[i], b[i + 1]]) as usize
    }

    fn u32_at(b: &[u8], i: usize) -> usize {
        u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize
    }

    /// Reads a zip the way unzip does: from the end-of-central-directory
    /// record, through every central entry, to each local header and data.
    fn read_zip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let eocd = bytes.len() - 22;
        assert_eq!(u32_at(bytes, eocd), 0x0605_4b50, "end of central directory");
        let count = u16_at(bytes, eocd + 10);
        let mut at = u32_at(bytes, eocd + 16);
        let mut files = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(bytes, at), 0x0201_4b50, "central entry at {at}");
            let crc = u32_at(bytes, at + 16) as u32;
            let size = u32_at(bytes, at + 24);
            let name_len = u16_at(bytes, at + 28);
            let extra_len = u16_at(bytes, at + 30);
            let comment_len = u16_at(bytes, at + 32);
            let local = u32_at(bytes, at + 42);
            let name = String::from_utf8(bytes[at + 46..at + 46 + name_len].to_vec()).unwrap();
            assert_eq!(u32_at(bytes, local), 0x0403_4b50, "local header of {name}");
            let data_at = local + 30 + u16_at(bytes, local + 26) + u16_at(bytes, local + 28);
            let data = bytes[data_at..data_at + size].to_vec();
            assert_eq!(crc32fast::hash(&data), crc, "crc of {name}");
            files.push((name, data));
            at += 46 + name_len + extra_len + comment_len;
        }
        assert_eq!(at, eocd, "the central directory ends where the record says");
        files
    }

    #[test]
    fn zips_read_back_entry_by_entry() {
        let files = vec![
            ("a.txt".to_string(), b"hello".to_vec()),
            ("dir/b.json".to_string(), b"{}".to_vec()),
        ];
        assert_eq!(read_zip(&zip_stored(&files)), files);
        let workbook = read_zip(&xlsx(&sample()));
        let names: Vec<&str> = workbook.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "xl/workbook.xml",
                "xl/_rels/workbook.xml.rels",
                "xl/worksheets/sheet1.xml",
                "xl/worksheets/sheet2.xml"
            ]
        );
    }

    #[test]
    fn csv_has_a_header_and_rows() {
        let text = String::from_utf8(csv(&sample())).unwrap();
        assert_eq!(text.lines().count(), 6);
        assert!(text.starts_with("month,item,amount\n"));
    }
}
