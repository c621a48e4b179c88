"""BelltowerStack: composes the capability constructs; defines no resources of its own."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.api import Api
from infra.bundling import lambda_code
from infra.config import BelltowerConfig
from infra.functions import ARCHITECTURE, RUNTIME, Functions
from infra.monitoring import Monitoring
from infra.scheduling import Scheduling
from infra.storage import Storage


class BelltowerStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: BelltowerConfig | None = None,
        code: lambda_.Code | None = None,
        **kwargs: Any,
    ) -> None:
        """`config` defaults to the CDK context; `code` to the locally bundled asset (tests
        pass e.g. `lambda_.Code.from_inline(...)` so they never bundle)."""
        super().__init__(scope, construct_id, **kwargs)
        self.config = config if config is not None else BelltowerConfig.from_node(self.node)
        code = code if code is not None else lambda_code(RUNTIME, ARCHITECTURE)

        self.storage = Storage(self, "Storage")
        self.scheduling = Scheduling(self, "Scheduling", stage=self.config.stage)
        self.functions = Functions(
            self,
            "Functions",
            code=code,
            config=self.config,
            storage=self.storage,
            scheduling=self.scheduling,
        )
        self.api = Api(self, "Api", handler=self.functions.api)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            dlq=self.scheduling.dlq,
            delivery=self.functions.delivery,
            api=self.api.http_api,
            schedule_group=self.scheduling.group,
            alarm_email=self.config.alarm_email,
        )
