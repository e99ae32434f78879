"""A canary typed into every free-text field never reaches the disk in the clear."""

from __future__ import annotations

import json
from pathlib import Path

from store_helpers import PASSPHRASE, cheap_profiles, start_writer

CANARY = "Zoë-Kanarie-7f3a9Q"


# Every free-text field an officer can type into (telephone digits aside).
FREE_TEXT = {
    "occurrence_recorded.district",
    "leaflet_issued.person_name", "leaflet_issued.notes",
    "household_recorded.address", "household_recorded.members.name",
    "vcas_offered.reason", "vcas_offered.contact_name",
    "callback_attempted.notes",
    "task_reassigned.reason",
    "households_merged.reason",
    "entered_in_error.reason",
    "event_corrected.reason", "event_corrected.payload.address",
    "conflict_confirmed.note",
}


def canary_fields(recorded: list[str]) -> set[str]:
    found = set()

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        elif isinstance(value, list):
            for item in value:
                walk(prefix, item)
        elif value == CANARY:
            found.add(prefix)

    for text in recorded:
        data = json.loads(text)
        walk(data["type"], data["payload"])
    return found


def forms(text: str) -> dict[str, bytes]:
    """Every way the text could be written: UTF-8, UTF-16 both ways, JSON-escaped, and its
    ASCII part alone (which also catches an encoding nobody thought of)."""
    ascii_part = text.split("-", 1)[1]
    return {
        "utf-8": text.encode("utf-8"),
        "utf-16-le": text.encode("utf-16-le"),
        "utf-16-be": text.encode("utf-16-be"),
        "json": json.dumps(text).strip('"').encode("ascii"),
        "ascii part": ascii_part.encode("ascii"),
        "ascii part utf-16": ascii_part.encode("utf-16-le"),
        "ascii part lower": ascii_part.lower().encode("ascii"),
    }


def leaks(folder: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [name for name, needle in forms(CANARY).items() if needle in data.lower()
                or needle in data]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def test_the_canary_appears_nowhere_on_disk_in_the_clear(tmp_path: Path) -> None:
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    writer = start_writer("canary", str(home), CANARY, TMPDIR=str(temp), SQLITE_TMPDIR=str(temp))
    assert writer.stdout is not None and writer.stdin is not None
    assert writer.stdout.readline() == "ready\n", writer.stderr.read() if writer.stderr else ""
    profile = home / "profiles" / "worker"
    assert {"store.db-wal", "store.db-shm"} <= {p.name for p in profile.iterdir()}
    open_leaks = leaks(tmp_path)  # while open: the WAL holds the newest pages
    writer.stdin.write("\n")
    writer.stdin.flush()
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert open_leaks == {}
    assert leaks(tmp_path) == {}  # after close: the checkpointed file, logs, settings
    assert (home / "app.log").exists()
    for stream in (out, err):
        assert not any(needle.decode("latin-1") in stream for needle in forms(CANARY).values())

    # The scan would have seen it: the decrypted export holds the canary in every form used.
    with cheap_profiles(home).unlock("worker", PASSPHRASE) as store:
        store.export(tmp_path / "plain.db")
        recorded = [e.to_json() for e in store.iter_events()]
        assert all(CANARY not in a.detail for a in store.access_log(limit=1000))
    assert canary_fields(recorded) >= FREE_TEXT
    assert "plain.db" in leaks(tmp_path)
