"""The one place where exceptions and SQLSTATEs become HTTP answers (RFC 7807 bodies)."""

from __future__ import annotations

import logging
from http import HTTPStatus

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

log = logging.getLogger("halo.api.errors")

PROBLEM_JSON = "application/problem+json"

# SQLSTATE -> (HTTP status, title). Anything else from the database is a 500.
SQLSTATE_STATUS: dict[str, tuple[int, str]] = {
    "22P02": (422, "Invalid value"),
    "22003": (422, "Value out of range"),
    "22007": (422, "Invalid date or time"),
    "22023": (422, "Invalid parameter value"),
    "23502": (422, "Missing value"),
    "23503": (422, "Unknown reference"),
    "23514": (422, "Value violates a constraint"),
    "23505": (409, "Conflict with an existing record"),
    "42501": (403, "Not permitted"),
    "25006": (403, "Read-only access"),
    "57014": (503, "The query took too long"),
    "08006": (503, "Database unavailable"),
    "57P01": (503, "Database restarting"),
    "57P02": (503, "Database restarting"),
    "57P03": (503, "Database restarting"),
}
# A connection lost mid-request (restart, crash, network) has no SQLSTATE: also a 503.
CONNECTION_LOST = (503, "Database unavailable")
RETRY_AFTER_S = "5"


class ProblemError(Exception):
    """An error the API answers with the status EXCEPTION_STATUS gives its class."""

    def __init__(self, detail: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class MissingApiKey(ProblemError):
    """The route needs an X-API-Key header and the request has none."""


class InvalidApiKey(ProblemError):
    """The X-API-Key is unknown or revoked."""


class InsufficientScope(ProblemError):
    """The key is valid but lacks the scope the route needs."""


class RateLimited(ProblemError):
    """The client used up its requests for the current window."""


class PayloadTooLarge(ProblemError):
    """The request body is larger than the configured limit."""


class InvalidReport(ProblemError):
    """An incident report that cannot be stored as sent (values, photo, idempotency key)."""


class MissingDeviceSecret(ProblemError):
    """A device route needs the device secret (Authorization: Bearer) and has none."""


class UnknownDevice(ProblemError):
    """No device has this id, or the device secret does not match it."""


# Halo's own exceptions -> (HTTP status, title).
EXCEPTION_STATUS: dict[type[ProblemError], tuple[int, str]] = {
    MissingApiKey: (401, "API key required"),
    InvalidApiKey: (401, "Invalid or revoked API key"),
    InsufficientScope: (403, "Insufficient scope"),
    PayloadTooLarge: (413, "Request body too large"),
    InvalidReport: (422, "Invalid report"),
    MissingDeviceSecret: (401, "Device secret required"),
    UnknownDevice: (404, "Unknown device"),
    RateLimited: (429, "Too many requests"),
}


class Problem(BaseModel):
    """An RFC 7807 problem document, as every error of the API is answered."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None


def problem_response(description: str) -> dict[str, object]:
    """An OpenAPI `responses` entry for a problem document."""
    return {"description": description, "model": Problem, "content": {PROBLEM_JSON: {}}}


# Answers any route may give; declared app-wide so the OpenAPI schema says what clients get.
COMMON_RESPONSES: dict[int | str, dict[str, object]] = {
    # A body that is not text (invalid UTF-8), or a header that must be unique sent twice.
    400: problem_response("Malformed request: unreadable body or a repeated header"),
    422: problem_response("Invalid request"),
    429: problem_response("Too many requests; see Retry-After"),
}
# Answers of routes that need an API key.
KEY_RESPONSES: dict[int | str, dict[str, object]] = {
    401: problem_response("API key missing, unknown or revoked"),
    403: problem_response("The key lacks the scope this route needs"),
}


def problem(status: int, title: str, detail: str | None = None, **extra: object) -> JSONResponse:
    """An RFC 7807 problem response."""
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {"Retry-After": RETRY_AFTER_S} if status == 503 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    title = HTTPStatus(exc.status_code).phrase
    response = problem(exc.status_code, title, str(exc.detail) if exc.detail else None)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return problem(422, "Invalid request", "The request did not validate.", errors=errors)


async def _database_error(request: Request, exc: psycopg.Error) -> JSONResponse:
    sqlstate = exc.sqlstate or ""
    status, title = SQLSTATE_STATUS.get(sqlstate, (500, "Internal error"))
    if sqlstate.startswith("08") or (not sqlstate and isinstance(exc, psycopg.OperationalError)):
        status, title = CONNECTION_LOST
        log.warning("database connection lost on %s: %s", request.url.path, exc)
    if status >= 500 and status != 503:
        log.exception("database error %s on %s", sqlstate, request.url.path)
        return problem(500, title)
    return problem(status, title, _client_detail(exc) if status < 500 else None)


def _client_detail(exc: psycopg.Error) -> str | None:
    """The database's message when Halo wrote it (RAISE in a function); a message about a
    constraint, table or column names the schema's internals, so the client gets only the
    title then (the full message goes to the log)."""
    diag = exc.diag
    if diag.constraint_name or diag.table_name or diag.column_name or diag.schema_name:
        log.info("database refusal %s: %s", exc.sqlstate, diag.message_primary)
        return "The values break a rule of the stored data."
    return diag.message_primary


async def _problem_error(request: Request, exc: ProblemError) -> JSONResponse:
    status, title = next(
        (EXCEPTION_STATUS[cls] for cls in type(exc).__mro__ if cls in EXCEPTION_STATUS),
        (500, "Internal error"),
    )
    response = problem(status, title, exc.detail)
    response.headers.update(exc.headers)
    return response


async def _pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
    return problem(503, "Database unavailable", "No database connection could be had in time.")


async def unhandled(request: Request, exc: Exception) -> JSONResponse:
    """A 500 without any detail of the failure: the trace goes to the log and Sentry only."""
    log.error("unhandled error on %s", request.url.path, exc_info=exc)
    import sentry_sdk

    sentry_sdk.capture_exception(exc)  # a no-op unless Sentry is configured
    return problem(500, "Internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Register every mapping on the app."""
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(psycopg.Error, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _pool_timeout)  # type: ignore[arg-type]
    app.add_exception_handler(ProblemError, _problem_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unhandled)
