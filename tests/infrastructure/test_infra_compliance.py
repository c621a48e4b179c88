"""cdk-nag (AwsSolutions) and cfn-lint gates on the synthesized stack.

Every stack fixture is synthesized with the AwsSolutions checks on, so every infra test is a
nag gate; these tests make the gate itself explicit and keep the acknowledgements honest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_lambda as lambda_
from cfnlint.api import lint

import infra.compliance
from infra.app import create_app

ACK_METADATA = "aws:cdk:acknowledged-rules"


def _acknowledgements(stack) -> dict[tuple[str, str], str]:
    """(construct path below the stack, rule id) -> reason."""
    found: dict[tuple[str, str], str] = {}
    prefix = stack.node.path + "/"
    for construct in stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == ACK_METADATA:
                for rule_id, reason in entry.data.items():
                    rule_id = rule_id.split("::", 1)[1] if rule_id.startswith("Annotation::") else rule_id
                    found[(construct.node.path.removeprefix(prefix), rule_id)] = reason
    return found


def _violations(report_path: Path) -> set[tuple[str, str]]:
    report = json.loads(report_path.read_text())
    return {
        (construct["constructPath"], violation["ruleName"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    }


@pytest.mark.parametrize("variant", ["synth", "custom_synth"])
def test_synth_passes_the_nag_gate(request, variant):
    synth = request.getfixturevalue(variant)
    assembly = synth.app.synth()
    report = json.loads((Path(assembly.directory) / "validation-report.json").read_text())
    assert all(p["conclusion"] != "failure" for p in report["pluginReports"])
    assert _violations(Path(assembly.directory) / "validation-report.json") == set()


def test_acknowledgements_are_the_expected_ones_with_reasons(synth):
    acks = _acknowledgements(synth.stack)
    group = synth.resource(synth.stack.scheduling.group)["Properties"]["Name"]
    schedules = (
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:"
        f"<AWS::AccountId>:schedule/{group}/*]"
    )
    assert set(acks) == {
        ("Scheduling/DeadLetterQueue", "AwsSolutions-SQS3"),
        ("Functions/ApiRole", "AwsSolutions-IAM5[Resource::*]"),
        ("Functions/DeliveryRole", "AwsSolutions-IAM5[Resource::*]"),
        ("Functions/ApiRole", schedules),
        ("Functions/DeliveryRole", schedules),
        ("Api/HttpApi/DefaultRoute/Resource", "AwsSolutions-APIG4"),
    }
    for reason in acks.values():
        assert len(reason) > 60


def test_every_acknowledgement_answers_a_real_finding(monkeypatch, tmp_path, cdk_context, inline_code):
    """With acknowledgements switched off, synthesis fails with exactly the acknowledged
    findings: none is stale, and the gate is live."""

    class _Ignore:
        @staticmethod
        def of(_scope: Any) -> Any:
            return _Ignore()

        def acknowledge(self, *_rules: Any) -> None:
            pass

    acknowledged: list[tuple[str, str]] = []
    real_acknowledge = infra.compliance.acknowledge

    def record(scope, rule_id, reason):
        acknowledged.append((scope.node.path, rule_id))
        with monkeypatch.context() as m:
            m.setattr(infra.compliance, "Validations", _Ignore)
            real_acknowledge(scope, rule_id, reason)

    for module in ("infra.scheduling", "infra.functions", "infra.api"):
        monkeypatch.setattr(f"{module}.acknowledge", record)
    app, _stack = create_app(
        context=cdk_context, code=lambda_.Code.from_inline(inline_code), outdir=str(tmp_path)
    )
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    violations = _violations(tmp_path / "validation-report.json")

    def covered(path: str, rule: str) -> bool:
        return any(
            rule == ack_rule and (path == ack_path or path.startswith(ack_path + "/"))
            for ack_path, ack_rule in acknowledged
        )

    assert violations, "the nag gate reported nothing"
    assert all(covered(path, rule) for path, rule in violations), violations
    for ack_path, ack_rule in acknowledged:
        assert any(
            rule == ack_rule and (path == ack_path or path.startswith(ack_path + "/"))
            for path, rule in violations
        ), f"stale acknowledgement {ack_rule} on {ack_path}"


@pytest.mark.parametrize("variant", ["synth", "custom_synth"])
def test_cfn_lint_finds_nothing(request, variant):
    synth = request.getfixturevalue(variant)
    matches = lint(json.dumps(synth.json), regions=["us-east-1"])
    assert [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches] == []
