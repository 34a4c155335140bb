"""The SAM template and the ASL definition, checked offline.

cfn-lint and `sam validate --lint` check the template but not the ASL inside
the state machine's DefinitionUri; asl-validator checks that. The rest are
the conventions a reviewer would check by hand.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
NODE_TOOLS = ROOT / "tools" / "node"


@pytest.fixture(scope="module")
def template():
    parsed, matches = decode(str(TEMPLATE))
    assert not matches, matches
    return parsed


@pytest.fixture(scope="module")
def state_machine(template):
    return template["Resources"]["ExportStateMachine"]["Properties"]


@pytest.fixture(scope="module")
def definition_text(state_machine):
    return (ROOT / state_machine["DefinitionUri"]).read_text()


def resources_of_type(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_cfn_lint_passes():
    result = subprocess.run(["cfn-lint", str(TEMPLATE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint_passes():
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    result = subprocess.run(
        ["sam", "validate", "--lint", "--region", "us-east-1", "--template-file", str(TEMPLATE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def asl_validate(definition):
    """asl-validator through its API: the CLI's --no-arn-check flag is broken."""
    script = (
        "const v = require('asl-validator');"
        "const d = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const r = v(d, { checkArn: true, checkPaths: true });"
        "console.log(JSON.stringify({ valid: r.isValid, errors: r.errorsText('\\n') }));"
    )
    node = NODE_TOOLS / "node_modules" / ".bin" / "node"
    result = subprocess.run(
        [str(node), "-e", script], input=json.dumps(definition), capture_output=True, text=True, cwd=NODE_TOOLS
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def substituted(definition_text, substitutions):
    """The definition as Step Functions sees it after DefinitionSubstitutions."""
    text = definition_text
    for name in substitutions:
        fake_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        text = text.replace("${" + name + "}", fake_arn)
    return json.loads(text)


def test_the_definition_passes_asl_validator(definition_text, state_machine):
    report = asl_validate(substituted(definition_text, state_machine["DefinitionSubstitutions"]))
    assert report["valid"], report["errors"]


def test_asl_validator_catches_a_broken_definition(definition_text, state_machine):
    # The check above can fail: a dangling Next is reported.
    broken = substituted(definition_text, state_machine["DefinitionSubstitutions"])
    broken["States"]["Validate the request"]["Next"] = "Nowhere"
    assert not asl_validate(broken)["valid"]


def test_every_placeholder_has_a_substitution_and_every_substitution_is_used(definition_text, state_machine):
    placeholders = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition_text))
    substitutions = set(state_machine["DefinitionSubstitutions"])
    assert placeholders == substitutions


def test_each_function_is_rust_on_arm64_built_by_cargo_lambda(template):
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert set(functions) == {
        "PrepareRunFunction",
        "StartJobFunction",
        "CheckJobFunction",
        "FetchResultFunction",
        "WriteManifestFunction",
    }
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "provided.al2023"
    assert globals_["Architectures"] == ["arm64"]
    assert globals_["LoggingConfig"]["LogFormat"] == "JSON"
    for name, function in functions.items():
        assert function["Metadata"]["BuildMethod"] == "rust-cargolambda", name
        code_uri = ROOT / function["Properties"]["CodeUri"]
        assert (code_uri / "Cargo.toml").exists(), f"{name}: {code_uri} is not a crate"


def test_the_state_machine_may_invoke_exactly_its_functions(template, state_machine):
    invoked = [p["LambdaInvokePolicy"]["FunctionName"] for p in state_machine["Policies"]]
    referenced = [v["Fn::GetAtt"][0] for v in state_machine["DefinitionSubstitutions"].values()]
    assert sorted(r["Ref"] for r in invoked) == sorted(referenced)


def all_statements(template):
    for name, resource in template["Resources"].items():
        for policy in resource.get("Properties", {}).get("Policies", []) or []:
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                yield name, statement


def test_no_wildcard_actions_and_quicksight_is_scoped_to_the_account(template):
    statements = list(all_statements(template))
    assert statements
    for name, statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert "*" not in action, f"{name}: {action}"
        resource = json.dumps(statement["Resource"])
        assert resource != '"*"', name
        if any(a.startswith("quicksight:") for a in actions):
            assert "${AWS::AccountId}:dashboard/" in resource, f"{name}: {resource}"


def test_the_export_bucket_is_private_encrypted_tls_only_and_expires_objects(template):
    bucket = template["Resources"]["ExportBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["LifecycleConfiguration"]["Rules"][0]["Status"] == "Enabled"
    policy = template["Resources"]["ExportBucketPolicy"]["Properties"]["PolicyDocument"]
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_schedule_is_disabled_by_default_and_has_a_timezone(template, state_machine):
    schedule = state_machine["Events"]["ScheduledExport"]
    assert schedule["Type"] == "ScheduleV2"
    assert schedule["Properties"]["ScheduleExpressionTimezone"] == {"Ref": "ScheduleTimezone"}
    assert template["Parameters"]["ScheduleState"]["Default"] == "DISABLED"
    assert schedule["Properties"]["Input"] == {"Ref": "ScheduledRequest"}


def test_outputs_name_the_state_machine_and_the_bucket(template):
    assert set(template["Outputs"]) >= {"StateMachineArn", "ExportBucketName"}


def test_the_settings_reach_the_prepare_function(template):
    variables = template["Resources"]["PrepareRunFunction"]["Properties"]["Environment"]["Variables"]
    assert variables == {
        "MAX_CONCURRENT_JOBS": {"Ref": "MaxConcurrentJobs"},
        "FIRST_POLL_SECONDS": {"Ref": "FirstPollSeconds"},
        "POLL_INTERVAL_SECONDS": {"Ref": "PollIntervalSeconds"},
        "JOB_TIMEOUT_SECONDS": {"Ref": "JobTimeoutSeconds"},
    }
    assert template["Parameters"]["MaxConcurrentJobs"]["MaxValue"] == 12
