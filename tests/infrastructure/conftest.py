"""Fixtures for the CDK stack tests.

The stack is synthesized with the real app factory (`infra.app.create_app`, so cdk-nag's
AwsSolutions checks are attached and every synth below is a nag gate) and the context of
`cdk.json`, but with inline Lambda code: no test ever runs the pip bundler.
Synthesis is slow (jsii), so each variant is synthesized once per session.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import os  # noqa: E402

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import aws_lambda as lambda_  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from infra.app import create_app  # noqa: E402
from infra.stack import BelltowerStack  # noqa: E402

CDK_CONTEXT: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
INLINE_CODE = "def handler(event, context):\n    return None\n"


class Synth:
    """One synthesized app: the stack, its template and its JSON."""

    def __init__(self, **context: Any) -> None:
        self.app, self.stack = create_app(
            context={**CDK_CONTEXT, **context}, code=lambda_.Code.from_inline(INLINE_CODE)
        )
        # Raises if cdk-nag reports any finding that is not acknowledged.
        self.template = Template.from_stack(self.stack)
        self.json: dict[str, Any] = self.template.to_json()

    def resources(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == cfn_type}

    def logical_id(self, construct: Any) -> str:
        return self.stack.resolve(self.stack.get_logical_id(construct.node.default_child))

    def resource(self, construct: Any) -> dict[str, Any]:
        """The template entry of an L2 construct's CloudFormation resource."""
        return self.json["Resources"][self.logical_id(construct)]

    def role_statements(self, role: Any) -> list[dict[str, Any]]:
        """Every Allow/Deny statement attached to `role` (inline and AWS::IAM::Policy)."""
        role_id = self.logical_id(role)
        found: list[dict[str, Any]] = []
        for policy in self.resources("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy["Properties"].get("Roles", []):
                found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
        for inline in self.json["Resources"][role_id]["Properties"].get("Policies", []):
            found.extend(inline["PolicyDocument"]["Statement"])
        return found

    def role_permissions(self, role: Any) -> set[tuple[str, str]]:
        """(action, resource-as-JSON) pairs granted to `role`, for exact comparisons."""
        return {
            (action, json.dumps(resource, sort_keys=True))
            for statement in self.role_statements(role)
            if statement["Effect"] == "Allow"
            for action in as_list(statement["Action"])
            for resource in as_list(statement["Resource"])
        }


@pytest.fixture(scope="session")
def cdk_context() -> dict[str, Any]:
    """The context committed in cdk.json (feature flags and Belltower's defaults)."""
    return dict(CDK_CONTEXT)


@pytest.fixture(scope="session")
def inline_code() -> str:
    return INLINE_CODE


@pytest.fixture(scope="session")
def synth_factory() -> Callable[..., Synth]:
    cache: dict[str, Synth] = {}

    def make(**context: Any) -> Synth:
        key = json.dumps(context, sort_keys=True)
        if key not in cache:
            cache[key] = Synth(**context)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def synth(synth_factory: Callable[..., Synth]) -> Synth:
    """The default deployment: cdk.json context as committed."""
    return synth_factory()


#: Every context key set to a non-default value.
CUSTOM_CONTEXT: dict[str, Any] = {
    "stage": "qa",
    "alarm_email": "ops@example.com",
    "allowed_destinations": "http://127.0.0.1, http://localhost:8080",
    "retention_days": "7",
    "catch_up_window_seconds": "600",
}


@pytest.fixture(scope="session")
def custom_synth(synth_factory: Callable[..., Synth]) -> Synth:
    """A deployment with every context key set (values as `cdk -c key=value` passes them)."""
    return synth_factory(**CUSTOM_CONTEXT)


@pytest.fixture(scope="session")
def stack(synth: Synth) -> BelltowerStack:
    return synth.stack


@pytest.fixture(scope="session")
def template(synth: Synth) -> Template:
    return synth.template


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
