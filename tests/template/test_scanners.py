"""checkov and cfn-lint's serverless rules on the template: clean.

Both run from a venv of their own (`.tools/scanners`, pinned by
tools/python/scanners.txt, installed by scripts/setup): checkov pins
boto3, packaging and networkx below what the SAM CLI's venv needs.
SCANNERS_VENV points the tests at another copy.

Every finding is fixed or suppressed beside the resource it concerns, with
its reason: checkov's `Metadata: checkov: skip: [{id, comment}]`, cfn-lint's
`Metadata: cfn-lint: config: ignore_checks` under a comment saying why.
checkov also reads the template as AWS receives it (the roles, the stage and
the permissions SAM generates), each generated resource under the
suppressions of the SAM resource it comes from.
"""

import copy
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SCANNERS = Path(os.environ.get("SCANNERS_VENV", ROOT / ".tools" / "scanners"))


def scanner(name):
    path = SCANNERS / "bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: scripts/setup installs the scanners (or set SCANNERS_VENV)")
    return str(path)


def checkov(path, cwd=ROOT):
    result = subprocess.run(
        [scanner("checkov"), "--file", str(path), "--framework", "cloudformation", "--output", "json", "--skip-download"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["check_type"] == "cloudformation", report
    assert report["summary"]["parsing_errors"] == 0, report["summary"]
    return report


def describe(checks):
    return "\n".join(f"  {c['check_id']} {c['check_name']}: {c['resource']}" for c in checks)


def suppressions(resource):
    return resource.get("Metadata", {}).get("checkov", {}).get("skip", [])


@pytest.fixture(scope="module")
def source_report():
    return checkov(TEMPLATE)


def test_checkov_passes_on_the_template(source_report):
    failed = source_report["results"]["failed_checks"]
    assert not failed, "checkov:\n" + describe(failed)
    assert source_report["summary"]["passed"] > 0


def test_every_checkov_suppression_has_a_reason_and_suppresses_a_finding(source, source_report):
    skipped = {(c["resource"].split(".")[-1], c["check_id"]) for c in source_report["results"]["skipped_checks"]}
    written = set()
    for name, resource in source["Resources"].items():
        for skip in suppressions(resource):
            assert set(skip) == {"id", "comment"}, f"{name}: {skip}"
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), f"{name}: {skip}"
            assert len(skip["comment"].split()) >= 5, f"{name} {skip['id']}: say why"
            written.add((name, skip["id"]))
    assert written, "no suppression read: has the Metadata format changed?"
    # A suppression of a check that would pass anyway is stale.
    assert written == skipped, f"stale: {sorted(written - skipped)}; unread: {sorted(skipped - written)}"


def origin(logical, sam_resources):
    """The SAM resource a generated resource comes from: SAM names what it
    generates after it (ApiFunctionRole, ExportApiv1Stage, ...)."""
    candidates = [name for name in sam_resources if logical.startswith(name)]
    return max(candidates, key=len) if candidates else None


def test_checkov_passes_on_the_template_as_aws_receives_it(source, aws, tmp_path):
    sam_resources = {n: r for n, r in source["Resources"].items() if r["Type"].startswith("AWS::Serverless::")}
    template = copy.deepcopy(aws)
    for logical, resource in template["Resources"].items():
        parent = origin(logical, sam_resources)
        if parent and parent != logical and not suppressions(resource):
            inherited = suppressions(sam_resources[parent])
            if inherited:
                resource.setdefault("Metadata", {})["checkov"] = {"skip": inherited}
    path = tmp_path / "transformed.json"
    path.write_text(json.dumps(template, indent=1))
    report = checkov(path, cwd=tmp_path)
    failed = report["results"]["failed_checks"]
    assert not failed, "checkov on the transformed template:\n" + describe(failed)
    # It did read what SAM generates: the roles' policies among them.
    passed = {c["check_id"] for c in report["results"]["passed_checks"]}
    assert {"CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111"} <= passed, passed


def cfn_lint(*args):
    return subprocess.run([scanner("cfn-lint"), *args], capture_output=True, text=True, cwd=ROOT)


def test_cfn_lint_serverless_rules_pass_on_the_template():
    result = cfn_lint("--append-rules", "cfn_lint_serverless.rules", "--", str(TEMPLATE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "", result.stdout


def test_the_serverless_rules_are_loaded_and_find_what_they_look_for(tmp_path):
    # Without this, a module that failed to load would pass as clean.
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: provided.al2023, Handler: bootstrap, CodeUri: s3://b/k.zip}\n"
    )
    result = cfn_lint("--append-rules", "cfn_lint_serverless.rules", "--", str(broken))
    assert "WS1000" in result.stdout and "WS1004" in result.stdout, result.stdout + result.stderr


def test_every_cfn_lint_suppression_sits_under_a_comment_saying_why(source):
    lines = TEMPLATE.read_text().splitlines()
    ignores = [i for i, line in enumerate(lines) if "ignore_checks:" in line]
    assert ignores, "no cfn-lint suppression read"
    for i in ignores:
        above = [line.strip() for line in lines[max(0, i - 6) : i]]
        assert any(line.startswith("#") for line in above), f"template.yaml:{i + 1}: no reason above {lines[i].strip()}"
    written = {
        (name, check)
        for name, resource in source["Resources"].items()
        for check in resource.get("Metadata", {}).get("cfn-lint", {}).get("config", {}).get("ignore_checks", [])
    }
    assert all(re.fullmatch(r"[EW]S?\d{4}", check) for _, check in written), written


def test_cfn_lint_passes_on_the_template_as_aws_receives_it(aws, tmp_path):
    # cfn-lint checks each policy's actions against IAM's own list on the
    # generated roles (W3037), which it does not on the SAM source.
    path = tmp_path / "transformed.json"
    path.write_text(json.dumps(aws, indent=1))
    result = cfn_lint("--", str(path))
    assert result.returncode == 0 and result.stdout == "", result.stdout[:4000] + result.stderr
