"""Scheduling: the EventBridge Scheduler schedule group, its execution role and the DLQ."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack, Tags
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.compliance import acknowledge, wildcard_resource_finding

SCHEDULER_SERVICE = "scheduler.amazonaws.com"
#: What the functions do with schedules (UpdateSchedule replaces the whole definition).
SCHEDULE_ACTIONS = (
    "scheduler:CreateSchedule",
    "scheduler:DeleteSchedule",
    "scheduler:GetSchedule",
    "scheduler:UpdateSchedule",
)
DLQ_RETENTION = Duration.days(14)


class Scheduling(Construct):
    """The schedule group the API writes into, the role Scheduler assumes to invoke delivery,
    and the dead-letter queue shared by Scheduler (DeadLetterConfig), the delivery function's
    on-failure destination and Belltower itself (occurrences that exhaust their retries)."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        # Deleting the stack deletes the group and its schedules: a schedule left behind would
        # keep firing at a delivery function that no longer exists.
        self.group = scheduler.ScheduleGroup(self, "Group", removal_policy=RemovalPolicy.DESTROY)
        # Schedule groups are the only Scheduler resources that carry tags.
        Tags.of(self.group).add("belltower:stage", stage)
        Tags.of(self.group).add("belltower:component", "schedules")

        self.dlq = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        acknowledge(
            self.dlq,
            "AwsSolutions-SQS3",
            "This queue IS the dead-letter queue: EventBridge Scheduler's DeadLetterConfig, the "
            "delivery function's on-failure destination and Belltower's final-failure queue all "
            "point at it. Its messages are inspected and replayed with `belltower dlq`, and its "
            "depth raises an alarm; a DLQ for the DLQ would only hide them.",
        )

        self.role = iam.Role(
            self,
            "ExecutionRole",
            description="Assumed by EventBridge Scheduler to invoke the Belltower delivery function",
            assumed_by=iam.ServicePrincipal(
                SCHEDULER_SERVICE,
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.dlq.queue_arn])
        )

        #: Schedules of this group only (schedule names are created at run time).
        self.schedules_arn = stack.format_arn(
            service="scheduler",
            resource="schedule",
            resource_name=f"{self.group.schedule_group_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def allow_target(self, function: lambda_.IFunction) -> None:
        """Let the execution role invoke `function` (the unqualified ARN Scheduler targets)."""
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
        )

    def grant_manage_schedules(self, function: lambda_.Function) -> None:
        """Create/read/update/delete schedules in the group, passing the execution role."""
        function.add_to_role_policy(
            iam.PolicyStatement(actions=list(SCHEDULE_ACTIONS), resources=[self.schedules_arn])
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SCHEDULER_SERVICE}},
            )
        )
        assert function.role is not None
        acknowledge(
            function.role,
            wildcard_resource_finding(self, self.schedules_arn),
            "Schedule names are generated at run time (one or more per Belltower schedule and "
            "retry attempt); the permission is limited to schedules inside Belltower's own "
            "schedule group and to the four schedule actions the functions use.",
        )

    def grant_send_to_dlq(self, function: lambda_.Function) -> None:
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[self.dlq.queue_arn])
        )
