"""Domain errors. Each carries the API error code of PRODUCT.md §2 and its HTTP status.

Handlers map these to responses by type, never by matching message strings.
"""

from __future__ import annotations


class BelltowerError(Exception):
    status = 400
    type = "invalid_request_error"
    code = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def to_dict(self) -> dict:
        return {
            "error": {"type": self.type, "code": self.code, "message": self.message, "param": self.param}
        }


class InvalidRequest(BelltowerError):
    """400: the request cannot be understood (bad JSON, unknown field, malformed value)."""

    status = 400


class Unprocessable(BelltowerError):
    """422: well-formed, but not acceptable (a time in the past, a forbidden destination, ...)."""

    status = 422


class Unauthorized(BelltowerError):
    status = 401
    type = "authentication_error"
    code = "unauthorized"


class NotFound(BelltowerError):
    status = 404
    code = "not_found"


class MethodNotAllowed(BelltowerError):
    status = 405
    code = "method_not_allowed"


class Conflict(BelltowerError):
    status = 409
    code = "invalid_state"


class RateLimited(BelltowerError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limited"


class SchedulerUnavailable(BelltowerError):
    """503: EventBridge Scheduler refused or failed; nothing was left half-created."""

    status = 503
    type = "api_error"
    code = "scheduler_unavailable"

    def __init__(self, message: str = "the scheduler is unavailable, try again", *, retry_after: int = 5):
        super().__init__(message)
        self.retry_after = retry_after
