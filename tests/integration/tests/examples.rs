//! The example requests people start from are valid.

use export_core::model::ExportRequest;
use export_core::validation::validate_request;

#[test]
fn the_example_request_validates() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/export-request.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let request: ExportRequest =
        export_core::input::parse(serde_json::from_str(&text).unwrap(), "export request").unwrap();
    validate_request(&request).unwrap();
    assert_eq!(request.recipients.len(), 30);
}
