"""The two Lambda functions: runtime, architecture, tracing, logging, handlers, environment,
and the delivery function's asynchronous invocation config."""

from __future__ import annotations

import pytest
from aws_cdk import aws_lambda as lambda_

from belltower import resources as r
from belltower.settings import Settings
from infra.functions import RUNTIME

ENV_KEYS = set(
    Settings(
        table_name="t", schedule_group="g", delivery_function_arn="a", scheduler_role_arn="r",
        dlq_url="u", dlq_arn="q",
    ).as_env()
)  # fmt: skip

HANDLERS = {"api": "handlers.api.handler", "delivery": "handlers.delivery.handler"}


def _props(synth, name):
    return synth.resource(getattr(synth.stack.functions, name))["Properties"]


def _delivery_arn(function_name):
    return {
        "Fn::Join": [
            "",
            [
                "arn:", {"Ref": "AWS::Partition"}, ":lambda:", {"Ref": "AWS::Region"}, ":",
                {"Ref": "AWS::AccountId"}, f":function:{function_name}",
            ],
        ]
    }  # fmt: skip


def test_runtime_is_the_newest_python_cdk_knows():
    pythons = [rt for rt in lambda_.Runtime.ALL if rt.name.startswith("python3.")]
    newest = max(pythons, key=lambda rt: tuple(int(p) for p in rt.name[len("python"):].split(".")))
    assert RUNTIME.name == newest.name
    assert tuple(int(p) for p in RUNTIME.name[len("python"):].split(".")) >= (3, 13)


@pytest.mark.parametrize("name", ["api", "delivery"])
def test_runtime_architecture_tracing_and_handler(synth, name):
    props = _props(synth, name)
    assert props["Runtime"] == RUNTIME.name
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Handler"] == HANDLERS[name]


@pytest.mark.parametrize("name", ["api", "delivery"])
def test_json_logs_into_an_explicit_log_group_with_retention(synth, name):
    logging = _props(synth, name)["LoggingConfig"]
    assert logging["LogFormat"] == "JSON"
    log_group_id = logging["LogGroup"]["Ref"]
    log_group = synth.json["Resources"][log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == 30


@pytest.mark.parametrize("name", ["api", "delivery"])
def test_dedicated_role_without_managed_policies_writing_only_its_own_logs(synth, name):
    function = getattr(synth.stack.functions, name)
    role = synth.resource(function.role)["Properties"]
    assert "ManagedPolicyArns" not in role
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    log_group_id = _props(synth, name)["LoggingConfig"]["LogGroup"]["Ref"]
    logs = [s for s in synth.role_statements(function.role) if "logs:PutLogEvents" in s["Action"]]
    assert logs == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
        }
    ]


def test_timeouts_and_memory(synth):
    api, delivery = _props(synth, "api"), _props(synth, "delivery")
    assert api["Timeout"] == 29
    assert delivery["Timeout"] == 15 * 60
    assert {api["MemorySize"], delivery["MemorySize"]} == {256, 512}


@pytest.mark.parametrize("name", ["api", "delivery"])
def test_environment_holds_every_setting(synth, name):
    env = _props(synth, name)["Environment"]["Variables"]
    assert ENV_KEYS <= set(env)
    stack = synth.stack
    delivery_name = _props(synth, "delivery")["FunctionName"]
    group_name = synth.resource(stack.scheduling.group)["Properties"]["Name"]
    assert env[r.ENV_TABLE] == {"Ref": synth.logical_id(stack.storage.table)}
    assert env[r.ENV_SCHEDULE_GROUP] == group_name
    assert env[r.ENV_DELIVERY_FUNCTION_ARN] == _delivery_arn(delivery_name)
    assert env[r.ENV_SCHEDULER_ROLE_ARN] == {"Fn::GetAtt": [synth.logical_id(stack.scheduling.role), "Arn"]}
    assert env[r.ENV_DLQ_URL] == {"Ref": synth.logical_id(stack.scheduling.dlq)}
    assert env[r.ENV_DLQ_ARN] == {"Fn::GetAtt": [synth.logical_id(stack.scheduling.dlq), "Arn"]}
    assert env[r.ENV_ALLOWED_DESTINATIONS] == ""
    assert env[r.ENV_RETENTION_DAYS] == "30"
    assert env[r.ENV_CATCH_UP_WINDOW] == "3600"


def test_delivery_function_name_is_fixed_and_valid(synth):
    name = _props(synth, "delivery")["FunctionName"]
    assert name == f"{synth.stack.stack_name}-delivery"
    assert len(name) <= 64
    assert "FunctionName" not in _props(synth, "api")


def test_context_flows_into_the_environment(custom_synth):
    custom = custom_synth
    assert custom.stack.stack_name == "Belltower-qa"
    for name in ("api", "delivery"):
        env = _props(custom, name)["Environment"]["Variables"]
        assert env[r.ENV_ALLOWED_DESTINATIONS] == "http://127.0.0.1,http://localhost:8080"
        assert env[r.ENV_RETENTION_DAYS] == "7"
        assert env[r.ENV_CATCH_UP_WINDOW] == "600"
        assert env[r.ENV_DELIVERY_FUNCTION_ARN] == _delivery_arn("Belltower-qa-delivery")


def test_delivery_async_config_retries_twice_for_six_hours_then_dlq(synth):
    configs = synth.resources("AWS::Lambda::EventInvokeConfig")
    assert len(configs) == 1
    (config,) = configs.values()
    props = config["Properties"]
    assert props["FunctionName"] == {"Ref": synth.logical_id(synth.stack.functions.delivery)}
    assert props["Qualifier"] == "$LATEST"
    assert props["MaximumRetryAttempts"] == 2
    assert props["MaximumEventAgeInSeconds"] == 6 * 3600
    assert props["DestinationConfig"] == {
        "OnFailure": {
            "Destination": {"Fn::GetAtt": [synth.logical_id(synth.stack.scheduling.dlq), "Arn"]}
        }
    }


def test_no_reference_cycle_between_delivery_and_its_own_arn(synth):
    # The delivery function's own ARN is built from its fixed name, not from Fn::GetAtt.
    delivery_id = synth.logical_id(synth.stack.functions.delivery)
    env = _props(synth, "delivery")["Environment"]["Variables"]
    assert delivery_id not in str(env)
