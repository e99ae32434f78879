"""Supervisors' figures benchmark (run by hand): the reads the figures add, against the
call-back list's own read (`Store.task_rows`) on the same database, in the same run.

    .venv/bin/python bench/bench_figures.py [--occurrences 10000]

Each occurrence has a household with a declined offer (so a call-back), and nine in ten a
leaflet issue. Timed (best of five): the follow-ups' "Leaflets not recorded" op
(`leaflets_due.load_not_recorded`), the partner reports read (`Store.events_of_type`) and
the Reports page's whole op (`reports_model.compute_figures`). Nothing is asserted: read the
ratios.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "store"), str(ROOT / "bench")]

from bench_ui import best_of  # noqa: E402
from factories import household, new_id, occurrence, offer  # noqa: E402
from figure_events import leaflet  # noqa: E402
from store_helpers import CHEAP_KDF, FakeClock  # noqa: E402

from fieldapp.domain.events import Event, EventType  # noqa: E402
from fieldapp.store import Profiles  # noqa: E402
from fieldapp.ui.leaflets_due import load_not_recorded  # noqa: E402
from fieldapp.ui.reports_model import ReportRequest, compute_figures  # noqa: E402

AT = datetime(2026, 1, 5, 10, tzinfo=UTC)
TODAY = date(2026, 3, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--occurrences", type=int, default=10_000)
    n = parser.parse_args().occurrences
    profiles = Profiles(FakeClock(), Path(tempfile.mkdtemp()), insecure_kdf_for_tests=CHEAP_KDF)
    store = profiles.create("1234", "otter-pylon-harbour-83")
    batch: list[Event] = []
    for k in range(n):
        o, h = new_id(), new_id()
        batch += [occurrence(o, AT, oic="1234"), household(h, o, AT), offer(h, "declined", AT)]
        if k % 10:
            batch.append(leaflet(o, AT, "handed", ["safer_lives"]))
        if len(batch) > 4000:
            store.append(batch)
            batch = []
    store.append(batch)
    request = ReportRequest(date(2026, 1, 1), date(2026, 12, 31), "month", "", TODAY, AT)
    # best_of (bench_ui.py) times a call and ignores what it returns.
    base = best_of(5, store.task_rows)  # type: ignore[arg-type]
    due = best_of(5, lambda: load_not_recorded(store, "1234", TODAY))  # type: ignore[arg-type,return-value]
    reports = best_of(5, lambda: store.events_of_type(  # type: ignore[arg-type,return-value]
        EventType.PARTNER_ENGAGEMENT_REPORTED))
    whole = best_of(3, lambda: compute_figures(store, request))  # type: ignore[arg-type,return-value]
    print(f"{n:,} occurrences, households and call-backs; task_rows {base * 1000:.0f} ms")
    print(f"leaflets not recorded  {due / base:5.2f} x task_rows "
          f"({len(load_not_recorded(store, '1234', TODAY)):,} listed)")
    print(f"partner reports read   {reports / base:5.2f} x task_rows")
    print(f"Reports page op        {whole / base:5.2f} x task_rows")
    store.close()


if __name__ == "__main__":
    main()
