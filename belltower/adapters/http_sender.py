"""Outbound HTTP for deliveries, connected to the address that was checked.

DNS is resolved once per connection inside the connection class; every address returned is
checked against the forbidden ranges, and the socket connects to that checked address (TLS still
verifies the certificate against the host name). So a name that re-resolves to 169.254.169.254
between the check and the connect cannot be reached: there is no second lookup. Redirects are
never followed and nothing is retried here (retries are Belltower's own, per policy).

urllib3 is used directly rather than requests: it already comes with boto3, so the delivery
function pays no extra import time for it.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError, NewConnectionError

from belltower.domain.destinations import ForbiddenDestination, check_resolved, matches_allowed_prefix
from belltower.ports import HttpResponse

EXCERPT_BYTES = 4096


class _PinnedConnectionMixin:
    """Resolve, check, and connect to the checked address: no second DNS lookup."""

    def _new_conn(self) -> socket.socket:  # overrides urllib3's resolver-and-connect step
        host, port = self._dns_host, self.port  # type: ignore[attr-defined]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NewConnectionError(self, f"cannot resolve {host}: {exc}") from exc  # type: ignore[arg-type]
        address = check_resolved([info[4][0] for info in infos], host=host)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)  # type: ignore[attr-defined]
        try:
            sock.connect((address, port))
        except OSError as exc:
            sock.close()
            raise NewConnectionError(self, f"cannot connect to {host}: {exc}") from exc  # type: ignore[arg-type]
        return sock


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class PinnedHttpSender:
    def __init__(self, *, allowed_prefixes: tuple[str, ...] = ()):
        self._allowed_prefixes = allowed_prefixes
        self._pinned = urllib3.PoolManager(num_pools=50, retries=False)
        self._pinned.pool_classes_by_scheme = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}
        #: Only for the deployment allow-list (development destinations such as http://127.0.0.1).
        self._unchecked = urllib3.PoolManager(num_pools=10, retries=False)

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> HttpResponse:
        pool = self._unchecked if matches_allowed_prefix(url, self._allowed_prefixes) else self._pinned
        started = time.monotonic()
        try:
            resp = pool.request(
                method, url, headers=headers, body=body, redirect=False, retries=False,
                timeout=urllib3.Timeout(total=timeout), preload_content=False,
            )  # fmt: skip
        except ForbiddenDestination as exc:
            return HttpResponse(None, _elapsed(started), error=f"forbidden_destination: {exc}", permanent=True)
        except HTTPError as exc:
            return HttpResponse(None, _elapsed(started), error=_describe(exc))
        try:
            excerpt = resp.read(EXCERPT_BYTES, decode_content=True) or b""
        except HTTPError as exc:
            excerpt = f"(response body unreadable: {_describe(exc)})".encode()
        finally:
            resp.close()
        return HttpResponse(
            resp.status,
            _elapsed(started),
            headers={k.lower(): v for k, v in resp.headers.items()},
            body_excerpt=excerpt[:EXCERPT_BYTES].decode("utf-8", errors="replace"),
        )


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe(exc: Exception) -> str:
    reason: Any = getattr(exc, "reason", None) or exc
    text = str(reason)
    if "timed out" in text.lower() or "timeout" in type(reason).__name__.lower():
        return "timeout"
    if isinstance(reason, ForbiddenDestination):
        return f"forbidden_destination: {reason}"
    return f"connection_error: {text[:300]}"
