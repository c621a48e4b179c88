"""A small, dependency-free Python client of the Belltower API (`/v1`, PRODUCT.md §2).

    from belltower.client import Belltower, NotFoundError

    bt = Belltower("http://127.0.0.1:8080", "bt_...")
    schedule = bt.schedules.create(endpoint="https://example.com/hook", delay="90s", body={"hi": 1},
                                   idempotency_key="order-42")
    for occurrence in bt.schedules.occurrences(schedule["id"]).data: ...
    try:
        bt.schedules.get("sch_missing")
    except NotFoundError as error:
        print(error.code, error.message)

Records (schedules, occurrences, ...) are the API's JSON objects, typed as `TypedDict`s; a list
call returns a `Page` (`data`, `has_more`, `next_cursor`), and `iter_all` follows the cursors.
Every API error is raised as a `BelltowerError` subclass chosen by HTTP status, carrying the
error body's `type`, `code`, `message` and `param`; a network failure is `BelltowerConnectionError`.
Only the standard library is used (urllib), so the client can be vendored anywhere.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

from belltower import __version__

__all__ = [
    "Attempt", "AuthenticationError", "Belltower", "BelltowerConnectionError", "BelltowerError",
    "ConflictError", "Endpoint", "Event", "InvalidRequestError", "NotFoundError", "Occurrence", "Page",
    "Preview", "PreviewRun", "Project", "RateLimitError", "Schedule", "SchedulerUnavailableError",
    "SigningSecret",
]  # fmt: skip

DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"belltower-python/{__version__}"


# --- records -------------------------------------------------------------------------------------
# The API's JSON objects as they come (total=False: fields may be added without breaking callers).
class RetryPolicy(TypedDict, total=False):
    max_attempts: int
    strategy: str
    base: str
    factor: float
    max: str
    jitter: bool


class Schedule(TypedDict, total=False):
    id: str
    object: str
    kind: str  # one_shot | recurring
    state: str  # active | paused | completed | cancelled
    endpoint: str | None
    endpoint_id: str | None
    method: str
    header_keys: list[str]
    query: dict[str, str]
    body: Any
    fire_at: str | None
    cron: str | None
    every: str | None
    timezone: str
    start_at: str | None
    end_at: str | None
    max_runs: int | None
    next_fire_at: str | None
    next_runs: list[str]
    run_count: int
    last_fire_at: str | None
    retry_policy: RetryPolicy
    timeout: str
    ttl: str | None
    overlap: str
    callback_url: str | None
    failure_callback_url: str | None
    webhook_url: str | None
    name: str | None
    description: str | None
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


class Attempt(TypedDict, total=False):
    number: int
    started_at: str
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str


class Occurrence(TypedDict, total=False):
    id: str
    object: str
    schedule_id: str
    scheduled_for: str
    state: str  # scheduled|delivering|retrying|succeeded|failed|dead_lettered|expired|skipped|cancelled
    attempts: list[Attempt]
    next_attempt_at: str | None
    completed_at: str | None
    replay_of: str | None
    replayed_by: str | None
    outcome: str | None
    origin: str


class PreviewRun(TypedDict):
    at: str
    local: str
    dst: str | None  # None | "shifted_from_gap" | "repeated_hour"


class Preview(TypedDict, total=False):
    object: str
    timezone: str
    runs: list[PreviewRun]


class Endpoint(TypedDict, total=False):
    id: str
    object: str
    name: str | None
    url: str
    method: str
    header_keys: list[str]
    retry_policy: RetryPolicy
    timeout: str
    created_at: str
    updated_at: str


class Event(TypedDict, total=False):
    id: str
    object: str
    type: str
    created_at: str
    data: dict[str, Any]


class SigningSecret(TypedDict, total=False):
    secret: str
    created_at: str
    expires_at: str | None


class Project(TypedDict, total=False):
    id: str
    object: str
    name: str
    signing_secrets: list[SigningSecret]


T = TypeVar("T")

#: Occurrence states after which nothing more happens to an occurrence.
TERMINAL_OCCURRENCE_STATES = frozenset({"succeeded", "dead_lettered", "expired", "skipped", "cancelled"})


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: pass `next_cursor` as `cursor=` for the next one."""

    data: list[T]
    has_more: bool
    next_cursor: str | None

    @classmethod
    def from_api(cls, document: Mapping[str, Any]) -> Page[Any]:
        return cls(list(document.get("data") or []), bool(document.get("has_more")), document.get("next_cursor"))

    def to_api(self) -> dict[str, Any]:
        """The list document the API sent (`{"object": "list", "data", "has_more", "next_cursor"}`)."""
        return {"object": "list", "data": self.data, "has_more": self.has_more, "next_cursor": self.next_cursor}


# --- errors --------------------------------------------------------------------------------------
class BelltowerError(Exception):
    """An error answer of the API: `{"error": {"type", "code", "message", "param"}}` and its status."""

    def __init__(
        self,
        status: int,
        type: str | None,
        code: str | None,
        message: str,
        param: str | None = None,
        *,
        retry_after: float | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        #: Seconds to wait before retrying, from the `Retry-After` header (429, 503), if any.
        self.retry_after = retry_after
        #: The decoded error body (or its text, when it was not JSON).
        self.body = body

    def __str__(self) -> str:
        where = f" (param: {self.param})" if self.param else ""
        return f"{self.status} {self.code or self.type or 'error'}: {self.message}{where}"

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(status={self.status!r}, type={self.type!r}, code={self.code!r}, "
                f"message={self.message!r}, param={self.param!r})")  # fmt: skip


class InvalidRequestError(BelltowerError):
    """400 / 422: the request is malformed or not acceptable (see `code` and `param`)."""


class AuthenticationError(BelltowerError):
    """401: no API key, or not a valid one."""


class NotFoundError(BelltowerError):
    """404: no such resource in this project."""


class ConflictError(BelltowerError):
    """409: the resource's state forbids it (`invalid_state`) or `idempotency_key_reused`."""


class RateLimitError(BelltowerError):
    """429: slow down; `retry_after` says for how long when the API says so."""


class SchedulerUnavailableError(BelltowerError):
    """503: the scheduler is unavailable and nothing was changed; retry after `retry_after` s."""


class BelltowerConnectionError(Exception):
    """The API could not be reached, or did not answer in time (no HTTP answer at all)."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url


_ERRORS_BY_STATUS: dict[int, type[BelltowerError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidRequestError,
    429: RateLimitError,
    503: SchedulerUnavailableError,
}


def error_from_response(status: int, raw: bytes, headers: Mapping[str, str]) -> BelltowerError:
    """The exception for an error answer (any body: a gateway may answer without the API's shape)."""
    text = raw.decode("utf-8", errors="replace")
    try:
        body: Any = json.loads(text) if text.strip() else None
    except ValueError:
        body = text
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        type_, code, param = error.get("type"), error.get("code"), error.get("param")
        message = str(error.get("message") or code or f"HTTP {status}")
    else:  # e.g. API Gateway's own {"message": "..."} or an HTML page from a proxy
        type_, code, param = "api_error", None, None
        gateway_message = body.get("message") if isinstance(body, dict) else None
        message = str(gateway_message or " ".join(text.split())[:200] or f"HTTP {status}")
    cls = _ERRORS_BY_STATUS.get(status, BelltowerError)
    return cls(status, type_, code, message, param, retry_after=_retry_after(headers), body=body)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        seconds = float(value) if value is not None else None
    except ValueError:  # an HTTP date: not used by Belltower
        return None
    return int(seconds) if seconds is not None and seconds.is_integer() else seconds


# --- transport -----------------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """An API never redirects; following one would re-send the API key elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _segment(value: str) -> str:
    """An id as one path segment (so an odd id can never reach another route)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"an id must be a non-empty string, not {value!r}")
    return urllib.parse.quote(value, safe="")


def _clean(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


class Belltower:
    """The Belltower API at `api_url` (e.g. `http://127.0.0.1:8080`, or the deployment's `ApiUrl`)."""

    def __init__(self, api_url: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not api_url or urllib.parse.urlsplit(api_url).scheme not in ("http", "https"):
            raise ValueError(f"api_url must be an http(s) URL, not {api_url!r}")
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.schedules = Schedules(self)
        self.occurrences = Occurrences(self)
        self.dead_letters = DeadLetters(self)
        self.endpoints = Endpoints(self)
        self.events = Events(self)
        self.project = ProjectResource(self)

    def __repr__(self) -> str:  # never the key
        return f"Belltower({self.api_url!r})"

    def preview(self, **timing: Any) -> Preview:
        """Validate timing fields (+ `limit`, `start_from`) and return their fire times (POST /v1/preview)."""
        return self.request("POST", "/v1/preview", json_body=timing)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """One API call: the decoded JSON answer (`{}` for an empty one), or a raised error."""
        url = self.api_url + path
        params = _clean(query or {})
        if params:
            url += "?" + urllib.parse.urlencode(params)
        sent = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json", "User-Agent": USER_AGENT}
        data = None
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        request = urllib.request.Request(url, data=data, headers=sent, method=method)
        try:
            with _OPENER.open(request, timeout=self.timeout) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as answer:
            with answer:
                raise error_from_response(answer.code, answer.read(), dict(answer.headers.items())) from None
        except urllib.error.URLError as failure:
            reason = failure.reason
            text = getattr(reason, "strerror", None) or str(reason)
            raise BelltowerConnectionError(f"cannot reach {self.api_url}: {text}", url=url) from None
        except (TimeoutError, socket.timeout):
            raise BelltowerConnectionError(f"{self.api_url} did not answer within {self.timeout:g}s", url=url) from None
        except (ConnectionError, OSError) as failure:  # reset mid-answer, ...
            text = failure.strerror or str(failure) or type(failure).__name__
            raise BelltowerConnectionError(f"connection to {self.api_url} failed: {text}", url=url) from None
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise BelltowerConnectionError(f"{self.api_url} answered with something that is not JSON",
                                           url=url) from None  # fmt: skip

    def _page(self, path: str, query: Mapping[str, Any]) -> Page[Any]:
        return Page.from_api(self.request("GET", path, query=query))


def _iterate(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.data
        if not page.has_more or not page.next_cursor:
            return
        cursor = page.next_cursor


# --- resource groups -----------------------------------------------------------------------------
class _Resource:
    def __init__(self, client: Belltower) -> None:
        self._client = client


class Schedules(_Resource):
    """`/v1/schedules`."""

    def create(self, *, idempotency_key: str | None = None, **fields: Any) -> Schedule:
        """Create a schedule (fields of PRODUCT.md §2); `idempotency_key` is sent as `Idempotency-Key`."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else None
        return self._client.request("POST", "/v1/schedules", json_body=fields, headers=headers)

    def list(
        self, *, state: str | None = None, kind: str | None = None, limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Schedule]:  # fmt: skip
        """Newest first; filter by `state` / `kind`."""
        return self._client._page("/v1/schedules", {"state": state, "kind": kind, "limit": limit, "cursor": cursor})

    def iter_all(
        self, *, state: str | None = None, kind: str | None = None, limit: int | None = None,
    ) -> Iterator[Schedule]:  # fmt: skip
        """Every schedule, newest first, following `next_cursor` (`limit` is the page size)."""
        return _iterate(lambda cursor: self.list(state=state, kind=kind, limit=limit, cursor=cursor))

    def get(self, schedule_id: str) -> Schedule:
        return self._client.request("GET", f"/v1/schedules/{_segment(schedule_id)}")

    def update(self, schedule_id: str, **fields: Any) -> Schedule:
        """Reschedule or edit (PATCH); affects future occurrences only."""
        return self._client.request("PATCH", f"/v1/schedules/{_segment(schedule_id)}", json_body=fields)

    def cancel(self, schedule_id: str) -> Schedule:
        """No further occurrences, pending retries cancelled (DELETE; idempotent)."""
        return self._client.request("DELETE", f"/v1/schedules/{_segment(schedule_id)}")

    def pause(self, schedule_id: str) -> Schedule:
        return self._client.request("POST", f"/v1/schedules/{_segment(schedule_id)}/pause")

    def resume(self, schedule_id: str) -> Schedule:
        return self._client.request("POST", f"/v1/schedules/{_segment(schedule_id)}/resume")

    def trigger(self, schedule_id: str) -> Occurrence:
        """Fire one occurrence now, outside the timing; returns that occurrence."""
        return self._client.request("POST", f"/v1/schedules/{_segment(schedule_id)}/trigger")

    def preview(self, schedule_id: str, *, limit: int | None = None, start_from: str | None = None) -> Preview:
        """The next fire times of a stored schedule (`start_from` inclusive)."""
        return self._client.request("GET", f"/v1/schedules/{_segment(schedule_id)}/preview",
                                    query={"limit": limit, "start_from": start_from})  # fmt: skip

    def occurrences(
        self, schedule_id: str, *, state: str | None = None, limit: int | None = None, cursor: str | None = None,
    ) -> Page[Occurrence]:  # fmt: skip
        """The schedule's occurrences, newest first."""
        return self._client._page(f"/v1/schedules/{_segment(schedule_id)}/occurrences",
                                  {"state": state, "limit": limit, "cursor": cursor})  # fmt: skip

    def iter_occurrences(
        self, schedule_id: str, *, state: str | None = None, limit: int | None = None,
    ) -> Iterator[Occurrence]:  # fmt: skip
        return _iterate(lambda cursor: self.occurrences(schedule_id, state=state, limit=limit, cursor=cursor))


class Occurrences(_Resource):
    """`/v1/occurrences`."""

    def get(self, occurrence_id: str) -> Occurrence:
        return self._client.request("GET", f"/v1/occurrences/{_segment(occurrence_id)}")

    def replay(self, occurrence_id: str) -> Occurrence:
        """Re-deliver a finished occurrence as a new one (its `replay_of` names the original)."""
        return self._client.request("POST", f"/v1/occurrences/{_segment(occurrence_id)}/replay")


class DeadLetters(_Resource):
    """`/v1/dead-letters`: dead-lettered occurrences."""

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Occurrence]:
        return self._client._page("/v1/dead-letters", {"limit": limit, "cursor": cursor})

    def iter_all(self, *, limit: int | None = None) -> Iterator[Occurrence]:
        return _iterate(lambda cursor: self.list(limit=limit, cursor=cursor))

    def replay(self, ids: Sequence[str] | None = None) -> list[Occurrence]:
        """Replay the given dead letters, or (no ids) every one not yet replayed; the new occurrences."""
        if isinstance(ids, str):
            raise TypeError("ids is a list of occurrence ids, not one string")
        body = {} if ids is None else {"ids": list(ids)}
        return list(self._client.request("POST", "/v1/dead-letters/replay", json_body=body).get("data") or [])


class Endpoints(_Resource):
    """`/v1/endpoints`: named destination profiles that schedules reference by `endpoint_id`."""

    def create(self, **fields: Any) -> Endpoint:
        """`url`, `method`, `headers`, `retry_policy`, `timeout`, `name`, ..."""
        return self._client.request("POST", "/v1/endpoints", json_body=fields)

    def list(self, *, limit: int | None = None, cursor: str | None = None) -> Page[Endpoint]:
        return self._client._page("/v1/endpoints", {"limit": limit, "cursor": cursor})

    def iter_all(self, *, limit: int | None = None) -> Iterator[Endpoint]:
        return _iterate(lambda cursor: self.list(limit=limit, cursor=cursor))

    def get(self, endpoint_id: str) -> Endpoint:
        return self._client.request("GET", f"/v1/endpoints/{_segment(endpoint_id)}")

    def update(self, endpoint_id: str, **fields: Any) -> Endpoint:
        """Edit a profile (PATCH); affects future deliveries."""
        return self._client.request("PATCH", f"/v1/endpoints/{_segment(endpoint_id)}", json_body=fields)

    def delete(self, endpoint_id: str) -> dict[str, Any]:
        """Delete a profile; the API's answer (`{}` when it has no body)."""
        return self._client.request("DELETE", f"/v1/endpoints/{_segment(endpoint_id)}")


class Events(_Resource):
    """`/v1/events`: the project's event feed (the events `webhook_url` receives)."""

    def list(self, *, after: str | None = None, limit: int | None = None, cursor: str | None = None) -> Page[Event]:
        """Events after the event id `after` (exclusive)."""
        return self._client._page("/v1/events", {"after": after, "limit": limit, "cursor": cursor})


class ProjectResource(_Resource):
    """`/v1/project`: the caller's project and its signing secrets."""

    def get(self) -> Project:
        return self._client.request("GET", "/v1/project")

    def rotate_signing_secret(self) -> Project:
        """Add a new current signing secret; the old one keeps signing for 24 h."""
        return self._client.request("POST", "/v1/project/signing-secret/rotate")
