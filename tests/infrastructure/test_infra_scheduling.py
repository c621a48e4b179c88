"""The schedule group, the Scheduler execution role, the DLQ, and the schedule permissions."""

from __future__ import annotations

import json
import re

import pytest

SCHEDULE_ACTIONS = {
    "scheduler:CreateSchedule",
    "scheduler:UpdateSchedule",
    "scheduler:DeleteSchedule",
    "scheduler:GetSchedule",
}


def _getatt(synth, construct, attribute="Arn"):
    return {"Fn::GetAtt": [synth.logical_id(construct), attribute]}


def test_schedule_group_has_a_valid_name_and_carries_the_tags(synth):
    group = synth.resource(synth.stack.scheduling.group)
    assert group["Type"] == "AWS::Scheduler::ScheduleGroup"
    name = group["Properties"]["Name"]
    assert re.fullmatch(r"[0-9a-zA-Z\-_.]{1,64}", name)
    tags = {t["Key"]: t["Value"] for t in group["Properties"]["Tags"]}
    assert tags["belltower:stage"] == "dev"


def test_only_the_schedule_group_carries_tags(synth):
    tagged = {
        logical_id: resource["Type"]
        for logical_id, resource in synth.json["Resources"].items()
        if resource.get("Properties", {}).get("Tags")
    }
    assert set(tagged.values()) == {"AWS::Scheduler::ScheduleGroup"}


def test_dlq_is_encrypted_keeps_messages_14_days_and_requires_tls(synth):
    queue = synth.resource(synth.stack.scheduling.dlq)["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert "FifoQueue" not in queue
    (policy,) = synth.resources("AWS::SQS::QueuePolicy").values()
    assert policy["Properties"]["Queues"] == [{"Ref": synth.logical_id(synth.stack.scheduling.dlq)}]
    (deny,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_scheduler_role_trusts_only_scheduler_from_this_account(synth):
    role = synth.resource(synth.stack.scheduling.role)["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "scheduler.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert "ManagedPolicyArns" not in role


def test_scheduler_role_may_only_invoke_delivery_and_send_to_the_dlq(synth):
    permissions = synth.role_permissions(synth.stack.scheduling.role)
    assert permissions == {
        ("lambda:InvokeFunction", json.dumps(_getatt(synth, synth.stack.functions.delivery), sort_keys=True)),
        ("sqs:SendMessage", json.dumps(_getatt(synth, synth.stack.scheduling.dlq), sort_keys=True)),
    }
    assert all(not s.get("Condition") for s in synth.role_statements(synth.stack.scheduling.role))


@pytest.mark.parametrize("function_name", ["api", "delivery"])
def test_functions_manage_schedules_only_inside_the_group(synth, function_name):
    function = getattr(synth.stack.functions, function_name)
    group_name = synth.resource(synth.stack.scheduling.group)["Properties"]["Name"]
    schedule_statements = [
        s for s in synth.role_statements(function.role)
        if any(a.startswith("scheduler:") for a in s["Action"])
    ]  # fmt: skip
    assert len(schedule_statements) == 1
    statement = schedule_statements[0]
    assert set(statement["Action"]) == SCHEDULE_ACTIONS
    assert statement["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:", {"Ref": "AWS::Partition"}, ":scheduler:", {"Ref": "AWS::Region"}, ":",
                {"Ref": "AWS::AccountId"}, f":schedule/{group_name}/*",
            ],
        ]
    }  # fmt: skip


@pytest.mark.parametrize("function_name", ["api", "delivery"])
def test_functions_may_pass_only_the_scheduler_role_only_to_scheduler(synth, function_name):
    function = getattr(synth.stack.functions, function_name)
    pass_role = [s for s in synth.role_statements(function.role) if "iam:PassRole" in s["Action"]]
    assert pass_role == [
        {
            "Action": "iam:PassRole",
            "Effect": "Allow",
            "Resource": _getatt(synth, synth.stack.scheduling.role),
            "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
        }
    ]


def test_api_may_invoke_delivery_and_write_to_the_dlq(synth):
    permissions = synth.role_permissions(synth.stack.functions.api.role)
    delivery_arn = json.dumps(_getatt(synth, synth.stack.functions.delivery), sort_keys=True)
    dlq_arn = json.dumps(_getatt(synth, synth.stack.scheduling.dlq), sort_keys=True)
    assert ("lambda:InvokeFunction", delivery_arn) in permissions
    assert ("sqs:SendMessage", dlq_arn) in permissions
    assert {a for a, _ in permissions if a.startswith("lambda:")} == {"lambda:InvokeFunction"}


def test_delivery_may_write_to_the_dlq_and_invoke_only_itself(synth):
    # Work due now (a retry within seconds, a webhook or callback) is handed to itself directly.
    permissions = synth.role_permissions(synth.stack.functions.delivery.role)
    dlq_arn = json.dumps(_getatt(synth, synth.stack.scheduling.dlq), sort_keys=True)
    assert ("sqs:SendMessage", dlq_arn) in permissions
    own_arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":lambda:", {"Ref": "AWS::Region"}, ":",
                                 {"Ref": "AWS::AccountId"},
                                 f":function:{synth.stack.functions.delivery_function_name}"]]}  # fmt: skip
    assert [(a, res) for a, res in permissions if a.startswith("lambda:")] == [
        ("lambda:InvokeFunction", json.dumps(own_arn, sort_keys=True))]  # fmt: skip


@pytest.mark.parametrize("role_path", ["scheduling.role", "functions.api.role", "functions.delivery.role"])
def test_no_wildcard_actions_and_star_resource_only_for_xray(synth, role_path):
    role = synth.stack
    for part in role_path.split("."):
        role = getattr(role, part)
    for action, resource in synth.role_permissions(role):
        assert "*" not in action
        if resource == '"*"':
            assert action in {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
