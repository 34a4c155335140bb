"""The template as AWS receives it: what SAM generates from template.yaml.

`sam deploy` hands template.yaml to CloudFormation, whose AWS::Serverless
transform writes the resources that actually exist: the API's OpenAPI body
and its integrations, the stage and the deployment, one IAM role per
function and per schedule with their inline policies, the Lambda
permissions. These tests read that output (tools/template/transform.py runs
SAM's own translator offline) rather than the SAM shorthand, so a default
SAM fills in (the caller's credentials on every integration, a stray
"Stage" stage) or a permission added or dropped by accident fails here.
"""

import fnmatch
import json
import re
from pathlib import Path

import pytest

from intrinsics import Stack  # tools/template/intrinsics.py (conftest puts it on the path)
from policy_labels import actions_of, grants, label, statements_of

ROOT = Path(__file__).resolve().parents[2]

ROUTES = {
    ("POST", "/exports"),
    ("GET", "/exports"),
    ("GET", "/exports/{id}"),
    ("DELETE", "/exports/{id}"),
    ("POST", "/exports/{id}/retry"),
}


def of_type(template, kind):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def methods(template):
    """(METHOD, path) -> the OpenAPI operation of the REST API's body."""
    body = template["Resources"]["ExportApi"]["Properties"]["Body"]
    return {
        (method.upper(), path): operation
        for path, operations in body["paths"].items()
        for method, operation in operations.items()
    }


# --- The API -----------------------------------------------------------------


def test_every_route_integrates_the_api_function_as_itself_not_as_the_caller(aws):
    # With AWS_IAM auth SAM's default InvokeRole is CALLER_CREDENTIALS: each
    # integration gets `credentials: arn:aws:iam::*:user/*`, API Gateway
    # invokes the function as the caller, and a caller allowed only
    # execute-api:Invoke gets a 500 on every route. InvokeRole NONE: no
    # credentials, and a Lambda permission for API Gateway instead.
    operations = methods(aws)
    assert set(operations) == ROUTES
    for route, operation in operations.items():
        integration = operation["x-amazon-apigateway-integration"]
        assert "credentials" not in integration, f"{route}: {integration.get('credentials')}"
        assert integration["type"] == "aws_proxy", route
        assert integration["httpMethod"] == "POST", route
        assert "${ApiFunction.Arn}" in integration["uri"]["Fn::Sub"], route
        assert operation["security"] == [{"AWS_IAM": []}], route


def test_api_gateway_may_invoke_the_api_function_on_each_route_of_this_api(aws):
    permissions = of_type(aws, "AWS::Lambda::Permission")
    routes = set()
    for name, permission in permissions.items():
        props = permission["Properties"]
        if props["Principal"] != "apigateway.amazonaws.com":
            continue
        assert props["Action"] == "lambda:InvokeFunction", name
        assert props["FunctionName"] == {"Ref": "ApiFunction"}, name
        arn, variables = props["SourceArn"]["Fn::Sub"]
        assert variables["__ApiId__"] == {"Ref": "ExportApi"}, name
        match = re.fullmatch(r"arn:[^:]+:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{__ApiId__\}/\$\{__Stage__\}/([A-Z]+)(/.*)", arn)
        assert match, arn
        routes.add((match.group(1), match.group(2).replace("*", "{id}")))
    assert routes == ROUTES


def test_the_api_has_one_stage_v1_throttled_and_a_deployment_without_a_stage_of_its_own(aws):
    stages = of_type(aws, "AWS::ApiGateway::Stage")
    assert list(stages.values())[0]["Properties"]["StageName"] == "v1" and len(stages) == 1
    stage = next(iter(stages.values()))["Properties"]
    deployments = of_type(aws, "AWS::ApiGateway::Deployment")
    assert len(deployments) == 1
    (deployment_name, deployment), = deployments.items()
    assert stage["DeploymentId"] == {"Ref": deployment_name}
    assert stage["RestApiId"] == {"Ref": "ExportApi"}
    assert deployment["Properties"]["RestApiId"] == {"Ref": "ExportApi"}
    # A Deployment with a StageName makes a stage of that name: SAM's
    # "Stage", a second, unthrottled stage beside v1, unless OpenApiVersion
    # is set.
    assert "StageName" not in deployment["Properties"], deployment["Properties"]
    assert stage["MethodSettings"] == [
        {"HttpMethod": "*", "ResourcePath": "/*", "ThrottlingBurstLimit": 40, "ThrottlingRateLimit": 20}
    ]
    rest_api = aws["Resources"]["ExportApi"]["Properties"]
    assert rest_api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}


def caller_policy():
    """The caller policy docs/api.md gives: its one JSON block naming execute-api:Invoke."""
    text = (ROOT / "docs" / "api.md").read_text()
    blocks = [b for b in re.findall(r"```json\n(.*?)```", text, re.S) if "execute-api:Invoke" in b]
    assert len(blocks) == 1, "docs/api.md: expected one ```json block with the caller policy"
    return json.loads(blocks[0])


def iam_glob_matches(pattern: str, value: str) -> bool:
    # IAM's wildcards: * any run of characters (slashes too), ? one.
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def test_the_caller_policy_in_docs_api_allows_every_route_and_nothing_but_invoke(aws):
    policy = caller_policy()
    statements = [s for s, _ in statements_of(policy)]
    assert [s["Effect"] for s in statements] == ["Allow"]
    (statement,) = statements
    assert actions_of(statement) == ["execute-api:Invoke"]
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    stage = next(iter(of_type(aws, "AWS::ApiGateway::Stage").values()))["Properties"]["StageName"]
    # The ARN API Gateway authorizes a call against: the form of SAM's own
    # Lambda permissions, for one concrete API, stage and run ID.
    filled = [
        r.replace("<partition>", "aws").replace("<region>", "eu-west-1")
        .replace("<account-id>", "123456789012").replace("<api-id>", "a1b2c3d4e5")
        for r in resources
    ]
    for resource in filled:
        assert re.fullmatch(r"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/[^/]+/.*", resource), resource
        assert "<" not in resource, resource
    for method, path in ROUTES:
        arn = f"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/{stage}/{method}{path.replace('{id}', 'monthly-2026-11')}"
        assert any(iam_glob_matches(r, arn) for r in filled), f"{method} {path}: {arn} matches none of {filled}"
    # Another API, another stage, another account: none of it.
    for other in (
        "arn:aws:execute-api:eu-west-1:123456789012:zzzzzzzzzz/v1/GET/exports",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/Stage/GET/exports",
        "arn:aws:execute-api:eu-west-1:999999999999:a1b2c3d4e5/v1/GET/exports",
    ):
        assert not any(iam_glob_matches(r, other) for r in filled), other


# --- The roles ---------------------------------------------------------------

BUCKET_OBJECTS = "${ExportBucket.Arn}/*"
BUCKET = "${ExportBucket.Arn}"
TABLE = "${CoordinationTable.Arn}"
KEY = "${KmsKeyArn}"
BUS = "events:event-bus/${EventBusName}"
DASHBOARDS = "quicksight:dashboard/*"
BUNDLE_JOBS = "quicksight:asset-bundle-export-job/*"
STATE_MACHINE = "${ExportStateMachine}"
TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
# What QuickSight checks on every resource an asset bundle exports, for its
# caller (AWS's documented policy for StartAssetBundleExportJob).
BUNDLE_DESCRIBES = [
    "quicksight:DescribeDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:DescribeAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:DescribeDataSetRefreshProperties",
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:DescribeTheme",
    "quicksight:DescribeThemePermissions",
    "quicksight:DescribeRefreshSchedule",
    "quicksight:ListRefreshSchedules",
    "quicksight:DescribeVPCConnection",
    "quicksight:ListTagsForResource",
]


def on(resource, *actions, condition=None):
    return {(action, resource, condition) for action in actions}


def with_key(*actions):
    return on(KEY, *actions, condition="HasKmsKey")


TABLE_USER = on(TABLE, *TABLE_ACTIONS) | with_key("kms:Decrypt")
HANDS_OVER_SLOTS = on("*", "states:SendTaskSuccess")

# Every function's grants: (action, resource, condition). A permission
# added or dropped by accident fails here; change this table with it.
FUNCTION_GRANTS = {
    "PrepareRunFunction": (
        on(BUCKET_OBJECTS, "s3:GetObject", "s3:PutObject")
        # A missing request answers NoSuchKey only to a caller that may list.
        | on(BUCKET, "s3:ListBucket")
        | on(DASHBOARDS, "quicksight:ListDashboards")
        | TABLE_USER
        | with_key("kms:Decrypt", "kms:GenerateDataKey")
    ),
    "StartJobFunction": (
        on(DASHBOARDS, "quicksight:StartDashboardSnapshotJob", "quicksight:DescribeDashboardSnapshotJob")
        | on(BUCKET_OBJECTS, "s3:GetObject")
        | on(BUNDLE_JOBS, "quicksight:StartAssetBundleExportJob", "quicksight:DescribeAssetBundleExportJob")
        | on("quicksight:*", *BUNDLE_DESCRIBES)
        | TABLE_USER
    ),
    "CheckJobFunction": (
        on(DASHBOARDS, "quicksight:DescribeDashboardSnapshotJob")
        | on(BUNDLE_JOBS, "quicksight:DescribeAssetBundleExportJob")
        | TABLE_USER
        | HANDS_OVER_SLOTS
    ),
    "FetchResultFunction": (
        on(DASHBOARDS, "quicksight:DescribeDashboardSnapshotJobResult")
        | on(BUNDLE_JOBS, "quicksight:DescribeAssetBundleExportJob")
        | on(BUCKET_OBJECTS, "s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload")
        | on(BUS, "events:PutEvents")
        | TABLE_USER
        | HANDS_OVER_SLOTS
        | with_key("kms:Decrypt", "kms:GenerateDataKey")
    ),
    "RecordFailureFunction": (
        # It reads the outcome already recorded, and signs download links.
        on(BUCKET_OBJECTS, "s3:PutObject", "s3:GetObject")
        | on(BUCKET, "s3:ListBucket")
        | on(BUS, "events:PutEvents")
        | TABLE_USER
        | HANDS_OVER_SLOTS
        | with_key("kms:Decrypt", "kms:GenerateDataKey")
    ),
    "TakeSlotFunction": TABLE_USER | HANDS_OVER_SLOTS,
    "ReapSlotsFunction": TABLE_USER | HANDS_OVER_SLOTS,
    "FinishCancelFunction": (
        on("states:execution:export-dashboard-${StackUuid}:*", "states:DescribeExecution")
        | on(BUCKET_OBJECTS, "s3:GetObject", "s3:PutObject")
        | on(BUCKET, "s3:ListBucket")
        | on(BUS, "events:PutEvents")
        | with_key("kms:Decrypt", "kms:GenerateDataKey")
    ),
    "WriteManifestFunction": (
        on(BUCKET_OBJECTS, "s3:GetObject", "s3:PutObject")
        | on(BUCKET, "s3:ListBucket")
        | on(BUS, "events:PutEvents")
        | with_key("kms:Decrypt", "kms:GenerateDataKey")
    ),
    "ApiFunction": (
        on(STATE_MACHINE, "states:StartExecution", "states:ListExecutions")
        | on("states:execution:export-dashboard-${StackUuid}:*", "states:DescribeExecution", "states:StopExecution")
        | on(BUCKET_OBJECTS, "s3:GetObject", "s3:PutObject")
        | on(BUCKET, "s3:ListBucket")
        | TABLE_USER
        | HANDS_OVER_SLOTS
        | on(BUS, "events:PutEvents")
        | with_key("kms:Decrypt", "kms:GenerateDataKey")
    ),
}

STATE_MACHINE_GRANTS = (
    # The Distributed Map starts its children as executions of this very
    # state machine, and describes and stops them.
    on("states:stateMachine:export-dashboard-${StackUuid}", "states:StartExecution")
    | on("states:execution:export-dashboard-${StackUuid}/*", "states:DescribeExecution", "states:StopExecution")
    | on("states:execution:export-dashboard-${StackUuid}:*", "states:DescribeExecution", "states:StopExecution")
    | on(BUCKET_OBJECTS, "s3:GetObject")
    | on(
        "${ExportBucket.Arn}/runs/map-results/*",
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListMultipartUploadParts",
        "s3:AbortMultipartUpload",
    )
    | with_key("kms:Decrypt", "kms:GenerateDataKey")
    | {
        ("lambda:InvokeFunction", "lambda:function:${" + name + "}*", None)
        for name in (
            "PrepareRunFunction",
            "StartJobFunction",
            "CheckJobFunction",
            "FetchResultFunction",
            "RecordFailureFunction",
            "TakeSlotFunction",
            "WriteManifestFunction",
        )
    }
)


def role_of(template, logical):
    role = template["Resources"][logical]["Properties"]["Role"]
    assert set(role) == {"Fn::GetAtt"}, role
    return template["Resources"][role["Fn::GetAtt"][0]]


def pretty(grants_):
    return "\n".join(f"  {a} on {r}" + (f" (if {c})" if c else "") for a, r, c in sorted(grants_, key=str))


@pytest.mark.parametrize("function", sorted(FUNCTION_GRANTS))
def test_each_function_role_grants_exactly_its_table(aws, function):
    assert set(FUNCTION_GRANTS) == set(of_type(aws, "AWS::Lambda::Function"))
    role = role_of(aws, function)
    assume = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert assume == [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}]
    # Logs only (CreateLogGroup, CreateLogStream, PutLogEvents): no X-Ray, no VPC.
    assert role["Properties"]["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    actual, expected = grants(role), FUNCTION_GRANTS[function]
    assert actual == expected, f"granted, not in the table:\n{pretty(actual - expected)}\nin the table, not granted:\n{pretty(expected - actual)}"


def test_the_state_machine_role_grants_exactly_its_table(aws):
    machine = aws["Resources"]["ExportStateMachine"]["Properties"]
    role = aws["Resources"][machine["RoleArn"]["Fn::GetAtt"][0]]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": ["states.amazonaws.com"]}
    actual = grants(role)
    assert actual == STATE_MACHINE_GRANTS, f"granted, not in the table:\n{pretty(actual - STATE_MACHINE_GRANTS)}\nin the table, not granted:\n{pretty(STATE_MACHINE_GRANTS - actual)}"


def test_the_map_results_grant_is_where_the_definition_writes_them(aws):
    definition = (ROOT / "statemachine" / "export-dashboard.asl.json").read_text()
    prefix = json.loads(definition)["States"]["Export for every recipient"]["ResultWriter"]["Parameters"]["Prefix"]
    assert prefix == "runs/map-results"
    assert ("s3:PutObject", f"${{ExportBucket.Arn}}/{prefix}/*", None) in STATE_MACHINE_GRANTS


def test_each_schedule_may_start_this_state_machine_only_and_dead_letter_to_its_queue(aws):
    schedules = of_type(aws, "AWS::Scheduler::Schedule")
    assert set(schedules) == {"ExportStateMachineScheduledExport", "ExportStateMachineNightlyBackup"}
    for name, schedule in schedules.items():
        target = schedule["Properties"]["Target"]
        assert target["Arn"] == {"Ref": "ExportStateMachine"}, name
        role = aws["Resources"][target["RoleArn"]["Fn::GetAtt"][0]]
        assume = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert [s["Principal"] for s in assume] == [{"Service": ["scheduler.amazonaws.com"]}], name
        assert not role["Properties"].get("ManagedPolicyArns"), name
        assert grants(role) == {
            ("states:StartExecution", STATE_MACHINE, None),
            ("sqs:SendMessage", "${ScheduleDeadLetterQueue.Arn}", None),
        }, name
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}}, name


def required_key_actions(role_grants):
    """What SSE-KMS on the bucket and on the table asks of a caller.

    S3 (SSE-KMS): GetObject decrypts the object's data key (kms:Decrypt);
    PutObject has one generated (kms:GenerateDataKey); a multipart upload
    also decrypts it for each part and to complete (kms:Decrypt).
    DynamoDB (customer managed key): DynamoDB decrypts the table key with
    the caller's permission when it is not cached (kms:Decrypt).
    """
    actions = {a for a, _, c in role_grants if c is None}
    needed = set()
    if actions & {"s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}:
        needed.add("kms:Decrypt")
    if "s3:PutObject" in actions:
        needed.add("kms:GenerateDataKey")
    if any(a.startswith("dynamodb:") for a in actions):
        needed.add("kms:Decrypt")
    return needed


def test_with_a_kms_key_every_role_using_the_bucket_or_table_may_use_it_and_no_more(aws):
    machine_role = aws["Resources"]["ExportStateMachine"]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    roles = {f: role_of(aws, f) for f in FUNCTION_GRANTS} | {"ExportStateMachine": aws["Resources"][machine_role]}
    for name, role in roles.items():
        role_grants = grants(role)
        given = {a for a, r, c in role_grants if a.startswith("kms:")}
        assert all((r, c) == (KEY, "HasKmsKey") for a, r, c in role_grants if a.startswith("kms:")), name
        assert given == required_key_actions(role_grants), name


# --- The bucket, the alarm topic, the partition --------------------------------


def lifecycle_rules(template):
    return template["Resources"]["ExportBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]


def rule_applies(rule, key):
    prefix = rule.get("Prefix", rule.get("Filter", {}).get("Prefix", ""))
    assert not rule.get("TagFilters"), rule
    return key.startswith(prefix)


def expiring(rule):
    return rule["Status"] == "Enabled" and bool(
        {"ExpirationInDays", "ExpirationDate", "NoncurrentVersionExpirationInDays", "NoncurrentVersionExpiration"} & set(rule)
    )


def test_the_lifecycle_expires_what_runs_write_and_api_requests_and_never_the_stored_requests(aws, source):
    rules = lifecycle_rules(aws)
    keys_kept = [
        source["Parameters"]["ScheduledRequestKey"]["Default"],
        source["Parameters"]["BackupRequestKey"]["Default"],
        "requests/monthly-2026-11.json",  # a request stored by hand (README)
    ]
    assert keys_kept[:2] == ["requests/scheduled.json", "requests/backup.json"]
    keys_expired = [
        "runs/monthly/monthly-2026-11/outcomes/r-1.json",
        "runs/monthly/monthly-2026-11/files/r-1/report.pdf",
        "runs/monthly-2026-11/manifest.json",
        "runs/map-results/0f2e/manifest.json",
        "requests/api/api-5e1c.json",
    ]
    for key in keys_kept:
        assert not [r["Id"] for r in rules if expiring(r) and rule_applies(r, key)], key
    for key in keys_expired:
        matching = [r for r in rules if expiring(r) and rule_applies(r, key)]
        assert matching, key
        assert all(r["ExpirationInDays"] == {"Ref": "ExportRetentionDays"} for r in matching), key
    # Uploads broken off (a bundle's streaming download) go after a day, bucket-wide.
    aborts = [r for r in rules if "AbortIncompleteMultipartUpload" in r]
    assert len(aborts) == 1 and rule_applies(aborts[0], "anything") and not expiring(aborts[0])
    assert aborts[0]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert all(r["Status"] == "Enabled" for r in rules)
    description = source["Parameters"]["ExportRetentionDays"]["Description"]
    assert "runs/" in description and "requests/api/" in description


def test_the_alarm_topic_is_under_a_key_cloudwatch_may_use(aws):
    # CloudWatch alarms cannot publish to a topic under the AWS managed
    # key alias/aws/sns: its policy cannot be changed to let them.
    topic = aws["Resources"]["AlarmTopic"]["Properties"]
    key_ref = topic["KmsMasterKeyId"]
    assert isinstance(key_ref, dict), f"{key_ref}: an AWS managed key CloudWatch cannot use"
    key_name = key_ref.get("Ref") or key_ref["Fn::GetAtt"][0]
    key = aws["Resources"][key_name]
    assert key["Type"] == "AWS::KMS::Key"
    props = key["Properties"]
    assert props["EnableKeyRotation"] is True
    assert props.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
    statements = props["KeyPolicy"]["Statement"]
    by_principal = {json.dumps(s["Principal"], sort_keys=True): s for s in statements}
    root = by_principal[json.dumps({"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}, sort_keys=True)]
    assert (root["Effect"], root["Action"], root["Resource"]) == ("Allow", "kms:*", "*")
    cloudwatch = by_principal[json.dumps({"Service": "cloudwatch.amazonaws.com"}, sort_keys=True)]
    assert cloudwatch["Effect"] == "Allow"
    assert sorted(actions_of(cloudwatch)) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Resource"] == "*"
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert len(statements) == 2
    aliases = [a for a in of_type(aws, "AWS::KMS::Alias").values() if a["Properties"]["TargetKeyId"] == {"Ref": key_name}]
    assert len(aliases) == 1
    alias = aliases[0]["Properties"]["AliasName"]
    assert label(alias).startswith("alias/") and not label(alias).startswith("alias/aws/")
    # The alarms publish to it.
    for name, alarm in of_type(aws, "AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name


def strings(value, path=()):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings(v, path + (i,))


@pytest.mark.parametrize("region,partition", [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_every_arn_aws_receives_is_in_the_stacks_partition(transformed_in, region, partition):
    # The template's own ARNs use ${AWS::Partition}; SAM writes the region's
    # partition into the ones it generates. Transformed for a region outside
    # the aws partition, no ARN may say arn:aws:.
    template = transformed_in(region)
    literal = [
        ("/".join(map(str, path)), text)
        for section in ("Resources", "Outputs", "Conditions")
        for path, text in strings(template.get(section, {}), (section,))
        if "arn:aws:" in text
    ]
    assert not literal, literal
    assert any(f"arn:{partition}:" in text for _, text in strings(template["Resources"]))


def test_the_template_names_no_partition_and_the_definition_has_it_substituted(source):
    literal = [
        "/".join(map(str, path))
        for section in ("Globals", "Resources", "Outputs", "Conditions")
        for path, text in strings(source.get(section, {}), (section,))
        if "arn:aws:" in text
    ]
    assert not literal, literal
    machine = source["Resources"]["ExportStateMachine"]["Properties"]
    assert machine["DefinitionSubstitutions"]["Partition"] == {"Ref": "AWS::Partition"}
    definition = (ROOT / machine["DefinitionUri"]).read_text()
    assert "arn:aws:" not in definition
    assert "arn:${Partition}:states:::" in definition


# --- The state machine's name ----------------------------------------------------


def machine_name_stack(source, name, **kwargs):
    stack = Stack(name=name, **kwargs)
    machine_name = stack.evaluate(source["Resources"]["ExportStateMachine"]["Properties"]["Name"])
    machine_arn = f"arn:{stack.partition}:states:{stack.region}:{stack.account}:stateMachine:{machine_name}"
    stack.refs = {"ExportStateMachine": machine_arn, "EventBusName": "default", "KmsKeyArn": "key"}
    stack.arns = {
        "ExportBucket": "arn:aws:s3:::bucket",
        "CoordinationTable": "arn:aws:dynamodb:::table/t",
        "ScheduleDeadLetterQueue": "arn:aws:sqs:::q",
    }
    return stack, machine_name, machine_arn


def test_the_state_machine_name_fits_for_the_longest_stack_name(source):
    # CloudFormation allows stack names of 128 characters; a state machine
    # name is at most 80, of [A-Za-z0-9_-]. The stack ID's UUID is 36
    # whatever the stack is called.
    for length in (1, 62, 63, 128):
        _, name, _ = machine_name_stack(source, "s" * length)
        assert len(name) <= 80 and re.fullmatch(r"[A-Za-z0-9_-]+", name), name
        assert name.startswith("export-dashboard-")
    one, _, _ = machine_name_stack(source, "exports")
    other, _, _ = machine_name_stack(source, "exports")
    assert one.evaluate(source["Resources"]["ExportStateMachine"]["Properties"]["Name"]) != other.evaluate(
        source["Resources"]["ExportStateMachine"]["Properties"]["Name"]
    ), "two stacks of one name (one deleted, one new) get two state machine names"


def test_every_policy_and_rule_naming_the_state_machine_names_it_as_it_is_named(aws, source):
    stack, name, arn = machine_name_stack(source, "q" * 128, region="eu-west-1", account="111122223333")
    account_prefix = f"arn:aws:states:eu-west-1:111122223333:"
    seen = set()
    for logical, resource in aws["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement, _ in statements_of(policy["PolicyDocument"]):
                if not any(a.startswith("states:") for a in actions_of(statement)) or statement["Resource"] == "*":
                    continue
                resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                for resource_ in resources:
                    value = stack.evaluate(resource_)
                    assert value in {arn, f"{account_prefix}execution:{name}/*", f"{account_prefix}execution:{name}:*"}, (
                        f"{logical}: {value}"
                    )
                    seen.add((logical, value))
    assert {v for _, v in seen} == {arn, f"{account_prefix}execution:{name}/*", f"{account_prefix}execution:{name}:*"}
    for rule in ("ReapSlotsFunctionExecutionEnded", "FinishCancelFunctionExecutionStopped"):
        pattern = aws["Resources"][rule]["Properties"]["EventPattern"]
        assert stack.evaluate(pattern["detail"]["stateMachineArn"]) == [arn], rule
