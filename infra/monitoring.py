"""Monitoring: alarms on the DLQ, the delivery function and the API, an SNS topic, a dashboard."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

DLQ_PERIOD = Duration.seconds(60)
FUNCTION_PERIOD = Duration.minutes(5)
#: Lambda retries an async event for up to 6 h; an event queued this long is already late.
ASYNC_EVENT_AGE_THRESHOLD_MS = 5 * 60 * 1000
#: The EMF namespace the delivery function writes (handlers/delivery.py).
METRICS_NAMESPACE = "Belltower"


class Monitoring(Construct):
    """Every alarm notifies one encrypted SNS topic; an e-mail subscription is added when an
    address is configured (context `alarm_email`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dlq: sqs.IQueue,
        delivery: lambda_.IFunction,
        api: apigwv2.IHttpApi,
        schedule_group: scheduler.IScheduleGroup,
        alarm_email: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)

        # CloudWatch cannot publish to a topic encrypted with the AWS-managed `alias/aws/sns`
        # key: a customer-managed key whose policy admits CloudWatch is required.
        self.topic_key = kms.Key(
            self,
            "TopicKey",
            description="Encrypts the Belltower alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        self.topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name="Belltower alarms",
            master_key=self.topic_key,
            enforce_ssl=True,
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        action = cw_actions.SnsAction(self.topic)

        def alarm(
            alarm_id: str, metric: cloudwatch.IMetric, description: str, threshold: float = 1
        ) -> cloudwatch.Alarm:
            created = cloudwatch.Alarm(
                self,
                alarm_id,
                alarm_description=description,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(action)
            return created

        self.dlq_alarm = alarm(
            "DeadLetterQueueAlarm",
            dlq.metric_approximate_number_of_messages_visible(
                statistic=cloudwatch.Stats.MAXIMUM, period=DLQ_PERIOD
            ),
            "Messages are waiting in the Belltower dead-letter queue: inspect and replay them "
            "with `belltower dlq list|replay`.",
        )
        self.delivery_errors_alarm = alarm(
            "DeliveryErrorsAlarm",
            delivery.metric_errors(statistic=cloudwatch.Stats.SUM, period=FUNCTION_PERIOD),
            "The delivery function raised errors (Lambda retries, then the DLQ).",
        )
        self.delivery_throttles_alarm = alarm(
            "DeliveryThrottlesAlarm",
            delivery.metric_throttles(statistic=cloudwatch.Stats.SUM, period=FUNCTION_PERIOD),
            "The delivery function was throttled; Scheduler's DLQ does not see Lambda throttles.",
        )
        self.delivery_dropped_alarm = alarm(
            "DeliveryAsyncEventsDroppedAlarm",
            delivery.metric(
                "AsyncEventsDropped", statistic=cloudwatch.Stats.SUM, period=FUNCTION_PERIOD
            ),
            "Lambda dropped asynchronous delivery events without running them.",
        )
        self.delivery_event_age_alarm = alarm(
            "DeliveryAsyncEventAgeAlarm",
            delivery.metric("AsyncEventAge", statistic=cloudwatch.Stats.MAXIMUM, period=FUNCTION_PERIOD),
            "Delivery events waited more than 5 minutes in Lambda's async queue (throttling or "
            "errors): fires are running late.",
            threshold=ASYNC_EVENT_AGE_THRESHOLD_MS,
        )
        self.scheduler_target_errors_alarm = alarm(
            "SchedulerTargetErrorsAlarm",
            schedule_group.metric_target_errors(statistic=cloudwatch.Stats.SUM, period=FUNCTION_PERIOD),
            "EventBridge Scheduler could not hand fires to the delivery function (it retries them).",
        )
        self.scheduler_dropped_alarm = alarm(
            "SchedulerDroppedAlarm",
            schedule_group.metric_dropped(statistic=cloudwatch.Stats.SUM, period=FUNCTION_PERIOD),
            "EventBridge Scheduler dropped fires after its retry policy ran out.",
        )
        self.scheduler_dlq_alarm = alarm(
            "SchedulerSentToDlqAlarm",
            schedule_group.metric_sent_to_dlq(statistic=cloudwatch.Stats.SUM, period=FUNCTION_PERIOD),
            "EventBridge Scheduler sent fires to the dead-letter queue.",
        )
        self.api_errors_alarm = alarm(
            "Api5xxAlarm",
            api.metric_server_error(statistic=cloudwatch.Stats.SUM, period=FUNCTION_PERIOD),
            "The Belltower API answered 5xx (it should never).",
        )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(6))
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms",
                width=24,
                alarms=[
                    self.dlq_alarm,
                    self.delivery_errors_alarm,
                    self.delivery_throttles_alarm,
                    self.delivery_dropped_alarm,
                    self.delivery_event_age_alarm,
                    self.scheduler_target_errors_alarm,
                    self.scheduler_dropped_alarm,
                    self.scheduler_dlq_alarm,
                    self.api_errors_alarm,
                ],
            )
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                width=8,
                left=[
                    api.metric_count(period=FUNCTION_PERIOD),
                    api.metric_client_error(period=FUNCTION_PERIOD),
                    api.metric_server_error(period=FUNCTION_PERIOD),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Deliveries",
                width=8,
                left=[
                    delivery.metric_invocations(period=FUNCTION_PERIOD),
                    delivery.metric_errors(period=FUNCTION_PERIOD),
                    delivery.metric_throttles(period=FUNCTION_PERIOD),
                ],
                right=[delivery.metric_duration(period=FUNCTION_PERIOD, statistic="p99")],
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queue depth",
                width=8,
                left=[
                    dlq.metric_approximate_number_of_messages_visible(
                        statistic=cloudwatch.Stats.MAXIMUM, period=DLQ_PERIOD
                    )
                ],
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Deliveries by outcome",
                width=8,
                left=[
                    _belltower_metric("Deliveries", outcome)
                    for outcome in ("succeeded", "retrying", "dead_lettered", "expired", "skipped")
                ],
            ),
            cloudwatch.GraphWidget(
                title="Dispatch lag (fire time to delivery invocation, ms)",
                width=8,
                left=[_belltower_metric("DispatchLag", None, statistic="p50"),
                      _belltower_metric("DispatchLag", None, statistic="p99")],  # fmt: skip
            ),
            cloudwatch.GraphWidget(
                title="EventBridge Scheduler",
                width=8,
                left=[
                    schedule_group.metric_attempts(period=FUNCTION_PERIOD),
                    schedule_group.metric_target_errors(period=FUNCTION_PERIOD),
                    schedule_group.metric_dropped(period=FUNCTION_PERIOD),
                ],
            ),
        )


def _belltower_metric(name: str, outcome: str | None, *, statistic: str = "Sum") -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": "belltower-delivery", **({"outcome": outcome} if outcome else {})},
        statistic=statistic,
        period=FUNCTION_PERIOD,
    )
