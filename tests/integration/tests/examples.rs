//! The example requests people start from are valid.

use export_core::request_store::parse_request;
use export_core::validation::{Deployment, validate_request};

#[test]
fn the_example_request_validates() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/export-request.json"
    );
    let request = parse_request(&std::fs::read(path).unwrap()).unwrap();
    validate_request(
        &request,
        Deployment {
            export_bucket: "quicksight-exports-local",
            region: "us-east-1",
            account_id: "123456789012",
        },
    )
    .unwrap();
    assert_eq!(request.recipients.len(), 30);
}

#[test]
fn the_request_doc_states_the_caps_the_code_enforces() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/request.md"
    ))
    .unwrap();
    let with_commas = |n: usize| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let recipients = format!(
        "`MAX_RECIPIENTS` = **{}**",
        with_commas(export_core::validation::MAX_RECIPIENTS)
    );
    assert!(
        doc.contains(&recipients),
        "docs/request.md does not say {recipients}"
    );
    let bytes = format!(
        "at most\n{} MiB (`MAX_REQUEST_BYTES`)",
        export_core::validation::MAX_REQUEST_BYTES / (1024 * 1024)
    );
    assert!(doc.contains(&bytes), "docs/request.md does not say {bytes}");
}
