//! The CSV of one visual: RFC 4180, a header line then one line per row.
//! Hand-written: three columns of plain text need no crate, only quoting.

use std::borrow::Cow;

use super::{COLUMNS, Snapshot};

pub fn render(s: &Snapshot<'_>) -> Vec<u8> {
    let mut out = String::new();
    push_record(&mut out, &COLUMNS.map(Cow::from));
    for row in s.rows() {
        push_record(
            &mut out,
            &[
                Cow::from(row.month),
                Cow::from(row.item),
                Cow::from(format!("{:.2}", row.amount)),
            ],
        );
    }
    out.into_bytes()
}

fn push_record(out: &mut String, fields: &[Cow<'_, str>]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(field));
    }
    out.push('\n');
}

/// A field as it must appear: quoted, with quotes doubled, when it holds a
/// comma, a quote or a line break.
fn quote(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::sample;

    #[test]
    fn has_a_header_and_a_line_per_row() {
        let text = String::from_utf8(render(&sample())).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6);
        assert_eq!(lines[0], "month,item,amount");
        let fields: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(fields[..2], ["2026-01", "item-1"]);
        assert!(fields[2].parse::<f64>().is_ok(), "{}", fields[2]);
    }

    #[test]
    fn quotes_fields_that_need_it() {
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote("two\nlines"), "\"two\nlines\"");
    }
}
