"""Deployment settings, read once from the environment at cold start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from belltower import resources as r


@dataclass(frozen=True)
class Settings:
    table_name: str
    schedule_group: str
    delivery_function_arn: str
    scheduler_role_arn: str
    dlq_url: str
    dlq_arn: str
    #: URL prefixes that bypass the https/public-address rules (development only).
    allowed_destinations: tuple[str, ...] = ()
    #: How long finished occurrences are kept before DynamoDB TTL removes them.
    retention_days: int = 30
    #: Fires that reach delivery later than this are recorded `skipped` instead of delivered.
    catch_up_window_seconds: int = 3600

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        missing = [
            name
            for name in (
                r.ENV_TABLE,
                r.ENV_SCHEDULE_GROUP,
                r.ENV_DELIVERY_FUNCTION_ARN,
                r.ENV_SCHEDULER_ROLE_ARN,
                r.ENV_DLQ_URL,
                r.ENV_DLQ_ARN,
            )
            if not env.get(name)
        ]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        allowed = tuple(
            p.strip() for p in env.get(r.ENV_ALLOWED_DESTINATIONS, "").split(",") if p.strip()
        )
        return cls(
            table_name=env[r.ENV_TABLE],
            schedule_group=env[r.ENV_SCHEDULE_GROUP],
            delivery_function_arn=env[r.ENV_DELIVERY_FUNCTION_ARN],
            scheduler_role_arn=env[r.ENV_SCHEDULER_ROLE_ARN],
            dlq_url=env[r.ENV_DLQ_URL],
            dlq_arn=env[r.ENV_DLQ_ARN],
            allowed_destinations=allowed,
            retention_days=int(env.get(r.ENV_RETENTION_DAYS, "30")),
            catch_up_window_seconds=int(env.get(r.ENV_CATCH_UP_WINDOW, "3600")),
        )

    def as_env(self) -> dict[str, str]:
        """The environment a function needs to rebuild these settings (local mode, tests)."""
        return {
            r.ENV_TABLE: self.table_name,
            r.ENV_SCHEDULE_GROUP: self.schedule_group,
            r.ENV_DELIVERY_FUNCTION_ARN: self.delivery_function_arn,
            r.ENV_SCHEDULER_ROLE_ARN: self.scheduler_role_arn,
            r.ENV_DLQ_URL: self.dlq_url,
            r.ENV_DLQ_ARN: self.dlq_arn,
            r.ENV_ALLOWED_DESTINATIONS: ",".join(self.allowed_destinations),
            r.ENV_RETENTION_DAYS: str(self.retention_days),
            r.ENV_CATCH_UP_WINDOW: str(self.catch_up_window_seconds),
        }
