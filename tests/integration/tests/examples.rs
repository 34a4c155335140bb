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
        },
    )
    .unwrap();
    assert_eq!(request.recipients.len(), 30);
}
