"""Keyed digests of client identifiers: what the rate limiter and report quotas store, and what
erasure looks up, instead of an address or device id in clear."""

from __future__ import annotations

import hashlib
import hmac


def subject_digest(salt: bytes, subject: str) -> bytes:
    """HMAC-SHA-256 of a subject ("key:12", "addr:203.0.113.9"): no address is stored in clear."""
    return hmac.new(salt, subject.encode("utf-8"), hashlib.sha256).digest()
