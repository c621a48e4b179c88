"""Reading the deployment settings from CDK context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.config import BelltowerConfig

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_cdk_json_defaults():
    cdk_json = json.loads((REPO_ROOT / "cdk.json").read_text())
    assert cdk_json["app"] == ".venv/bin/python app.py"
    context = cdk_json["context"]
    assert "alarm_email" not in context
    config = BelltowerConfig.from_context(context)
    assert config == BelltowerConfig(
        stage="dev",
        alarm_email=None,
        allowed_destinations=(),
        retention_days=30,
        catch_up_window_seconds=3600,
    )


def test_cli_strings_are_parsed():
    config = BelltowerConfig.from_context(
        {
            "stage": "prod",
            "alarm_email": " ops@example.com ",
            "allowed_destinations": "http://127.0.0.1, ,https://hooks.internal/",
            "retention_days": "90",
            "catch_up_window_seconds": "0",
        }
    )
    assert config.stage == "prod"
    assert config.alarm_email == "ops@example.com"
    assert config.allowed_destinations == ("http://127.0.0.1", "https://hooks.internal/")
    assert config.retention_days == 90
    assert config.catch_up_window_seconds == 0


def test_json_list_of_destinations_and_empty_email():
    config = BelltowerConfig.from_context(
        {"allowed_destinations": ["http://127.0.0.1"], "alarm_email": ""}
    )
    assert config.allowed_destinations == ("http://127.0.0.1",)
    assert config.alarm_email is None


@pytest.mark.parametrize(
    "context",
    [
        {"stage": "has space"},
        {"stage": "x" * 21},
        {"alarm_email": "not-an-address"},
        {"retention_days": "0"},
        {"retention_days": "ten"},
        {"catch_up_window_seconds": "-1"},
    ],
)
def test_invalid_context_is_rejected(context):
    with pytest.raises(ValueError):
        BelltowerConfig.from_context(context)
