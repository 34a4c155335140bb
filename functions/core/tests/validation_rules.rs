//! One test per constraint of an export request: the valid boundary passes,
//! the invalid case is reported at the right field path.

use export_core::model::{ExportRequest, Sensitive};
use export_core::validation::{self, Deployment, ValidationErrors, validate_request};
use serde_json::{Value, json};

/// The stack's export bucket in these tests.
const BUCKET: &str = "my-exports";

fn valid_json() -> Value {
    json!({
        "account_id": "123456789012",
        "region": "us-east-1",
        "dashboard_id": "sales-overview",
        "file_groups": [
            { "format": "PDF", "sheets": [{ "sheet_id": "summary" }] },
            { "format": "CSV", "sheets": [{ "sheet_id": "details", "visual_ids": ["orders"] }] },
            { "format": "EXCEL", "sheets": [{ "sheet_id": "details", "visual_ids": ["orders", "returns"] }] }
        ],
        "destination": { "bucket": BUCKET, "prefix": "monthly", "region": "us-east-1" },
        "parameters": {
            "string": [{ "name": "Country", "values": ["FR"] }],
            "integer": [{ "name": "TopN", "values": [10] }],
            "decimal": [{ "name": "Ratio", "values": [0.5] }],
            "datetime": [{ "name": "Start", "values": ["2026-10-01T00:00:00Z"] }]
        },
        "recipients": [
            { "id": "acme", "rls_tags": [{ "key": "tenant", "value": "ACME" }] },
            { "id": "globex", "rls_tags": [{ "key": "tenant", "value": "GLOBEX" }, { "key": "region", "value": "EU" }] },
            { "id": "internal", "rls_tags": [{ "key": "team", "value": "finance" }] }
        ]
    })
}

fn request(value: Value) -> ExportRequest {
    serde_json::from_value(value).expect("the test request deserializes")
}

fn check(value: Value) -> Result<(), ValidationErrors> {
    check_in("us-east-1", value)
}

/// Validation for a stack deployed in `region` (account 123456789012).
fn check_in(region: &str, value: Value) -> Result<(), ValidationErrors> {
    validate_request(
        &request(value),
        Deployment {
            export_bucket: BUCKET,
            region,
            account_id: "123456789012",
        },
    )
}

/// Asserts the request is refused with exactly one error, at `path`, whose
/// message contains `needle`.
fn assert_refused(value: Value, path: &str, needle: &str) {
    let errors = check(value).expect_err("the request must be refused");
    assert_eq!(errors.paths(), [path], "{errors}");
    assert!(errors.0[0].message.contains(needle), "{errors}");
}

fn with(mut value: Value, pointer: &str, new: Value) -> Value {
    *value
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}")) = new;
    value
}

fn id_of(len: usize) -> String {
    "a".repeat(len)
}

#[test]
fn the_example_shape_is_valid() {
    check(valid_json()).unwrap();
}

#[test]
fn account_id_is_exactly_12_digits() {
    for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
        assert_refused(
            with(valid_json(), "/account_id", json!(bad)),
            "account_id",
            "12 digits",
        );
    }
}

#[test]
fn region_looks_like_an_aws_region() {
    for good in ["eu-central-1", "us-gov-west-1", "ap-southeast-4"] {
        check_in(
            good,
            with(
                with(valid_json(), "/region", json!(good)),
                "/destination/region",
                json!(good),
            ),
        )
        .unwrap();
    }
    let errors = check(with(valid_json(), "/region", json!("US East"))).unwrap_err();
    assert_eq!(errors.paths(), ["region"], "{errors}");
    assert_refused(
        with(valid_json(), "/region", json!("")),
        "region",
        "required",
    );
}

#[test]
fn dashboard_id_is_1_to_512_word_characters() {
    check(with(valid_json(), "/dashboard_id", json!(id_of(512)))).unwrap();
    assert_refused(
        with(valid_json(), "/dashboard_id", json!(id_of(513))),
        "dashboard_id",
        "1-512",
    );
    assert_refused(
        with(valid_json(), "/dashboard_id", json!("")),
        "dashboard_id",
        "required",
    );
    assert_refused(
        with(valid_json(), "/dashboard_id", json!("sales/overview")),
        "dashboard_id",
        "only",
    );
}

#[test]
fn sheet_and_visual_ids_follow_the_same_pattern() {
    check(with(
        valid_json(),
        "/file_groups/0/sheets/0/sheet_id",
        json!(id_of(512)),
    ))
    .unwrap();
    assert_refused(
        with(
            valid_json(),
            "/file_groups/0/sheets/0/sheet_id",
            json!(id_of(513)),
        ),
        "file_groups[0].sheets[0].sheet_id",
        "1-512",
    );
    assert_refused(
        with(
            valid_json(),
            "/file_groups/1/sheets/0/visual_ids/0",
            json!("orders table"),
        ),
        "file_groups[1].sheets[0].visual_ids[0]",
        "only",
    );
}

#[test]
fn the_run_id_is_the_execution_name_not_a_request_field() {
    let mut v = valid_json();
    v["run_id"] = json!("2026-11");
    let error = serde_json::from_value::<ExportRequest>(v).unwrap_err();
    assert!(error.to_string().contains("run_id"), "{error}");
    validation::validate_run_id(&id_of(80)).unwrap();
    assert!(validation::validate_run_id(&id_of(81)).is_err());
    assert!(validation::validate_run_id("2026/11").is_err());
}

fn pdf() -> Value {
    json!({ "format": "PDF", "sheets": [{ "sheet_id": "s" }] })
}
fn csv() -> Value {
    json!({ "format": "CSV", "sheets": [{ "sheet_id": "s", "visual_ids": ["v"] }] })
}
fn excel() -> Value {
    json!({ "format": "EXCEL", "sheets": [{ "sheet_id": "s", "visual_ids": ["v"] }] })
}

#[test]
fn one_to_seven_file_groups() {
    let seven = json!([pdf(), excel(), csv(), csv(), csv(), csv(), csv()]);
    check(with(valid_json(), "/file_groups", seven)).unwrap();
    assert_refused(
        with(valid_json(), "/file_groups", json!([])),
        "file_groups",
        "1-7",
    );
    let eight = json!([pdf(), excel(), csv(), csv(), csv(), csv(), csv(), csv()]);
    let errors = check(with(valid_json(), "/file_groups", eight)).unwrap_err();
    assert!(
        errors
            .0
            .iter()
            .any(|e| e.path == "file_groups" && e.message.contains("1-7")),
        "{errors}"
    );
}

#[test]
fn at_most_one_pdf_one_excel_and_five_csv() {
    assert_refused(
        with(valid_json(), "/file_groups", json!([pdf(), pdf()])),
        "file_groups",
        "2 PDF",
    );
    assert_refused(
        with(valid_json(), "/file_groups", json!([excel(), excel()])),
        "file_groups",
        "2 EXCEL",
    );
    assert_refused(
        with(
            valid_json(),
            "/file_groups",
            json!([csv(), csv(), csv(), csv(), csv(), csv()]),
        ),
        "file_groups",
        "6 CSV",
    );
}

#[test]
fn one_to_five_sheet_selections() {
    let sheets = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({ "sheet_id": format!("s{i}"), "visual_ids": ["v"] }))
            .collect()
    };
    check(with(valid_json(), "/file_groups/2/sheets", sheets(5))).unwrap();
    assert_refused(
        with(valid_json(), "/file_groups/2/sheets", sheets(0)),
        "file_groups[2].sheets",
        "1-5",
    );
    let errors = check(with(valid_json(), "/file_groups/2/sheets", sheets(6))).unwrap_err();
    assert!(
        errors.paths().contains(&"file_groups[2].sheets"),
        "{errors}"
    );
}

#[test]
fn selected_visuals_take_one_to_five_visual_ids() {
    let ids = |n: usize| -> Value { (0..n).map(|i| json!(format!("v{i}"))).collect() };
    check(with(
        valid_json(),
        "/file_groups/2/sheets/0/visual_ids",
        ids(5),
    ))
    .unwrap();
    let errors = check(with(
        valid_json(),
        "/file_groups/2/sheets/0/visual_ids",
        ids(6),
    ))
    .unwrap_err();
    assert!(
        errors
            .paths()
            .contains(&"file_groups[2].sheets[0].visual_ids"),
        "{errors}"
    );
    let mut v = valid_json();
    v["file_groups"][2]["sheets"][0] = json!({ "sheet_id": "s", "scope": "SELECTED_VISUALS" });
    assert_refused(v, "file_groups[2].sheets[0].visual_ids", "1-5");
}

#[test]
fn all_visuals_takes_no_visual_ids() {
    let mut v = valid_json();
    v["file_groups"][0]["sheets"][0] =
        json!({ "sheet_id": "s", "scope": "ALL_VISUALS", "visual_ids": ["v"] });
    assert_refused(v, "file_groups[0].sheets[0].visual_ids", "empty");
}

#[test]
fn a_pdf_takes_all_visuals_of_exactly_one_sheet() {
    let mut v = valid_json();
    v["file_groups"][0]["sheets"][0] = json!({ "sheet_id": "s", "visual_ids": ["v"] });
    assert_refused(v, "file_groups[0].sheets[0].scope", "ALL_VISUALS");
    let mut v = valid_json();
    v["file_groups"][0]["sheets"] = json!([{ "sheet_id": "a" }, { "sheet_id": "b" }]);
    assert_refused(v, "file_groups[0].sheets", "exactly one sheet");
}

#[test]
fn a_csv_takes_exactly_one_visual() {
    let mut v = valid_json();
    v["file_groups"][1]["sheets"][0]["visual_ids"] = json!(["a", "b"]);
    assert_refused(v, "file_groups[1].sheets", "exactly one visual");
    let mut v = valid_json();
    v["file_groups"][1]["sheets"][0] = json!({ "sheet_id": "s" });
    assert_refused(v, "file_groups[1].sheets[0].scope", "SELECTED_VISUALS");
}

#[test]
fn an_excel_workbook_takes_at_most_five_visuals_in_all() {
    let mut v = valid_json();
    v["file_groups"][2]["sheets"] = json!([
        { "sheet_id": "a", "visual_ids": ["1", "2", "3"] },
        { "sheet_id": "b", "visual_ids": ["4", "5"] }
    ]);
    check(v.clone()).unwrap();
    v["file_groups"][2]["sheets"][1]["visual_ids"] = json!(["4", "5", "6"]);
    assert_refused(v, "file_groups[2].sheets", "at most 5 visuals");
}

#[test]
fn a_format_must_be_known() {
    let err = export_core::input::parse::<ExportRequest>(
        with(valid_json(), "/file_groups/0/format", json!("DOCX")),
        "export request",
    )
    .unwrap_err();
    assert!(err.to_string().contains("file_groups[0].format"), "{err}");
}

#[test]
fn exactly_one_destination_is_required() {
    let mut v = valid_json();
    v.as_object_mut().unwrap().remove("destination");
    assert_refused(v, "destination", "required");
    // Two destinations cannot even be written: `destination` is one object.
    let err = export_core::input::parse::<ExportRequest>(
        with(
            valid_json(),
            "/destination",
            json!([{ "bucket": "a" }, { "bucket": "b" }]),
        ),
        "export request",
    )
    .unwrap_err();
    assert!(err.to_string().contains("destination"), "{err}");
}

#[test]
fn bucket_names_follow_s3_rules() {
    for good in ["abc", "my.exports-2026", &id_of(63)] {
        let request = request(with(valid_json(), "/destination/bucket", json!(good)));
        validate_request(
            &request,
            Deployment {
                export_bucket: good,
                region: "us-east-1",
                account_id: "123456789012",
            },
        )
        .unwrap();
    }
    for bad in [
        "ab",
        "My-Exports",
        "-exports",
        "exports-",
        "a..b",
        &id_of(64),
    ] {
        assert_refused(
            with(valid_json(), "/destination/bucket", json!(bad)),
            "destination.bucket",
            "bucket",
        );
    }
    assert_refused(
        with(valid_json(), "/destination/bucket", json!("")),
        "destination.bucket",
        "required",
    );
}

#[test]
fn the_prefix_is_bounded_and_stays_inside_the_bucket() {
    check(with(valid_json(), "/destination/prefix", json!(id_of(512)))).unwrap();
    check(with(valid_json(), "/destination/prefix", json!(""))).unwrap();
    assert_refused(
        with(valid_json(), "/destination/prefix", json!(id_of(513))),
        "destination.prefix",
        "512",
    );
    assert_refused(
        with(valid_json(), "/destination/prefix", json!("a/../b")),
        "destination.prefix",
        "..",
    );
}

#[test]
fn the_bucket_is_in_the_region_quicksight_is_called_in() {
    assert_refused(
        with(valid_json(), "/destination/region", json!("eu-west-1")),
        "destination.region",
        "us-east-1",
    );
}

#[test]
fn at_most_100_parameters_of_each_type() {
    let list = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({ "name": format!("p{i}"), "values": ["x"] }))
            .collect()
    };
    check(with(valid_json(), "/parameters/string", list(100))).unwrap();
    let errors = check(with(valid_json(), "/parameters/string", list(101))).unwrap_err();
    assert_eq!(errors.paths(), ["parameters.string"], "{errors}");
    assert!(errors.0[0].message.contains("101"));
}

#[test]
fn parameter_names_are_required_and_unique_and_values_present() {
    assert_refused(
        with(valid_json(), "/parameters/integer/0/name", json!(" ")),
        "parameters.integer[0].name",
        "required",
    );
    let two = json!([{ "name": "n", "values": [1] }, { "name": "n", "values": [2] }]);
    assert_refused(
        with(valid_json(), "/parameters/integer", two),
        "parameters.integer[1].name",
        "parameters.integer[0].name",
    );
    assert_refused(
        with(valid_json(), "/parameters/string/0/values", json!([])),
        "parameters.string[0].values",
        "at least one",
    );
}

#[test]
fn decimal_values_are_finite_and_datetimes_are_rfc3339() {
    let mut r = request(valid_json());
    r.parameters.as_mut().unwrap().decimal[0].values = vec![Sensitive(f64::NAN)];
    let errors = validate_request(
        &r,
        Deployment {
            export_bucket: BUCKET,
            region: "us-east-1",
            account_id: "123456789012",
        },
    )
    .unwrap_err();
    assert_eq!(
        errors.paths(),
        ["parameters.decimal[0].values[0]"],
        "{errors}"
    );

    assert_refused(
        with(
            valid_json(),
            "/parameters/datetime/0/values/0",
            json!("last tuesday"),
        ),
        "parameters.datetime[0].values[0]",
        "RFC 3339",
    );
}

#[test]
fn at_least_one_and_at_most_the_maximum_recipients() {
    assert_refused(
        with(valid_json(), "/recipients", json!([])),
        "recipients",
        "at least one",
    );
    let many = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({ "id": format!("r{i}"), "rls_tags": [{ "key": "k", "value": "v" }] }))
            .collect()
    };
    check(with(
        valid_json(),
        "/recipients",
        many(validation::MAX_RECIPIENTS),
    ))
    .unwrap();
    assert_refused(
        with(
            valid_json(),
            "/recipients",
            many(validation::MAX_RECIPIENTS + 1),
        ),
        "recipients",
        "split the batch",
    );
}

#[test]
fn recipient_ids_are_unique() {
    let errors = check(with(valid_json(), "/recipients/2/id", json!("acme"))).unwrap_err();
    assert_eq!(errors.paths(), ["recipients[2].id"], "{errors}");
    assert!(errors.0[0].message.contains("recipients[0].id"), "{errors}");
}

#[test]
fn recipient_ids_are_1_to_128_word_characters() {
    check(with(valid_json(), "/recipients/2/id", json!(id_of(128)))).unwrap();
    assert_refused(
        with(valid_json(), "/recipients/2/id", json!(id_of(129))),
        "recipients[2].id",
        "1-128",
    );
    assert_refused(
        with(valid_json(), "/recipients/2/id", json!("")),
        "recipients[2].id",
        "required",
    );
    assert_refused(
        with(valid_json(), "/recipients/2/id", json!("a b")),
        "recipients[2].id",
        "only",
    );
}

#[test]
fn rls_tags_are_1_to_50() {
    let tags = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({ "key": format!("k{i}"), "value": "v" }))
            .collect()
    };
    check(with(valid_json(), "/recipients/0/rls_tags", tags(50))).unwrap();
    assert_refused(
        with(valid_json(), "/recipients/0/rls_tags", tags(51)),
        "recipients[0].rls_tags",
        "1-50",
    );
    assert_refused(
        with(valid_json(), "/recipients/0/rls_tags", tags(0)),
        "recipients[0].rls_tags",
        "1-50",
    );
}

#[test]
fn a_recipient_without_tags_is_refused_not_run_as_someone_else() {
    for missing in [
        json!({ "id": "internal" }),
        json!({ "id": "internal", "rls_tags": null }),
    ] {
        assert_refused(
            with(valid_json(), "/recipients/2", missing),
            "recipients[2].rls_tags",
            "registered-user snapshots are not supported",
        );
    }
}

#[test]
fn the_destination_is_the_stacks_export_bucket() {
    assert_refused(
        with(valid_json(), "/destination/bucket", json!("someone-elses")),
        "destination.bucket",
        "this stack's export bucket \"my-exports\"",
    );
}

#[test]
fn tag_keys_are_1_to_128_characters_and_unique() {
    check(with(
        valid_json(),
        "/recipients/1/rls_tags/0/key",
        json!(id_of(128)),
    ))
    .unwrap();
    assert_refused(
        with(
            valid_json(),
            "/recipients/1/rls_tags/0/key",
            json!(id_of(129)),
        ),
        "recipients[1].rls_tags[0].key",
        "1-128",
    );
    assert_refused(
        with(
            valid_json(),
            "/recipients/1/rls_tags/1/key",
            json!("tenant"),
        ),
        "recipients[1].rls_tags[1].key",
        "recipients[1].rls_tags[0].key",
    );
}

#[test]
fn tag_values_are_1_to_256_characters() {
    // Characters, not bytes: 256 multibyte characters are fine.
    check(with(
        valid_json(),
        "/recipients/1/rls_tags/0/value",
        json!("é".repeat(256)),
    ))
    .unwrap();
    assert_refused(
        with(
            valid_json(),
            "/recipients/1/rls_tags/0/value",
            json!("x".repeat(257)),
        ),
        "recipients[1].rls_tags[0].value",
        "must be 1-256 characters",
    );
    assert_refused(
        with(valid_json(), "/recipients/1/rls_tags/0/value", json!("")),
        "recipients[1].rls_tags[0].value",
        "got 0",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut v = valid_json();
    v["account_id"] = json!("1");
    v["file_groups"][1]["sheets"][0]["visual_ids"] = json!(["a", "b"]);
    v["destination"]["bucket"] = json!("B");
    v["recipients"][0]["rls_tags"][0]["value"] = json!("");
    v["recipients"][2]["id"] = json!("acme");
    let errors = check(v).unwrap_err();
    assert_eq!(
        errors.paths(),
        [
            "account_id",
            "file_groups[1].sheets",
            "destination.bucket",
            "recipients[0].rls_tags[0].value",
            "recipients[2].id",
        ],
        "{errors}"
    );
    let text = errors.to_string();
    assert!(
        text.starts_with("the export request has 5 problems:\n  account_id: "),
        "{text}"
    );
    assert_eq!(text.lines().count(), 6);
}

#[test]
fn sensitive_values_never_appear_in_errors() {
    let secret_tag = format!("SECRET-TAG-{}", "x".repeat(300));
    let mut v = valid_json();
    v["recipients"][0]["rls_tags"][0]["value"] = json!(secret_tag);
    v["parameters"]["datetime"][0]["values"] = json!(["SECRET-DATE"]);
    v["parameters"]["string"][0]["values"] = json!(["SECRET-STRING"]);
    v["parameters"]["string"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "Country", "values": ["SECRET-2"] }));
    let errors = check(v).unwrap_err();
    assert_eq!(errors.len(), 3, "{errors}");
    let text = format!("{errors} {errors:?}");
    for secret in ["SECRET-TAG", "SECRET-DATE", "SECRET-STRING", "SECRET-2"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[test]
fn a_single_job_is_validated_the_same_way() {
    let r = request(valid_json());
    validation::validate_job(&r, &r.recipients[0]).unwrap();
    let mut recipient = r.recipients[0].clone();
    recipient.rls_tags = Some(vec![]);
    let errors = validation::validate_job(&r, &recipient).unwrap_err();
    assert_eq!(errors.paths(), ["recipient.rls_tags"], "{errors}");
}

/// The stack's roles call QuickSight in its own account and region only: a
/// request naming another is refused once, up front, not by AccessDenied on
/// every recipient.
#[test]
fn the_account_and_region_are_the_stacks() {
    assert_refused(
        with(valid_json(), "/account_id", json!("210987654321")),
        "account_id",
        "this stack's account 123456789012",
    );
    let other = with(
        with(valid_json(), "/region", json!("eu-west-1")),
        "/destination/region",
        json!("eu-west-1"),
    );
    assert_refused(other.clone(), "region", "this stack's region us-east-1");
    // The same request is valid for a stack deployed there.
    check_in("eu-west-1", other).unwrap();
}
