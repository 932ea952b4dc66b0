"""Security of the API: API keys with scopes, and rate limits shared across workers."""

from api.security.auth import (
    AdminKey,
    AnalystKey,
    IngestKey,
    Principal,
    RequireScope,
    authenticate,
)
from api.security.rate_limit import enforce_rate_limit

__all__ = [
    "AdminKey",
    "AnalystKey",
    "IngestKey",
    "Principal",
    "RequireScope",
    "authenticate",
    "enforce_rate_limit",
]
