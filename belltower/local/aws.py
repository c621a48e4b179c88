"""The embedded AWS: moto in server mode, in this process, provisioned like the CDK stack.

`start_embedded_aws()` points this process at it (fake credentials, every real-credential
variable cleared, `AWS_ENDPOINT_URL` set), creates the table, schedule group and dead-letter
queue described in `belltower.resources`, and exports the resulting `Settings` to `os.environ`
so that handlers reading `Settings.from_env()` agree.

Also here: `LambdaContext`, the small context object local mode passes to handlers.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from belltower import resources as r
from belltower.settings import Settings

log = logging.getLogger("local.aws")  # outside "belltower.*", whose loggers print Powertools JSON

ACCOUNT_ID = "123456789012"  # moto's default account for the "testing" credentials
REGION = "us-east-1"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
DEFAULT_ALLOWED_DESTINATIONS = ("http://127.0.0.1", "http://localhost")

#: Variables through which real credentials (or a real account) could be reached.
REAL_CREDENTIAL_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)


def lambda_function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"


def iam_role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


def fake_aws_environment(
    endpoint_url: str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """The changes that make an environment use fake credentials only (None = delete)."""
    env = os.environ if environ is None else environ
    changes: dict[str, str | None] = {name: None for name in REAL_CREDENTIAL_VARIABLES}
    # Service-specific endpoints would bypass AWS_ENDPOINT_URL.
    changes.update({name: None for name in env if name.startswith("AWS_ENDPOINT_URL_")})
    changes.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    if endpoint_url is not None:
        changes["AWS_ENDPOINT_URL"] = endpoint_url
    return changes


def apply_environment(
    changes: Mapping[str, str | None], environ: MutableMapping[str, str] | None = None
) -> dict[str, str | None]:
    """Apply `changes` (None deletes); return the previous values, for `apply_environment` to undo."""
    env = os.environ if environ is None else environ
    previous = {name: env.get(name) for name in changes}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return previous


@dataclass
class EmbeddedAws:
    """A running moto server and the Belltower resources provisioned in it."""

    endpoint_url: str
    settings: Settings
    server: Any
    saved_environment: dict[str, str | None] = field(default_factory=dict, repr=False)

    def ensure_provisioned(self) -> Settings:
        """Re-create whatever is missing (e.g. after a `mock_aws()` reset moto's global state)."""
        s = self.settings
        return provision(
            self.endpoint_url,
            retention_days=s.retention_days,
            catch_up_window_seconds=s.catch_up_window_seconds,
            allowed_destinations=s.allowed_destinations,
        )

    def stop(self, *, restore_environment: bool = True) -> None:
        self.server.stop()
        inner = getattr(self.server, "_server", None)
        if inner is not None:
            inner.server_close()
        if restore_environment:
            apply_environment(self.saved_environment)

    def __enter__(self) -> EmbeddedAws:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_embedded_aws(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    retention_days: int = 30,
    catch_up_window_seconds: int = 3600,
    allowed_destinations: Iterable[str] = DEFAULT_ALLOWED_DESTINATIONS,
) -> EmbeddedAws:
    """Start moto on host:port (0 = a free port), provision it, and point os.environ at it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    if port:
        _check_can_listen(host, port)  # moto's start() would wait forever on a failed bind
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    if bound_host in ("0.0.0.0", "::", ""):
        bound_host = "127.0.0.1"
    endpoint_url = f"http://{bound_host}:{bound_port}"
    saved = apply_environment(fake_aws_environment(endpoint_url))
    try:
        settings = provision(
            endpoint_url,
            retention_days=retention_days,
            catch_up_window_seconds=catch_up_window_seconds,
            allowed_destinations=tuple(allowed_destinations),
        )
        for name, value in apply_environment(settings.as_env()).items():
            saved.setdefault(name, value)
    except BaseException:
        server.stop()
        apply_environment(saved)
        raise
    log.info("embedded AWS listening on %s", endpoint_url)
    return EmbeddedAws(endpoint_url, settings, server, saved)


def _check_can_listen(host: str, port: int) -> None:
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise OSError(f"cannot serve the embedded AWS on {host}:{port}: {exc.strerror}") from None


def provision(
    endpoint_url: str | None,
    *,
    retention_days: int = 30,
    catch_up_window_seconds: int = 3600,
    allowed_destinations: tuple[str, ...] = DEFAULT_ALLOWED_DESTINATIONS,
) -> Settings:
    """Create what the CDK stack creates (idempotent: existing resources are kept as they are)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    create_table(session.client("dynamodb", endpoint_url=endpoint_url), r.LOCAL_TABLE_NAME)
    create_schedule_group(session.client("scheduler", endpoint_url=endpoint_url), r.LOCAL_SCHEDULE_GROUP)
    dlq_url, dlq_arn = create_dlq(session.client("sqs", endpoint_url=endpoint_url), r.LOCAL_DLQ_NAME)
    return Settings(
        table_name=r.LOCAL_TABLE_NAME,
        schedule_group=r.LOCAL_SCHEDULE_GROUP,
        delivery_function_arn=lambda_function_arn(r.LOCAL_DELIVERY_FUNCTION_NAME),
        scheduler_role_arn=iam_role_arn(r.LOCAL_SCHEDULER_ROLE_NAME),
        dlq_url=dlq_url,
        dlq_arn=dlq_arn,
        allowed_destinations=allowed_destinations,
        retention_days=retention_days,
        catch_up_window_seconds=catch_up_window_seconds,
    )


def discover_local_settings(endpoint_url: str) -> Settings:
    """The Settings of a running `belltower dev`, read from its embedded AWS (nothing is created)."""
    import boto3

    sqs = boto3.session.Session().client("sqs", region_name=REGION, endpoint_url=endpoint_url)
    dlq_url = sqs.get_queue_url(QueueName=r.LOCAL_DLQ_NAME)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Settings(
        table_name=r.LOCAL_TABLE_NAME,
        schedule_group=r.LOCAL_SCHEDULE_GROUP,
        delivery_function_arn=lambda_function_arn(r.LOCAL_DELIVERY_FUNCTION_NAME),
        scheduler_role_arn=iam_role_arn(r.LOCAL_SCHEDULER_ROLE_NAME),
        dlq_url=dlq_url,
        dlq_arn=dlq_arn,
        allowed_destinations=DEFAULT_ALLOWED_DESTINATIONS,
    )


def create_table(dynamodb: Any, name: str) -> None:
    if name in dynamodb.list_tables()["TableNames"]:
        return
    key_names: list[str] = [r.TABLE_PARTITION_KEY, r.TABLE_SORT_KEY]
    indexes = []
    for gsi in r.GLOBAL_SECONDARY_INDEXES:
        schema = [{"AttributeName": gsi["partition_key"], "KeyType": "HASH"}]
        key_names.append(str(gsi["partition_key"]))
        if gsi["sort_key"]:
            schema.append({"AttributeName": gsi["sort_key"], "KeyType": "RANGE"})
            key_names.append(str(gsi["sort_key"]))
        projection = "KEYS_ONLY" if gsi["name"] == r.GSI_LOOKUP else "ALL"
        indexes.append(
            {"IndexName": gsi["name"], "KeySchema": schema, "Projection": {"ProjectionType": projection}}
        )
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in key_names],
        KeySchema=[
            {"AttributeName": r.TABLE_PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": r.TABLE_SORT_KEY, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=indexes,
    )
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": r.TABLE_TTL_ATTRIBUTE},
    )


def create_schedule_group(scheduler: Any, name: str) -> None:
    # Never re-create: in moto that silently wipes the group's schedules.
    try:
        scheduler.get_schedule_group(Name=name)
    except scheduler.exceptions.ResourceNotFoundException:
        scheduler.create_schedule_group(Name=name)


def create_dlq(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(
        QueueName=name, Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


@dataclass
class LambdaContext:
    """The parts of the Lambda context object handlers (and Powertools Logger) read."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 256
    timeout_seconds: float = 30.0
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(init=False, repr=False, default=0.0)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @classmethod
    def for_function(cls, function_arn: str, **kwargs: Any) -> LambdaContext:
        name = function_arn.split(":function:", 1)[-1].split(":", 1)[0]
        return cls(function_name=name, invoked_function_arn=function_arn, **kwargs)

    @property
    def function_arn(self) -> str:
        return self.invoked_function_arn

    @property
    def memory_limit_in_bytes(self) -> int:
        return self.memory_limit_in_mb * 1024 * 1024

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
