"""The template as AWS receives it: template.yaml through SAM's own translator.

`sam deploy` uploads the code and the definition, points CodeUri and
DefinitionUri at the uploaded objects, and CloudFormation runs the
AWS::Serverless transform. This module does the same transform offline, with
placeholder S3 URIs for the code and the definition, so that tests and the
local stack read the resources SAM generates (roles and their policies, the
API's integrations, the schedules' roles) instead of a second hand-written
copy.

    python tools/template/transform.py [--region us-east-1] > transformed.json

Needs the SAM CLI's venv (`aws-sam-translator`, `cfn-lint`), scripts/setup.
"""

import argparse
import copy
import json
import logging
import os
import sys
from pathlib import Path

from cfnlint.decode import decode
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

ROOT = Path(__file__).resolve().parents[2]

# Offline there is no feature-toggle config: the translator warns of each
# feature it looks up (OpenApiVersion's among them) and uses the default,
# as the service does.
logging.getLogger("samtranslator.feature_toggle.feature_toggle").setLevel(logging.ERROR)
TEMPLATE = ROOT / "template.yaml"


class BundledManagedPolicies(ManagedPolicyLoader):
    """samtranslator's own map of AWS managed policies; no IAM call."""

    def __init__(self) -> None:  # noqa: D107 - no IAM client
        pass

    def load(self) -> dict:
        return {}


def source_template() -> dict:
    """template.yaml, parsed with the short-form intrinsics (!Sub, !Ref...) as dicts."""
    parsed, matches = decode(str(TEMPLATE))
    if matches:
        raise ValueError(f"{TEMPLATE} does not parse: {matches}")
    return json.loads(json.dumps(parsed))


def with_placeholder_uris(template: dict) -> dict:
    """CodeUri and DefinitionUri as `sam deploy` leaves them: S3 URIs."""
    template = copy.deepcopy(template)
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and "CodeUri" in props:
            props["CodeUri"] = f"s3://placeholder-bucket/{name}.zip"
        if resource["Type"] == "AWS::Serverless::StateMachine" and "DefinitionUri" in props:
            props["DefinitionUri"] = f"s3://placeholder-bucket/{name}.asl.json"
    return template


def transformed(region: str = "us-east-1", parameters: dict | None = None) -> dict:
    """The CloudFormation template SAM makes of template.yaml, as the
    transform does it in `region`: SAM writes the region's partition into
    the ARNs it generates (arn:aws-cn:... in cn-north-1)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    os.environ["AWS_REGION"] = region
    # The translator takes the partition from boto's region, resolved once
    # per process; this class attribute is its own override, so that one
    # process can transform for several regions.
    previous = ArnGenerator.BOTO_SESSION_REGION_NAME
    ArnGenerator.BOTO_SESSION_REGION_NAME = region
    try:
        return transform(with_placeholder_uris(source_template()), parameters or {}, BundledManagedPolicies())
    finally:
        ArnGenerator.BOTO_SESSION_REGION_NAME = previous


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    json.dump(transformed(args.region), sys.stdout, indent=2, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
