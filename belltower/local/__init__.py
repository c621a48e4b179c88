"""Local mode: Belltower on an embedded AWS (moto), with stand-ins for what moto cannot run.

- `aws`: the embedded AWS (moto server mode) provisioned like the CDK stack.
- `scheduler`: an EventBridge Scheduler stand-in that really fires the schedules stored in moto,
  and invokes the functions with Lambda's asynchronous semantics.
- `gateway`: an HTTP server that speaks API Gateway HTTP API (payload format 2.0) to a handler.
- `dev`: `belltower dev`, the three together.
"""
