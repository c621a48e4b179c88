"""Benchmarks (`make bench`) and the fault-injection run (`make chaos`).

- `bench.stats`     percentile maths and small formatting helpers
- `bench.receiver`  a local HTTP receiver that timestamps every delivery and can follow a fault plan
- `bench.aws_calls` counts AWS API calls per operation with botocore event hooks (and WRU/RRU)
- `bench.prices`    the list prices the cost model uses, with their date
- `bench.run`       `python -m bench`: the benchmarks; writes docs/benchmarks.md
- `bench.chaos`     `python -m bench.chaos`: the fault-injection run and its checks

Nothing here is imported by the product; local-mode fault hooks live in `belltower.local.faults`.
"""
