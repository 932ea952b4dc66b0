"""Security settings: HTTPS and proxies, CORS, body limits, headers, and request rate limits."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from config.base import HaloSettings
from config.secret_strength import weakness

# The salt every checkout starts with; refused outside local mode.
LOCAL_CLIENT_HASH_SALT = "local-only-client-hash-salt"

PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]


def split_commas(value: object) -> object:
    """Accept `a,b` as well as a JSON list in list-valued environment variables."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


CommaList = Annotated[list[str], NoDecode, BeforeValidator(split_commas)]


def check_networks(values: list[str]) -> list[str]:
    """Every entry must be an address or a network (CIDR); returned in canonical CIDR form."""
    return [str(ipaddress.ip_network(value, strict=False)) for value in values]


class SecuritySettings(HaloSettings):
    """HTTPS, proxies, CORS, request limits and headers (HALO_ prefix)."""

    model_config = SettingsConfigDict(env_prefix="HALO_")

    # Behind a TLS-terminating proxy: redirect plain HTTP to HTTPS and send HSTS.
    https_only: bool = False
    hsts_max_age_s: int = Field(default=31_536_000, ge=0)
    # Addresses or networks whose X-Forwarded-For/-Proto headers are believed; nobody else's.
    trusted_proxies: CommaList = Field(default_factory=list)
    # Origins a browser may call the API from (CORS); empty means no cross-origin access.
    cors_origins: CommaList = Field(default_factory=list)
    # Host names the API answers to; "*" accepts any.
    allowed_hosts: CommaList = Field(default_factory=lambda: ["*"])
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # All request headers together (names and values); larger requests get 431.
    max_header_bytes: int = Field(default=16_384, ge=1024)
    # Multipart uploads (report photos) may be larger than other bodies.
    # Multipart bodies (report submission): a 50 MiB video, an 8 MiB photo and the fields.
    max_upload_bytes: int = Field(default=60 * 2**20, ge=1024)
    # Who may scrape /metrics (after trusted proxy headers are applied).
    metrics_allowed_networks: CommaList = Field(default_factory=lambda: list(PRIVATE_NETWORKS))
    # HMAC key for client addresses in rate-limit counters (never stored in clear).
    client_hash_salt: SecretStr = SecretStr(LOCAL_CLIENT_HASH_SALT)
    # Content-Security-Policy of HTML pages (the web map); assets are served by Halo itself.
    web_csp: str = (
        "default-src 'self'; img-src 'self' data: blob:; worker-src 'self' blob:; "
        "child-src blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    # The interactive API docs (/docs, /redoc): Swagger UI and ReDoc are served by Halo
    # (/vendor/), with an inline start-up script; ReDoc runs its search in a blob: worker.
    docs_csp: str = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
    )

    @field_validator("trusted_proxies", "metrics_allowed_networks")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        return check_networks(values)

    def refuse_unsafe(self, env: str) -> None:
        """Outside local mode: no default secret, no wildcard CORS."""
        if env == "local":
            return
        salt = self.client_hash_salt.get_secret_value()
        why = "the local default" if salt == LOCAL_CLIENT_HASH_SALT else weakness(salt, 16, 64)
        if why:
            raise ValueError(
                f"HALO_CLIENT_HASH_SALT is {why}: set a random value of 16+ characters "
                "(e.g. openssl rand -base64 32)"
            )
        if "*" in self.cors_origins:
            raise ValueError("HALO_CORS_ORIGINS: list the origins, '*' is refused")


ROUTE_CLASSES = ("tiles", "reads", "reports")


class RouteLimit(BaseModel):
    """`requests` per `window_s` seconds; `lease` requests reserved per database round trip."""

    requests: int
    window_s: int
    lease: int


class RateLimitSettings(HaloSettings):
    """Request limits per route class (HALO_RATE_LIMIT_ prefix: HALO_RATE_LIMIT_TILES_REQUESTS)."""

    model_config = SettingsConfigDict(env_prefix="HALO_RATE_LIMIT_")

    enabled: bool = True
    # Tiles come in bursts (a map view is ~20 tiles); a worker reserves 20 at a time.
    tiles_requests: int = Field(default=1200, ge=1)
    tiles_window_s: int = Field(default=60, ge=1, le=86_400)
    tiles_lease: int = Field(default=20, ge=1, le=1000)
    reads_requests: int = Field(default=300, ge=1)
    reads_window_s: int = Field(default=60, ge=1, le=86_400)
    reads_lease: int = Field(default=1, ge=1, le=1000)
    # Report submission: anonymous, so per client address, and slow on purpose.
    reports_requests: int = Field(default=20, ge=1)
    reports_window_s: int = Field(default=3600, ge=1, le=86_400)
    reports_lease: int = Field(default=1, ge=1, le=1000)
    # Requests carrying a valid API key get this many times the limit (ingest, analysts).
    keyed_factor: int = Field(default=10, ge=1, le=1000)

    def limit(self, route_class: str) -> RouteLimit:
        """The limit of one route class (one of ROUTE_CLASSES)."""
        if route_class not in ROUTE_CLASSES:
            raise ValueError(f"unknown route class {route_class!r}")
        return RouteLimit(
            requests=getattr(self, f"{route_class}_requests"),
            window_s=getattr(self, f"{route_class}_window_s"),
            lease=getattr(self, f"{route_class}_lease"),
        )
