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
from transform import source_template, transformed  # noqa: E402

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK_NAME = "local"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/6f1c2f0e-0b7a-4c3e-9d55-2a1e8c4b7d10"
QUICKSIGHT_SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/aws-quicksight-service-role-v0"


class Unresolved(Exception):
    pass


class Resolver:
    """Evaluates the intrinsic functions of a template for the local stack."""

    def __init__(self, template: dict, parameters: dict, physical: dict, attributes: dict):
        self.template = template
        self.parameters = {
            name: spec.get("Default", "") for name, spec in template.get("Parameters", {}).items()
        }
        self.parameters.update(parameters)
        self.pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": STACK_ID,
            "AWS::URLSuffix": "amazonaws.com",
        }
        self.physical = physical  # logical ID -> what Ref gives
        self.attributes = attributes  # "Logical.Attr" -> what GetAtt gives
        self.conditions: dict[str, bool] = {}

    def ref(self, name: str):
        if name == "AWS::NoValue":
            return NO_VALUE
        for table in (self.pseudo, self.parameters, self.physical):
            if name in table:
                return str(table[name])
        raise Unresolved(f"Ref {name}")

    def getatt(self, logical: str, attribute: str):
        key = f"{logical}.{attribute}"
        if key in self.attributes:
            return self.attributes[key]
        raise Unresolved(f"GetAtt {key}")

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.resolve(self.template["Conditions"][name]))
        return self.conditions[name]

    def sub(self, text: str, variables: dict) -> str:
        out, i = [], 0
        while i < len(text):
            start = text.find("${", i)
            if start < 0:
                out.append(text[i:])
                break
            out.append(text[i:start])
            end = text.index("}", start)
            name = text[start + 2 : end]
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(variables[name]))
            elif "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                out.append(str(self.getatt(logical, attribute)))
            else:
                out.append(str(self.ref(name)))
            i = end + 1
        return "".join(out)

    def resolve(self, value):
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.getatt(logical, attribute)
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    text, variables = arg
                    return self.sub(text, {k: self.resolve(v) for k, v in variables.items()})
                return self.sub(arg, {})
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Equals":
                a, b = (self.resolve(v) for v in arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(v) for v in arg)
            if key == "Fn::Or":
                return any(self.resolve(v) for v in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(v) for v in self.resolve(items))
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}


NO_VALUE = object()


def binary_of(source: dict, logical: str) -> str:
    """`functions/start-job` -> `start-job`: the binary a function runs."""
    return Path(source["Resources"][logical]["Properties"]["CodeUri"]).name


def local_names(source: dict, args) -> tuple[dict, dict]:
    """What Ref and GetAtt give for each resource, locally."""
    physical, attributes = {}, {}
    for logical, resource in source["Resources"].items():
        kind = resource["Type"]
        if kind == "AWS::Serverless::Function":
            name = binary_of(source, logical)
            physical[logical] = name
            attributes[f"{logical}.Arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        else:
            physical[logical] = f"local-{logical}"
            attributes[f"{logical}.Arn"] = f"arn:aws:local:{REGION}:{ACCOUNT}:{logical}"
    physical["ExportBucket"] = args.bucket
    attributes["ExportBucket.Arn"] = f"arn:aws:s3:::{args.bucket}"
    physical["CoordinationTable"] = args.table
    attributes["CoordinationTable.Arn"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{args.table}"
    return physical, attributes


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
    physical, attributes = local_names(source, args)
    resolver = Resolver(
        template,
        {"EventBusName": args.event_bus, "QuickSightServiceRoleArn": QUICKSIGHT_SERVICE_ROLE, "KmsKeyArn": ""},
        physical,
        attributes,
    )
    resources = template["Resources"]
    # The state machine's name, as the template makes it.
    machine = next(r for r in resources.values() if r["Type"] == "AWS::StepFunctions::StateMachine")
    machine_name = resolver.resolve(machine["Properties"]["StateMachineName"])
    physical["ExportStateMachine"] = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{machine_name}"

    def role_statements(role_logical: str) -> list:
        props = resources[role_logical]["Properties"]
        statements = []
        for policy in props.get("Policies", []):
            document = resolver.resolve(policy["PolicyDocument"])
            listed = document["Statement"]
            statements.extend(listed if isinstance(listed, list) else [listed])
        return statements

    identities = {}
    for logical, resource in resources.items():
        if resource["Type"] == "AWS::Lambda::Function":
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
    bucket_policy = resolver.resolve(source["Resources"]["ExportBucketPolicy"]["Properties"]["PolicyDocument"])
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
