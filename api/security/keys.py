"""API keys: generated with 256 bits of randomness, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

SCOPES = ("admin", "analyst", "ingest")
# halo_<prefix>_<secret>: the prefix names the key in listings and logs, the secret is 43
# URL-safe characters (32 random bytes).
KEY_PATTERN = re.compile(r"^halo_([a-f0-9]{8})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewApiKey:
    """A freshly made key: the clear text is shown once, only prefix and hash are stored."""

    key: str
    prefix: str
    sha256: bytes


def hash_api_key(key: str) -> bytes:
    """The stored form of a key. A plain SHA-256 suffices: the key is 256 random bits."""
    return hashlib.sha256(key.encode("utf-8")).digest()


def generate_api_key() -> NewApiKey:
    """A new random key with its prefix and hash."""
    prefix = secrets.token_hex(4)
    key = f"halo_{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key=key, prefix=prefix, sha256=hash_api_key(key))


def looks_like_api_key(value: str) -> bool:
    """Whether a header value has the shape of a Halo key (cheap check before any SQL)."""
    return KEY_PATTERN.fullmatch(value) is not None
