"""Fixtures shared by the template tests: the template as written and as AWS
receives it (SAM's own translator, tools/template/transform.py)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "template"))

import transform  # noqa: E402


@pytest.fixture(scope="session")
def source():
    """template.yaml, parsed (short-form intrinsics as dicts)."""
    return transform.source_template()


@pytest.fixture(scope="session")
def aws():
    """The CloudFormation template SAM makes of template.yaml in us-east-1."""
    return transform.transformed("us-east-1")


@pytest.fixture(scope="session")
def transformed_in():
    """The transformed template for another region (another partition)."""
    return transform.transformed
