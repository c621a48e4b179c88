"""`belltower dev`: the whole product on this machine.

embedded AWS (moto) -> settings -> container with an in-process delivery invoker -> scheduler
stand-in firing the delivery handler -> an API key for project "default" -> the API over HTTP.
"""

from __future__ import annotations

import logging
import shlex
import signal
import sys
import threading
from typing import Any, TextIO

log = logging.getLogger("local.dev")  # outside "belltower.*", whose loggers print Powertools JSON

DEFAULT_PROJECT = "default"


def run_dev(
    host: str = "127.0.0.1",
    port: int = 8080,
    api_key: str | None = None,
    aws_port: int = 0,
    *,
    aws_host: str = "127.0.0.1",
    out: TextIO | None = None,
    stop: threading.Event | None = None,
    lambda_retry_delays: tuple[float, ...] = (1.0, 2.0),
    faults: Any = None,
    lambda_processes: int = 0,
) -> int:
    """Run until SIGINT/SIGTERM (or until `stop` is set); return the exit status.

    lambda_processes: run the delivery function in this many worker processes
        (belltower.local.processes) instead of on threads of this process; 0 (the default):
        threads. Not with `faults`.

    faults: a `belltower.local.faults.LocalFaults` (the fault-injection run, `make chaos`); it is
        installed on the container and the scheduler stand-in before either is used. None (the
        default) runs without any fault.
    """
    from belltower import wiring
    from belltower.local.aws import start_embedded_aws
    from belltower.local.gateway import LocalGateway
    from belltower.local.scheduler import LocalInvoker, LocalScheduler

    if lambda_processes and faults is not None:
        raise ValueError("fault injection needs the in-process delivery function (lambda_processes=0)")
    out = out or sys.stdout
    stop = stop or threading.Event()
    configure_logging()
    _install_signal_handlers(stop)

    aws = start_embedded_aws(aws_host, aws_port)
    scheduler = gateway = workers = None
    try:
        settings = aws.settings
        scheduler = LocalScheduler(
            on_failure_destination=settings.dlq_arn, lambda_retry_delays=lambda_retry_delays,
            faults=faults,
        )
        invoker = LocalInvoker(scheduler, settings.delivery_function_arn)
        container = wiring.Container(settings, invoker_override=invoker)
        if faults is not None:  # hook point: fault injection (make chaos), before any AWS client
            faults.install(container, scheduler)
        wiring.install(container)

        # The handlers build on the installed container; import them only now.
        from belltower.service.keys import create_key
        from handlers import api, delivery

        function_arn = settings.delivery_function_arn
        if lambda_processes:
            from belltower.local.processes import ProcessFunction

            workers = ProcessFunction(function_arn, lambda_processes, invoker.invoke_delivery)
        scheduler.register(function_arn, workers or delivery.handler)
        scheduler.start()
        plaintext, _ = create_key(container.store, DEFAULT_PROJECT, plaintext=api_key)
        try:
            gateway = LocalGateway(api.handler, host, port).start()
        except OSError as exc:
            raise OSError(f"cannot serve the API on {host}:{port}: {exc.strerror}") from None

        _print_banner(out, gateway.url, plaintext, aws.endpoint_url, settings.table_name)
        while not stop.wait(0.5):
            pass
        log.info("shutting down")
        return 0
    finally:
        if gateway is not None:
            gateway.stop()
        if scheduler is not None:
            scheduler.stop()
        if workers is not None:
            workers.close()
        wiring.install(None)
        aws.stop()


def _print_banner(out: TextIO, api_url: str, api_key: str, aws_endpoint: str, table: str) -> None:
    body = '{"endpoint": "http://127.0.0.1:9000/hook", "delay": "10s", "body": {"hello": "world"}}'
    exports = " ".join(
        f"{name}={shlex.quote(value)}"
        for name, value in (
            ("AWS_ENDPOINT_URL", aws_endpoint),
            ("BELLTOWER_TABLE", table),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
        )
    )
    out.write(
        "Belltower is running locally (embedded AWS; data lives only as long as this process).\n"
        "\n"
        f"  API:      {api_url}\n"
        f"  API key:  {api_key}   (project \"{DEFAULT_PROJECT}\")\n"
        "\n"
        "  Schedule a call in 10 seconds:\n"
        f"    curl -sS -X POST {api_url}/v1/schedules \\\n"
        f"      -H 'Authorization: Bearer {api_key}' -H 'Content-Type: application/json' \\\n"
        f"      -d '{body}'\n"
        "\n"
        f"  Embedded AWS: {aws_endpoint}\n"
        "  For admin commands (belltower keys ..., aws ...), in another shell:\n"
        f"    export {exports}\n"
        "\n"
        "Ready.\n"
    )
    out.flush()


def configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("botocore", "boto3", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _install_signal_handlers(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # signals can only be handled in the main thread; the caller sets `stop`
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
