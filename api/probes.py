"""A few answers of the API for one database, to check that a restored copy serves the same.

The app is run in-process (lifespan and ASGI calls, no socket). Probed: the stable parts of
/health/ready, and every GET route under /api/v1 that takes no parameter and no key.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import Message

from api.routes.health import REQUIRED_EXTENSIONS
from config.settings import Settings

# Path -> the fields of its JSON answer that must not change with time. Only the extensions
# Halo needs: pg_cron lives in the main database alone (cron.database_name), so a scratch
# database made from template1 for `halo restore --verify` never has it.
FIXED_PROBES: dict[str, tuple[str, ...]] = {
    "/health/ready": (
        "checks.migrations.current",
        *(f"checks.extensions.versions.{name}" for name in REQUIRED_EXTENSIONS),
    ),
    # `feed` and `stale` are judged against the clock: only the stored times must match.
    "/api/v1/freshness": ("newest_event_at", "last_poll_ok_at"),
}


async def api_answers(settings: Settings) -> dict[str, dict[str, Any]]:
    """Status and a digest of each probed answer of an app built on `settings`."""
    from api.app import create_app

    quiet = settings.model_copy(
        update={"rate_limits": settings.rate_limits.model_copy(update={"enabled": False})}
    )
    app = create_app(quiet)
    answers: dict[str, dict[str, Any]] = {}
    async with app.router.lifespan_context(app):
        await app.state.pool.wait(timeout=10)
        for path, fields in {**FIXED_PROBES, **_plain_reads(app)}.items():
            status, body = await asgi_get(app, path)
            answers[path] = {"status": status, "digest": _digest(body, fields)}
    return answers


def _plain_reads(app: FastAPI) -> dict[str, tuple[str, ...]]:
    """GET routes under /api/v1 without path parameters or keys (admin routes need a key)."""
    found: dict[str, tuple[str, ...]] = {}
    for route in app.routes:
        if not isinstance(route, APIRoute) or "GET" not in (route.methods or set()):
            continue
        plain = route.path.startswith("/api/v1/") and "{" not in route.path
        required = [p for p in route.dependant.query_params if p.field_info.is_required()]
        if plain and "admin" not in route.path and not required:
            found[route.path] = ()
    return found


def _digest(body: bytes, fields: tuple[str, ...]) -> str:
    """SHA-256 of the whole body, or of the chosen fields of its JSON."""
    if fields:
        document = json.loads(body)
        picked = {name: _pick(document, name) for name in fields}
        body = json.dumps(picked, sort_keys=True).encode()
    return hashlib.sha256(body).hexdigest()


def _pick(document: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        document = document.get(part) if isinstance(document, dict) else None
    return document


async def asgi_get(app: FastAPI, path: str) -> tuple[int, bytes]:
    """One GET request through the ASGI interface; the status and the body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"halo.internal")],
        "client": ("127.0.0.1", 0),
        "server": ("halo.internal", 80),
        "root_path": "",
    }
    status, chunks = 0, []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)
