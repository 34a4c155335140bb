"""Each function's role, as the template grants it, made real in the local engine.

Transforms template.yaml with SAM's own translator (tools/template/transform.py),
resolves the intrinsic functions of every generated role's policies for the
local stack (its bucket, table, bus, account and region), creates those roles
in moto's IAM, assumes each one and prints the credentials as JSON:

    python iam_setup.py --endpoint URL --bucket B --table T --event-bus E [--revoke FUNCTION=ACTION ...]

    {"stateMachineName": ..., "admin": {...},
     "functions": {"start-job": {"roleArn": ..., "credentials": {...}, "statements": [...]}, ...},
     "stateMachine": {...}, "quicksight": {...}}

The roles are the template's, never a second copy: a permission the
template does not grant is one the local function does not have. `--revoke`
removes one action from one function's role (the test that shows a run
failing on a missing permission). The QuickSight service role gets, as its
identity policy, what the template's bucket policy grants it (moto does not
evaluate bucket policies). The harness gets an administrator user of its own.
Nothing here enables the checks: the stack does once its resources exist.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "template"))
from intrinsics import Stack  # noqa: E402
from transform import source_template, transformed  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK_NAME = "local"
STACK_UUID = "6f1c2f0e-0b7a-4c3e-9d55-2a1e8c4b7d10"
QUICKSIGHT_SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/aws-quicksight-service-role-v0"


def binary_of(source: dict, logical: str) -> str:
    """`functions/start-job` -> `start-job`: the binary a function runs."""
    return Path(source["Resources"][logical]["Properties"]["CodeUri"]).name


def local_names(source: dict, args) -> tuple[dict, dict]:
    """What Ref and GetAtt .Arn give for each resource, locally."""
    refs, arns = {}, {}
    for logical, resource in source["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            name = binary_of(source, logical)
            refs[logical] = name
            arns[logical] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        else:
            refs[logical] = f"local-{logical}"
            arns[logical] = f"arn:aws:local:{REGION}:{ACCOUNT}:{logical}"
    refs["ExportBucket"] = args.bucket
    arns["ExportBucket"] = f"arn:aws:s3:::{args.bucket}"
    refs["CoordinationTable"] = args.table
    arns["CoordinationTable"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{args.table}"
    return refs, arns


def revoke(statements: list, action: str) -> list:
    kept = []
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        remaining = [a for a in actions if a.lower() != action.lower()]
        if remaining:
            kept.append({**statement, "Action": remaining})
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--event-bus", required=True)
    parser.add_argument("--revoke", action="append", default=[], metavar="FUNCTION=ACTION")
    args = parser.parse_args()
    revocations: dict[str, list[str]] = {}
    for item in args.revoke:
        function, action = item.split("=", 1)
        revocations.setdefault(function, []).append(action)

    source = source_template()
    template = transformed(REGION)
    refs, arns = local_names(source, args)
    stack = Stack(
        name=STACK_NAME,
        region=REGION,
        account=ACCOUNT,
        partition=PARTITION,
        stack_uuid=STACK_UUID,
        refs=refs,
        arns=arns,
        template=template,
        parameters={"EventBusName": args.event_bus, "QuickSightServiceRoleArn": QUICKSIGHT_SERVICE_ROLE, "KmsKeyArn": ""},
    )
    resources = template["Resources"]
    # The state machine's name, as the template makes it.
    machine = next(r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    machine_name = stack.evaluate(machine["Properties"]["StateMachineName"])
    refs["ExportStateMachine"] = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine_name}"

    def role_statements(role_logical: str) -> list:
        props = resources[role_logical]["Properties"]
        statements = []
        for policy in props.get("Policies", []):
            document = stack.evaluate(policy["PolicyDocument"])
            listed = document["Statement"]
            statements.extend(listed if isinstance(listed, list) else [listed])
        return statements

    identities = {}
    timeouts = {}
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Function":
            timeouts[binary_of(source, logical)] = int(stack.evaluate(resource["Properties"].get("Timeout", 3)))
            role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
            name = binary_of(source, logical)
            statements = role_statements(role)
            for action in revocations.pop(name, []):
                statements = revoke(statements, action)
            identities[name] = {"role": name, "statements": statements}
    if revocations:
        raise SystemExit(f"--revoke names functions the template does not have: {sorted(revocations)}")
    machine_role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    state_machine = {"role": "export-state-machine", "statements": role_statements(machine_role)}
    bucket_policy = stack.evaluate(source["Resources"]["ExportBucketPolicy"]["Properties"]["PolicyDocument"])
    quicksight = {
        "role": "service-role/aws-quicksight-service-role-v0",
        "statements": [
            {"Effect": s["Effect"], "Action": s["Action"], "Resource": s["Resource"]}
            for s in bucket_policy["Statement"]
            if isinstance(s.get("Principal"), dict) and s["Principal"].get("AWS") == QUICKSIGHT_SERVICE_ROLE
        ],
    }

    client = lambda service: boto3.client(  # noqa: E731
        service, endpoint_url=args.endpoint, region_name=REGION, aws_access_key_id="setup", aws_secret_access_key="setup"
    )
    iam, sts = client("iam"), client("sts")
    admin_policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.create_user(UserName="local-stack-admin")
    iam.put_user_policy(UserName="local-stack-admin", PolicyName="admin", PolicyDocument=json.dumps(admin_policy))
    key = iam.create_access_key(UserName="local-stack-admin")["AccessKey"]

    def make(identity: dict) -> dict:
        path, _, name = identity["role"].rpartition("/")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName=name, Path=f"/{path}/" if path else "/", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        if identity["statements"]:
            document = {"Version": "2012-10-17", "Statement": identity["statements"]}
            iam.put_role_policy(RoleName=name, PolicyName="template", PolicyDocument=json.dumps(document))
        credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName=name, DurationSeconds=43200)["Credentials"]
        return {
            "roleArn": role["Arn"],
            "credentials": {k: credentials[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")},
            "statements": identity["statements"],
        }

    out = {
        "stateMachineName": machine_name,
        # Each function's timeout, as Lambda enforces it (the router does locally).
        "timeouts": timeouts,
        "admin": {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]},
        "functions": {name: make(identity) for name, identity in sorted(identities.items())},
        "stateMachine": make(state_machine),
        "quicksight": make(quicksight),
    }
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
