"""Reading the template's policies in tests.

`label` writes an intrinsic-function value as the text a reviewer reads
(`{"Fn::GetAtt": ["ExportBucket", "Arn"]}` -> `${ExportBucket.Arn}`, the
account's own ARN prefix dropped: `quicksight:dashboard/*`), so that a
policy can be compared with a table of (action, resource) pairs. Values
for one concrete stack come from `tools/template/intrinsics.py` (`Stack`),
the evaluator the local stack uses too.
"""

from __future__ import annotations

import json
import re

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
