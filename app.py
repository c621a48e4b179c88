#!/usr/bin/env python3
"""CDK entry point (`cdk synth`, `cdk deploy`); see infra/ and cdk.json for context keys."""

from infra.app import create_app

app, _stack = create_app()
app.synth()
