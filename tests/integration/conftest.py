"""Integration fixtures: the embedded AWS (moto server mode) and the local scheduler stand-in."""

from __future__ import annotations

import uuid

import boto3
import pytest

from belltower.local.aws import EmbeddedAws, start_embedded_aws


@pytest.fixture(scope="session")
def embedded_aws() -> EmbeddedAws:
    """moto in server mode for the whole session, provisioned like the CDK stack.

    moto's state is process-wide: tests that create schedules should use their own schedule
    group (see `scheduler_sandbox`) rather than wipe shared resources. A `mock_aws()` block
    resets every moto backend when it starts and ends, this one included: a test that needs the
    provisioned table/group/queue after such a test should call `embedded_aws.ensure_provisioned()`.
    """
    aws = start_embedded_aws()
    yield aws
    aws.stop()


class SchedulerSandbox:
    """A fresh schedule group and SQS queue of one test, with clients and a scheduler factory."""

    def __init__(self, aws: EmbeddedAws) -> None:
        self.aws = aws
        suffix = uuid.uuid4().hex[:10]
        self.group = f"test-{suffix}"
        self.scheduler_client = boto3.client("scheduler", endpoint_url=aws.endpoint_url)
        self.sqs = boto3.client("sqs", endpoint_url=aws.endpoint_url)
        self.scheduler_client.create_schedule_group(Name=self.group)
        self.queue_url = self.sqs.create_queue(QueueName=f"test-dlq-{suffix}")["QueueUrl"]
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self._started = []

    def start_scheduler(self, functions=None, **options):
        """A LocalScheduler watching only this sandbox's group; stopped after the test."""
        from belltower.local.scheduler import LocalScheduler

        options.setdefault("on_failure_destination", self.queue_arn)
        scheduler = LocalScheduler(functions, groups=[self.group], **options)
        scheduler.start()
        self._started.append(scheduler)
        return scheduler

    def receive_dead_letters(self, count: int, timeout: float = 10.0) -> list[dict]:
        import time

        messages: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(messages) < count and time.monotonic() < deadline:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                WaitTimeSeconds=1,
            )
            messages.extend(answer.get("Messages", []))
        return messages

    def close(self) -> None:
        for scheduler in self._started:
            scheduler.stop()
        self.scheduler_client.delete_schedule_group(Name=self.group)
        self.sqs.delete_queue(QueueUrl=self.queue_url)


@pytest.fixture
def scheduler_sandbox(embedded_aws: EmbeddedAws) -> SchedulerSandbox:
    sandbox = SchedulerSandbox(embedded_aws)
    yield sandbox
    sandbox.close()
