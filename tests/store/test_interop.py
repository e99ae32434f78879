"""The file is standard SQLCipher: it opens with the raw key alone; the admin export decrypts
it only after the passphrase is given."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlcipher3
from store_helpers import PASSPHRASE, FakeClock, scenario, worker_env

from fieldapp.store import Action, Profiles
from fieldapp.store.keys import WrappedKey
from fieldapp.store.schema import LATEST

TOKEN = "dev-token-9c1e77b2f0"


@pytest.fixture
def filled(home: Path) -> tuple[Profiles, list[str]]:
    # Real Argon2id parameters: the export below goes through the production unlock path.
    profiles = Profiles(FakeClock(), home)
    events = scenario(2, 6)
    with profiles.create("1234", PASSPHRASE) as store:
        store.append(events)
        store.set_setting("device_token", TOKEN)
    return profiles, [e.id for e in events]


def test_a_plain_sqlcipher_connection_opens_it_with_the_raw_key(
    filled: tuple[Profiles, list[str]],
) -> None:
    profiles, ids = filled
    folder = profiles.path("1234")
    key = WrappedKey.from_json((folder / "key.json").read_bytes()).open(PASSPHRASE)
    conn = sqlcipher3.connect(str(folder / "store.db"))
    conn.execute(f"PRAGMA key = \"x'{key.reveal().hex()}'\"")
    assert conn.execute("PRAGMA cipher_version").fetchone()[0]
    assert [r[0] for r in conn.execute("SELECT id FROM events ORDER BY seq")] == ids
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    # And without the key, SQLite sees no database at all.
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(folder / "store.db").execute("SELECT * FROM sqlite_master").fetchall()


def admin(home: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldapp", "admin", "--home", str(home), *args],
        input=stdin, capture_output=True, text=True, env=worker_env(), timeout=60, check=False,
    )


def test_export_needs_the_passphrase_then_writes_a_private_plain_copy(
    filled: tuple[Profiles, list[str]], home: Path, tmp_path: Path
) -> None:
    profiles, ids = filled
    out = tmp_path / "backup.db"
    export = ("export", "--profile", "1234", "--out", str(out), "--passphrase-stdin")

    refused = admin(home, *export, stdin="")
    assert refused.returncode == 1 and not out.exists()
    assert "before the passphrase was given" in refused.stderr
    wrong = admin(home, *export, stdin="violet-anchor-river-29\n")
    assert wrong.returncode == 1 and not out.exists()
    assert "That passphrase is not right for this profile." in wrong.stderr
    assert PASSPHRASE not in wrong.stderr + wrong.stdout

    done = admin(home, *export, stdin=PASSPHRASE + "\n")
    assert done.returncode == 0, done.stderr
    assert "NOT encrypted" in done.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with sqlite3.connect(out) as plain:  # the standard library's SQLite, no key
        assert [r[0] for r in plain.execute("SELECT id FROM events ORDER BY seq")] == ids
        assert plain.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert plain.execute("SELECT count(*) FROM settings").fetchone()[0] == 0
    assert TOKEN.encode() not in out.read_bytes()  # the device's credential stays behind
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    again = admin(home, *export, stdin=PASSPHRASE + "\n")
    assert again.returncode == 1 and "already a file" in again.stderr

    lines = tmp_path / "events.jsonl"
    jsonl = admin(home, "export", "--profile", "1234", "--out", str(lines), "--format", "jsonl",
                  "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert jsonl.returncode == 0, jsonl.stderr
    assert [json.loads(line)["id"] for line in lines.read_text().splitlines()] == ids

    with profiles.unlock("1234", PASSPHRASE) as store:
        disclosures = [a for a in store.access_log() if a.action is Action.DISCLOSURE]
    assert [a.detail for a in disclosures] == [
        "decrypted export (jsonl)", "decrypted export (sqlite)",
    ]


def test_admin_lists_profiles_and_refuses_a_bad_name_before_asking(
    filled: tuple[Profiles, list[str]], home: Path, tmp_path: Path
) -> None:
    listed = admin(home, "profiles", stdin="")
    assert listed.stdout.split() == ["1234"]
    bad = admin(home, "export", "--profile", "../x", "--out", str(tmp_path / "x"),
                "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert bad.returncode == 1 and "profile name" in bad.stderr
