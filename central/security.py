"""Device tokens and enrolment codes: made at random, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

# No 0/O, 1/I/L: the code is read off a screen or a sheet of paper and typed on a laptop.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 15  # 31**15 ≈ 2**74: out of reach of guessing within its 72 hours.
CODE_GROUP = 5


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_device_id() -> str:
    # Matches the event schema's device_id rule, since laptops put it in every event.
    return f"dev_{secrets.token_hex(10)}"


def new_enrolment_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP))


def normalise_code(code: str) -> str:
    """Codes are typed by people: ignore case, spaces and the group separators."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def code_digest(code: str) -> str:
    return digest(normalise_code(code))
