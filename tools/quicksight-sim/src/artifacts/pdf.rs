//! A one-page PDF naming the dashboard, sheet, job and scope, with the
//! table as text. Written with `pdf-writer` (typst's small, dependency-light
//! writer), which keeps the cross-reference table and string escaping right.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

use super::Snapshot;

const CATALOG: Ref = Ref::new(1);
const PAGES: Ref = Ref::new(2);
const PAGE: Ref = Ref::new(3);
const FONT: Ref = Ref::new(4);
const CONTENT: Ref = Ref::new(5);
const FONT_NAME: Name<'static> = Name(b"F1");

pub fn render(s: &Snapshot<'_>) -> Vec<u8> {
    let mut lines = vec![
        format!("Dashboard {}", s.dashboard_id),
        format!("Sheet {}", s.sheet_ids.join(", ")),
        format!("Snapshot job {}", s.snapshot_job_id),
        format!("Taken {} for {}", s.created_at, s.scope_line()),
        String::new(),
        "month      item      amount".to_string(),
    ];
    for row in s.rows() {
        lines.push(format!(
            "{}    {}    {:.2}",
            row.month, row.item, row.amount
        ));
    }

    let mut text = Content::new();
    text.begin_text()
        .set_font(FONT_NAME, 12.0)
        .next_line(50.0, 790.0)
        .set_leading(16.0);
    for line in &lines {
        text.show(Str(printable(line).as_bytes()))
            .next_line_using_leading();
    }
    text.end_text();

    let mut pdf = Pdf::new();
    pdf.catalog(CATALOG).pages(PAGES);
    pdf.pages(PAGES).kids([PAGE]).count(1);
    let mut page = pdf.page(PAGE);
    page.parent(PAGES)
        .media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .contents(CONTENT);
    page.resources().fonts().pair(FONT_NAME, FONT);
    drop(page);
    // Helvetica is one of the standard fonts every reader has: nothing to
    // embed, but it only covers printable ASCII in its standard encoding.
    pdf.type1_font(FONT).base_font(Name(b"Helvetica"));
    pdf.stream(CONTENT, &text.finish());
    pdf.finish()
}

/// What Helvetica's standard encoding can show: printable ASCII.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::sample;

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    /// Reads the structure as a reader does: `startxref` at the end points at
    /// the xref table, whose entries point at each object.
    #[test]
    fn xref_offsets_point_at_objects() {
        let bytes = render(&sample());
        assert!(bytes.starts_with(b"%PDF-1."));
        assert!(bytes.ends_with(b"%%EOF"));
        let tail = String::from_utf8_lossy(&bytes[bytes.len() - 64..]).into_owned();
        let xref_at: usize = tail
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref gives an offset");
        let xref = String::from_utf8_lossy(&bytes[xref_at..]).into_owned();
        let mut lines = xref.lines();
        assert_eq!(lines.next(), Some("xref"));
        assert_eq!(lines.next(), Some("0 6"));
        assert!(lines.next().unwrap().starts_with("0000000000 65535 f"));
        for id in 1..=5 {
            let entry = lines.next().unwrap();
            assert!(entry.ends_with(" n"), "{entry}");
            let offset: usize = entry[..10].parse().unwrap();
            assert!(
                bytes[offset..].starts_with(format!("{id} 0 obj").as_bytes()),
                "object {id} at {offset}"
            );
        }
        assert_eq!(lines.next(), Some("trailer"));
        let trailer = &xref[xref.find("trailer").unwrap()..];
        assert!(trailer.contains("/Size 6"), "{trailer}");
        assert!(trailer.contains("/Root 1 0 R"), "{trailer}");
    }

    #[test]
    fn shows_the_dashboard_the_job_and_tag_keys_only() {
        let keys = ["tenant".to_string()];
        let snapshot = Snapshot {
            tag_keys: &keys,
            ..sample()
        };
        let bytes = render(&snapshot);
        for text in [
            "(Dashboard sales)",
            "(Sheet summary)",
            "(Snapshot job run-1-acme-0011)",
            "row-level security on tenant)",
        ] {
            assert!(find(&bytes, text.as_bytes()).is_some(), "{text}");
        }
    }

    #[test]
    fn drops_what_helvetica_cannot_show() {
        assert_eq!(printable("caf\u{e9} (x)\n"), "caf (x)");
    }
}
