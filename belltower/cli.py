"""The `belltower` command line.

  belltower dev [--host H] [--port P] [--api-key KEY] [--aws-port P]
  belltower keys create|list|revoke --project NAME [--table T] [--json]
  belltower invoke api|delivery EVENT.json

API commands (a thin layer over `belltower.client`), configured by --api-url/--api-key or
$BELLTOWER_API_URL/$BELLTOWER_API_KEY (default URL http://127.0.0.1:8080):

  belltower schedules create|list|get|update|cancel|pause|resume|trigger|preview ...
  belltower occurrences list SCHEDULE_ID | get ID | replay ID
  belltower dlq list | replay [IDS...]
  belltower endpoints create|list|get|delete ...
  belltower events list [--after EVT_ID] [--limit N]
  belltower project get | rotate-secret

Admin commands use whatever AWS the environment points at (AWS_ENDPOINT_URL for local mode).
API commands print aligned tables, or with `--json` the API's JSON (for scripts).
Exit status: 0 done; 1 an error (an API error prints its status, code and message); 2 a usage
error; 3 `--wait` saw the occurrence end other than `succeeded`; 130 interrupted.
Errors print one line to stderr; never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from belltower import resources as r

ENV_API_URL = "BELLTOWER_API_URL"
ENV_API_KEY = "BELLTOWER_API_KEY"
DEFAULT_API_URL = "http://127.0.0.1:8080"
EXIT_ERROR, EXIT_USAGE, EXIT_NOT_DELIVERED = 1, 2, 3
WAIT_POLL_SECONDS = 0.5


class CliError(Exception):
    """A user-facing error: printed as one line."""


class UsageError(CliError):
    """The command line itself is wrong (exit 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or a usage error (2), already printed
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `belltower ... | head`: the reader has gone; stop quietly
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except UsageError as exc:
        print(f"belltower: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # one line, never a traceback
        print(f"belltower: error: {_describe(exc)}", file=sys.stderr)
        return 1


def _describe(exc: Exception) -> str:
    from belltower.client import BelltowerError

    if isinstance(exc, BelltowerError):  # "404 not_found: no schedule ... (param: id)"
        text = " ".join(str(exc).split())
        return text if exc.retry_after is None else f"{text}; retry after {exc.retry_after}s"
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = " ".join(str(message).split())
    if type(exc).__module__.startswith(("botocore", "boto3")) and type(exc).__name__ not in text:
        text = f"{type(exc).__name__}: {text}"
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="belltower", description="Belltower, the HTTP task scheduler.")
    _add_connection_options(parser)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    dev = commands.add_parser("dev", help="run Belltower locally on an embedded AWS")
    dev.add_argument("--host", default="127.0.0.1", help="API address (default 127.0.0.1)")
    dev.add_argument("--port", type=int, default=8080, help="API port (default 8080)")
    dev.add_argument("--api-key", help="register this API key for project 'default' (default: a new one)")
    dev.add_argument("--aws-port", type=int, default=0, help="embedded AWS port (default: any free port)")
    dev.add_argument("--lambda-processes", type=int, default=0, metavar="N",
                     help="run the delivery function in N worker processes (default 0: on threads of this one)")
    dev.set_defaults(run=_dev)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(metavar="ACTION")
    for action, help_text in (("create", "create a key (shown once)"), ("list", "list a project's keys"),
                              ("revoke", "revoke a key")):  # fmt: skip
        sub = keys.add_parser(action, help=help_text)
        sub.add_argument("--project", required=True, help="project name")
        sub.add_argument("--table", help=f"DynamoDB table (default: ${r.ENV_TABLE})")
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        if action == "revoke":
            sub.add_argument("key_id", help="the key id (key_...)")
        sub.set_defaults(run=_keys, action=action)

    invoke = commands.add_parser("invoke", help="call a handler once, in-process, with a sample event")
    invoke.add_argument("function", choices=("api", "delivery"))
    invoke.add_argument("event_file", help="a JSON file holding the event")
    invoke.set_defaults(run=_invoke)

    api = _api_options()
    _schedules_commands(commands, api)
    _occurrences_commands(commands, api)
    _dlq_commands(commands, api)
    _endpoints_commands(commands, api)
    _events_commands(commands, api)
    _project_commands(commands, api)
    return parser


# --- dev -----------------------------------------------------------------------------------------
def _dev(args: argparse.Namespace) -> int:
    from belltower.local.dev import run_dev

    if args.lambda_processes < 0:
        print("belltower dev: --lambda-processes must be 0 or more", file=sys.stderr)
        return 2
    return run_dev(host=args.host, port=args.port, api_key=args.api_key, aws_port=args.aws_port,
                   lambda_processes=args.lambda_processes)


# --- keys ----------------------------------------------------------------------------------------
def _keys(args: argparse.Namespace) -> int:
    from belltower.adapters.store import Store
    from belltower.service import keys

    table = args.table or os.environ.get(r.ENV_TABLE)
    if not table:
        raise CliError(f"no table: pass --table or set {r.ENV_TABLE}")
    store = Store.for_table(table)
    if args.action == "create":
        plaintext, meta = keys.create_key(store, args.project)
        if args.json:
            _print_json({"api_key": plaintext, **meta})
        else:
            print(f"Created key {meta['id']} for project {meta.get('project_name', args.project)}.")
            print(f"API key (shown once, store it now): {plaintext}")
    elif args.action == "list":
        listed = keys.list_keys(store, args.project)
        if args.json:
            _print_json(listed)
        elif not listed:
            print(f"No keys in project {args.project}.")
        else:
            for meta in listed:
                revoked = meta.get("revoked_at")
                state = f"revoked {revoked}" if revoked else "active"
                print(f"{meta['id']}  {meta.get('prefix', '')}...  created {meta.get('created_at', '')}  {state}")
    else:
        meta = keys.revoke_key(store, args.project, args.key_id)
        if args.json:
            _print_json(meta)
        else:
            print(f"Revoked key {meta.get('id', args.key_id)} of project {args.project}.")
    return 0


# --- invoke --------------------------------------------------------------------------------------
def _invoke(args: argparse.Namespace) -> int:
    from belltower.local.aws import LambdaContext, lambda_function_arn

    try:
        with open(args.event_file, encoding="utf-8") as handle:
            event = json.load(handle)
    except OSError as exc:
        raise CliError(f"cannot read {args.event_file}: {exc.strerror}") from None
    except ValueError as exc:
        raise CliError(f"{args.event_file} is not JSON: {exc}") from None

    _complete_local_settings()
    # Only the result goes to stdout: the handlers' logs (Powertools writes to stdout) go to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        if args.function == "api":
            from handlers.api import handler
        else:
            from handlers.delivery import handler
        context = LambdaContext.for_function(lambda_function_arn(f"belltower-local-{args.function}"))
        result = handler(event, context)
    _print_json(result)
    return 0


def _complete_local_settings() -> None:
    """Against a `belltower dev` (AWS_ENDPOINT_URL set, BELLTOWER_* incomplete), use its settings."""
    from belltower.settings import Settings

    try:
        Settings.from_env()
        return
    except RuntimeError as missing:
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if not endpoint or os.environ.get(r.ENV_TABLE, r.LOCAL_TABLE_NAME) != r.LOCAL_TABLE_NAME:
            raise CliError(str(missing)) from None
    from belltower.local.aws import discover_local_settings

    for name, value in discover_local_settings(endpoint).as_env().items():
        os.environ.setdefault(name, value)
    print(f"belltower: using the local-mode settings of the embedded AWS at {endpoint}", file=sys.stderr)


def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, sort_keys=True, default=str))


# --- API commands: options -----------------------------------------------------------------------
def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before or after the command, whichever is given wins over the environment.
    parser.add_argument("--api-url", default=argparse.SUPPRESS, metavar="URL",
                        help=f"the Belltower API (default: ${ENV_API_URL}, else {DEFAULT_API_URL})")  # fmt: skip
    parser.add_argument("--api-key", default=argparse.SUPPRESS, metavar="KEY",
                        help=f"an API key, bt_... (default: ${ENV_API_KEY})")  # fmt: skip


def _api_options() -> argparse.ArgumentParser:
    """Options every API command takes (a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection and output")
    _add_connection_options(group)  # type: ignore[arg-type]  # an argument group adds arguments alike
    group.add_argument("--json", action="store_true", help="print the API's JSON instead of a table")
    return common


def _command(
    group: argparse._SubParsersAction, name: str, api: argparse.ArgumentParser, call: Callable[..., int], help: str,
) -> argparse.ArgumentParser:  # fmt: skip
    sub = group.add_parser(name, parents=[api], help=help, description=help[:1].upper() + help[1:] + ".")
    sub.set_defaults(run=_with_client, call=call, action=name)
    return sub


def _with_client(args: argparse.Namespace) -> int:
    from belltower.client import Belltower

    url = getattr(args, "api_url", None) or os.environ.get(ENV_API_URL) or DEFAULT_API_URL
    key = getattr(args, "api_key", None) or os.environ.get(ENV_API_KEY)
    if not key:
        raise UsageError(f"no API key: pass --api-key or set {ENV_API_KEY}")
    try:
        client = Belltower(url, key)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return args.call(client, args)


def _pairs(values: list[str] | None, flag: str) -> dict[str, str] | None:
    """`K=V` arguments as a dict (None when none was given)."""
    if not values:
        return None
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} takes KEY=VALUE, not {value!r}")
        pairs[key.strip()] = text
    return pairs


def _number_or_text(value: str) -> int | float | str:
    """`90` is a number of seconds (or Unix seconds); anything else (`90s`, RFC 3339) stays text."""
    if value.isdigit():
        return int(value)
    return float(value) if value.replace(".", "", 1).isdigit() else value


def _add_paging(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--limit", type=int, help="page size (1-100)")
    sub.add_argument("--cursor", help="continue from a previous page's next_cursor")
    sub.add_argument("--all", action="store_true", help="follow the cursors to the end")


#: The timing sources: (flag, API field, metavar, help); a create takes exactly one.
_TIMING_SOURCES = (
    ("--delay", "delay", "DURATION", "fire once after DURATION (90s, 1h30m, or seconds)"),
    ("--fire-at", "fire_at", "TIME", "fire once at an RFC 3339 time with offset, or Unix seconds"),
    ("--local-fire-at", "local_fire_at", "WALLTIME", "fire once at YYYY-MM-DDTHH:MM[:SS] in --timezone"),
    ("--cron", "cron", "EXPR", "recur on a 5-field cron expression, in --timezone"),
    ("--every", "every", "DURATION", "recur every DURATION (at least 60s)"),
)


def _add_timing_options(sub: argparse.ArgumentParser, *, overlap: bool = False) -> None:
    timing = sub.add_argument_group("timing (exactly one of --delay, --fire-at, --local-fire-at, --cron, --every)")
    sources = timing.add_mutually_exclusive_group()
    for flag, field, metavar, help_text in _TIMING_SOURCES:
        sources.add_argument(flag, dest=field, metavar=metavar, help=help_text)
    timing.add_argument("--timezone", metavar="IANA", help="time zone of --local-fire-at and --cron (default UTC)")
    timing.add_argument("--start-at", metavar="TIME", help="recurring: first possible fire time (RFC 3339)")
    timing.add_argument("--end-at", metavar="TIME", help="recurring: last possible fire time (RFC 3339)")
    timing.add_argument("--max-runs", type=int, metavar="N", help="recurring: stop after N runs")
    if overlap:
        timing.add_argument("--overlap", choices=("skip", "allow"),
                            help="recurring: fire while the previous one still retries? (default skip)")  # fmt: skip


def _timing_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for _, field, _, _ in _TIMING_SOURCES:
        value = getattr(args, field)
        if value is not None:
            fields[field] = _number_or_text(value) if field in ("delay", "fire_at", "every") else value
    for field in ("timezone", "start_at", "end_at", "max_runs"):
        if getattr(args, field) is not None:
            fields[field] = getattr(args, field)
    return fields


def _add_request_options(sub: argparse.ArgumentParser, *, endpoint_profile: bool = False) -> None:
    """The HTTP request flags (of a schedule, or of an endpoint profile)."""
    req = sub.add_argument_group("request")
    if endpoint_profile:
        req.add_argument("--url", dest="url", required=True, help="the destination URL")
    else:
        dest = req.add_mutually_exclusive_group()
        dest.add_argument("--endpoint", metavar="URL", help="the destination URL")
        dest.add_argument("--endpoint-id", metavar="EP_ID", help="a saved endpoint profile (ep_...)")
    req.add_argument("--method", type=str.upper, help="GET, POST (default), PUT, PATCH or DELETE")
    req.add_argument("--header", action="append", metavar="K=V", help="a request header (repeatable)")
    if not endpoint_profile:
        req.add_argument("--query", action="append", metavar="K=V", help="a query parameter (repeatable)")
        body = req.add_mutually_exclusive_group()
        body.add_argument("--body", metavar="TEXT", help="the request body")
        body.add_argument("--body-file", metavar="PATH", help="read the request body from PATH ('-': stdin)")
        req.add_argument("--json-body", action="store_true",
                         help="the body is JSON: sent as JSON with Content-Type: application/json")  # fmt: skip


def _add_policy_options(sub: argparse.ArgumentParser, *, ttl: bool = False) -> None:
    policy = sub.add_argument_group("delivery policy")
    policy.add_argument("--max-attempts", type=int, metavar="N", help="retry policy: attempts in all (1-50)")
    policy.add_argument("--strategy", choices=("exponential", "linear", "fixed"), help="retry policy: backoff")
    policy.add_argument("--base", metavar="DURATION", help="retry policy: first backoff (default 5s)")
    policy.add_argument("--factor", type=float, help="retry policy: growth factor (default 2)")
    policy.add_argument("--max-delay", metavar="DURATION", help="retry policy: longest backoff (default 1h)")
    policy.add_argument("--jitter", action=argparse.BooleanOptionalAction, default=None,
                        help="retry policy: randomise backoffs (default: on)")  # fmt: skip
    policy.add_argument("--timeout", metavar="DURATION", help="per attempt (default 30s)")
    if ttl:
        policy.add_argument("--ttl", metavar="DURATION", help="deliver-by deadline after the scheduled time")


#: retry_policy keys and the attributes of their flags.
_RETRY_FLAGS = (("max_attempts", "max_attempts"), ("strategy", "strategy"), ("base", "base"), ("factor", "factor"),
                ("max", "max_delay"), ("jitter", "jitter"))  # fmt: skip


def _request_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The create/update/endpoint body from the request, policy and metadata flags that were given."""
    fields: dict[str, Any] = {}
    for field in ("url", "endpoint", "endpoint_id", "method", "timeout", "ttl", "overlap", "name", "description",
                  "callback_url", "failure_callback_url", "webhook_url"):  # fmt: skip
        if getattr(args, field, None) is not None:
            fields[field] = getattr(args, field)
    for field, attr, flag in (("headers", "header", "--header"), ("query", "query", "--query"),
                              ("metadata", "metadata", "--metadata")):  # fmt: skip
        pairs = _pairs(getattr(args, attr, None), flag)
        if pairs is not None:
            fields[field] = pairs
    body = _body(args)
    if body is not _NO_BODY:
        fields["body"] = body
    retry = {key: getattr(args, attr) for key, attr in _RETRY_FLAGS if getattr(args, attr) is not None}
    if "factor" in retry and float(retry["factor"]).is_integer():
        retry["factor"] = int(retry["factor"])
    if retry:
        fields["retry_policy"] = retry
    return fields


_NO_BODY = object()


def _body(args: argparse.Namespace) -> Any:
    text: str | None = getattr(args, "body", None)
    path: str | None = getattr(args, "body_file", None)
    if path is not None:
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read --body-file {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--body-file {path} is not UTF-8 text") from None
    if text is None:
        if getattr(args, "json_body", False):
            raise UsageError("--json-body needs --body or --body-file")
        return _NO_BODY
    if getattr(args, "json_body", False):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise UsageError(f"the body is not JSON ({exc})") from None
    return text


def _add_schedule_options(sub: argparse.ArgumentParser) -> None:
    _add_request_options(sub)
    _add_timing_options(sub, overlap=True)
    _add_policy_options(sub, ttl=True)
    meta = sub.add_argument_group("metadata and notifications")
    meta.add_argument("--name", help="a name for the schedule")
    meta.add_argument("--description", help="a description")
    meta.add_argument("--metadata", action="append", metavar="K=V", help="a metadata entry (repeatable)")
    meta.add_argument("--callback-url", metavar="URL", help="receives the result of each finished occurrence")
    meta.add_argument("--failure-callback-url", metavar="URL", help="receives failed occurrences only")
    meta.add_argument("--webhook-url", metavar="URL", help="receives lifecycle events")


# --- output --------------------------------------------------------------------------------------
def _emit_json(document: Any) -> None:
    """The API's JSON as it came (key order kept)."""
    print(json.dumps(document, indent=2, ensure_ascii=False))


def _cell(value: Any, width: int = 48) -> str:
    if value is None or value == "" or value == [] or value == {}:
        text = "-"
    elif isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, empty: str, full: Sequence[int] = ()) -> None:
    """Aligned columns under upper-case headers; long cells are cut, except in the `full` columns."""
    if not rows:
        print(empty)
        return
    cells = [[_cell(v, width=10_000 if i in full else 48) for i, v in enumerate(row)] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    for line in (list(headers), *cells):
        print("  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip())


def _record(document: dict[str, Any], *, skip: Sequence[str] = ()) -> None:
    """One object as aligned `key  value` lines (empty values left out)."""
    shown = [(k, v) for k, v in document.items() if k not in ("object", *skip) and v not in (None, "", [], {})]
    width = max((len(k) for k, _ in shown), default=0)
    for key, value in shown:
        print(f"{key.ljust(width)}  {_cell(value, width=200)}")


def _page_out(args: argparse.Namespace, fetch: Callable[[str | None], Any], show: Callable[[list], None]) -> int:
    """A list command: one page (or every page with --all), as JSON or through `show`."""
    page = fetch(args.cursor)
    items, next_cursor, has_more = list(page.data), page.next_cursor, page.has_more
    while args.all and has_more and next_cursor:
        page = fetch(next_cursor)
        items += page.data
        next_cursor, has_more = page.next_cursor, page.has_more
    if args.json:
        _emit_json({"object": "list", "data": items, "has_more": has_more, "next_cursor": next_cursor})
        return 0
    show(items)
    if has_more and next_cursor:
        print(f"(more: --cursor {next_cursor}, or --all)", file=sys.stderr)
    return 0


def _timing_text(schedule: dict[str, Any]) -> str:
    zone = schedule.get("timezone")
    in_zone = f" {zone}" if zone and zone != "UTC" else ""
    if schedule.get("cron"):
        return f"cron {schedule['cron']}{in_zone}"
    if schedule.get("every"):
        return f"every {schedule['every']}"
    return "once"


def _schedules_table(items: list[dict[str, Any]]) -> None:
    rows = [[s.get("id"), s.get("state"), s.get("kind"), s.get("next_fire_at"), _timing_text(s), s.get("run_count"),
             s.get("name"), s.get("endpoint") or s.get("endpoint_id")] for s in items]  # fmt: skip
    _table(("ID", "STATE", "KIND", "NEXT FIRE", "TIMING", "RUNS", "NAME", "DESTINATION"), rows, empty="No schedules.")


def _last_status(occurrence: dict[str, Any]) -> Any:
    attempts = occurrence.get("attempts") or []
    if not attempts:
        return None
    last = attempts[-1]
    return last.get("status_code") or last.get("error")


def _occurrences_table(items: list[dict[str, Any]], *, empty: str = "No occurrences.") -> None:
    rows = [[o.get("id"), o.get("schedule_id"), o.get("state"), o.get("scheduled_for"), len(o.get("attempts") or []),
             _last_status(o), o.get("outcome"), o.get("replayed_by") or o.get("replay_of")] for o in items]  # fmt: skip
    _table(("ID", "SCHEDULE", "STATE", "SCHEDULED FOR", "ATTEMPTS", "LAST", "OUTCOME", "REPLAY"), rows, empty=empty)


def _attempt_line(attempt: dict[str, Any]) -> str:
    status, error = attempt.get("status_code"), attempt.get("error")
    result = status or error or "no answer"
    detail = error if status and error else attempt.get("response_excerpt")
    tail = f"  {_cell(detail, width=60)}" if detail else ""
    number, started, ms = attempt.get("number"), attempt.get("started_at"), attempt.get("duration_ms")
    return f"attempt {number}  {started}  {result}  {ms} ms{tail}"


def _show_occurrence(occurrence: dict[str, Any]) -> None:
    _record(occurrence, skip=("attempts",))
    attempts = occurrence.get("attempts") or []
    if attempts:
        print()
        rows = [[a.get("number"), a.get("started_at"), a.get("status_code"), a.get("duration_ms"), a.get("error"),
                 a.get("response_excerpt")] for a in attempts]  # fmt: skip
        _table(("#", "STARTED", "STATUS", "MS", "ERROR", "RESPONSE"), rows, empty="")


def _show_preview(preview: dict[str, Any]) -> None:
    print(f"Time zone: {preview.get('timezone')}")
    rows = [[run.get("at"), run.get("local"), run.get("dst")] for run in preview.get("runs") or []]
    _table(("AT (UTC)", "LOCAL", "DST"), rows, empty="No upcoming fire times.")


def _done(args: argparse.Namespace, document: Any, message: str) -> int:
    if args.json:
        _emit_json(document)
    else:
        print(message)
    return 0


# --- schedules -----------------------------------------------------------------------------------
def _schedules_commands(commands: argparse._SubParsersAction, api: argparse.ArgumentParser) -> None:
    group = commands.add_parser("schedules", help="create and manage schedules (API)").add_subparsers(
        metavar="ACTION", required=True)  # fmt: skip

    create = _command(group, "create", api, _schedules_create, "create a schedule")
    _add_schedule_options(create)
    create.add_argument("--idempotency-key", metavar="KEY", help="a repeat with the same key returns the original")
    _add_wait_options(create)

    listing = _command(group, "list", api, _schedules_list, "list schedules, newest first")
    listing.add_argument("--state", choices=("active", "paused", "completed", "cancelled"))
    listing.add_argument("--kind", choices=("one_shot", "recurring"))
    _add_paging(listing)

    _command(group, "get", api, _schedules_get, "show a schedule").add_argument("id", help="sch_...")

    update = _command(group, "update", api, _schedules_update, "reschedule or edit a schedule (future occurrences)")
    update.add_argument("id", help="sch_...")
    _add_schedule_options(update)

    for action, verb in (("cancel", "cancel a schedule (no further occurrences)"), ("pause", "pause a schedule"),
                         ("resume", "resume a paused schedule")):  # fmt: skip
        _command(group, action, api, _schedules_state, verb).add_argument("id", help="sch_...")

    trigger = _command(group, "trigger", api, _schedules_trigger, "fire one occurrence now, outside the timing")
    trigger.add_argument("id", help="sch_...")
    _add_wait_options(trigger)

    preview = _command(group, "preview", api, _schedules_preview,
                       "the next fire times of a schedule (ID), or of timing flags (nothing is created)")  # fmt: skip
    preview.add_argument("id", nargs="?", help="sch_... (or give timing flags instead)")
    _add_timing_options(preview)
    preview.add_argument("--limit", type=int, help="how many fire times (1-100, default 10)")
    preview.add_argument("--start-from", metavar="TIME", help="from this RFC 3339 time, inclusive (default now)")


def _add_wait_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--wait", action="store_true",
                     help="follow the occurrence, printing each attempt, until it ends (exit 3 unless it succeeds)")
    sub.add_argument("--wait-timeout", type=float, metavar="SECONDS", help="give up waiting after SECONDS")


def _schedules_create(client: Any, args: argparse.Namespace) -> int:
    fields = {**_request_fields(args), **_timing_fields(args)}
    schedule = client.schedules.create(idempotency_key=args.idempotency_key, **fields)
    if args.wait:
        if not args.json:
            _summarise_created(schedule)
        return _wait(client, args, schedule, None)
    if args.json:
        _emit_json(schedule)
    else:
        _summarise_created(schedule)
        _record(schedule)
    return 0


def _summarise_created(schedule: dict[str, Any]) -> None:
    when = f"; next fire {schedule['next_fire_at']}" if schedule.get("next_fire_at") else ""
    print(f"Created schedule {schedule.get('id')} ({schedule.get('kind')}, {schedule.get('state')}){when}.")


def _schedules_list(client: Any, args: argparse.Namespace) -> int:
    return _page_out(args, lambda cursor: client.schedules.list(state=args.state, kind=args.kind, limit=args.limit,
                                                                cursor=cursor), _schedules_table)  # fmt: skip


def _schedules_get(client: Any, args: argparse.Namespace) -> int:
    schedule = client.schedules.get(args.id)
    if args.json:
        _emit_json(schedule)
    else:
        _record(schedule)
    return 0


def _schedules_update(client: Any, args: argparse.Namespace) -> int:
    fields = {**_request_fields(args), **_timing_fields(args)}
    if not fields:
        raise UsageError("nothing to update: give at least one field flag")
    schedule = client.schedules.update(args.id, **fields)
    if args.json:
        _emit_json(schedule)
    else:
        print(f"Updated schedule {schedule.get('id')}.")
        _record(schedule)
    return 0


def _schedules_state(client: Any, args: argparse.Namespace) -> int:
    action = {"cancel": client.schedules.cancel, "pause": client.schedules.pause, "resume": client.schedules.resume}
    past = {"cancel": "Cancelled", "pause": "Paused", "resume": "Resumed"}
    schedule = action[args.action](args.id)
    return _done(args, schedule, f"{past[args.action]} schedule {schedule.get('id')}: now {schedule.get('state')}.")


def _schedules_trigger(client: Any, args: argparse.Namespace) -> int:
    occurrence = client.schedules.trigger(args.id)
    if args.wait:
        if not args.json:
            print(f"Triggered occurrence {occurrence.get('id')} of {occurrence.get('schedule_id')}.")
        return _wait(client, args, None, occurrence)
    return _done(args, occurrence, f"Triggered occurrence {occurrence.get('id')} of {occurrence.get('schedule_id')}: "
                                   f"{occurrence.get('state')}.")  # fmt: skip


def _schedules_preview(client: Any, args: argparse.Namespace) -> int:
    timing = _timing_fields(args)
    if args.id and timing:
        raise UsageError("give a schedule id or timing flags, not both")
    if args.id:
        preview = client.schedules.preview(args.id, limit=args.limit, start_from=args.start_from)
    elif timing:
        extra = {k: v for k, v in (("limit", args.limit), ("start_from", args.start_from)) if v is not None}
        preview = client.preview(**timing, **extra)
    else:
        raise UsageError("give a schedule id, or timing flags (--cron, --every, --delay, ...)")
    if args.json:
        _emit_json(preview)
    else:
        _show_preview(preview)
    return 0


# --- --wait: follow one occurrence ---------------------------------------------------------------
def _wait(client: Any, args: argparse.Namespace, schedule: dict[str, Any] | None,
          occurrence: dict[str, Any] | None) -> int:  # fmt: skip
    """Follow the schedule's first occurrence (or the given one) until it ends; print each attempt.

    Progress goes to stdout, or to stderr with --json (whose stdout is one document at the end:
    `{"schedule", "occurrence"}`). Exit 0 if it succeeded, 3 if it ended otherwise."""
    from belltower.client import TERMINAL_OCCURRENCE_STATES

    out = sys.stderr if args.json else sys.stdout
    deadline = None if args.wait_timeout is None else time.monotonic() + args.wait_timeout

    def pause(seconds: float, what: str) -> None:
        if deadline is not None and time.monotonic() + seconds > deadline:
            raise CliError(f"gave up waiting after {args.wait_timeout:g}s: {what}")
        time.sleep(seconds)

    if occurrence is None:
        assert schedule is not None
        print(f"Waiting for the first occurrence of {schedule['id']}...", file=out, flush=True)
        while occurrence is None:
            found = client.schedules.occurrences(schedule["id"], limit=100).data
            if found:
                occurrence = found[-1]  # newest first: the last one is the first
                break
            schedule = client.schedules.get(schedule["id"])
            if schedule.get("state") in ("cancelled", "completed"):
                print(f"Schedule {schedule['id']} is {schedule['state']}; it made no occurrence.", file=out)
                return _wait_result(args, schedule, None)
            pause(_until(schedule.get("next_fire_at")), f"schedule {schedule['id']} has not fired yet")
    print(f"Occurrence {occurrence['id']}, scheduled for {occurrence.get('scheduled_for')}:", file=out, flush=True)
    shown, announced = 0, None
    while True:
        attempts = occurrence.get("attempts") or []
        for attempt in attempts[shown:]:
            print(f"  {_attempt_line(attempt)}", file=out, flush=True)
        shown = len(attempts)
        state, next_at = occurrence.get("state"), occurrence.get("next_attempt_at")
        if state == "retrying" and next_at and next_at != announced:
            print(f"  retrying; next attempt at {next_at}", file=out, flush=True)
            announced = next_at
        if state in TERMINAL_OCCURRENCE_STATES:
            outcome = f" ({occurrence['outcome']})" if occurrence.get("outcome") else ""
            print(f"Occurrence {occurrence['id']} {state}{outcome}.", file=out, flush=True)
            if args.json:  # the schedule as it is now (run_count, state, ...)
                schedule = client.schedules.get(occurrence["schedule_id"])
            return _wait_result(args, schedule, occurrence)
        pause(WAIT_POLL_SECONDS, f"occurrence {occurrence['id']} is {state}")
        occurrence = client.occurrences.get(occurrence["id"])


def _until(next_fire_at: str | None) -> float:
    """How long to sleep before looking again: close to the fire time, at most 10 s."""
    if not next_fire_at:
        return 2.0
    try:
        at = datetime.fromisoformat(next_fire_at.replace("Z", "+00:00"))
    except ValueError:
        return 2.0
    ahead = (at - datetime.now(timezone.utc)).total_seconds()
    return min(max(ahead - 1.0, WAIT_POLL_SECONDS), 10.0)


def _wait_result(args: argparse.Namespace, schedule: dict[str, Any] | None,
                 occurrence: dict[str, Any] | None) -> int:  # fmt: skip
    if args.json:
        _emit_json({"schedule": schedule, "occurrence": occurrence})
    succeeded = occurrence is not None and occurrence.get("state") == "succeeded"
    return 0 if succeeded else EXIT_NOT_DELIVERED


# --- occurrences and dead letters ----------------------------------------------------------------
def _occurrences_commands(commands: argparse._SubParsersAction, api: argparse.ArgumentParser) -> None:
    group = commands.add_parser("occurrences", help="a schedule's occurrences (API)").add_subparsers(
        metavar="ACTION", required=True)  # fmt: skip
    listing = _command(group, "list", api, _occurrences_list, "list a schedule's occurrences, newest first")
    listing.add_argument("schedule_id", help="sch_...")
    listing.add_argument("--state", help="only occurrences in this state (succeeded, dead_lettered, ...)")
    _add_paging(listing)
    _command(group, "get", api, _occurrences_get, "show an occurrence and its attempts").add_argument(
        "id", help="occ_...")  # fmt: skip
    _command(group, "replay", api, _occurrences_replay, "re-deliver a finished occurrence as a new one").add_argument(
        "id", help="occ_...")  # fmt: skip


def _occurrences_list(client: Any, args: argparse.Namespace) -> int:
    return _page_out(args, lambda cursor: client.schedules.occurrences(args.schedule_id, state=args.state,
                                                                       limit=args.limit, cursor=cursor),
                     _occurrences_table)  # fmt: skip


def _occurrences_get(client: Any, args: argparse.Namespace) -> int:
    occurrence = client.occurrences.get(args.id)
    if args.json:
        _emit_json(occurrence)
    else:
        _show_occurrence(occurrence)
    return 0


def _occurrences_replay(client: Any, args: argparse.Namespace) -> int:
    replay = client.occurrences.replay(args.id)
    return _done(args, replay, f"Replaying {args.id} as {replay.get('id')}: {replay.get('state')}.")


def _dlq_commands(commands: argparse._SubParsersAction, api: argparse.ArgumentParser) -> None:
    group = commands.add_parser("dlq", help="dead-lettered occurrences (API)").add_subparsers(
        metavar="ACTION", required=True)  # fmt: skip
    _add_paging(_command(group, "list", api, _dlq_list, "list dead-lettered occurrences"))
    _command(group, "replay", api, _dlq_replay, "replay dead letters: the given ones, or all not yet replayed"
             ).add_argument("ids", nargs="*", metavar="ID", help="occ_... (default: all)")  # fmt: skip


def _dlq_list(client: Any, args: argparse.Namespace) -> int:
    return _page_out(args, lambda cursor: client.dead_letters.list(limit=args.limit, cursor=cursor),
                     lambda items: _occurrences_table(items, empty="No dead letters."))  # fmt: skip


def _dlq_replay(client: Any, args: argparse.Namespace) -> int:
    replays = client.dead_letters.replay(args.ids or None)
    if args.json:
        _emit_json({"data": replays})
        return 0
    print(f"Replayed {len(replays)} dead letter{'' if len(replays) == 1 else 's'}.")
    if replays:
        rows = [[o.get("id"), o.get("replay_of"), o.get("schedule_id"), o.get("state")] for o in replays]
        _table(("ID", "REPLAY OF", "SCHEDULE", "STATE"), rows, empty="")
    return 0


# --- endpoints, events, project ------------------------------------------------------------------
def _endpoints_commands(commands: argparse._SubParsersAction, api: argparse.ArgumentParser) -> None:
    group = commands.add_parser("endpoints", help="saved destination profiles (API)").add_subparsers(
        metavar="ACTION", required=True)  # fmt: skip
    create = _command(group, "create", api, _endpoints_create, "save a destination profile")
    create.add_argument("--name", help="a name for the profile")
    _add_request_options(create, endpoint_profile=True)
    _add_policy_options(create)
    _add_paging(_command(group, "list", api, _endpoints_list, "list endpoint profiles"))
    _command(group, "get", api, _endpoints_get, "show an endpoint profile").add_argument("id", help="ep_...")
    _command(group, "delete", api, _endpoints_delete, "delete an endpoint profile").add_argument("id", help="ep_...")


def _endpoints_create(client: Any, args: argparse.Namespace) -> int:
    endpoint = client.endpoints.create(**_request_fields(args))
    if args.json:
        _emit_json(endpoint)
    else:
        print(f"Created endpoint {endpoint.get('id')}.")
        _record(endpoint)
    return 0


def _endpoints_list(client: Any, args: argparse.Namespace) -> int:
    def show(items: list[dict[str, Any]]) -> None:
        rows = [[e.get("id"), e.get("name"), e.get("method"), e.get("url"), e.get("created_at")] for e in items]
        _table(("ID", "NAME", "METHOD", "URL", "CREATED"), rows, empty="No endpoints.")

    return _page_out(args, lambda cursor: client.endpoints.list(limit=args.limit, cursor=cursor), show)


def _endpoints_get(client: Any, args: argparse.Namespace) -> int:
    endpoint = client.endpoints.get(args.id)
    if args.json:
        _emit_json(endpoint)
    else:
        _record(endpoint)
    return 0


def _endpoints_delete(client: Any, args: argparse.Namespace) -> int:
    answer = client.endpoints.delete(args.id)
    return _done(args, answer, f"Deleted endpoint {args.id}.")


def _events_commands(commands: argparse._SubParsersAction, api: argparse.ArgumentParser) -> None:
    group = commands.add_parser("events", help="the project's event feed (API)").add_subparsers(
        metavar="ACTION", required=True)  # fmt: skip
    listing = _command(group, "list", api, _events_list, "list events after an event id")
    listing.add_argument("--after", metavar="EVT_ID", help="only events after this one")
    listing.add_argument("--limit", type=int, help="page size (1-100)")


def _events_list(client: Any, args: argparse.Namespace) -> int:
    page = client.events.list(after=args.after, limit=args.limit)
    if args.json:
        _emit_json(page.to_api())
        return 0
    rows = [[e.get("id"), e.get("type"), e.get("created_at"), e.get("data")] for e in page.data]
    _table(("ID", "TYPE", "CREATED", "DATA"), rows, empty="No events.")
    if page.has_more and page.data:
        print(f"(more: --after {page.data[-1].get('id')})", file=sys.stderr)
    return 0


def _project_commands(commands: argparse._SubParsersAction, api: argparse.ArgumentParser) -> None:
    group = commands.add_parser("project", help="the project and its signing secrets (API)").add_subparsers(
        metavar="ACTION", required=True)  # fmt: skip
    _command(group, "get", api, _project_show, "show the project and its signing secrets")
    _command(group, "rotate-secret", api, _project_show,
             "add a new current signing secret (the old one signs for 24 h more)")  # fmt: skip


def _project_show(client: Any, args: argparse.Namespace) -> int:
    rotate = args.action == "rotate-secret"
    project = client.project.rotate_signing_secret() if rotate else client.project.get()
    if args.json:
        _emit_json(project)
        return 0
    if rotate:
        print("Rotated: the first secret below now signs every delivery.")
    _record(project, skip=("signing_secrets",))
    secrets = project.get("signing_secrets") or []
    print()
    rows = [[s.get("secret"), "current" if i == 0 else "previous", s.get("created_at"), s.get("expires_at")]
            for i, s in enumerate(secrets)]  # fmt: skip
    _table(("SECRET", "ROLE", "CREATED", "EXPIRES"), rows, empty="No signing secrets.", full=(0,))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
