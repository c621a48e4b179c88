"""cdk-nag v3 helpers: acknowledge one finding at a time, each with a written reason.

cdk-nag v3 uses CDK's native `Validations.of(scope).acknowledge(Acknowledgment(...))`.
Findings with several instances per resource (IAM5 wildcards) are acknowledged one by one
with their granular id, e.g. `AwsSolutions-IAM5[Resource::*]`.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge `rule_id` (a full id such as `AwsSolutions-SQS3`) on `scope` and below."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def wildcard_resource_finding(scope: IConstruct, resource: str) -> str:
    """The IAM5 finding id cdk-nag reports for a wildcard `resource` (an ARN string or token).

    cdk-nag flattens CloudFormation references (`{"Ref": X}` -> `<X>`, `Fn::GetAtt` ->
    `<X.Attr>`, `Fn::Join` -> concatenation); this mirrors it so acknowledgements follow
    logical-id changes instead of hard-coding them.
    """
    return f"AwsSolutions-IAM5[Resource::{_flatten(Stack.of(scope).resolve(resource))}]"


def _flatten(node: Any) -> str:
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return delimiter.join(_flatten(i) for i in items)
        if "Fn::Sub" in node:
            return _flatten(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in node:
            return _flatten(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{_flatten(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
