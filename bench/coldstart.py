"""Cold start: import time of each Lambda entry module in a fresh interpreter, next to boto3.

Each figure is the best of N fresh interpreters (`python -c`), timed inside the interpreter
around the statement alone (interpreter start-up is excluded). Two layouts:

- "venv": the modules as installed here, with their compiled bytecode cached (__pycache__);
- "as bundled": what Lambda runs. The asset (infra/bundling.py) holds Belltower's packages and
  its pip-installed dependencies WITHOUT bytecode (`pip --no-compile`, `__pycache__` excluded),
  and /var/task is read-only, so every cold start compiles them again. Emulated by copying the
  same packages (from this venv, without __pycache__) into a temporary directory that comes
  first on sys.path, with bytecode writing off; boto3/botocore come from the venv with their
  bytecode, as the runtime's do.

The baseline is a bare `import boto3` in the runtime layout (an empty function that uses boto3).
"Module import + first boto3 client" adds what the first event pays: the container's boto3
session and DynamoDB resource (the first thing either function touches).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


_PROBE = r"""
import json, os, sys, time
t0 = time.perf_counter()
exec(compile(sys.argv[1], "<probe>", "exec"), {})
t1 = time.perf_counter()
extra = sys.argv[2]
if extra:
    exec(compile(extra, "<probe-extra>", "exec"), {})
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "total": t2 - t0, "modules": len(sys.modules)}))
"""

FIRST_CLIENT = "from belltower.wiring import container; container().store"
ENV = {
    "BELLTOWER_TABLE": "belltower-bench", "BELLTOWER_SCHEDULE_GROUP": "belltower-bench",
    "BELLTOWER_DELIVERY_FUNCTION_ARN": "arn:aws:lambda:us-east-1:123456789012:function:d",
    "BELLTOWER_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/r",
    "BELLTOWER_DLQ_URL": "http://127.0.0.1:9/q", "BELLTOWER_DLQ_ARN": "arn:aws:sqs:us-east-1:123456789012:q",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "Belltower",
}  # fmt: skip


def _bundling_constants() -> tuple[tuple[str, ...], frozenset[str]]:
    """PACKAGES and RUNTIME_PROVIDED of infra/bundling.py, read without importing it (that would
    start the CDK's node process)."""
    tree = ast.parse((REPO_ROOT / "infra" / "bundling.py").read_text())
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id in ("PACKAGES", "RUNTIME_PROVIDED"):
                value = node.value
                if isinstance(value, ast.Call):  # frozenset({...})
                    value = value.args[0]
                found[target.id] = ast.literal_eval(value)
    return tuple(found["PACKAGES"]), frozenset(found["RUNTIME_PROVIDED"])


def runtime_dependencies() -> list[str]:
    """[project].dependencies minus what the Lambda runtime provides (as infra/bundling.py)."""
    _, provided = _bundling_constants()
    deps = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return [d for d in deps if _norm(d) not in provided]


def _dependency_closure(names: list[str]) -> set[str]:
    """Distribution names `pip install names` would bring (from this venv's metadata)."""
    seen: set[str] = set()
    todo = [_norm(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if "extra ==" in requirement:
                continue
            todo.append(_norm(requirement.split(";")[0]))
    return seen


def _norm(requirement: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;@(]", requirement.strip(), maxsplit=1)[0]).lower()


#: Shipped with boto3 in the Lambda runtime (compiled there), but pip also installs them into
#: the asset, where they come first on sys.path.
RUNTIME_DUPLICATES = frozenset({"urllib3", "python-dateutil", "six", "jmespath"})


def build_asset_tree(target: Path, *, skip_runtime_duplicates: bool = False) -> list[str]:
    """Belltower's packages + its bundled dependencies' top-level modules, without bytecode."""
    packages, provided = _bundling_constants()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "local", "cli.py")
    for package in packages:
        shutil.copytree(REPO_ROOT / package, target / package, ignore=ignore)
    copied = []
    deps = [d.split(";")[0] for d in runtime_dependencies()]
    for name in sorted(_dependency_closure(deps)):
        if name in provided or (skip_runtime_duplicates and name in RUNTIME_DUPLICATES):
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        top = (dist.read_text("top_level.txt") or "").split()
        if not top:
            top = sorted({str(f).split("/")[0].removesuffix(".py") for f in dist.files or []
                          if not str(f).split("/")[0].endswith((".dist-info", ".data"))
                          and not str(f).startswith((".", "__pycache__"))})  # fmt: skip
        for module in top:
            source = Path(dist.locate_file(module))
            if source.is_dir():
                shutil.copytree(source, target / module, ignore=ignore, dirs_exist_ok=True)
            elif source.with_suffix(".py").exists():
                shutil.copy2(source.with_suffix(".py"), target / f"{module}.py")
            else:
                continue
            copied.append(module)
    return copied


def _probe(statement: str, extra: str, *, cwd: Path, asset: Path | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BELLTOWER_", "PYTHON"))}
    env.update(ENV)
    if asset is not None:
        env["PYTHONPATH"] = str(asset)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    out = subprocess.run([sys.executable, "-c", _PROBE, statement, extra], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"probe failed: {statement!r}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def best_of(runs: int, statement: str, extra: str = "", *, cwd: Path, asset: Path | None) -> dict[str, float]:
    results = [_probe(statement, extra, cwd=cwd, asset=asset) for _ in range(runs)]
    return {"import": min(r["import"] for r in results), "total": min(r["total"] for r in results),
            "modules": results[0]["modules"]}  # fmt: skip


def run(runs: int = 7) -> dict[str, Any]:
    import compileall

    with tempfile.TemporaryDirectory(prefix="belltower-coldstart-") as tmp:
        root = Path(tmp)
        empty, asset, lean, compiled = root / "empty", root / "asset", root / "lean", root / "compiled"
        for directory in (empty, asset, lean, compiled):
            directory.mkdir()
        copied = build_asset_tree(asset)
        build_asset_tree(lean, skip_runtime_duplicates=True)
        build_asset_tree(compiled)
        compileall.compile_dir(str(compiled), quiet=1, workers=1)
        results: dict[str, Any] = {"runs": runs, "python": sys.version.split()[0], "asset_modules": copied}
        results["boto3"] = best_of(runs, "import boto3", "import boto3; boto3.session.Session().resource('dynamodb')",
                                   cwd=empty, asset=None)  # fmt: skip
        for module in ("handlers.delivery", "handlers.api"):
            results[module] = {
                "venv": best_of(runs, f"import {module}", FIRST_CLIENT, cwd=REPO_ROOT, asset=None),
                "bundled": best_of(runs, f"import {module}", FIRST_CLIENT, cwd=asset, asset=asset),
                "bundled_without_runtime_duplicates": best_of(runs, f"import {module}", FIRST_CLIENT,
                                                              cwd=lean, asset=lean),
                "bundled_precompiled": best_of(runs, f"import {module}", FIRST_CLIENT, cwd=compiled, asset=compiled),
            }
    return results
