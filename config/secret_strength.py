"""How guessable a secret is: a length check plus an entropy estimate, for production refusals.

The estimate is the Shannon entropy of the secret's own characters (or bytes) times its length:
"aaaaaaaaaaaaaaaa" scores 0 bits, "abababab…" 1 bit a character, 24 random letters and digits
about 100. It is an upper bound for random secrets and catches the repetitive and tiny ones;
dictionary passwords are caught by the list of known weak values.
"""

from __future__ import annotations

import math
from collections import Counter

# Values that must never reach a production configuration, whatever their length.
KNOWN_WEAK = {"", "postgres", "password", "changeme", "halo", "secret"}


def entropy_bits(secret: str | bytes) -> float:
    """Shannon entropy of the secret's symbols times its length, in bits."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    total = len(secret)
    per_symbol = -sum(n / total * math.log2(n / total) for n in counts.values())
    return max(0.0, per_symbol * total)


def weakness(secret: str | bytes, min_length: int, min_bits: float) -> str | None:
    """Why the secret is too weak (one phrase), or None when it passes."""
    text = secret.decode("latin-1") if isinstance(secret, bytes) else secret
    if text.lower() in KNOWN_WEAK:
        return "a well-known default value"
    if len(secret) < min_length:
        return f"shorter than {min_length}"
    bits = entropy_bits(secret)
    if bits < min_bits:
        return f"too predictable (about {bits:.0f} bits of entropy, {min_bits:.0f} needed)"
    return None
