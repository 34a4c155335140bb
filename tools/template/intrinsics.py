"""CloudFormation's intrinsic functions, evaluated for one concrete stack.

The template tests (tests/template) evaluate the template's expressions for
stacks of any name, region and partition; the local stack
(tools/local-stack/iam_setup.py) evaluates the transformed template's role
policies for itself. One evaluator serves both:

    stack = Stack(name="local", refs={"ExportBucket": "b"}, arns={"ExportBucket": "arn:aws:s3:::b"},
                  template=transformed, parameters={"EventBusName": "export-events"})
    stack.evaluate({"Fn::Sub": "${ExportBucket.Arn}/*"})   # -> "arn:aws:s3:::b/*"

Covers Ref (pseudo parameters, parameters with their defaults, resources),
Fn::GetAtt, Fn::Sub (both forms), Fn::Join, Fn::Split, Fn::Select, Fn::If
with the template's Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or,
Condition) and AWS::NoValue, dropped from the list or object holding it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


@dataclass
class Stack:
    """One concrete stack, to evaluate the template's expressions for."""

    name: str
    region: str = "us-east-1"
    account: str = "123456789012"
    partition: str = "aws"
    stack_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    refs: dict = field(default_factory=dict)  # logical ID or parameter -> what Ref gives
    arns: dict = field(default_factory=dict)  # logical ID -> what GetAtt .Arn gives
    attributes: dict = field(default_factory=dict)  # "Logical.Attribute" -> its value
    template: dict | None = None  # for the parameters' defaults and the Conditions
    parameters: dict = field(default_factory=dict)  # parameter values given for this stack
    _conditions: dict = field(default_factory=dict, repr=False)

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

    def ref(self, name: str):
        if name == "AWS::NoValue":
            return NO_VALUE
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        declared = (self.template or {}).get("Parameters", {}).get(name)
        if declared is not None and "Default" in declared:
            return declared["Default"]
        raise KeyError(f"Ref {name}: not a parameter or resource this stack knows")

    def getatt(self, logical: str, attribute: str):
        if attribute == "Arn" and logical in self.arns:
            return self.arns[logical]
        key = f"{logical}.{attribute}"
        if key in self.attributes:
            return self.attributes[key]
        raise KeyError(f"GetAtt {key}: not an attribute this stack knows")

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.evaluate(self.template["Conditions"][name]))
        return self._conditions[name]

    def _substitute(self, text: str, variables: dict) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical, attribute = name.split(".", 1)
                return str(self.getatt(logical, attribute))
            return str(self.ref(name))

        return re.sub(r"\$\{(!?[A-Za-z0-9_:.]+)\}", one, text)

    def evaluate(self, value):
        if isinstance(value, list):
            items = [self.evaluate(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self.ref(argument)
            if key == "Fn::GetAtt":
                logical, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self.getatt(logical, attribute)
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self._substitute(text, {k: self.evaluate(v) for k, v in variables.items()})
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(v) for v in self.evaluate(items))
            if key == "Fn::Split":
                separator, text = argument
                return str(self.evaluate(text)).split(separator)
            if key == "Fn::Select":
                index, items = argument
                return self.evaluate(items)[int(self.evaluate(index))]
            if key == "Fn::If":
                name, when_true, when_false = argument
                return self.evaluate(when_true if self.condition(name) else when_false)
            if key == "Fn::Equals":
                a, b = (self.evaluate(v) for v in argument)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.evaluate(argument[0])
            if key == "Fn::And":
                return all(self.evaluate(v) for v in argument)
            if key == "Fn::Or":
                return any(self.evaluate(v) for v in argument)
            if key == "Condition":
                return self.condition(argument)
        resolved = {k: self.evaluate(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
