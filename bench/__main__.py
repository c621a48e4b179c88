"""`python -m bench`: the benchmarks. See bench/run.py."""

from bench.run import main

raise SystemExit(main())
