"""The database key and the ways it is wrapped: under the passphrase, and for recovery.

The database key is 32 random bytes. It is never stored in the clear: `key.json` holds it
encrypted (AES-256-GCM) under a key derived from the officer's passphrase with Argon2id, and,
if the force configured one, a second copy encrypted to the force's X25519 recovery key.
A passphrase change re-wraps the same key, so the database itself is never re-encrypted.

Python cannot promise that secrets vanish from memory: `bytes` and `str` are immutable and
the allocator may keep copies. The key lives in a `bytearray` that is zeroed as soon as the
database connection has it; see docs/store.md for what that does and does not protect.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from zxcvbn import zxcvbn

from fieldapp.store.errors import (
    DamagedDatabase,
    InvalidRecoveryKey,
    RecoveryFailed,
    WeakPassphrase,
    WrongPassphrase,
)

KEY_BYTES = 32
FORMAT = "fieldapp-key/1"
MIN_PASSPHRASE = 12
MAX_PASSPHRASE = 1024
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; a longer passphrase is no weaker than its start
_RECOVERY_INFO = b"fieldapp recovery wrap v1"
_HEX = b"0123456789abcdef"


class SecretKey:
    """A 256-bit key in a mutable buffer, so it can be zeroed once it has been used."""

    def __init__(self, raw: bytes | bytearray) -> None:
        if len(raw) != KEY_BYTES:
            raise ValueError("a database key is 32 bytes")
        self._raw = bytearray(raw)

    @classmethod
    def generate(cls) -> SecretKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    def sqlcipher_spec(self) -> bytearray:
        """The raw-key form SQLCipher takes (x'<64 hex>'), built without an immutable copy."""
        spec = bytearray(b"x'") + bytearray(2 * KEY_BYTES) + bytearray(b"'")
        for i, byte in enumerate(self._raw):
            spec[2 + 2 * i] = _HEX[byte >> 4]
            spec[3 + 2 * i] = _HEX[byte & 15]
        return spec

    def reveal(self) -> bytes:
        # `cryptography` only takes bytes; the copy lives as long as the caller keeps it.
        return bytes(self._raw)

    def wipe(self) -> None:
        wipe(self._raw)


def wipe(buffer: bytearray) -> None:
    for i in range(len(buffer)):
        buffer[i] = 0


# --------------------------------------------------------------------------- passphrase


def passphrase_problems(passphrase: str, user_inputs: Sequence[str] = ()) -> list[str]:
    """Every reason the passphrase is not good enough, in words for the officer."""
    reasons = []
    if len(passphrase) < MIN_PASSPHRASE:
        reasons.append(f"Use at least {MIN_PASSPHRASE} characters.")
    if len(passphrase) > MAX_PASSPHRASE:
        reasons.append(f"Use at most {MAX_PASSPHRASE} characters.")
        return reasons
    if passphrase.strip() != passphrase:
        reasons.append("Do not start or end the passphrase with a space.")
    result = zxcvbn(passphrase[:_ZXCVBN_MAX], user_inputs=[u for u in user_inputs if u])
    if result["score"] < 3:
        warning = result["feedback"].get("warning") or ""
        reasons.append(
            "This passphrase would be easy to guess. "
            + (f"{warning} " if warning else "")
            + "Try three or four words that do not go together."
        )
    return reasons


def check_passphrase(passphrase: str, user_inputs: Sequence[str] = ()) -> None:
    reasons = passphrase_problems(passphrase, user_inputs)
    if reasons:
        raise WeakPassphrase(reasons)


def _passphrase_bytes(passphrase: str) -> bytes:
    # The same passphrase typed on another keyboard layout may arrive decomposed.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


# --------------------------------------------------------------------------- KDF


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost. Stored with the wrapped key, so a later release can raise it."""

    iterations: int
    lanes: int
    memory_kib: int

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        kdf = Argon2id(
            salt=salt,
            length=KEY_BYTES,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        return kdf.derive(_passphrase_bytes(passphrase))

    def weaker_than(self, other: KdfParams) -> bool:
        return self.iterations < other.iterations or self.memory_kib < other.memory_kib

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "version": 19,
            "iterations": self.iterations,
            "lanes": self.lanes,
            "memory_kib": self.memory_kib,
        }

    @classmethod
    def from_dict(cls, data: Any) -> KdfParams:
        if not isinstance(data, dict) or data.get("name") != "argon2id":
            raise DamagedDatabase()
        params = cls(int(data["iterations"]), int(data["lanes"]), int(data["memory_kib"]))
        # A tampered file must not be able to make unlocking take hours or all the memory.
        if not (
            1 <= params.iterations <= 16
            and 1 <= params.lanes <= 16
            and 8 * params.lanes <= params.memory_kib <= 1 << 21
        ):
            raise DamagedDatabase()
        return params


# RFC 9106 section 4, second recommended option: t=3, p=4, m=64 MiB.
PRODUCTION_KDF = KdfParams(iterations=3, lanes=4, memory_kib=64 * 1024)


# --------------------------------------------------------------------------- wrapping


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise DamagedDatabase()
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as error:
        raise DamagedDatabase() from error


def load_recovery_public_key(pem: bytes) -> X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as error:
        raise InvalidRecoveryKey() from error
    if not isinstance(key, X25519PublicKey):
        raise InvalidRecoveryKey()
    return key


def load_recovery_private_key(pem: bytes, password: bytes | None = None) -> X25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as error:
        raise InvalidRecoveryKey() from error
    if not isinstance(key, X25519PrivateKey):
        raise InvalidRecoveryKey()
    return key


def recovery_key_id(public: X25519PublicKey) -> str:
    """A short fingerprint, so IT can tell which private key a profile needs."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _recovery_kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=ephemeral + recipient,
        info=_RECOVERY_INFO,
    ).derive(shared)


@dataclass(frozen=True)
class RecoveryWrap:
    """The database key encrypted to the force's recovery key (X25519, HKDF-SHA256, AES-GCM)."""

    key_id: str
    ephemeral: bytes
    nonce: bytes
    ciphertext: bytes

    @classmethod
    def seal(cls, key: SecretKey, recipient: X25519PublicKey) -> RecoveryWrap:
        ephemeral = X25519PrivateKey.generate()
        eph_raw = ephemeral.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        rec_raw = recipient.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        kek = _recovery_kek(ephemeral.exchange(recipient), eph_raw, rec_raw)
        key_id = recovery_key_id(recipient)
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(kek).encrypt(nonce, key.reveal(), _recovery_aad(key_id))
        return cls(key_id, eph_raw, nonce, sealed)

    def open(self, private: X25519PrivateKey) -> SecretKey:
        public = private.public_key()
        if recovery_key_id(public) != self.key_id:
            raise RecoveryFailed()
        rec_raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        try:
            shared = private.exchange(X25519PublicKey.from_public_bytes(self.ephemeral))
            kek = _recovery_kek(shared, self.ephemeral, rec_raw)
            raw = AESGCM(kek).decrypt(self.nonce, self.ciphertext, _recovery_aad(self.key_id))
        except (InvalidTag, ValueError) as error:
            raise RecoveryFailed() from error
        return SecretKey(raw)

    def to_dict(self) -> dict[str, str]:
        return {
            "alg": "X25519-HKDF-SHA256-AES-256-GCM",
            "key_id": self.key_id,
            "ephemeral": _b64(self.ephemeral),
            "nonce": _b64(self.nonce),
            "ciphertext": _b64(self.ciphertext),
        }

    @classmethod
    def from_dict(cls, data: Any) -> RecoveryWrap:
        if not isinstance(data, dict) or data.get("alg") != "X25519-HKDF-SHA256-AES-256-GCM":
            raise DamagedDatabase()
        return cls(
            str(data["key_id"]), _unb64(data["ephemeral"]), _unb64(data["nonce"]),
            _unb64(data["ciphertext"]),
        )


def _recovery_aad(key_id: str) -> bytes:
    return f"{FORMAT}|recovery|{key_id}".encode()


def _passphrase_aad(kdf: KdfParams, salt: bytes) -> bytes:
    # Binding the parameters means a file edited to weaker ones fails like a wrong passphrase.
    header = json.dumps({**kdf.to_dict(), "salt": _b64(salt)}, sort_keys=True)
    return f"{FORMAT}|{header}".encode()


@dataclass(frozen=True)
class WrappedKey:
    """The contents of key.json: nothing in it is secret without the passphrase."""

    kdf: KdfParams
    salt: bytes
    nonce: bytes
    ciphertext: bytes
    recovery: RecoveryWrap | None = None

    @classmethod
    def seal(
        cls,
        key: SecretKey,
        passphrase: str,
        kdf: KdfParams,
        recovery: RecoveryWrap | None = None,
    ) -> WrappedKey:
        salt = secrets.token_bytes(16)
        nonce = secrets.token_bytes(12)
        kek = kdf.derive(passphrase, salt)
        sealed = AESGCM(kek).encrypt(nonce, key.reveal(), _passphrase_aad(kdf, salt))
        return cls(kdf, salt, nonce, sealed, recovery)

    def open(self, passphrase: str) -> SecretKey:
        kek = self.kdf.derive(passphrase, self.salt)
        try:
            raw = AESGCM(kek).decrypt(
                self.nonce, self.ciphertext, _passphrase_aad(self.kdf, self.salt)
            )
        except InvalidTag as error:
            raise WrongPassphrase() from error
        return SecretKey(raw)

    def rewrap(self, key: SecretKey, passphrase: str, kdf: KdfParams) -> WrappedKey:
        return WrappedKey.seal(key, passphrase, kdf, self.recovery)

    def with_recovery(self, key: SecretKey, recipient: X25519PublicKey) -> WrappedKey:
        return replace(self, recovery=RecoveryWrap.seal(key, recipient))

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "kdf": {**self.kdf.to_dict(), "salt": _b64(self.salt)},
            "wrap": {
                "alg": "AES-256-GCM",
                "nonce": _b64(self.nonce),
                "ciphertext": _b64(self.ciphertext),
            },
            "recovery": self.recovery.to_dict() if self.recovery else None,
        }
        return json.dumps(data, indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, text: bytes) -> WrappedKey:
        try:
            data = json.loads(text)
            if data["format"] != FORMAT or data["wrap"]["alg"] != "AES-256-GCM":
                raise DamagedDatabase()
            recovery = data.get("recovery")
            return cls(
                kdf=KdfParams.from_dict(data["kdf"]),
                salt=_unb64(data["kdf"]["salt"]),
                nonce=_unb64(data["wrap"]["nonce"]),
                ciphertext=_unb64(data["wrap"]["ciphertext"]),
                recovery=RecoveryWrap.from_dict(recovery) if recovery is not None else None,
            )
        except (ValueError, KeyError, TypeError) as error:
            raise DamagedDatabase() from error
