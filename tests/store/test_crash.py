"""kill -9 at random points: nothing acknowledged is lost, nothing is half-written."""

from __future__ import annotations

import random
import signal
import threading
import time
from pathlib import Path

import pytest
from store_helpers import PASSPHRASE, cheap_profiles, integrity, projected_matches_log, start_writer

RUNS = 20


def run_and_kill(home: Path, mode: str, seed: int, rng: random.Random) -> list[str]:
    """Start a writer, let it work for a random while, SIGKILL it; its complete lines."""
    proc = start_writer(mode, str(home), str(seed))
    lines: list[str] = []
    first = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            first.set()

    reader = threading.Thread(target=read)
    reader.start()
    if not first.wait(timeout=60):
        proc.kill()
        reader.join()
        raise AssertionError(proc.stderr.read() if proc.stderr else "writer did not start")
    time.sleep(rng.uniform(0.02, 0.4))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join()
    assert proc.returncode == -signal.SIGKILL
    # A line cut short by the kill was not acknowledged.
    return [line.rstrip("\n") for line in lines if line.endswith("\n")]


@pytest.mark.slow
def test_appends_acknowledged_before_a_kill_are_all_there(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(20260310)
    acknowledged: list[str] = []
    for run in range(RUNS):
        acknowledged += run_and_kill(home, "append", run, rng)
        with cheap_profiles(home).unlock("worker", PASSPHRASE) as store:
            present = {e.id for e in store.iter_events()}
            assert integrity(store) == "ok"
            assert projected_matches_log(store)
            # Every local event is in the outbox exactly once, none half-recorded.
            assert store.outbox_count() == len(present)
        lost = set(acknowledged) - present
        assert not lost, f"run {run}: lost {len(lost)}"
    with capsys.disabled():
        print(
            f"\n[kill -9 appends] runs={RUNS} acknowledged={len(acknowledged)} "
            f"present={len(present)} lost=0"
        )
    assert len(acknowledged) >= RUNS


@pytest.mark.slow
def test_a_pulled_batch_and_its_cursor_are_saved_together_or_not_at_all(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(7)
    begun: dict[int, list[str]] = {}
    runs = RUNS // 2
    for run in range(runs):
        for line in run_and_kill(home, "pull", run, rng):
            word, k, *ids = line.split()
            if word == "begin":
                begun[int(k)] = ids
        with cheap_profiles(home).unlock("worker", PASSPHRASE) as store:
            cursor = store.cursor()
            held = {e.id for e in store.iter_events()}
            assert integrity(store) == "ok"
            assert projected_matches_log(store)
            assert store.outbox_count() == 0
        upto = int(cursor[1:]) if cursor else -1
        for k, ids in begun.items():
            if k <= upto:
                assert set(ids) <= held, f"batch {k} is behind the cursor but missing"
            else:
                assert not set(ids) & held, f"batch {k} is saved but the cursor is not"
    with capsys.disabled():
        print(f"\n[kill -9 pulls] runs={runs} batches begun={len(begun)} cursor=c{upto} "
              f"half-saved=0")


@pytest.mark.slow
def test_a_save_killed_midway_leaves_its_record_or_its_draft_never_both(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both would let the officer open the draft and save the same record a second time."""
    rng = random.Random(11)
    acknowledged: set[str] = set()
    for run in range(RUNS):
        acknowledged |= {key.split(":")[1] for key in run_and_kill(home, "save", run, rng)}
        with cheap_profiles(home).unlock("worker", PASSPHRASE) as store:
            saved = {e.aggregate_id for e in store.iter_events()}
            drafts = {key.split(":")[1] for key in store.drafts()}
            assert integrity(store) == "ok"
        both = saved & drafts
        assert not both, f"run {run}: {len(both)} saved and still a draft"
        assert acknowledged <= saved, f"run {run}: lost {len(acknowledged - saved)}"
    with capsys.disabled():
        print(f"\n[kill -9 saves] runs={RUNS} saved={len(saved)} drafts left unsaved="
              f"{len(drafts)} both=0")
