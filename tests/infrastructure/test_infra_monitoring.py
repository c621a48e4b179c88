"""Alarms, the encrypted alarm topic and its optional e-mail subscription."""

from __future__ import annotations

import pytest


def _alarm(synth, construct):
    return synth.resource(construct)["Properties"]


def test_dlq_depth_alarm(synth):
    alarm = _alarm(synth, synth.stack.monitoring.dlq_alarm)
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {
            "Name": "QueueName",
            "Value": {"Fn::GetAtt": [synth.logical_id(synth.stack.scheduling.dlq), "QueueName"]},
        }
    ]
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Period"] == 60
    assert alarm["EvaluationPeriods"] == 1
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": synth.logical_id(synth.stack.monitoring.topic)}]


@pytest.mark.parametrize(
    ("attribute", "metric"),
    [
        ("delivery_errors_alarm", "Errors"),
        ("delivery_throttles_alarm", "Throttles"),
        ("delivery_dropped_alarm", "AsyncEventsDropped"),
    ],
)
def test_delivery_function_alarms(synth, attribute, metric):
    alarm = _alarm(synth, getattr(synth.stack.monitoring, attribute))
    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["MetricName"] == metric
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": synth.logical_id(synth.stack.functions.delivery)}}
    ]
    assert alarm["Statistic"] == "Sum"
    assert alarm["Threshold"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": synth.logical_id(synth.stack.monitoring.topic)}]


def test_async_event_age_alarm_fires_when_deliveries_queue_for_five_minutes(synth):
    alarm = _alarm(synth, synth.stack.monitoring.delivery_event_age_alarm)
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", "AsyncEventAge", "Maximum")
    assert alarm["Threshold"] == 300_000
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": synth.logical_id(synth.stack.functions.delivery)}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": synth.logical_id(synth.stack.monitoring.topic)}]


@pytest.mark.parametrize(
    ("attribute", "metric"),
    [
        ("scheduler_target_errors_alarm", "TargetErrorCount"),
        ("scheduler_dropped_alarm", "InvocationDroppedCount"),
        ("scheduler_dlq_alarm", "InvocationsSentToDeadLetterCount"),
    ],
)
def test_scheduler_alarms_watch_the_schedule_group(synth, attribute, metric):
    alarm = _alarm(synth, getattr(synth.stack.monitoring, attribute))
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Scheduler", metric, "Sum")
    group_name = synth.stack.resolve(synth.stack.scheduling.group.schedule_group_name)
    assert alarm["Dimensions"] == [{"Name": "ScheduleGroup", "Value": group_name}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": synth.logical_id(synth.stack.monitoring.topic)}]


def test_api_5xx_alarm(synth):
    alarm = _alarm(synth, synth.stack.monitoring.api_errors_alarm)
    assert alarm["Namespace"] == "AWS/ApiGateway"
    assert alarm["MetricName"] == "5xx"
    assert alarm["AlarmActions"] == [{"Ref": synth.logical_id(synth.stack.monitoring.topic)}]


def test_every_alarm_notifies_the_topic(synth):
    topic = {"Ref": synth.logical_id(synth.stack.monitoring.topic)}
    alarms = synth.resources("AWS::CloudWatch::Alarm")
    assert alarms
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [topic]


def test_topic_is_encrypted_with_a_key_cloudwatch_may_use_and_requires_tls(synth):
    monitoring = synth.stack.monitoring
    topic = synth.resource(monitoring.topic)["Properties"]
    key_id = synth.logical_id(monitoring.topic_key)
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = synth.json["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        s for s in key["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]  # fmt: skip
    assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    (policy,) = synth.resources("AWS::SNS::TopicPolicy").values()
    (deny,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_no_email_subscription_without_context(synth):
    assert synth.resources("AWS::SNS::Subscription") == {}


def test_email_subscription_with_context(custom_synth):
    custom = custom_synth
    (subscription,) = custom.resources("AWS::SNS::Subscription").values()
    assert subscription["Properties"] == {
        "Protocol": "email",
        "Endpoint": "ops@example.com",
        "TopicArn": {"Ref": custom.logical_id(custom.stack.monitoring.topic)},
    }


def test_dashboard_exists(synth):
    assert len(synth.resources("AWS::CloudWatch::Dashboard")) == 1
