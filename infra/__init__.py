"""Belltower's AWS infrastructure (AWS CDK).

One construct per capability (storage, scheduling, functions, api, monitoring) and a stack
(`infra.stack.BelltowerStack`) that only composes them. `infra.app.create_app` builds the app
with cdk-nag's AwsSolutions checks attached; `app.py` is the `cdk` entry point.

Every name the functions read (environment variables, table keys, indexes) comes from
`belltower.resources` / `belltower.settings`, never retyped here.
"""
