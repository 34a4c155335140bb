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


def substituted(definition_text, substitutions, partition="aws"):
    """The definition as Step Functions sees it after DefinitionSubstitutions."""
    text = definition_text
    for name in substitutions:
        if name.endswith("FunctionArn"):
            value = f"arn:{partition}:lambda:us-east-1:123456789012:function:{name}"
        elif name == "Partition":
            value = partition
        elif name == "ExportBucketName":
            value = "stack-export-bucket"
        else:
            raise AssertionError(f"no test value for the substitution {name}")
        text = text.replace("${" + name + "}", value)
    return json.loads(text)


@pytest.mark.parametrize("partition", ["aws", "aws-cn"])
def test_the_definition_passes_asl_validator(definition_text, state_machine, partition):
    report = asl_validate(substituted(definition_text, state_machine["DefinitionSubstitutions"], partition))
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
        "RecordFailureFunction",
        "TakeSlotFunction",
        "ReapSlotsFunction",
        "FinishCancelFunction",
        "WriteManifestFunction",
        "ApiFunction",
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
    invoked = [p["LambdaInvokePolicy"]["FunctionName"] for p in state_machine["Policies"] if "LambdaInvokePolicy" in p]
    referenced = [
        v["Fn::GetAtt"][0]
        for name, v in state_machine["DefinitionSubstitutions"].items()
        if name.endswith("FunctionArn")
    ]
    assert sorted(r["Ref"] for r in invoked) == sorted(referenced)


def statement_list(resource):
    for policy in resource.get("Properties", {}).get("Policies", []) or []:
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            if "Fn::If" in statement:  # the optional KMS grant
                statement = statement["Fn::If"][1]
            yield statement


def all_statements(template):
    for name, resource in template["Resources"].items():
        for statement in statement_list(resource):
            yield name, statement


def test_no_wildcard_actions_and_quicksight_is_scoped_to_the_account(template):
    statements = list(all_statements(template))
    assert statements
    for name, statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            assert "*" not in action, f"{name}: {action}"
        resource = json.dumps(statement["Resource"])
        # Callbacks have no resource-level permission: a task token names
        # the task. That one action is the only one allowed on "*".
        if actions == ["states:SendTaskSuccess"]:
            continue
        assert resource != '"*"', name
        if any(a.startswith("quicksight:") for a in actions):
            # The account's dashboards, its bundle export jobs, or (for the
            # describes QuickSight checks on exported resources) its resources.
            assert re.search(r"\$\{AWS::AccountId\}:(dashboard/|asset-bundle-export-job/|\*)", resource), f"{name}: {resource}"


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
    # The schedule passes the location of a stored request, never a request.
    schedule_input = schedule["Properties"]["Input"]["Fn::Sub"]
    assert json.loads(schedule_input.replace("${ExportBucket}", "b").replace("${ScheduledRequestKey}", "k")) == {
        "bucket": "b",
        "key": "k",
    }


def test_outputs_name_the_state_machine_the_bucket_and_the_manifest_writer(template):
    assert set(template["Outputs"]) >= {"StateMachineArn", "ExportBucketName", "WriteManifestFunctionName"}


def test_the_settings_reach_the_prepare_function(template):
    variables = template["Resources"]["PrepareRunFunction"]["Properties"]["Environment"]["Variables"]
    assert variables == {
        "EXPORT_BUCKET": {"Ref": "ExportBucket"},
        "MAX_CONCURRENT_JOBS": {"Ref": "MaxConcurrentJobs"},
        "FIRST_POLL_SECONDS": {"Ref": "FirstPollSeconds"},
        "POLL_INTERVAL_SECONDS": {"Ref": "PollIntervalSeconds"},
        "JOB_TIMEOUT_SECONDS": {"Ref": "JobTimeoutSeconds"},
        "TOLERATED_FAILURE_PERCENTAGE": {"Ref": "ToleratedFailurePercentage"},
    }
    assert template["Parameters"]["MaxConcurrentJobs"]["MaxValue"] == 12


def test_s3_and_kms_access_is_the_export_bucket_and_the_optional_key_only(template):
    for name, resource in template["Resources"].items():
        for statement in statement_list(resource):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resource_text = json.dumps(statement["Resource"])
            if any(a.startswith("s3:") for a in actions):
                assert "ExportBucket" in resource_text, f"{name}: {resource_text}"
            if any(a.startswith("kms:") for a in actions):
                assert statement["Resource"] == {"Ref": "KmsKeyArn"}, name


# The stack ID's UUID: 36 characters whatever the stack's name (up to 128).
STACK_UUID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}


def names_this_state_machine(resource, suffix=""):
    """A `!Sub [arn...:<kind>:export-dashboard-${StackUuid}<suffix>, {StackUuid: ...}]`."""
    text, variables = resource["Fn::Sub"]
    assert variables == {"StackUuid": STACK_UUID}, variables
    return text.endswith("export-dashboard-${StackUuid}" + suffix)


def test_the_state_machine_starts_only_its_own_child_executions(state_machine):
    statements = [s for s in statement_list({"Properties": state_machine}) if "Action" in s]
    start = [s for s in statements if s["Action"] == "states:StartExecution"]
    assert len(start) == 1
    assert ":stateMachine:" in start[0]["Resource"]["Fn::Sub"][0]
    assert names_this_state_machine(start[0]["Resource"])
    assert state_machine["Name"] == {"Fn::Join": ["-", ["export-dashboard", STACK_UUID]]}
    describe = [s for s in statements if "states:DescribeExecution" in s["Action"]]
    resources = [r for s in describe for r in s["Resource"]] if isinstance(describe[0]["Resource"], list) else [s["Resource"] for s in describe]
    assert sorted(names_this_state_machine(r, "/*") or names_this_state_machine(r, ":*") for r in resources) == [True, True]
    assert all(":execution:" in r["Fn::Sub"][0] for r in resources)


def test_the_definition_fans_out_with_a_distributed_map_over_the_stored_list(definition_text, state_machine):
    definition = substituted(definition_text, state_machine["DefinitionSubstitutions"])
    fan_out = definition["States"]["Export for every recipient"]
    assert fan_out["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert fan_out["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
    assert fan_out["ResultWriter"]["Parameters"]["Bucket"] == "stack-export-bucket"
    assert fan_out["MaxConcurrencyPath"] == "$.run.settings.max_concurrent_jobs"
    assert fan_out["ToleratedFailurePercentagePath"] == "$.run.settings.tolerated_failure_percentage"
    # The items carry IDs only: the selector passes the run and the item.
    assert set(fan_out["ItemSelector"]) == {"run.$", "recipient.$", "attempt", "job"}


def test_each_task_outlasts_its_function_so_lambdas_own_timeout_fires_first(template, definition_text, state_machine):
    definition = substituted(definition_text, state_machine["DefinitionSubstitutions"])
    global_timeout = template["Globals"]["Function"]["Timeout"]
    by_arn = {
        f"arn:aws:lambda:us-east-1:123456789012:function:{name}": ref["Fn::GetAtt"][0]
        for name, ref in state_machine["DefinitionSubstitutions"].items()
        if name.endswith("FunctionArn")
    }

    def tasks(states):
        for name, state in states.items():
            if state["Type"] == "Task":
                yield name, state
            if "ItemProcessor" in state:
                yield from tasks(state["ItemProcessor"]["States"])

    seen = 0
    for name, task in tasks(definition["States"]):
        # A callback task waits for its token, not for the function.
        if task["Resource"].endswith(".waitForTaskToken"):
            assert task["Parameters"]["FunctionName"] in by_arn, name
            continue
        function = template["Resources"][by_arn[task["Resource"]]]["Properties"]
        timeout = function.get("Timeout", global_timeout)
        assert task["TimeoutSeconds"] > timeout, f"{name}: Task {task['TimeoutSeconds']} s, function {timeout} s"
        seen += 1
    assert seen == 7


def test_the_coordination_table_is_on_demand_recoverable_and_encrypted(template):
    table = template["Resources"]["CoordinationTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    encrypted = table["SSESpecification"]["Fn::If"]
    assert encrypted[0] == "HasKmsKey"
    assert encrypted[1]["SSEEnabled"] and encrypted[2]["SSEEnabled"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_dynamodb_and_callbacks_are_given_to_the_functions_that_use_them_on_the_table_only(template):
    users = set()
    for name, statement in all_statements(template):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if any(a.startswith("dynamodb:") for a in actions):
            assert statement["Resource"] == {"Fn::GetAtt": ["CoordinationTable", "Arn"]}, name
            assert "dynamodb:Scan" not in actions and "dynamodb:DeleteTable" not in actions, name
            users.add(name)
    assert users == {
        "PrepareRunFunction",
        "StartJobFunction",
        "CheckJobFunction",
        "FetchResultFunction",
        "RecordFailureFunction",
        "TakeSlotFunction",
        "ReapSlotsFunction",
        "ApiFunction",
    }
    callers = {name for name, s in all_statements(template) if s["Action"] == "states:SendTaskSuccess"}
    assert callers == {
        "CheckJobFunction",
        "FetchResultFunction",
        "RecordFailureFunction",
        "TakeSlotFunction",
        "ReapSlotsFunction",
        "ApiFunction",
    }
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables == {
        "COORDINATION_TABLE": {"Ref": "CoordinationTable"},
        "SLOT_CAP": {"Ref": "SlotCap"},
        "ASSET_BUNDLE_SLOT_CAP": {"Ref": "AssetBundleSlotCap"},
        "QUICKSIGHT_CALLS_PER_SECOND": {"Ref": "QuickSightCallsPerSecond"},
        "EVENT_BUS_NAME": {"Ref": "EventBusName"},
        "LINK_EXPIRY_SECONDS": {"Ref": "LinkExpirySeconds"},
        "METRICS_NAMESPACE": "QuickSightExport",
        "STACK_NAME": {"Ref": "AWS::StackName"},
        "STACK_ACCOUNT_ID": {"Ref": "AWS::AccountId"},
    }
    assert template["Parameters"]["SlotCap"]["Default"] == 12
    assert template["Parameters"]["SlotCap"]["MaxValue"] == 12
    assert template["Parameters"]["QuickSightCallsPerSecond"]["MaxValue"] == 10


def test_the_reaper_runs_on_this_state_machines_ended_executions(template):
    events = template["Resources"]["ReapSlotsFunction"]["Properties"]["Events"]
    pattern = events["ExecutionEnded"]["Properties"]["Pattern"]
    assert events["ExecutionEnded"]["Type"] == "EventBridgeRule"
    assert pattern["source"] == ["aws.states"]
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    assert sorted(pattern["detail"]["status"]) == ["ABORTED", "FAILED", "TIMED_OUT"]
    assert pattern["detail"]["stateMachineArn"] == [{"Ref": "ExportStateMachine"}]


def test_the_api_is_iam_authorized_and_routes_every_operation_to_the_api_function(template):
    api = template["Resources"]["ExportApi"]
    assert api["Type"] == "AWS::Serverless::Api"
    assert api["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    # API Gateway invokes the function as itself, not with the caller's
    # credentials (test_as_aws_receives_it.py reads what SAM makes of it).
    assert api["Properties"]["Auth"]["InvokeRole"] == "NONE"
    events = template["Resources"]["ApiFunction"]["Properties"]["Events"]
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events.values()}
    assert routes == {
        ("POST", "/exports"),
        ("GET", "/exports"),
        ("GET", "/exports/{id}"),
        ("DELETE", "/exports/{id}"),
        ("POST", "/exports/{id}/retry"),
    }
    assert all(e["Type"] == "Api" and e["Properties"]["RestApiId"] == {"Ref": "ExportApi"} for e in events.values())
    variables = template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables == {"STATE_MACHINE_ARN": {"Ref": "ExportStateMachine"}, "EXPORT_BUCKET": {"Ref": "ExportBucket"}}
    # API Gateway gives up after 29 s.
    assert template["Resources"]["ApiFunction"]["Properties"]["Timeout"] <= 29


def test_step_functions_actions_are_on_this_state_machine_and_its_executions_only(template):
    seen = set()
    for name, statement in all_statements(template):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if not any(a.startswith("states:") for a in actions) or actions == ["states:SendTaskSuccess"]:
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            if resource == {"Ref": "ExportStateMachine"}:
                assert set(actions) <= {"states:StartExecution", "states:ListExecutions"}, name
                continue
            # Its own name, the same expression everywhere (the state
            # machine's own role cannot Ref itself).
            assert any(names_this_state_machine(resource, suffix) for suffix in ("", "/*", ":*")), f"{name}: {resource}"
            arn = resource["Fn::Sub"][0]
            if ":execution:" in arn:
                assert set(actions) <= {"states:DescribeExecution", "states:StopExecution"}, name
        seen.add((name, tuple(sorted(actions))))
    api = {a for n, acts in seen if n == "ApiFunction" for a in acts}
    assert api == {"states:StartExecution", "states:ListExecutions", "states:DescribeExecution", "states:StopExecution"}


def test_events_go_to_the_configured_bus_only_from_the_functions_that_announce(template):
    senders = set()
    for name, statement in all_statements(template):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if "events:PutEvents" in actions:
            assert actions == ["events:PutEvents"], name
            assert statement["Resource"]["Fn::Sub"].endswith(":event-bus/${EventBusName}"), name
            senders.add(name)
    assert senders == {
        "FetchResultFunction",
        "RecordFailureFunction",
        "WriteManifestFunction",
        "ApiFunction",
        "FinishCancelFunction",
    }
    assert template["Parameters"]["EventBusName"]["Default"] == "default"


def test_a_schedule_retries_then_keeps_what_it_could_not_start(template, state_machine):
    schedule = state_machine["Events"]["ScheduledExport"]["Properties"]
    assert schedule["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert schedule["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}}
    assert template["Resources"]["ScheduleDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "samconfig.toml" in ignored
    tracked = subprocess.run(["git", "ls-files", "samconfig.toml"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert tracked.stdout == ""


def test_failures_raise_alarms_on_one_topic(template):
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    assert set(alarms) == {"FailedRunsAlarm", "FailedRecipientsAlarm", "ScheduleDeadLetterAlarm"}
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name
    runs = {m["MetricStat"]["Metric"]["MetricName"] for m in alarms["FailedRunsAlarm"]["Properties"]["Metrics"] if "MetricStat" in m}
    assert runs == {"ExecutionsFailed", "ExecutionsTimedOut"}
    recipients = alarms["FailedRecipientsAlarm"]["Properties"]
    assert (recipients["Namespace"], recipients["MetricName"]) == ("QuickSightExport", "RunsWithFailedRecipients")


def test_the_dashboard_is_json_and_charts_the_metrics_the_functions_emit(template):
    body, variables = template["Resources"]["ExportDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    text = body.replace("${Namespace}", variables["Namespace"]).replace("${StateMachineArn}", "arn")
    text = text.replace("${AWS::Region}", "us-east-1").replace("${AWS::StackName}", "stack")
    widgets = json.loads(text)["widgets"]
    charted = {m[1] for w in widgets for m in w["properties"]["metrics"] if m[1] != "."}
    # Every metric the Rust code emits (metrics::Metric constructors).
    emitted = set()
    for source in (ROOT / "functions" / "core" / "src").rglob("*.rs"):
        if source.name == "metrics.rs":  # the constructors and their test
            continue
        emitted |= set(re.findall(r'Metric::(?:count|seconds|milliseconds|ratio)\(\s*"([A-Za-z]+)"', source.read_text()))
    assert emitted, "no metric found in the sources"
    # The counters that feed alarms or add up to others need no chart.
    assert emitted - charted <= {"Recipients", "RunsFinished", "RunsWithFailedRecipients"}, emitted - charted
    assert "ExecutionsFailed" in charted


def test_the_nightly_backup_is_a_disabled_schedule_by_reference_with_retries(template, state_machine):
    backup = state_machine["Events"]["NightlyBackup"]
    assert backup["Type"] == "ScheduleV2"
    properties = backup["Properties"]
    assert properties["State"] == {"Ref": "BackupScheduleState"}
    assert template["Parameters"]["BackupScheduleState"]["Default"] == "DISABLED"
    text = properties["Input"]["Fn::Sub"].replace("${ExportBucket}", "b").replace("${BackupRequestKey}", "k")
    assert json.loads(text) == {"bucket": "b", "key": "k"}
    assert properties["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert properties["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}}
    assert template["Parameters"]["AssetBundleSlotCap"]["MaxValue"] == 5


def test_bundle_exports_are_started_and_described_only_by_the_steps_that_do_so(template):
    by_action = {}
    for name, statement in all_statements(template):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            by_action.setdefault(action, set()).add(name)
    assert by_action["quicksight:StartAssetBundleExportJob"] == {"StartJobFunction"}
    assert by_action["quicksight:DescribeAssetBundleExportJob"] == {"StartJobFunction", "CheckJobFunction", "FetchResultFunction"}
    assert by_action["quicksight:ListDashboards"] == {"PrepareRunFunction"}
    assert "s3:AbortMultipartUpload" in {a for n, acts in by_action.items() for a in [n] if "FetchResultFunction" in acts}
