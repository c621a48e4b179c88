"""Functions: the API and delivery Lambdas, both built by `belltower_function`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from constructs import Construct

from belltower.settings import Settings
from infra.compliance import acknowledge
from infra.config import BelltowerConfig
from infra.scheduling import Scheduling
from infra.storage import Storage

#: The newest Python runtime CDK knows (cdk-nag AwsSolutions-L1 requires the newest).
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

API_HANDLER = "handlers.api.handler"
DELIVERY_HANDLER = "handlers.delivery.handler"
API_TIMEOUT = Duration.seconds(29)  # API Gateway's integration timeout
DELIVERY_TIMEOUT = Duration.minutes(15)  # a delivery attempt may take up to 15 min
API_MEMORY_MB = 512  # latency-sensitive: more memory is more CPU for cold starts
DELIVERY_MEMORY_MB = 256  # mostly waits on the destination
DELIVERY_RETRY_ATTEMPTS = 2
DELIVERY_MAX_EVENT_AGE = Duration.hours(6)


def belltower_function(
    scope: Construct,
    construct_id: str,
    *,
    code: lambda_.Code,
    handler: str,
    description: str,
    environment: Mapping[str, str],
    timeout: Duration,
    memory_size: int,
    **options: Any,
) -> lambda_.Function:
    """A Belltower Lambda: newest Python on arm64, JSON logs into its own log group with a
    retention, active X-Ray tracing, and a dedicated role with no AWS-managed policy."""
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        description=f"Execution role of the Belltower {construct_id} function",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
    )
    log_group = logs.LogGroup(scope, f"{construct_id}Logs", retention=LOG_RETENTION)
    function = lambda_.Function(
        scope,
        construct_id,
        code=code,
        handler=handler,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        description=description,
        environment=dict(environment),
        timeout=timeout,
        memory_size=memory_size,
        role=role,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
        system_log_level_v2=lambda_.SystemLogLevel.WARN,
        tracing=lambda_.Tracing.ACTIVE,
        **options,
    )
    # Instead of AWSLambdaBasicExecutionRole (AwsSolutions-IAM4): write to this log group only.
    log_group.grant_write(role)
    # CDK makes every function DependsOn its role *and* the role's policy (so the policy exists
    # before the function can run); the role half is redundant with `Role: Fn::GetAtt` and
    # cfn-lint warns W3005 about it (aws/aws-cdk#24578). Only that check, only here.
    cfn_function = function.node.default_child
    assert isinstance(cfn_function, lambda_.CfnFunction)
    cfn_function.add_metadata("cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which "
        "do not support resource-level permissions (the resource must be `*`).",
    )
    return function


class Functions(Construct):
    """The API function (behind API Gateway) and the delivery function (invoked by Scheduler
    and, for work due now, by the API), with least-privilege grants."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        config: BelltowerConfig,
        storage: Storage,
        scheduling: Scheduling,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        # A fixed name lets the delivery function know its own ARN without a reference cycle.
        self.delivery_function_name = f"{stack.stack_name}-delivery"[:64]
        delivery_arn = stack.format_arn(
            service="lambda",
            resource="function",
            resource_name=self.delivery_function_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        settings = Settings(
            table_name=storage.table.table_name,
            schedule_group=scheduling.group.schedule_group_name,
            delivery_function_arn=delivery_arn,
            scheduler_role_arn=scheduling.role.role_arn,
            dlq_url=scheduling.dlq.queue_url,
            dlq_arn=scheduling.dlq.queue_arn,
            allowed_destinations=config.allowed_destinations,
            retention_days=config.retention_days,
            catch_up_window_seconds=config.catch_up_window_seconds,
        )
        environment = settings.as_env()

        self.delivery = belltower_function(
            self,
            "Delivery",
            code=code,
            handler=DELIVERY_HANDLER,
            description="Belltower delivery: performs one scheduled HTTP request",
            environment={**environment, "POWERTOOLS_SERVICE_NAME": "belltower-delivery"},
            timeout=DELIVERY_TIMEOUT,
            memory_size=DELIVERY_MEMORY_MB,
            function_name=self.delivery_function_name,
            retry_attempts=DELIVERY_RETRY_ATTEMPTS,
            max_event_age=DELIVERY_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(scheduling.dlq),
        )
        self.api = belltower_function(
            self,
            "Api",
            code=code,
            handler=API_HANDLER,
            description="Belltower API: validates, stores and schedules",
            environment={**environment, "POWERTOOLS_SERVICE_NAME": "belltower-api"},
            timeout=API_TIMEOUT,
            memory_size=API_MEMORY_MB,
        )

        for function in (self.api, self.delivery):
            storage.grant_data(function)
            scheduling.grant_manage_schedules(function)
            scheduling.grant_send_to_dlq(function)
        # Work that is already due is handed to delivery directly (a past `at()` is undefined).
        self.api.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"], resources=[self.delivery.function_arn]
            )
        )
        # Delivery hands itself work that is due now too: retries due within seconds, and the
        # first attempt of each webhook / callback. Its own ARN from the fixed name: no cycle.
        self.delivery.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[delivery_arn])
        )
        scheduling.allow_target(self.delivery)
