"""Opaque keyset cursors of the incident feed: (occurred_at, id) and the query they belong
to, signed (HMAC-SHA-256), so a tampered or foreign cursor is a clear 422, never a wrong page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

MAX_CURSOR_CHARS = 200
_SIGNATURE_BYTES = 12
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class BadCursor(ValueError):
    """The cursor was not made by this server for this query."""


def query_digest(filters: dict[str, object]) -> str:
    """A short digest of the filters a cursor belongs to."""
    text = json.dumps(filters, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(key: bytes, occurred_at: datetime, incident_id: int, digest: str) -> str:
    """The cursor after this item."""
    micros = (occurred_at - _EPOCH) // _MICROSECOND
    payload = f"{micros}.{incident_id}.{digest}".encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    return _b64(payload) + "." + _b64(signature)


def decode_cursor(key: bytes, cursor: str, digest: str) -> tuple[datetime, int]:
    """The (occurred_at, id) a cursor points after; BadCursor if forged or for another query."""
    if len(cursor) > MAX_CURSOR_CHARS or cursor.count(".") != 1:
        raise BadCursor("cursor is malformed")
    payload_text, signature_text = cursor.split(".")
    try:
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except ValueError:
        raise BadCursor("cursor is malformed") from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
    if not hmac.compare_digest(signature, expected):
        raise BadCursor("cursor was altered or not issued by this server")
    try:
        micros, incident_id, cursor_digest = payload.decode().split(".")
        at, number = _EPOCH + int(micros) * _MICROSECOND, int(incident_id)
    except (ValueError, OverflowError, UnicodeDecodeError):
        raise BadCursor("cursor is malformed") from None
    if cursor_digest != digest:
        raise BadCursor("cursor belongs to a query with other filters")
    return at, number


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None
