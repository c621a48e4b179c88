"""Builds the Belltower CDK app: one stack per stage, checked by cdk-nag (AwsSolutions)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from cdk_nag import AwsSolutionsChecks

from infra.config import BelltowerConfig
from infra.stack import BelltowerStack


def stack_name(stage: str) -> str:
    return f"Belltower-{stage}"


def create_app(
    *,
    context: Mapping[str, Any] | None = None,
    code: lambda_.Code | None = None,
    outdir: str | None = None,
) -> tuple[cdk.App, BelltowerStack]:
    """The app with its stack and the AwsSolutions checks attached.

    With the checks on, synthesis (`cdk synth`, `app.synth()`, `Template.from_stack`) fails on
    any finding that is not acknowledged with a reason (see `infra.compliance`).
    """
    app = cdk.App(context=dict(context) if context is not None else None, outdir=outdir)
    config = BelltowerConfig.from_node(app.node)
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    env = cdk.Environment(account=account, region=region) if account and region else None
    stack = BelltowerStack(
        app,
        stack_name(config.stage),
        config=config,
        code=code,
        env=env,
        description=f"Belltower serverless HTTP task scheduler ({config.stage})",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
