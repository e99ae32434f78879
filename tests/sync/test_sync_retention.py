"""Retention and credential rotation end to end: a real endpoint process, two officers' real
SQLCipher profiles, and the endpoint's admin command line.

An old case erased on the endpoint is erased by both laptops at their next sync, with newer
records untouched, a record still waiting to be sent erased too, and the erased text gone from
the database file itself (decrypted page by page). A rotation the endpoint asks for is taken at
the next sync; a lost answer leaves the old token working; once the new token is used the old
one is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from factories import callback, event, household, new_id, occurrence, offer
from sync_support import PASSPHRASE, Central, Certificates, client, enrolled_profile, event_ids

from fieldapp.domain.events import Event, EventType
from fieldapp.domain.projection import project
from fieldapp.resources import load_policy
from fieldapp.store import Action, Store
from fieldapp.store.keys import WrappedKey
from fieldapp.sync import client as sync_client
from fieldapp.sync.protocol import SyncError

OLD = datetime(2019, 5, 14, 10, tzinfo=UTC)
NEW = datetime(2026, 3, 10, 14, tzinfo=UTC)
REASON = "Retention: 6 years after last activity (records policy RM-12)"
CANARY = "Kanarie-Erased-5c2e91"
# SQLCipher 4 defaults: 4096-byte pages, each ending in a 16-byte IV and a 64-byte HMAC.
PAGE, RESERVED = 4096, 80


def old_case(author: str, device: str) -> tuple[list[Event], str, str]:
    """An occurrence from 2019 with the canary in its free-text fields."""
    o, h = new_id(), new_id()
    kw = {"author": author, "device": device}
    events = [
        occurrence(o, OLD, oic=author, **kw),
        event(EventType.LEAFLET_ISSUED, o, {
            "person_name": CANARY, "leaflets": ["samaritans"], "outcome": "handed",
            "risk_indicators": [],
            "no_risk_seen": True, "escalated": False, "notes": CANARY}, OLD, **kw),
        household(h, o, OLD, address=CANARY, **kw),
        event(EventType.VCAS_OFFERED, h, {"outcome": "declined", "reason": CANARY}, OLD, **kw),
    ]
    return events, o, h


def new_case(author: str, device: str) -> list[Event]:
    o, h = new_id(), new_id()
    kw = {"author": author, "device": device}
    return [occurrence(o, NEW, oic=author, **kw), household(h, o, NEW, **kw),
            offer(h, "declined", NEW, **kw)]


def _decrypt(raw: bytes, page: bytes, first: bool) -> bytes:
    body = page[16 if first else 0 : PAGE - RESERVED]  # page 1 starts with the file's salt
    iv = page[PAGE - RESERVED : PAGE - RESERVED + 16]
    decryptor = Cipher(algorithms.AES(raw), modes.CBC(iv)).decryptor()
    return decryptor.update(body) + decryptor.finalize()


def plaintext_pages(store: Store, home: Path) -> bytes:
    """Every page of the profile's database file and of its WAL, decrypted with the raw key:
    free pages and deleted cells included, which no SQL query would show."""
    folder = home / "profiles" / str(store.actor)
    key = WrappedKey.from_json((folder / "key.json").read_bytes()).open(PASSPHRASE)
    try:
        raw = key.reveal()
        data = (folder / "store.db").read_bytes()
        pages = [_decrypt(raw, data[at : at + PAGE], at == 0) for at in range(0, len(data), PAGE)]
        wal = folder / "store.db-wal"
        log = wal.read_bytes() if wal.exists() else b""
        # A 32-byte header, then frames: a 24-byte header (its first 4 bytes the page number)
        # and the page as it is written to the database file.
        for at in range(32, len(log), 24 + PAGE):
            number = int.from_bytes(log[at : at + 4], "big")
            pages.append(_decrypt(raw, log[at + 24 : at + 24 + PAGE], number == 1))
        return b"".join(pages)
    finally:
        key.wipe()


def checkpoint(store: Store) -> None:
    store._db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def test_an_old_case_erased_on_the_endpoint_leaves_both_laptops(
    tmp_path: Path, central: Central, certs: Certificates
) -> None:
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    a = enrolled_profile(home_a, "1001", central.url, central.officer("1001", role="oic"),
                         certs.ca)
    b = enrolled_profile(home_b, "1002", central.url, central.officer("1002"), certs.ca)
    old, o, h = old_case("1001", "laptop-a")
    newer = new_case("1001", "laptop-a")
    theirs = new_case("1002", "laptop-b")
    a.append(old + newer)
    b.append(theirs)
    for run in (client(a), client(b), client(a)):
        run.run_once()
    assert sorted(event_ids(a)) == sorted(event_ids(b)) == sorted(central.event_ids())
    # The check below would see it: in the WAL's frames, and once checkpointed, in the file.
    assert CANARY.encode() in plaintext_pages(b, home_b)
    checkpoint(b)
    assert CANARY.encode() in plaintext_pages(b, home_b)

    out = central.admin("retention", "--before", "2020-01-01", "--reason", REASON, "--dry-run")
    assert "Would erase 1 cases" in out and o in out
    assert "Erased 1 cases" in central.admin("retention", "--before", "2020-01-01",
                                             "--reason", REASON)
    assert not set(central.event_ids()) & {e.id for e in old}
    # Officer A recorded a call-back on the old household before hearing of the erasure.
    late = callback(h, "no_answer", NEW, author="1001", device="laptop-a")
    a.append([late])

    summary_a = client(a).run_once()
    summary_b = client(b).run_once()

    gone = {e.id for e in old} | {late.id}
    kept = {e.id for e in newer + theirs}
    for store, summary in ((a, summary_a), (b, summary_b)):
        assert set(event_ids(store)) == kept
        assert set(summary.erased) == {o, h}
        assert store.occurrence(o) is None and store.household(h) is None
        assert store.state() == project(list(store.iter_events()), load_policy())
        assert store.integrity_check() == "ok"
        erasures = [e for e in store.access_log(limit=500) if e.action is Action.ERASURE]
        assert {e.subject_id for e in erasures if REASON in e.detail} == {o, h}
    assert a.state() == b.state()
    assert [r[0] for r in summary_a.rejected] == [late.id]  # the endpoint refused it
    assert [e.detail.split()[1] for e in a.access_log(limit=500)
            if "not yet stored centrally" in e.detail] == [late.id]
    assert a.outbox_count() == 0 and a.rejected() == []
    assert not gone & set(central.event_ids())

    # The erased text is gone from the files, not only from what queries return.
    for store, home in ((a, home_a), (b, home_b)):
        assert CANARY.encode() not in plaintext_pages(store, home)
        store._db.conn.execute("VACUUM")
        checkpoint(store)
        assert CANARY.encode() not in plaintext_pages(store, home)
        assert store._db.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1

    # Nothing more to do at the next sync.
    again = client(a).run_once()
    assert again.erased == () and (again.pushed, again.pulled) == (0, 0)
    a.close()
    b.close()


def pull_status(central: Central, certs: Certificates, token: str) -> int:
    answer = requests.get(f"{central.url}/v1/pull", verify=certs.ca, timeout=10,
                          headers={"Authorization": f"Bearer {token}"})
    return answer.status_code


def test_a_rotation_asked_for_by_the_administrator_is_taken_at_the_next_sync(
    tmp_path: Path, central: Central, certs: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = enrolled_profile(tmp_path, "1003", central.url, central.officer("1003"), certs.ca)
    first = store.get_setting("sync.token")
    assert first and client(store).run_once().token_rotated is False
    central.admin("rotate-credentials", "--device", str(store.get_setting("sync.device_id")))

    # The answer is lost on the way: the laptop never sees the token the endpoint issued.
    def lost(body: object) -> str:
        raise SyncError("The central system cannot be reached.", retryable=True)

    monkeypatch.setattr(sync_client, "read_rotate_response", lost)
    assert client(store).run_once().token_rotated is False
    assert store.get_setting("sync.token") == first
    assert pull_status(central, certs, first) == 200  # so the old token still works
    monkeypatch.undo()

    summary = client(store).run_once()  # asked again, and this time the answer arrives
    second = store.get_setting("sync.token")
    assert summary.token_rotated and second and second != first
    assert pull_status(central, certs, first) == 200  # until the new one is used...
    store.append(new_case("1003", "laptop-c"))
    after = client(store).run_once()
    assert after.pushed == 3 and after.token_rotated is False
    assert pull_status(central, certs, first) == 401  # ...then it is refused
    assert pull_status(central, certs, second) == 200
    assert client(store).run_once().pushed == 0
    store.close()
    # The token lives only inside the encrypted profile.
    assert second.encode() not in b"".join(
        p.read_bytes() for p in (tmp_path / "profiles").rglob("*") if p.is_file()
    )
