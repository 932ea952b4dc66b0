"""Structured logs: one JSON object per line, carrying the current request id when there is one."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Set by the request middleware for the duration of a request (asyncio copies it per task).
REQUEST_ID: ContextVar[str | None] = ContextVar("halo_request_id", default=None)

# Attributes every LogRecord has; anything else (`extra=`, request_id) is a field of the line.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's terminal variant of msg
}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: time (UTC), level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and value is not None:
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _stamp_request_id(
    factory: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    """Wrap a LogRecord factory so each record carries the request id of where it was made."""

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    make.halo_stamps_request_id = True  # type: ignore[attr-defined]
    return make


class _HaloHandler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """Marks the handler Halo installed, so configuring twice replaces it."""


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Send the root logger's records to stderr as JSON (or text); idempotent."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _HaloHandler)]:
        root.removeHandler(handler)
    handler = _HaloHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "halo_stamps_request_id", False):
        logging.setLogRecordFactory(_stamp_request_id(factory))
