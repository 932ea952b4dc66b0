"""The push transport: an interface, and the Expo push service's HTTP API behind it.

Expo takes up to 100 messages per request and answers one ticket per message (ok with an
id, or an error code such as DeviceNotRegistered); receipts are fetched later by ticket id.
A whole request may be refused: 429 (rate limited) or 5xx (try again later), 401/403 (bad
access token), other 4xx (never valid). Only error *codes* leave this module: Expo's error
texts quote the push token, which must never reach a log or the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

import httpx

from config.push import PushSettings

SEND_PATH = "/--/api/v2/push/send"
RECEIPTS_PATH = "/--/api/v2/push/getReceipts"
MAX_MESSAGES_PER_REQUEST = 100
MAX_RECEIPT_IDS_PER_REQUEST = 1000
_CODE_CHARS = re.compile(r"[^A-Za-z0-9_]")


def error_code(value: object, default: str = "unknown_error") -> str:
    """A safe error code (letters, digits, underscores; at most 64) from a service's value."""
    if not isinstance(value, str) or not value:
        return default
    return _CODE_CHARS.sub("_", value)[:64]


@dataclass(frozen=True)
class PushMessage:
    """One message to one device; `to` is the push token (kept out of the repr)."""

    to: str = field(repr=False)
    data: dict[str, Any]
    title: str | None = None
    body: str | None = None
    priority: str = "default"
    ttl_s: int | None = None
    sound: str | None = None
    content_available: bool = False

    def as_json(self) -> dict[str, Any]:
        """The message in Expo's JSON form."""
        message: dict[str, Any] = {"to": self.to, "data": self.data, "priority": self.priority}
        optional = {"title": self.title, "body": self.body, "ttl": self.ttl_s, "sound": self.sound}
        message.update({key: value for key, value in optional.items() if value is not None})
        if self.content_available:
            message["_contentAvailable"] = True  # iOS background delivery of data-only pushes
        return message


@dataclass(frozen=True)
class Ticket:
    """The service's answer to one message: an id to ask for its receipt, or an error code."""

    id: str | None
    error: str | None = None


@dataclass(frozen=True)
class Receipt:
    """Whether a message reached the platform's push service (APNs, FCM), or why not."""

    ok: bool
    error: str | None = None


class PushServiceError(Exception):
    """The service did not take the request; `code` says why (never the service's text)."""

    def __init__(self, code: str, retry_after_s: float | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after_s = retry_after_s


class PushServiceBusy(PushServiceError):
    """Rate limited, unavailable or unreachable: nothing was taken, try again later."""


class PushRequestRejected(PushServiceError):
    """The request is invalid and will never be taken as it is."""


class PushCredentialsRejected(PushServiceError):
    """The access token is missing, wrong or revoked: a configuration problem."""


class PushOutcomeUnknown(PushServiceError):
    """The connection broke after the request was sent: it may have been taken."""


class PushTransport(Protocol):
    """Sends messages and fetches receipts; what dispatch needs from a push service."""

    def send(self, messages: Sequence[PushMessage]) -> list[Ticket]:
        """One ticket per message, in order; raises PushServiceError if the request failed."""
        ...

    def receipts(self, ticket_ids: Sequence[str]) -> dict[str, Receipt]:
        """Receipts of the ids that have one yet; raises PushServiceError."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class ExpoPushTransport:
    """The Expo push service over HTTPS (or a local fake in tests), with one HTTP client."""

    def __init__(self, settings: PushSettings, client: httpx.Client | None = None) -> None:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        token = settings.expo_access_token
        if token is not None and token.get_secret_value():
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        self._client = client or httpx.Client(
            base_url=settings.expo_base_url, headers=headers, timeout=settings.http_timeout_s
        )

    def __enter__(self) -> ExpoPushTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def send(self, messages: Sequence[PushMessage]) -> list[Ticket]:
        """Send up to 100 messages in one request; one ticket per message."""
        if not 0 < len(messages) <= MAX_MESSAGES_PER_REQUEST:
            raise ValueError(f"1..{MAX_MESSAGES_PER_REQUEST} messages per request")
        payload = [message.as_json() for message in messages]
        data = self._post(SEND_PATH, payload, sent_means_maybe_taken=True).get("data")
        if not isinstance(data, list) or len(data) != len(messages):
            raise PushOutcomeUnknown("malformed_tickets")
        return [_ticket(item) for item in data]

    def receipts(self, ticket_ids: Sequence[str]) -> dict[str, Receipt]:
        """The receipts Expo has for these ticket ids (at most 1000)."""
        if len(ticket_ids) > MAX_RECEIPT_IDS_PER_REQUEST:
            raise ValueError(f"at most {MAX_RECEIPT_IDS_PER_REQUEST} ids per request")
        data = self._post(RECEIPTS_PATH, {"ids": list(ticket_ids)}, sent_means_maybe_taken=False)
        receipts = data.get("data")
        if not isinstance(receipts, dict):
            raise PushServiceBusy("malformed_receipts")
        return {
            str(ticket_id): _receipt(item)
            for ticket_id, item in receipts.items()
            if isinstance(item, dict)
        }

    def _post(self, path: str, payload: object, sent_means_maybe_taken: bool) -> dict[str, Any]:
        try:
            response = self._client.post(path, content=json.dumps(payload))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
            raise PushServiceBusy("unreachable") from None
        except httpx.TransportError:
            # Sent (at least partly) but no answer: a send may have been taken.
            error = PushOutcomeUnknown if sent_means_maybe_taken else PushServiceBusy
            raise error("no_answer") from None
        _raise_for_status(response)
        try:
            body = response.json()
        except ValueError:
            error = PushOutcomeUnknown if sent_means_maybe_taken else PushServiceBusy
            raise error("malformed_answer") from None
        if not isinstance(body, dict):
            raise PushOutcomeUnknown("malformed_answer")
        return body


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    code = _request_error_code(response, f"http_{status}")
    if status == 429 or status >= 500:
        raise PushServiceBusy(code, _retry_after_s(response))
    if status in (401, 403):
        raise PushCredentialsRejected(code)
    raise PushRequestRejected(code)


def _request_error_code(response: httpx.Response, default: str) -> str:
    """The first request-level error code, e.g. TOO_MANY_REQUESTS."""
    try:
        errors = response.json().get("errors")
        return error_code(errors[0].get("code"), default)
    except (ValueError, AttributeError, IndexError, KeyError, TypeError):
        return default


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, min(float(value), 86_400.0))
    except ValueError:
        return None


def _details_error(item: dict[str, Any]) -> str:
    details = item.get("details")
    return error_code(details.get("error") if isinstance(details, dict) else None)


def _ticket(item: object) -> Ticket:
    if isinstance(item, dict) and item.get("status") == "ok" and isinstance(item.get("id"), str):
        return Ticket(id=item["id"])
    if isinstance(item, dict) and item.get("status") == "error":
        return Ticket(id=None, error=_details_error(item))
    return Ticket(id=None, error="malformed_ticket")


def _receipt(item: dict[str, Any]) -> Receipt:
    if item.get("status") == "ok":
        return Receipt(ok=True)
    return Receipt(ok=False, error=_details_error(item))
