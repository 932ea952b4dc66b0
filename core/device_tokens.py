"""Push tokens and device secrets: tokens sealed with AES-256-GCM, secrets stored as SHA-256.

A push token lets anyone who holds it message the phone, so it is a secret: the API seals it
before it reaches the database (the key comes from the environment, never the database), and
finds a re-registered token by an HMAC of it. Both keys derive from HALO_PUSH_TOKEN_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Expo push tokens: ExponentPushToken[...] (and the newer ExpoPushToken[...] spelling).
EXPO_TOKEN_PATTERN = re.compile(r"^Expo(?:nent)?PushToken\[[A-Za-z0-9_-]{8,128}\]$")
# The sealed form: version byte, 12-byte nonce, ciphertext with its 16-byte tag.
SEAL_VERSION = b"\x01"
NONCE_BYTES = 12


class TokenUnreadable(ValueError):
    """A sealed token that this key cannot open (another key, or tampered with)."""


def looks_like_expo_token(value: str) -> bool:
    """Whether a value has the shape of an Expo push token (never echoed in errors)."""
    return EXPO_TOKEN_PATTERN.fullmatch(value) is not None


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


@dataclass(frozen=True)
class TokenSealer:
    """Seals and opens push tokens and computes their lookup hash, from one master key."""

    seal_key: bytes
    lookup_key: bytes

    @classmethod
    def from_master_key(cls, key: bytes) -> TokenSealer:
        """Separate keys for encryption and lookup, derived with HKDF-SHA-256."""
        return cls(
            _derive(key, b"halo push token seal v1"), _derive(key, b"halo push token lookup")
        )

    def seal(self, token: str, device_id: uuid.UUID) -> bytes:
        """The token encrypted and bound to its device (a row's token cannot move to another)."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.seal_key).encrypt(nonce, token.encode("utf-8"), device_id.bytes)
        return SEAL_VERSION + nonce + sealed

    def open(self, sealed: bytes, device_id: uuid.UUID) -> str:
        """The token of a sealed value; TokenUnreadable if this key did not seal it."""
        if sealed[:1] != SEAL_VERSION:
            raise TokenUnreadable("unknown seal version")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            return AESGCM(self.seal_key).decrypt(nonce, body, device_id.bytes).decode("utf-8")
        except Exception as exc:  # InvalidTag, or bytes that are no text
            raise TokenUnreadable("the token key cannot open this token") from exc

    def lookup(self, token: str) -> bytes:
        """HMAC-SHA-256 of the token: equal tokens match without the token being stored."""
        return hmac.new(self.lookup_key, token.encode("utf-8"), hashlib.sha256).digest()


@lru_cache(maxsize=4)
def token_sealer(master_key: bytes) -> TokenSealer:
    """The sealer of a master key, derived once per process."""
    return TokenSealer.from_master_key(master_key)


def generate_device_secret() -> str:
    """A new device secret: 256 random bits, URL-safe; shown to the device once."""
    return secrets.token_urlsafe(32)


def hash_device_secret(secret: str) -> bytes:
    """The stored form of a device secret; a plain SHA-256 suffices for 256 random bits."""
    return hashlib.sha256(secret.encode("utf-8")).digest()
