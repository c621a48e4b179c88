"""belltower.local.processes: the delivery function in worker processes reports what it did, and
a failure in a worker reaches the stand-in as an exception (so Lambda's retries apply)."""

from __future__ import annotations

import pytest

from belltower.local.aws import LambdaContext, fake_aws_environment
from belltower.local.processes import FunctionError, ProcessFunction
from belltower.settings import Settings

ARN = "arn:aws:lambda:us-east-1:123456789012:function:belltower-local-delivery"


@pytest.fixture
def unreachable_aws(monkeypatch):
    """Settings whose AWS endpoint refuses connections: any AWS call in the worker fails."""
    settings = Settings(table_name="t", schedule_group="g", delivery_function_arn=ARN,
                        scheduler_role_arn="arn:aws:iam::123456789012:role/r", dlq_url="http://127.0.0.1:9/q",
                        dlq_arn="arn:aws:sqs:us-east-1:123456789012:q")  # fmt: skip
    for name, value in {**fake_aws_environment("http://127.0.0.1:9"), **settings.as_env(),
                        "AWS_MAX_ATTEMPTS": "1"}.items():  # fmt: skip
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def test_a_worker_failure_is_raised_to_the_stand_in_and_a_malformed_event_is_answered(unreachable_aws):
    queued = []
    function = ProcessFunction(ARN, 1, queued.append)
    try:
        context = LambdaContext.for_function(ARN, aws_request_id="r-1", timeout_seconds=30)
        assert function({"type": "fire"}, context) == {"outcome": "malformed"}
        fire = {"type": "fire", "project_id": "prj_x", "schedule_id": "sch_x", "scheduled_for": "2026-11-23T12:00:00Z"}
        with pytest.raises(FunctionError, match="EndpointConnectionError"):
            function(fire, context)
        assert queued == []
    finally:
        function.close()
