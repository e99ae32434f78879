"""The procedure in docs/admin-guide.md, "After a restore", with real parts: an HTTPS endpoint
process, two officers' SQLCipher profiles, an online backup, the endpoint's database lost and
restored. Laptop A was enrolled before the backup, laptop B after it. Once IT has run
`fieldapp admin resend` on both and `fieldapp admin enrol` on B, every record is on the
endpoint exactly once and on every laptop that may see it: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from factories import household, new_id, occurrence
from sync_support import (
    PASSPHRASE,
    Central,
    Certificates,
    client,
    enrolled_profile,
    event_ids,
    now,
    profiles,
)

from fieldapp.admin import admin_main
from fieldapp.store import Store
from fieldapp.sync.protocol import SyncError


def _record(store: Store, author: str) -> list[str]:
    at = now()
    occ = occurrence(new_id(), at, oic=author, author=author, device=f"laptop-{author}")
    home = household(new_id(), occ.aggregate_id, at, author=author, device=f"laptop-{author}")
    store.append([occ, home])
    return [occ.id, home.id]


def _admin(home: Path, stdin: str, monkeypatch: pytest.MonkeyPatch, *command: str) -> int:
    read, write = os.pipe()
    os.write(write, stdin.encode())
    os.close(write)
    with os.fdopen(read) as handle:
        monkeypatch.setattr("sys.stdin", handle)
        return admin_main(["--home", str(home), *command, "--passphrase-stdin"])


def test_after_a_restore_laptops_resend_and_everything_converges(
    central: Central, certs: Certificates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    a = enrolled_profile(home_a, "1001", central.url, central.officer("1001"), certs.ca)
    made = _record(a, "1001")
    client(a).run_once()
    backup = tmp_path / "central.backup"
    central.admin("backup", "--out", str(backup))  # online, as the nightly job does it

    b = enrolled_profile(home_b, "1002", central.url, central.officer("1002"), certs.ca)
    made += _record(a, "1001") + _record(b, "1002")
    for laptop in (a, b, a):
        client(laptop).run_once()
    assert sorted(central.event_ids()) == sorted(made)

    # The endpoint's disk is lost; IT restores last night's backup into a new database.
    central.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{central.database}{suffix}").unlink(missing_ok=True)
    assert "Restored 2 events" in central.admin("restore", "--from", str(backup))
    central.start()
    assert sorted(central.event_ids()) == sorted(made[:2])
    with pytest.raises(SyncError, match="not enrolled"):
        client(b).run_once()  # B was enrolled after the backup: its token is unknown
    a.close()
    b.close()

    # What IT does: officer 1002 again (added after the backup), a new code; B enrolled
    # again; both laptops send everything again.
    code = central.officer("1002")
    assert _admin(home_b, f"{PASSPHRASE}\n{code}\n", monkeypatch, "enrol", "--profile", "1002",
                  "--url", central.url, "--device-name", "laptop of 1002",
                  "--ca-file", certs.ca) == 0
    for home, name in ((home_a, "1001"), (home_b, "1002")):
        assert _admin(home, f"{PASSPHRASE}\n", monkeypatch, "resend", "--profile", name) == 0

    a, b = profiles(home_a).unlock("1001", PASSPHRASE), profiles(home_b).unlock("1002", PASSPHRASE)
    try:
        for laptop in (a, b, a):
            client(laptop).run_once()
        assert sorted(central.event_ids()) == sorted(made)  # each once: nothing duplicated
        assert sorted(event_ids(a)) == sorted(made)  # same team: each sees the other's
        assert sorted(event_ids(b)) == sorted(made)
        assert a.outbox_count() == b.outbox_count() == 0
    finally:
        a.close()
        b.close()
