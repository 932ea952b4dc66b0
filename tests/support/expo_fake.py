"""A local stand-in for the Expo push service: the same HTTP API, its errors, its rate limit.

POST /--/api/v2/push/send takes up to 100 messages and answers a ticket per message (ok with
an id, or DeviceNotRegistered with Expo's text, which quotes the token); POST
/--/api/v2/push/getReceipts answers receipts by ticket id. Tests script whole-request
failures (429, 500, ...) and a per-window request limit, and read what was accepted.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from config.settings import Settings
from tests.support.live_server import live_server

TOKEN = re.compile(r"^Expo(nent)?PushToken\[[A-Za-z0-9_-]+\]$")
ERROR_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


@dataclass
class FakeExpo:
    """The fake's state: what to refuse, and what it accepted."""

    access_token: str | None = None
    unregistered: set[str] = field(default_factory=set)
    unregistered_on_receipt: set[str] = field(default_factory=set)
    scripted_statuses: list[int] = field(default_factory=list)
    requests_per_window: int | None = None
    window_s: float = 60.0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    send_requests: list[int] = field(default_factory=list)
    receipt_requests: list[int] = field(default_factory=list)
    tickets: dict[str, str] = field(default_factory=dict)
    _window: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted_for(self, token: str) -> list[dict[str, Any]]:
        """The accepted messages addressed to one token."""
        return [m for m in self.accepted if m.get("to") == token]

    def app(self) -> FastAPI:
        """The fake as an ASGI app."""
        app = FastAPI()
        app.add_api_route("/--/api/v2/push/send", self._send, methods=["POST"])
        app.add_api_route("/--/api/v2/push/getReceipts", self._receipts, methods=["POST"])
        return app

    def _refusal(self, request: Request) -> JSONResponse | None:
        expected = f"Bearer {self.access_token}" if self.access_token else None
        if expected and request.headers.get("authorization") != expected:
            return _error(401, "The bearer token is invalid.")
        if self.scripted_statuses:
            status = self.scripted_statuses.pop(0)
            return _error(status, "Scripted failure.", {"Retry-After": "0"})
        if self.requests_per_window is not None:
            now = time.monotonic()
            self._window = [t for t in self._window if t > now - self.window_s]
            if len(self._window) >= self.requests_per_window:
                return _error(429, "You have exceeded the request limit.")
            self._window.append(now)
        return None

    async def _send(self, request: Request) -> JSONResponse:
        body = await request.json()
        messages = body if isinstance(body, list) else [body]
        with self._lock:
            self.send_requests.append(len(messages))
            if len(messages) > 100:
                return _error(400, "You may send at most 100 notifications at once.")
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
            return JSONResponse({"data": [self._ticket(message) for message in messages]})

    def _ticket(self, message: dict[str, Any]) -> dict[str, Any]:
        token = str(message.get("to", ""))
        if not TOKEN.fullmatch(token) or token in self.unregistered:
            return {
                "status": "error",
                "message": f'"{token}" is not a registered push notification recipient',
                "details": {"error": "DeviceNotRegistered", "expoPushToken": token},
            }
        ticket_id = str(uuid.uuid4())
        self.tickets[ticket_id] = token
        self.accepted.append(message)
        return {"status": "ok", "id": ticket_id}

    async def _receipts(self, request: Request) -> JSONResponse:
        ids = (await request.json()).get("ids", [])
        with self._lock:
            self.receipt_requests.append(len(ids))
            if len(ids) > 1000:
                return _error(400, "You may ask for at most 1000 receipts at once.")
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
            data = {}
            for ticket_id in ids:
                token = self.tickets.get(ticket_id)
                if token is None:
                    continue
                if token in self.unregistered_on_receipt:
                    data[ticket_id] = {
                        "status": "error",
                        "message": f'"{token}" is not a registered push notification recipient',
                        "details": {"error": "DeviceNotRegistered", "expoPushToken": token},
                    }
                else:
                    data[ticket_id] = {"status": "ok"}
            return JSONResponse({"data": data})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    code = ERROR_CODES.get(status, f"HTTP_{status}")
    return JSONResponse(
        {"errors": [{"code": code, "message": message}]}, status_code=status, headers=headers
    )


@contextmanager
def running_fake_expo(
    settings: Settings, fake: FakeExpo | None = None
) -> Iterator[tuple[FakeExpo, str]]:
    """Serve a fake on a loopback port; yields it and its base URL."""
    fake = fake or FakeExpo()
    with live_server(settings, app=fake.app()) as client:
        yield fake, str(client.base_url).rstrip("/")
