"""The local (Docker-free) bundler, exercised without running pip or synthesizing."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk import aws_lambda as lambda_

import infra.bundling as bundling
import infra.stack
from infra.config import BelltowerConfig
from infra.functions import ARCHITECTURE, RUNTIME

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_runtime_dependencies_come_from_pyproject_without_boto3():
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    deps = bundling.runtime_dependencies()
    assert deps == [d for d in declared if not d.lower().startswith("boto3")]
    assert "aws-lambda-powertools==3.37.0" in deps
    assert "croniter==7.0.0" in deps


def test_pip_targets_the_lambda_platform_and_python():
    command = bundling.pip_command("/out", RUNTIME, ARCHITECTURE)
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    joined = " ".join(command)
    assert "--target /out" in joined
    assert "--platform manylinux2014_aarch64" in joined
    assert "--only-binary=:all:" in command
    assert f"--python-version {RUNTIME.name.removeprefix('python')}" in joined
    assert command[-len(bundling.runtime_dependencies()):] == bundling.runtime_dependencies()


def test_x86_uses_the_x86_wheels():
    command = bundling.pip_command("/out", RUNTIME, lambda_.Architecture.X86_64)
    assert "manylinux2014_x86_64" in command


def test_asset_excludes_everything_but_the_code():
    for name in (".venv", "node_modules", "cdk.out", "tests", ".git", "infra"):
        assert name in bundling.ASSET_EXCLUDE


def test_try_bundle_copies_packages_and_installs_dependencies(monkeypatch, tmp_path):
    calls = []

    def fake_run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(bundling.subprocess, "run", fake_run)
    bundler = bundling.LocalPipBundling(RUNTIME, ARCHITECTURE)
    assert bundler.try_bundle(str(tmp_path), None) is True
    assert calls == [bundling.pip_command(str(tmp_path), RUNTIME, ARCHITECTURE)]
    assert (tmp_path / "belltower" / "__init__.py").is_file()
    assert (tmp_path / "belltower" / "settings.py").is_file()
    assert not list(tmp_path.rglob("__pycache__"))
    assert (tmp_path / "handlers").is_dir() == (REPO_ROOT / "handlers").is_dir()
    assert not (tmp_path / "tests").exists()
    assert not (tmp_path / "infra").exists()


def test_try_bundle_fails_loudly_when_pip_fails(monkeypatch, tmp_path):
    monkeypatch.setattr(
        bundling.subprocess,
        "run",
        lambda command, **kwargs: subprocess.CompletedProcess(command, 1, "", "no matching dist"),
    )
    with pytest.raises(RuntimeError, match="no matching dist"):
        bundling.LocalPipBundling(RUNTIME, ARCHITECTURE).try_bundle(str(tmp_path), None)


def test_stack_defaults_to_the_bundled_asset(monkeypatch):
    """Without `code`, the stack asks the bundling factory (stubbed here: nothing is bundled)."""
    requested = []

    def fake_code(runtime, architecture):
        requested.append((runtime.name, architecture.name))
        return lambda_.Code.from_inline("def handler(event, context):\n    return None\n")

    monkeypatch.setattr(infra.stack, "lambda_code", fake_code)
    infra.stack.BelltowerStack(App(), "Belltower-test", config=BelltowerConfig())
    assert requested == [(RUNTIME.name, ARCHITECTURE.name)]
