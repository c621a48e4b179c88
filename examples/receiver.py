"""A minimal delivery receiver: prints each request and verifies its Standard Webhooks signature.

    python examples/receiver.py --port 9000 --secret whsec_...   # secret from GET /v1/project

Without --secret it only prints. Uses the `standardwebhooks` library when a secret is given
(`pip install standardwebhooks`; it is in Belltower's dev dependencies).
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(secret: str | None) -> type[BaseHTTPRequestHandler]:
    verifier = None
    if secret:
        from standardwebhooks.webhooks import Webhook

        verifier = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            verdict = "not checked"
            if verifier is not None:
                try:
                    verifier.verify(body, headers)
                    verdict = "valid"
                except Exception as exc:  # the library raises WebhookVerificationError
                    verdict = f"INVALID ({exc})"
            print(json.dumps({
                "method": self.command, "path": self.path, "signature": verdict,
                "idempotency_key": headers.get("idempotency-key"),
                "attempt": headers.get("belltower-attempt"),
                "scheduled_for": headers.get("belltower-scheduled-for"),
                "body": body.decode("utf-8", errors="replace"),
            }), flush=True)
            status = 401 if verdict.startswith("INVALID") else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--secret", help="the project's whsec_ signing secret")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.secret))
    print(f"listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
