"""The pure domain's CPU cost (run by hand): projection, the projection rows' codec, and
reading events, per 1,000 events, against the standard library's json.loads of the same
events' bytes measured in the same run.

    .venv/bin/python bench/bench_domain.py [--events 20000] [--repeat 5]

The events are bench_sync.py's `cases()` (an occurrence, a household, an offer and a
call-back attempt per case), as bench_peer.py captures them. Each measure is the median of
`--repeat` rounds; each round runs every measure once, one after the other, so a burst of load
on a shared machine lands on all of them alike. Lines:

- parse_event: the full validation of an untrusted event (already decoded from JSON), with
  the force's lists, as the endpoint's push reads it; event_from_json: re-reading a stored one.
- to_json: an event's canonical JSON made afresh (a corrected record has none cached), and
  the columns `Store._insert` writes of an event (two instants and the JSON).
- project: `project` of the events in batches of 500, as capture re-projects each batch's
  component; capture domain: the same with `component` walked over an in-memory lookup and
  `splice`d, as `projections.recompute` does it over SQL; project whole: every event at once,
  as a rebuild does.
- encode / decode: `codec` of every row a batch's projection writes (occurrences, households,
  tasks, referrals, conflicts).

Times are this process's CPU time (the machine is shared: waiting for a core is not the
domain's cost). Nothing here is asserted: read the ratios, and compare two trees by running
this file against each (PYTHONPATH=<other tree>) alternately.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from bench_sync import cases  # noqa: E402

from fieldapp.domain import projection  # noqa: E402
from fieldapp.domain.events import Rules, event_from_json, parse_event  # noqa: E402
from fieldapp.domain.problems import format_utc  # noqa: E402
from fieldapp.resources import load_catalogue, load_force, load_policy  # noqa: E402
from fieldapp.store import codec  # noqa: E402

BATCH = 500


def _rows(state: projection.State) -> list[object]:
    """What the projection tables keep of a state, as `projections._write` encodes it."""
    rows: list[object] = [*state.occurrences.values(), *state.households.values()]
    rows += [v.task for v in state.households.values() if v.task is not None]
    rows += [v.referral for v in state.households.values() if v.referral is not None]
    rows += list(state.conflicts.values())
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import fieldapp

    print(f"fieldapp from {Path(fieldapp.__file__).parent.parent}")
    policy = load_policy()
    events = cases(args.events // 4, "5001", random.Random(1))
    n = len(events)
    texts = [e.to_json() for e in events]
    raw = [t.encode() for t in texts]
    decoded = [json.loads(b) for b in raw]
    rules = Rules(load_catalogue(), datetime(2100, 1, 1, tzinfo=UTC), force=load_force())
    bare = [dataclasses.replace(e, canonical="") for e in events]
    batches = [events[i:i + BATCH] for i in range(0, n, BATCH)]
    states = [projection.project(b, policy) for b in batches]
    rows = [r for s in states for r in _rows(s)]
    encoded = [(type(r), codec.encode(r)) for r in rows]
    # Warm what a running app has warm already (the bank holidays, the codecs' tables).
    policy.first_due(events[0].occurred_at)

    def loads() -> None:
        for b in raw:
            json.loads(b)

    def parse() -> None:
        for d in decoded:
            parse_event(d, rules)

    def from_json() -> None:
        for t in texts:
            event_from_json(t)

    def to_json() -> None:
        for e in bare:
            e.to_json()

    def insert_columns() -> None:
        for e in events:
            (format_utc(e.occurred_at), format_utc(e.recorded_at), e.to_json())

    def project_batches() -> None:
        for b in batches:
            projection.project(b, policy)

    def capture_domain() -> None:
        lookup = projection.EventLookup()
        for b in batches:
            lookup.add(b)
            connected = projection.component(
                {k for e in b for k in projection.linked_keys(e)}, lookup
            )
            keys = {k for e in connected for k in projection.linked_keys(e)}
            projection.splice(projection.State(), projection.project(connected, policy), keys)

    def project_whole() -> None:
        projection.project(events, policy)

    def encode() -> None:
        for r in rows:
            codec.encode(r)

    def decode() -> None:
        for kind, text in encoded:
            codec.decode(kind, text)

    measures: list[tuple[str, Callable[[], None]]] = [
        ("json.loads (baseline)", loads),
        ("parse_event", parse),
        ("event_from_json", from_json),
        ("to_json (not cached)", to_json),
        ("insert columns", insert_columns),
        ("project (batches of 500)", project_batches),
        ("capture domain", capture_domain),
        ("project whole", project_whole),
        ("codec.encode", encode),
        ("codec.decode", decode),
    ]
    times: dict[str, list[float]] = {name: [] for name, _ in measures}
    for _ in range(args.repeat):
        for name, run in measures:
            t = time.process_time()
            run()
            times[name].append(time.process_time() - t)

    per_k = {name: statistics.median(ts) / n * 1000 for name, ts in times.items()}
    base = per_k["json.loads (baseline)"]
    print(f"{n} events, {len(rows)} projection rows, CPU time, median of {args.repeat}")
    print(f"{'measure':<28} {'ms per 1,000 events':>20} {'× json.loads':>13}")
    for name, _ in measures:
        print(f"{name:<28} {per_k[name] * 1000:>20.2f} {per_k[name] / base:>13.2f}")
    print("domain ratio (× json.loads, lower is better): " + " ".join(
        f"{key} {per_k[name] / base:.2f}" for key, name in (
            ("parse", "parse_event"), ("from_json", "event_from_json"),
            ("project", "project (batches of 500)"), ("capture", "capture domain"),
            ("encode", "codec.encode"), ("decode", "codec.decode"),
        )
    ))


if __name__ == "__main__":
    main()
