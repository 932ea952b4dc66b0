"""Push notification settings: the Expo service, the token key, caps, thresholds, retries."""

from __future__ import annotations

import base64
import binascii

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from config.base import HaloSettings
from config.secret_strength import weakness

# The key every checkout starts with (32 zero bytes, base64url); refused outside local mode.
LOCAL_TOKEN_KEY = base64.urlsafe_b64encode(bytes(32)).decode()
TOKEN_KEY_BYTES = 32


def decode_token_key(value: str) -> bytes:
    """The raw bytes of a base64 (standard or URL-safe) token key; ValueError if not 32 bytes."""
    text = value.strip().rstrip("=").replace("+", "-").replace("/", "_")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if len(raw) != TOKEN_KEY_BYTES:
        raise ValueError(f"must decode to {TOKEN_KEY_BYTES} bytes, not {len(raw)}")
    return raw


class PushSettings(HaloSettings):
    """Push messages through the Expo push service (HALO_PUSH_ prefix).

    The Expo access token is also read from EXPO_ACCESS_TOKEN; it is needed only when the
    Expo project requires it ("enhanced security for push notifications").
    """

    model_config = SettingsConfigDict(env_prefix="HALO_PUSH_")

    # The Expo push API; tests point it at a local fake that speaks the same protocol.
    expo_base_url: str = "https://exp.host"
    expo_access_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("HALO_PUSH_EXPO_ACCESS_TOKEN", "EXPO_ACCESS_TOKEN"),
    )
    http_timeout_s: float = Field(default=15.0, gt=0, le=120)
    # Expo takes at most 100 messages per send request and 1000 ids per receipts request.
    batch_size: int = Field(default=100, ge=1, le=100)
    receipt_batch_size: int = Field(default=1000, ge=1, le=1000)
    # AES-256-GCM key sealing push tokens at rest (base64, 32 bytes; e.g.
    # `python -c "import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`).
    # The API seals with it, the dispatcher opens with it; the database never sees it.
    token_key: SecretStr = SecretStr(LOCAL_TOKEN_KEY)

    # Visible messages (incidents, moderation results) per device in any 24 hours; a device
    # may ask for fewer. Silent refreshes do not count.
    daily_cap: int = Field(default=5, ge=1, le=50)
    # Threat level of an incident by its severity (the category's weight, 0..1): with the
    # default weights violence and weapons are critical, robbery high, theft, vandalism,
    # drugs and fire info; traffic and other events are never pushed.
    critical_min_severity: float = Field(default=0.95, ge=0, le=1)
    high_min_severity: float = Field(default=0.8, ge=0, le=1)
    info_min_severity: float = Field(default=0.3, gt=0, le=1)
    # Only events first seen this recently are pushed (no backlog after an archive load or
    # an outage); a message not sent by then expires.
    max_event_age_s: int = Field(default=6 * 3600, ge=60, le=7 * 86_400)
    # Quiet hours and the times written in messages are local times of the followed
    # district's city (ref.cities.time_zone); this zone only for a district without a city.
    local_timezone: str = "Europe/Stockholm"

    # Rate limited (429) or unavailable (5xx, no connection): back off, doubling per attempt.
    retry_base_s: float = Field(default=30.0, ge=0, le=3600)
    retry_max_s: float = Field(default=3600.0, ge=0, le=86_400)
    max_attempts: int = Field(default=8, ge=1, le=50)
    # A claimed batch not settled within this time is considered interrupted: never resent.
    sending_lease_s: int = Field(default=600, ge=10, le=86_400)
    # Expo's receipts are ready after about 15 minutes and kept about a day.
    receipt_delay_s: int = Field(default=900, ge=0, le=86_400)
    receipt_give_up_s: int = Field(default=86_400, ge=60, le=7 * 86_400)
    outbox_retention_days: int = Field(default=30, ge=2, le=3650)

    @field_validator("token_key")
    @classmethod
    def _token_key_is_32_bytes(cls, value: SecretStr) -> SecretStr:
        decode_token_key(value.get_secret_value())
        return value

    @field_validator("expo_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _thresholds_descend(self) -> PushSettings:
        if not self.critical_min_severity >= self.high_min_severity >= self.info_min_severity:
            raise ValueError("need critical_min_severity >= high_min_severity >= info_min_severity")
        return self

    def token_key_bytes(self) -> bytes:
        """The raw 32-byte token key."""
        return decode_token_key(self.token_key.get_secret_value())

    def refuse_unsafe(self, env: str) -> None:
        """Outside local mode: a real token key and an HTTPS push service."""
        if env == "local":
            return
        key = self.token_key_bytes()
        why = "the local default" if key == decode_token_key(LOCAL_TOKEN_KEY) else None
        why = why or weakness(key, 32, 100)
        if why:
            raise ValueError(
                f"HALO_PUSH_TOKEN_KEY is {why}: set a random 32-byte key "
                "(e.g. openssl rand -base64 32)"
            )
        if not self.expo_base_url.startswith("https://"):
            raise ValueError("HALO_PUSH_EXPO_BASE_URL: HTTPS is required outside local mode")
