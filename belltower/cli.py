"""The `belltower` command line.

  belltower dev [--host H] [--port P] [--api-key KEY] [--aws-port P]
  belltower keys create|list|revoke --project NAME [--table T] [--json]
  belltower invoke api|delivery EVENT.json

Admin commands use whatever AWS the environment points at (AWS_ENDPOINT_URL for local mode).
Errors print one line to stderr and exit non-zero; never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from belltower import resources as r


class CliError(Exception):
    """A user-facing error: printed as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args) or 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line, never a traceback
        print(f"belltower: error: {_describe(exc)}", file=sys.stderr)
        return 1


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = " ".join(str(message).split())
    if type(exc).__module__.startswith(("botocore", "boto3")) and type(exc).__name__ not in text:
        text = f"{type(exc).__name__}: {text}"
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="belltower", description="Belltower, the HTTP task scheduler.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    dev = commands.add_parser("dev", help="run Belltower locally on an embedded AWS")
    dev.add_argument("--host", default="127.0.0.1", help="API address (default 127.0.0.1)")
    dev.add_argument("--port", type=int, default=8080, help="API port (default 8080)")
    dev.add_argument("--api-key", help="register this API key for project 'default' (default: a new one)")
    dev.add_argument("--aws-port", type=int, default=0, help="embedded AWS port (default: any free port)")
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
    return parser


# --- dev -----------------------------------------------------------------------------------------
def _dev(args: argparse.Namespace) -> int:
    from belltower.local.dev import run_dev

    return run_dev(host=args.host, port=args.port, api_key=args.api_key, aws_port=args.aws_port)


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
