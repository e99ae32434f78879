"""Wrong passphrase, truncated or foreign files, a full disk: plain words, nothing lost."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import (
    PASSPHRASE,
    cheap_profiles,
    integrity,
    projected_matches_log,
    scenario,
    start_writer,
    worker_env,
)

from fieldapp.store import DamagedDatabase, DiskError, Profiles, WrongPassphrase

PLAIN_WORDS = ("sqlite", "sqlcipher", "pragma", "errno", "traceback", "0x", "/")


def assert_plain(message: str) -> None:
    assert message[0].isupper() and message.endswith("."), message
    assert not any(word in message.lower() for word in PLAIN_WORDS), message


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def saved(profiles: Profiles) -> list[str]:
    events = scenario(11, 8)
    with profiles.create("1234", PASSPHRASE) as store:
        store.append(events)
    return [e.id for e in events]


def all_there(profiles: Profiles, ids: list[str]) -> None:
    with profiles.unlock("1234", PASSPHRASE) as store:
        assert [e.id for e in store.iter_events()] == ids
        assert integrity(store) == "ok"
        assert projected_matches_log(store)


def test_a_wrong_passphrase_changes_nothing(profiles: Profiles, saved: list[str]) -> None:
    database = profiles.path("1234") / "store.db"
    before = digest(database)
    with pytest.raises(WrongPassphrase) as raised:
        profiles.unlock("1234", "violet-anchor-river-29")
    assert_plain(str(raised.value))
    assert digest(database) == before
    all_there(profiles, saved)


@pytest.mark.parametrize("keep", [0.5, 3 * 4096, 4096, 100, 0])
def test_a_truncated_database_is_refused_and_left_as_it_was(
    profiles: Profiles, saved: list[str], keep: float
) -> None:
    database = profiles.path("1234") / "store.db"
    original = database.read_bytes()
    cut = int(len(original) * keep) if keep < 1 else int(keep)
    database.write_bytes(original[:cut])
    with pytest.raises(DamagedDatabase) as raised:
        profiles.unlock("1234", PASSPHRASE)
    assert_plain(str(raised.value))
    assert database.read_bytes() == original[:cut]  # not "repaired", not recreated empty
    database.write_bytes(original)  # IT restores the file: everything is back
    all_there(profiles, saved)


def foreign_files(tmp_path: Path) -> dict[str, bytes]:
    plain = tmp_path / "plain.db"
    with sqlite3.connect(plain) as conn:
        conn.execute("CREATE TABLE events (id TEXT)")
    other = cheap_profiles(tmp_path / "other")
    other.create("9999", PASSPHRASE).close()
    return {
        "random bytes": os.urandom(64 * 1024),
        "plain SQLite": plain.read_bytes(),
        "another profile's database": (other.path("9999") / "store.db").read_bytes(),
    }


def test_a_foreign_file_is_refused_and_left_as_it_was(
    profiles: Profiles, saved: list[str], tmp_path: Path
) -> None:
    database = profiles.path("1234") / "store.db"
    original = database.read_bytes()
    for label, content in foreign_files(tmp_path).items():
        database.write_bytes(content)
        with pytest.raises(DamagedDatabase) as raised:
            profiles.unlock("1234", PASSPHRASE)
        assert_plain(str(raised.value))
        assert database.read_bytes() == content, label
    database.write_bytes(original)
    all_there(profiles, saved)


def test_another_profiles_key_file_does_not_open_this_database(
    profiles: Profiles, saved: list[str]
) -> None:
    profiles.create("9999", PASSPHRASE).close()
    key_file = profiles.path("1234") / "key.json"
    original = key_file.read_bytes()
    shutil.copy(profiles.path("9999") / "key.json", key_file)
    with pytest.raises(DamagedDatabase):
        profiles.unlock("1234", PASSPHRASE)
    key_file.write_bytes(original)
    all_there(profiles, saved)


@pytest.mark.slow
def test_a_full_disk_refuses_the_write_in_plain_words_and_loses_nothing(home: Path) -> None:
    writer = start_writer("fill", str(home), "5", str(512 * 1024))
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    report = json.loads(out)
    for step in ("append", "draft", "passphrase"):
        kind, message = report[step]
        assert kind == DiskError.__name__, (step, message)
        assert message == DiskError.message
        assert_plain(message)
    assert report["retried"]  # once space was freed, saving again worked without a restart
    acknowledged = report["acknowledged"]
    assert len(acknowledged) > 5
    profiles = cheap_profiles(home)
    # The passphrase change failed as a whole: the old passphrase still opens the profile.
    with profiles.unlock("worker", PASSPHRASE) as store:
        held = [e.id for e in store.iter_events()]
        assert held == acknowledged  # all there, once each, the refused one only after retry
        assert integrity(store) == "ok"
        assert projected_matches_log(store)
        assert store.outbox_count() == len(held)
        assert store.load_draft("household") is None
    leftovers = [p.name for p in profiles.path("worker").iterdir() if p.name.endswith(".part")]
    assert leftovers == []


def test_a_wrong_key_prints_nothing_on_stderr(profiles: Profiles, saved: list[str]) -> None:
    # SQLCipher logs a failed page check to stderr unless told not to (cipher_log_level NONE).
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from fieldapp.store.db import Database\n"
        "from fieldapp.store.errors import DamagedDatabase\n"
        "from fieldapp.store.keys import SecretKey\n"
        "try:\n"
        "    Database.open(Path(sys.argv[1]), SecretKey.generate())\n"
        "except DamagedDatabase:\n"
        "    print('refused')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(profiles.path("1234") / "store.db")],
        capture_output=True, text=True, env=worker_env(), timeout=60, check=False,
    )
    assert (result.stdout, result.stderr) == ("refused\n", "")
