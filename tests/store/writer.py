"""A separate process that writes to a profile, for the tests that kill it or starve it.

    python writer.py append HOME SEED      append events one by one, printing each id once saved
    python writer.py pull HOME SEED        apply pulled batches, printing "begin"/"done" lines
    python writer.py save HOME SEED        the app's save path: a form's draft, then the record
                                           saved from it, printing the draft's key once saved
    python writer.py fill HOME SEED BYTES  append with the file-size limit BYTES above today's
    python writer.py canary HOME TEXT      record TEXT in every free-text field, then wait

Run with PYTHONPATH including tests/ and tests/store/.
"""

from __future__ import annotations

import json
import logging
import random
import resource
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from factories import new_id
from store_helpers import PASSPHRASE, START, case, cheap_profiles

from fieldapp.domain.events import EventType
from fieldapp.store import Profiles, Store, StoreError

NAME = "worker"
NEW_PASSPHRASE = "amber-lantern-57-quay"


def _open(home: Path) -> tuple[Profiles, Store]:
    profiles = cheap_profiles(home)
    if NAME in profiles.names():
        return profiles, profiles.unlock(NAME, PASSPHRASE)
    return profiles, profiles.create(NAME, PASSPHRASE)


def append(home: Path, seed: int) -> None:
    _, store = _open(home)
    rng = random.Random(seed)
    i = 0
    while True:
        for event in case(rng, START + timedelta(hours=i)):
            store.append([event])
            print(event.id, flush=True)
        i += 1


def pull(home: Path, seed: int) -> None:
    _, store = _open(home)
    rng = random.Random(seed)
    cursor = store.cursor()
    k = int(cursor[1:]) + 1 if cursor else 0
    while True:
        batch = case(rng, START + timedelta(hours=k))
        print("begin", k, *(e.id for e in batch), flush=True)
        store.apply_pulled(batch, f"c{k}")
        print("done", k, flush=True)
        k += 1


def save(home: Path, seed: int) -> None:
    # Only this mode runs the app's own code: what the database worker does on "Save".
    from fieldapp.ui.session import Capture, Identity, record

    _, store = _open(home)
    identity = Identity(author="1234", device_id="laptop-a")
    rng = random.Random(seed)
    while True:
        occurrence = new_id()
        key = f"occurrence:{occurrence}"
        payload = {"reference": f"13/{rng.randrange(10**6):06d}/26", "offence_types": ["iioc"],
                   "oic": "1234", "district": "Leeds"}
        store.save_draft(key, json.dumps({"payload": payload}))  # as the officer types
        now = datetime.now(UTC)
        capture = Capture(EventType.OCCURRENCE_RECORDED, occurrence, payload, now, key)
        record(store, capture, identity, now)
        print(key, flush=True)


def fill(home: Path, seed: int, margin: int) -> None:
    """Append until the file-size limit stops a write, then try the other writes, then lift
    the limit and try the refused event again."""
    profiles, store = _open(home)
    largest = max(p.stat().st_size for p in profiles.path(NAME).iterdir() if p.is_file())
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG, as from a full disk
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (largest + margin, hard))
    rng = random.Random(seed)
    acknowledged: list[str] = []
    report: dict[str, object] = {"acknowledged": acknowledged}
    refused = None
    i = 0
    try:
        while True:
            for event in case(rng, START + timedelta(hours=i), text="x" * 60):
                refused = event
                store.append([event])
                acknowledged.append(event.id)
            i += 1
    except StoreError as error:
        report["append"] = [type(error).__name__, str(error)]
    assert refused is not None
    report["refused"] = refused.id

    def draft() -> None:
        store.save_draft("household", json.dumps({"notes": "y" * 4 * margin}))

    def passphrase() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, hard))  # smaller than key.json
        profiles.change_passphrase(NAME, PASSPHRASE, NEW_PASSPHRASE)

    for label, action in (("draft", draft), ("passphrase", passphrase)):
        try:
            action()
            report[label] = ["ok", ""]
        except StoreError as error:
            report[label] = [type(error).__name__, str(error)]
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space freed
    store.append([refused])
    acknowledged.append(refused.id)
    report["retried"] = True
    store.close()
    print(json.dumps(report), flush=True)


def canary(home: Path, text: str) -> None:
    # Everything the app might log goes to a file the test scans.
    logging.basicConfig(filename=str(home / "app.log"), level=logging.DEBUG)
    _, store = _open(home)
    rng = random.Random(1)
    events = case(rng, START, text=text)
    store.append(events)
    store.save_draft("household", json.dumps({"address": text, "notes": text}))
    store.set_setting("officer_name", text)
    store.search(text)
    store.search("LS")
    for event in events:
        store.household(event.aggregate_id)
        store.occurrence(event.aggregate_id)
        store.note_consultation("household", event.aggregate_id)
    print("ready", flush=True)
    sys.stdin.readline()
    store.close()
    print("closed", flush=True)


def main() -> None:
    mode, home = sys.argv[1], Path(sys.argv[2])
    if mode == "append":
        append(home, int(sys.argv[3]))
    elif mode == "pull":
        pull(home, int(sys.argv[3]))
    elif mode == "save":
        save(home, int(sys.argv[3]))
    elif mode == "fill":
        fill(home, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "canary":
        canary(home, sys.argv[3])
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
