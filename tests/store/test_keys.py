"""Key wrapping with the real Argon2id parameters, recovery wrapping, passphrase rules."""

from __future__ import annotations

import json
import sqlite3

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from fieldapp.store import (
    DamagedDatabase,
    EncryptionUnavailable,
    InvalidRecoveryKey,
    RecoveryFailed,
    WeakPassphrase,
    WrongPassphrase,
    passphrase_problems,
)
from fieldapp.store.db import require_cipher
from fieldapp.store.keys import (
    PRODUCTION_KDF,
    KdfParams,
    RecoveryWrap,
    SecretKey,
    WrappedKey,
    check_passphrase,
    load_recovery_public_key,
)

PASSPHRASE = "violet-anchor-river-92"


def recovery_pair() -> tuple[X25519PrivateKey, bytes]:
    private = X25519PrivateKey.generate()
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, pem


def test_production_kdf_is_rfc9106_argon2id() -> None:
    assert (PRODUCTION_KDF.iterations, PRODUCTION_KDF.lanes, PRODUCTION_KDF.memory_kib) == (
        3, 4, 64 * 1024,
    )


def test_wrap_and_unwrap_with_real_parameters_stores_them_with_the_key() -> None:
    key = SecretKey.generate()
    raw = key.reveal()
    wrapped = WrappedKey.seal(key, PASSPHRASE, PRODUCTION_KDF)
    text = wrapped.to_json()
    data = json.loads(text)
    assert data["kdf"] | {"salt": ""} == {
        "name": "argon2id", "version": 19, "iterations": 3, "lanes": 4, "memory_kib": 65536,
        "salt": "",
    }
    assert raw not in text and raw.hex().encode() not in text
    assert WrappedKey.from_json(text).open(PASSPHRASE).reveal() == raw
    with pytest.raises(WrongPassphrase):
        WrappedKey.from_json(text).open(PASSPHRASE + "x")


def test_parameters_edited_in_the_file_do_not_unwrap() -> None:
    key = SecretKey.generate()
    data = json.loads(WrappedKey.seal(key, PASSPHRASE, PRODUCTION_KDF).to_json())
    data["kdf"]["iterations"] = 1  # an attacker hoping for a cheaper derivation
    with pytest.raises(WrongPassphrase):
        WrappedKey.from_json(json.dumps(data).encode()).open(PASSPHRASE)


@pytest.mark.parametrize(
    "change",
    [
        {"memory_kib": 1 << 30},  # would need a terabyte to unlock
        {"iterations": 10_000},
        {"name": "pbkdf2"},
    ],
)
def test_absurd_or_unknown_kdf_parameters_are_refused_before_deriving(change: dict) -> None:
    data = json.loads(WrappedKey.seal(SecretKey.generate(), "x", KdfParams(1, 1, 8)).to_json())
    data["kdf"].update(change)
    with pytest.raises(DamagedDatabase):
        WrappedKey.from_json(json.dumps(data).encode())


@pytest.mark.parametrize("text", [b"", b"{}", b"not json", b'{"format": "fieldapp-key/1"}'])
def test_a_damaged_key_file_gives_the_plain_damaged_message(text: bytes) -> None:
    with pytest.raises(DamagedDatabase, match="damaged"):
        WrappedKey.from_json(text)


def test_secret_key_gives_sqlcipher_its_raw_key_form_and_wipes() -> None:
    key = SecretKey(bytes(range(32)))
    assert bytes(key.sqlcipher_spec()) == b"x'" + bytes(range(32)).hex().encode() + b"'"
    key.wipe()
    assert key.reveal() == bytes(32)


def test_recovery_wrap_opens_only_with_the_matching_private_key() -> None:
    private, pem = recovery_pair()
    key = SecretKey.generate()
    wrap = RecoveryWrap.seal(key, load_recovery_public_key(pem))
    again = RecoveryWrap.from_dict(json.loads(json.dumps(wrap.to_dict())))
    assert again.open(private).reveal() == key.reveal()
    with pytest.raises(RecoveryFailed):
        again.open(X25519PrivateKey.generate())


def test_a_recovery_key_of_another_kind_is_refused_in_plain_words() -> None:
    other = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for pem in (other, b"not a key"):
        with pytest.raises(InvalidRecoveryKey, match="X25519"):
            load_recovery_public_key(pem)


def test_passphrase_rules_speak_plainly() -> None:
    assert passphrase_problems("short") == [
        "Use at least 12 characters.",
        passphrase_problems("short")[1],
    ]
    assert "easy to guess" in passphrase_problems("short")[1]
    weak = passphrase_problems("password1234")
    assert len(weak) == 1 and weak[0].startswith("This passphrase would be easy to guess.")
    assert passphrase_problems("aaaaaaaaaaaaaaaa")
    assert passphrase_problems(" violet-anchor-river-92") == [
        "Do not start or end the passphrase with a space."
    ]
    assert passphrase_problems(PASSPHRASE) == []
    assert passphrase_problems("violet-anchor-river-92 " * 10) == [
        "Do not start or end the passphrase with a space."
    ]
    # The profile name (a collar number) does not make a passphrase strong.
    assert passphrase_problems("collar123456", ["collar123456"])
    with pytest.raises(WeakPassphrase) as raised:
        check_passphrase("password1234")
    assert raised.value.reasons == tuple(weak)


def test_a_plain_sqlite_connection_is_refused() -> None:
    # Plain SQLite ignores PRAGMA key: without cipher_version the store must not run at all.
    with pytest.raises(EncryptionUnavailable, match="cannot encrypt"):
        require_cipher(sqlite3.connect(":memory:"))
