"""The Lambda code asset, bundled locally with pip (no Docker).

`lambda_code()` returns one `Code.from_asset(<repo root>)` whose local bundler copies the
`belltower/` and `handlers/` packages and installs the runtime dependencies of
`pyproject.toml` (minus boto3, which the Lambda runtime provides) as wheels for the target
platform. Both functions share the one asset, so it is bundled once per synth.

Infra tests never come here: `BelltowerStack(code=...)` takes any `lambda_.Code`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Source packages copied into the asset (each only if it exists).
PACKAGES = ("belltower", "handlers")
#: Provided by the Lambda Python runtime: never bundled.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath-boto"})
#: Not part of the fingerprint: changes here never change the deployed code.
ASSET_EXCLUDE = [
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "cdk.out",
    "tests",
    "infra",
    "docs",
    "events",
    ".ci",
    "build",
    ".bundle",
    "**/__pycache__",
    "**/*.pyc",
    "*.egg-info",
    ".pytest_cache",
    ".hypothesis",
    ".mypy_cache",
    ".ruff_cache",
    "app.py",
    "cdk.json",
    "cdk.context.json",
    "package.json",
    "package-lock.json",
    "Makefile",
    "*.md",
]
_PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def runtime_dependencies(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """`[project].dependencies` without what the Lambda runtime already has."""
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [d for d in deps if _requirement_name(d) not in RUNTIME_PROVIDED]


def _requirement_name(requirement: str) -> str:
    name = re.split(r"[\s\[<>=!~;@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def pip_command(output_dir: str, runtime: lambda_.Runtime, architecture: lambda_.Architecture) -> list[str]:
    python_version = runtime.name.removeprefix("python")
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        output_dir,
        "--platform",
        _PIP_PLATFORMS[architecture.name],
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--python-version",
        python_version,
        "--no-compile",
        "--disable-pip-version-check",
        "--quiet",
        *runtime_dependencies(),
    ]


@jsii.implements(cdk.ILocalBundling)
class LocalPipBundling:
    """Copies the source packages and pip-installs platform wheels into the asset directory."""

    def __init__(self, runtime: lambda_.Runtime, architecture: lambda_.Architecture) -> None:
        self._runtime = runtime
        self._architecture = architecture

    def try_bundle(self, output_dir: str, options: cdk.BundlingOptions | None = None) -> bool:
        out = Path(output_dir)
        for package in PACKAGES:
            source = REPO_ROOT / package
            if source.is_dir():
                shutil.copytree(
                    source,
                    out / package,
                    # Local mode and the CLI never run in Lambda: keep them out of the asset.
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "local", "cli.py"),
                    dirs_exist_ok=True,
                )
        result = subprocess.run(
            pip_command(output_dir, self._runtime, self._architecture),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            # Raising (rather than returning False) stops CDK from falling back to Docker.
            raise RuntimeError(f"pip could not bundle the Lambda dependencies:\n{result.stderr}")
        return True


def lambda_code(runtime: lambda_.Runtime, architecture: lambda_.Architecture) -> lambda_.Code:
    """The one code asset both functions run, bundled locally for `runtime` on `architecture`."""
    return lambda_.Code.from_asset(
        str(REPO_ROOT),
        exclude=ASSET_EXCLUDE,
        bundling=cdk.BundlingOptions(
            # Never pulled: local bundling always succeeds or raises.
            image=runtime.bundling_image,
            local=LocalPipBundling(runtime, architecture),
        ),
    )
