"""What IT does to laptops at install and after an endpoint restore: the force's recovery
key installed with the app (kept by new profiles, added to old ones), and `fieldapp admin
resend`, which puts every record back in the outbox."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from factories import new_id, occurrence

from fieldapp.admin import admin_main
from fieldapp.resources import RECOVERY_KEY_FILE, resources_dir
from fieldapp.store import Profiles

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "amber-lantern-orchard-59"
NEW = "copper-meadow-violin-83"
KEY_PASSWORD = b"force-it-team"


def _now() -> datetime:
    return datetime.now(UTC)


def _admin(home: Path, stdin: str, *command: str, monkeypatch: pytest.MonkeyPatch) -> int:
    read, write = os.pipe()
    os.write(write, stdin.encode())
    os.close(write)
    with os.fdopen(read) as handle:
        monkeypatch.setattr("sys.stdin", handle)
        return admin_main(["--home", str(home), *command, "--passphrase-stdin"])


@pytest.fixture
def installed_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A copy of resources/ with the force's recovery public key in it, as IT installs it;
    returns the private key (PEM, password-protected) that IT keeps offline."""
    private = X25519PrivateKey.generate()
    resources = tmp_path / "resources"
    shutil.copytree(resources_dir(), resources)
    (resources / RECOVERY_KEY_FILE).write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    monkeypatch.setenv("FIELDAPP_RESOURCES", str(resources))
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.BestAvailableEncryption(KEY_PASSWORD))


def test_the_smoke_test_shows_new_profiles_keep_the_installed_recovery_key(
    tmp_path: Path, installed_key: bytes
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fieldapp", "--smoke-test", "--home", str(tmp_path / "home")],
        input=secrets.token_urlsafe(18) + "\n", cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    key_id = Profiles(_now, tmp_path / "home").recovery_key_id("smoke")
    assert key_id
    assert f"force recovery key of the profile: {key_id}" in result.stdout


def test_an_older_profile_is_given_the_installed_key_and_can_then_be_recovered(
    tmp_path: Path, installed_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    profiles = Profiles(_now, home)  # made before the key was installed: no recovery copy
    profiles.create("1001", PASSPHRASE).close()
    assert profiles.recovery_key_id("1001") is None

    assert _admin(home, f"{PASSPHRASE}\n", "add-recovery-key", "--profile", "1001",
                  monkeypatch=monkeypatch) == 0
    assert profiles.recovery_key_id("1001")

    key_file = tmp_path / "fieldapp-recovery.pem"
    key_file.write_bytes(installed_key)
    assert _admin(home, f"{KEY_PASSWORD.decode()}\n{NEW}\n", "recover", "--profile", "1001",
                  "--private-key", str(key_file), monkeypatch=monkeypatch) == 0
    profiles.unlock("1001", NEW).close()


def test_add_recovery_key_says_so_when_none_is_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = tmp_path / "resources"
    shutil.copytree(resources_dir(), resources)
    (resources / RECOVERY_KEY_FILE).unlink(missing_ok=True)
    monkeypatch.setenv("FIELDAPP_RESOURCES", str(resources))
    Profiles(_now, tmp_path / "home").create("1001", PASSPHRASE).close()
    assert _admin(tmp_path / "home", f"{PASSPHRASE}\n", "add-recovery-key", "--profile", "1001",
                  monkeypatch=monkeypatch) == 1
    assert "No recovery public key is installed" in capsys.readouterr().err


def test_resend_puts_every_record_the_endpoint_acknowledged_back_in_the_outbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    profiles = Profiles(_now, home)
    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    sent = [occurrence(new_id(), at, author="1001") for _ in range(2)]
    with profiles.create("1001", PASSPHRASE) as store:
        store.append(sent)
        store.mark_acknowledged({event.id: n for n, event in enumerate(sent, 1)})
        assert store.outbox_count() == 0

    assert _admin(home, f"{PASSPHRASE}\n", "resend", "--profile", "1001",
                  monkeypatch=monkeypatch) == 0
    assert "2 records of profile 1001 will be sent again" in capsys.readouterr().out
    with profiles.unlock("1001", PASSPHRASE) as store:
        assert {e.id for e in store.outbox(10)} == {e.id for e in sent}
