"""Just enough CloudFormation to read the template in tests.

`label` writes an intrinsic-function value as the text a reviewer reads
(`{"Fn::GetAtt": ["ExportBucket", "Arn"]}` -> `${ExportBucket.Arn}`, the
account's own ARN prefix dropped: `quicksight:dashboard/*`), so that a
policy can be compared with a table of (action, resource) pairs.
`Stack.evaluate` computes a value for one concrete stack (name, ID,
region, partition), as CloudFormation would.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field

ACCOUNT_PREFIXES = (
    "arn:${AWS::Partition}:",
    "${AWS::Region}:${AWS::AccountId}:",
)


def label(value) -> str:
    """A policy resource, an ARN or a name as a short readable text."""
    text = _render(value)
    for prefix in ACCOUNT_PREFIXES:
        text = text.replace(prefix, "")
    return text


def _render(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (key, argument), = value.items()
        if key == "Ref":
            return "${" + argument + "}"
        if key == "Fn::GetAtt":
            return "${" + ".".join(argument if isinstance(argument, list) else argument.split(".", 1)) + "}"
        if key == "Fn::Sub":
            if isinstance(argument, str):
                return argument
            text, variables = argument
            for name, variable in variables.items():
                # A Ref or GetAtt reads as itself; anything longer keeps its name.
                if isinstance(variable, dict) and set(variable) & {"Ref", "Fn::GetAtt"}:
                    text = text.replace("${" + name + "}", _render(variable))
            return text
    return json.dumps(value, sort_keys=True)


def actions_of(statement: dict) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def resources_of(statement: dict) -> list:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


def statements_of(policy_document: dict):
    """(statement, condition): a statement inside `Fn::If [Cond, s, NoValue]`
    comes with its condition's name, any other with None."""
    listed = policy_document["Statement"]
    for statement in listed if isinstance(listed, list) else [listed]:
        if "Fn::If" in statement:
            condition, present, absent = statement["Fn::If"]
            assert absent == {"Ref": "AWS::NoValue"}, statement
            yield present, condition
        else:
            yield statement, None


def grants(role: dict) -> set[tuple[str, str, str | None]]:
    """Every (action, resource label, condition) an IAM role's inline policies give."""
    found = set()
    for policy in role["Properties"].get("Policies", []):
        for statement, condition in statements_of(policy["PolicyDocument"]):
            assert statement["Effect"] == "Allow", statement
            assert "Condition" not in statement and "NotAction" not in statement, statement
            for action in actions_of(statement):
                for resource in resources_of(statement):
                    found.add((action, label(resource), condition))
    return found


@dataclass
class Stack:
    """One concrete stack, to evaluate the template's expressions for."""

    name: str
    region: str = "us-east-1"
    account: str = "123456789012"
    partition: str = "aws"
    stack_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    refs: dict = field(default_factory=dict)  # logical ID -> what Ref gives
    arns: dict = field(default_factory=dict)  # logical ID -> what GetAtt .Arn gives

    @property
    def stack_id(self) -> str:
        return f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/{self.name}/{self.stack_uuid}"

    def pseudo(self, name: str) -> str:
        return {
            "AWS::StackName": self.name,
            "AWS::StackId": self.stack_id,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com",
        }[name]

    def evaluate(self, value):
        if isinstance(value, (str, int, float, bool)):
            return value
        if isinstance(value, list):
            return [self.evaluate(v) for v in value]
        if not (isinstance(value, dict) and len(value) == 1):
            return {k: self.evaluate(v) for k, v in value.items()}
        (key, argument), = value.items()
        if key == "Ref":
            if argument.startswith("AWS::"):
                return self.pseudo(argument)
            return self.refs[argument]
        if key == "Fn::GetAtt":
            logical, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            assert attribute == "Arn", argument
            return self.arns[logical]
        if key == "Fn::Join":
            separator, items = argument
            return separator.join(self.evaluate(items))
        if key == "Fn::Split":
            separator, text = argument
            return self.evaluate(text).split(separator)
        if key == "Fn::Select":
            index, items = argument
            return self.evaluate(items)[int(index)]
        if key == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            values = {name: self.evaluate(v) for name, v in variables.items()}

            def substitute(match):
                name = match.group(1)
                if name in values:
                    return str(values[name])
                if name.startswith("AWS::"):
                    return self.pseudo(name)
                if name.endswith(".Arn"):
                    return self.arns[name[: -len(".Arn")]]
                return str(self.refs[name])

            return re.sub(r"\$\{([A-Za-z0-9_:.]+)\}", substitute, text)
        raise NotImplementedError(key)
