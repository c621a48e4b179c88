"""API: an API Gateway HTTP API in front of the API function."""

from __future__ import annotations

import json

import jsii
from aws_cdk import CfnOutput
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.compliance import acknowledge

DEFAULT_RATE_LIMIT = 100  # steady-state requests per second, whole stage
DEFAULT_BURST_LIMIT = 200
API_URL_OUTPUT_ID = "ApiUrl"

#: One JSON object per request; no headers or bodies (they carry API keys and secrets).
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "method": "$context.httpMethod",
        "path": "$context.path",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "responseLatency": "$context.responseLatency",
        "integrationLatency": "$context.integrationLatency",
        "integrationStatus": "$context.integrationStatus",
        "integrationError": "$context.integrationErrorMessage",
        "error": "$context.error.message",
    },
    separators=(",", ":"),
)


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(
        self, destination: apigwv2.IAccessLogDestination, log_format: apigw.AccessLogFormat
    ) -> None:
        self._destination = destination
        self._format = log_format

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


class Api(Construct):
    """HTTP API (cheaper and faster than a REST API; Belltower authenticates its own bearer
    keys, so usage plans and API keys of REST APIs are not needed). Every route goes to the
    API function through the `$default` route; the `$default` stage is throttled and logged."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        rate_limit: int = DEFAULT_RATE_LIMIT,
        burst_limit: int = DEFAULT_BURST_LIMIT,
    ) -> None:
        super().__init__(scope, construct_id)
        self.http_api = apigwv2.HttpApi(
            self,
            "HttpApi",
            description="Belltower API",
            create_default_stage=False,
            default_integration=integrations.HttpLambdaIntegration(
                "ApiFunction",
                handler,
                payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
            ),
        )
        for route in self.http_api.node.find_all():
            if isinstance(route, apigwv2.CfnRoute):
                self._acknowledge_authorization(route)

        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
        self.stage = apigwv2.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=rate_limit, burst_limit=burst_limit),
            access_log_settings=_AccessLogSettings(
                apigwv2.LogGroupLogDestination(self.access_logs),
                apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
            ),
        )

        self.url = self.stage.url
        output = CfnOutput(self, "Url", value=self.url, description="Belltower API base URL")
        output.override_logical_id(API_URL_OUTPUT_ID)

    @staticmethod
    def _acknowledge_authorization(route: apigwv2.CfnRoute) -> None:
        reason = (
            "Belltower authenticates every request in the API function itself "
            "(`Authorization: Bearer <api key>`, plus the compat routes' own schemes such as "
            "`x-pd-secret` and `OAuth <token>`), scoping each resource to one project; an "
            "API Gateway JWT/IAM/Cognito authorizer cannot express those schemes."
        )
        acknowledge(route, "AwsSolutions-APIG4", reason)
