"""Writes tests/corpus/invalid-requests/: one invalid export request per
file, each `{"why", "expect_path", "request"}` (or `"raw"` for text that is
not JSON at all). Every request starts from a valid one whose tag and
parameter values are marked SECRET-..., so a test can check that no
rejection echoes them. Rerun after changing a case:

    python3 tests/corpus/generate.py
"""

import copy
import json
from pathlib import Path

OUT = Path(__file__).parent / "invalid-requests"
BUCKET = "stack-exports"

VALID = {
    "account_id": "123456789012",
    "region": "us-east-1",
    "dashboard_id": "sales",
    "file_groups": [
        {"format": "PDF", "sheets": [{"sheet_id": "summary"}]},
        {"format": "CSV", "sheets": [{"sheet_id": "details", "visual_ids": ["orders"]}]},
    ],
    "destination": {"bucket": BUCKET, "prefix": "monthly", "region": "us-east-1"},
    "parameters": {"string": [{"name": "Segment", "values": ["SECRET-PARAM-1"]}]},
    "recipients": [
        {"id": "acme", "rls_tags": [{"key": "tenant", "value": "SECRET-TAG-ACME"}]},
        {"id": "globex", "rls_tags": [{"key": "tenant", "value": "SECRET-TAG-GLOBEX"}]},
    ],
}


def case(mutate):
    request = copy.deepcopy(VALID)
    mutate(request)
    return request


def set_path(path, value):
    def mutate(r):
        node = r
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return mutate


def delete(path):
    def mutate(r):
        node = r
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]
    return mutate


CASES = [
    # name, why, expected field path (a prefix of one error's path), mutation
    ("account-id-short", "account_id is 12 digits", "account_id", set_path(["account_id"], "12345")),
    ("account-id-letters", "account_id is digits only", "account_id", set_path(["account_id"], "12345678901a")),
    ("account-id-missing", "account_id is required", "account_id", delete(["account_id"])),
    ("region-missing", "region is required", "region", delete(["region"])),
    ("region-malformed", "region is an AWS region name", "region", set_path(["region"], "mars-central")),
    ("dashboard-id-missing", "dashboard_id is required", "dashboard_id", delete(["dashboard_id"])),
    ("dashboard-id-bad-chars", "dashboard_id is [A-Za-z0-9_-]", "dashboard_id", set_path(["dashboard_id"], "sales overview!")),
    ("dashboard-id-too-long", "dashboard_id is at most 512 characters", "dashboard_id", set_path(["dashboard_id"], "d" * 513)),
    ("file-groups-empty", "1-7 file groups", "file_groups", set_path(["file_groups"], [])),
    ("file-groups-eight", "1-7 file groups", "file_groups", set_path(["file_groups"], [{"format": "CSV", "sheets": [{"sheet_id": "s", "visual_ids": [f"v{i}"]}]} for i in range(8)])),
    ("two-pdfs", "at most one PDF", "file_groups", set_path(["file_groups"], [{"format": "PDF", "sheets": [{"sheet_id": "a"}]}, {"format": "PDF", "sheets": [{"sheet_id": "b"}]}])),
    ("two-excels", "at most one EXCEL", "file_groups", set_path(["file_groups"], [{"format": "EXCEL", "sheets": [{"sheet_id": "a", "visual_ids": ["t"]}]}, {"format": "EXCEL", "sheets": [{"sheet_id": "b", "visual_ids": ["t"]}]}])),
    ("six-csvs", "at most five CSV", "file_groups", set_path(["file_groups"], [{"format": "CSV", "sheets": [{"sheet_id": "s", "visual_ids": [f"v{i}"]}]} for i in range(6)])),
    ("unknown-format", "format is PDF, CSV or EXCEL", "file_groups[0].format", set_path(["file_groups", 0, "format"], "PNG")),
    ("sheets-empty", "1-5 sheet selections", "file_groups[0].sheets", set_path(["file_groups", 0, "sheets"], [])),
    ("pdf-two-sheets", "a PDF takes one sheet", "file_groups[0].sheets", set_path(["file_groups", 0, "sheets"], [{"sheet_id": "a"}, {"sheet_id": "b"}])),
    ("pdf-selected-visuals", "a PDF takes all visuals", "file_groups[0].sheets[0].scope", set_path(["file_groups", 0, "sheets", 0, "scope"], "SELECTED_VISUALS")),
    ("sheet-id-missing", "sheet_id is required", "file_groups[0].sheets[0].sheet_id", set_path(["file_groups", 0, "sheets", 0], {})),
    ("csv-two-visuals", "a CSV is one visual", "file_groups[1].sheets", set_path(["file_groups", 1, "sheets", 0, "visual_ids"], ["a", "b"])),
    ("csv-no-visual", "a CSV names its visual", "file_groups[1].sheets[0]", set_path(["file_groups", 1, "sheets", 0, "visual_ids"], [])),
    ("visual-id-bad-chars", "visual IDs are [A-Za-z0-9_-]", "file_groups[1].sheets[0].visual_ids[0]", set_path(["file_groups", 1, "sheets", 0, "visual_ids"], ["or ders"])),
    ("destination-missing", "destination is required", "destination", delete(["destination"])),
    ("destination-bucket-invalid", "bucket names are 3-63 of a-z0-9.-", "destination.bucket", set_path(["destination", "bucket"], "Not_A_Bucket")),
    ("destination-outside-stack", "only the stack's bucket", "destination.bucket", set_path(["destination", "bucket"], "someone-elses-bucket")),
    ("destination-prefix-dotdot", "no .. in the prefix", "destination.prefix", set_path(["destination", "prefix"], "monthly/../../escape")),
    ("destination-prefix-too-long", "prefix at most 512 characters", "destination.prefix", set_path(["destination", "prefix"], "p" * 513)),
    ("destination-region-other", "QuickSight writes only in its own region", "destination.region", set_path(["destination", "region"], "eu-west-1")),
    ("destination-region-missing", "destination.region is required", "destination.region", delete(["destination", "region"])),
    ("recipients-empty", "at least one recipient", "recipients", set_path(["recipients"], [])),
    ("recipients-null", "null where a list belongs", "recipients", set_path(["recipients"], None)),
    ("recipient-id-missing", "a recipient has an ID", "recipients[0].id", delete(["recipients", 0, "id"])),
    ("recipient-id-bad-chars", "recipient IDs are [A-Za-z0-9_-]", "recipients[0].id", set_path(["recipients", 0, "id"], "acme corp/")),
    ("recipient-id-too-long", "recipient IDs are at most 128 characters", "recipients[0].id", set_path(["recipients", 0, "id"], "r" * 129)),
    ("recipient-id-duplicate", "recipient IDs are unique", "recipients[1].id", set_path(["recipients", 1, "id"], "acme")),
    ("rls-tags-missing", "registered-user snapshots are refused", "recipients[0].rls_tags", delete(["recipients", 0, "rls_tags"])),
    ("rls-tags-null", "null tags are refused, not run as a registered user", "recipients[0].rls_tags", set_path(["recipients", 0, "rls_tags"], None)),
    ("rls-tags-empty", "1-50 tags", "recipients[0].rls_tags", set_path(["recipients", 0, "rls_tags"], [])),
    ("rls-tags-fifty-one", "1-50 tags", "recipients[0].rls_tags", set_path(["recipients", 0, "rls_tags"], [{"key": f"k{i}", "value": f"SECRET-TAG-{i}"} for i in range(51)])),
    ("rls-tag-key-too-long", "tag keys at most 128 characters", "recipients[0].rls_tags[0].key", set_path(["recipients", 0, "rls_tags", 0, "key"], "k" * 129)),
    ("rls-tag-key-duplicate", "a tag key once per recipient", "recipients[0].rls_tags[1].key", set_path(["recipients", 0, "rls_tags"], [{"key": "tenant", "value": "SECRET-TAG-A1"}, {"key": "tenant", "value": "SECRET-TAG-A2"}])),
    ("rls-tag-value-too-long", "tag values at most 256 characters", "recipients[0].rls_tags[0].value", set_path(["recipients", 0, "rls_tags", 0, "value"], "SECRET-" + "v" * 300)),
    ("rls-tag-value-empty", "tag values 1-256 characters", "recipients[0].rls_tags[0].value", set_path(["recipients", 0, "rls_tags", 0, "value"], "")),
    ("rls-tag-value-number", "a wrong type", "recipients[0].rls_tags[0].value", set_path(["recipients", 0, "rls_tags", 0, "value"], 42)),
    ("parameter-name-missing", "a parameter has a name", "parameters.string[0].name", set_path(["parameters", "string", 0, "name"], "")),
    ("parameter-duplicate-name", "a parameter name once", "parameters.string[1].name", set_path(["parameters", "string"], [{"name": "Segment", "values": ["SECRET-PARAM-A"]}, {"name": "Segment", "values": ["SECRET-PARAM-B"]}])),
    ("parameter-datetime-malformed", "date-times are RFC 3339", "parameters.datetime[0].values[0]", set_path(["parameters", "datetime"], [{"name": "Since", "values": ["SECRET-not-a-date"]}])),
    ("parameter-integer-wrong-type", "a wrong type", "parameters.integer[0].values[0]", set_path(["parameters", "integer"], [{"name": "Year", "values": ["SECRET-twenty"]}])),
    ("parameters-too-many", "at most 100 per type", "parameters.string", set_path(["parameters", "string"], [{"name": f"P{i}", "values": ["SECRET-PARAM-X"]} for i in range(101)])),
    ("unknown-top-level-field", "unknown fields are refused, not dropped", "dashbord_id", set_path(["dashbord_id"], "typo")),
    ("unknown-recipient-field", "unknown fields are refused, not dropped", "recipients[0]", set_path(["recipients", 0, "tags"], [])),
    ("file-groups-wrong-type", "a wrong type", "file_groups", set_path(["file_groups"], "PDF")),
    ("request-is-a-list", "a request is an object", "(request)", lambda r: None),
    # A value in the wrong place: the error names the path and the types, never the value.
    ("rls-tags-string", "a string where the list of tags belongs", "recipients[0].rls_tags", set_path(["recipients", 0, "rls_tags"], "SECRET-TAGS-AS-STRING")),
    ("rls-tag-bare-string", "a bare string where a tag belongs", "recipients[0].rls_tags[0]", set_path(["recipients", 0, "rls_tags", 0], "SECRET-BARE-TAG")),
    ("rls-tag-value-object", "an object where a tag value belongs", "recipients[0].rls_tags[0].value", set_path(["recipients", 0, "rls_tags", 0, "value"], {"SECRET-KEY": "SECRET-IN-OBJECT"})),
    ("recipient-id-number", "a number where a recipient ID belongs", "recipients[0].id", set_path(["recipients", 0, "id"], 987654321)),
    ("parameter-values-string", "a string where a parameter's values belong", "parameters.string[0].values", set_path(["parameters", "string", 0, "values"], "SECRET-PARAM-AS-LIST")),
]

# Values a case puts in the request that are not marked SECRET, and must not be echoed either.
MUST_NOT_ECHO = {"recipient-id-number": ["987654321"]}

RAW = [
    ("malformed-json", "not JSON", "(request)", '{"account_id": "123456789012", "recipients": [ {"id": "acme", "rls_tags": [{"key": "tenant", "value": "SECRET-TAG-ACME"}'),
    ("empty-body", "an empty request", "(request)", ""),
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    n = 0
    for name, why, path, mutate in CASES:
        n += 1
        request = case(mutate) if name != "request-is-a-list" else [copy.deepcopy(VALID)]
        entry = {"why": why, "expect_path": path, "request": request}
        if name in MUST_NOT_ECHO:
            entry["must_not_echo"] = MUST_NOT_ECHO[name]
        (OUT / f"{n:02d}-{name}.json").write_text(json.dumps(entry, indent=1) + "\n")
    for name, why, path, raw in RAW:
        n += 1
        entry = {"why": why, "expect_path": path, "raw": raw}
        (OUT / f"{n:02d}-{name}.json").write_text(json.dumps(entry, indent=1) + "\n")
    print(f"{n} invalid requests in {OUT}")


if __name__ == "__main__":
    main()
