"""Keyed digests of client identifiers: what the rate limiter and report quotas store, and what
erasure looks up, instead of an address or device id in clear."""

from __future__ import annotations

import hashlib
import hmac


def subject_digest(salt: bytes, subject: str) -> bytes:
    """HMAC-SHA-256 of a subject ("key:12", "addr:203.0.113.9"): no address is stored in clear."""
    return hmac.new(salt, subject.encode("utf-8"), hashlib.sha256).digest()


def device_client_hash(salt: bytes, device_id: str) -> str:
    """The stored client hash of a report sent with an X-Device-Id (raw.user_reports
    client_sha256): submission writes it, erasure looks it up, so both must spell it alike."""
    return subject_digest(salt, f"device:{device_id}").hex()
