"""fieldapp's sync beside PouchDB's on the same events, and the limit, in one run.

    .venv/bin/python bench/bench_peer.py [--events 100000] [--repeat 3] [--security off,on]
                                         [--postgresql]

The PouchDB peer (../shared/peers/pouchdb/, PouchDB 9 + express-pouchdb 4, plain HTTP) is
copied to a temporary folder and installed there with npm. Both replicate bench_sync.py's
`cases()` (four events a case), batches of 500, five phases: capture into laptop A, push
A → endpoint, pull endpoint → a fresh laptop B (fieldapp: with its schedule reconciled),
incremental (1,000 more events A → endpoint → B) and a no-op sync of both. fieldapp runs over
verified HTTPS to `fieldapp-central serve` on 127.0.0.1, each run in a child process of its
own (cipher_memory_security is process-wide in SQLCipher, and the child's peak RSS is the
laptops'), once per cipher_memory_security setting; runs alternate with PouchDB's. With
`--postgresql` the endpoint stores into a throwaway PostgreSQL cluster (the test suite's, from
tests/central/conftest.py: fsync off, so its commits cost less than SQLite's FULL ones).

The limit is measured in the same child, after the phases: a bulk insert per side (SQLCipher
with the store's settings; SQLite with the endpoint's), JSON encode and decode, round trips
over HTTPS and plain HTTP, and one `parse_event` validation per side. Built from those parts
per phase: what a sync could cost with nothing else to do.

Never part of the test suite; the numbers depend on the machine (print `uptime` beside them).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "sync"), str(ROOT / "bench")]

from bench_sync import cases  # noqa: E402
from sync_support import (  # noqa: E402
    CHEAP_KDF,
    Central,
    Certificates,
    client,
    now,
    running,
)

from fieldapp.domain.events import Event, Rules, event_from_json, parse_event  # noqa: E402
from fieldapp.resources import load_catalogue, load_policy  # noqa: E402
from fieldapp.store import Profiles, Store  # noqa: E402
from fieldapp.store.db import Database  # noqa: E402
from fieldapp.store.files import create_private_file  # noqa: E402
from fieldapp.store.keys import SecretKey  # noqa: E402
from fieldapp.sync.client import enrol  # noqa: E402
from fieldapp.sync.transport import Transport  # noqa: E402

PEER = ROOT.parent / "shared" / "peers" / "pouchdb"
PHASES = ("capture", "push", "pull", "incremental", "noop")
BATCH = 500
EXTRA = 1_000


# --------------------------------------------------------------------------- fieldapp child


def read_batches(path: Path, size: int = BATCH) -> Iterator[list[Event]]:
    """The events file a batch at a time, so the laptop never holds all of them."""
    batch: list[Event] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            batch.append(event_from_json(line.rstrip("\n")))
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def peak_rss_mib(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a process, this one by default, in MiB."""
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def laptop(work: Path, collar: str, central: Central, ca: str, security: bool) -> Store:
    policy = dataclasses.replace(load_policy(), cipher_memory_security=security)
    profiles = Profiles(now, work / collar, policy=policy, insecure_kdf_for_tests=CHEAP_KDF)
    store = profiles.create(collar, "correct horse battery staple 42")
    enrol(store, central.url, central.officer(collar), f"laptop of {collar}", ca_bundle=ca)
    return store


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system, all threads) of a process so far, this one by default: on a
    shared machine a phase's wall time swings with the load, its CPU time much less."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Each phase's CPU seconds on the laptops (this process) and on the endpoint."""

    def __init__(self, endpoint: int) -> None:
        self.endpoint = endpoint
        self.spent: dict[str, list[float]] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        laptop, endpoint = cpu_seconds(), cpu_seconds(self.endpoint)
        yield
        was = self.spent.setdefault(name, [0.0, 0.0])
        was[0] += cpu_seconds() - laptop
        was[1] += cpu_seconds(self.endpoint) - endpoint


@contextmanager
def endpoint_database(postgresql: bool) -> Iterator[str | None]:
    """None for the endpoint's SQLite file, or the URL of a fresh PostgreSQL database."""
    if not postgresql:
        yield None
        return
    sys.path.insert(0, str(ROOT / "tests" / "central"))  # the cluster's own helpers
    spec = importlib.util.spec_from_file_location(
        "central_conftest", ROOT / "tests" / "central" / "conftest.py")
    assert spec is not None
    assert spec.loader is not None
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    cluster = conftest.PostgresCluster()
    try:
        yield cluster.create_database()
    finally:
        cluster.stop()


def fieldapp_phases(
    work: Path, events: Path, extra: Path, security: bool, database_url: str | None = None
) -> dict[str, Any]:
    certs = Certificates(work)
    central = Central(work, certs, database_url=database_url)
    out: dict[str, Any] = {}
    with running(central):
        a = laptop(work, "5001", central, certs.ca, security)
        b = laptop(work, "5002", central, certs.ca, security)
        assert central.process is not None
        cpu = CpuMeter(central.process.pid)
        captured = 0.0
        for batch in read_batches(events):
            t = time.perf_counter()
            with cpu.phase("capture"):
                a.append(batch)
            captured += time.perf_counter() - t
        out["capture"] = captured
        # One client per laptop for the whole run, as the app keeps one (and PouchDB its
        # remote database): its connection is kept alive between syncs.
        sync_a, sync_b = client(a), client(b)
        with cpu.phase("push"):
            out["push"] = timed(sync_a.run_once)
        t = time.perf_counter()
        with cpu.phase("pull"):
            summary = sync_b.run_once()
        out["pull"] = time.perf_counter() - t
        held = b.totals(now().date()).events
        for batch in read_batches(extra):
            a.append(batch)
        with cpu.phase("incremental"):
            out["incremental"] = timed(sync_a.run_once) + timed(sync_b.run_once)
        with cpu.phase("noop"):
            out["noop"] = timed(sync_a.run_once) + timed(sync_b.run_once)
        out["cpu"] = cpu.spent
        out["check"] = {"pulled": summary.pulled, "held_by_b": held,
                        "after_extra": b.totals(now().date()).events}
        out["rss_laptop_mib"] = peak_rss_mib()
        assert central.process is not None
        out["rss_endpoint_mib"] = peak_rss_mib(central.process.pid)
        out["parts"] = limit_parts(work, events, central, certs, security)
        a.close()
        b.close()
    return out


def limit_parts(
    work: Path, events: Path, central: Central, certs: Certificates, security: bool
) -> dict[str, float]:
    """The costs a sync cannot avoid, each measured alone (seconds, for all events)."""
    lines = events.read_text(encoding="utf-8").splitlines()
    parts: dict[str, float] = {"events": float(len(lines))}
    parsed = [json.loads(line) for line in lines]

    # Bulk insert, laptop: SQLCipher as the store opens it, one transaction per batch.
    path = work / "bare-laptop.db"
    create_private_file(path)
    db = Database.open(path, SecretKey.generate(), create=True, memory_security=security)
    db.conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
                    "type TEXT, aggregate_id TEXT, occurred_at TEXT, recorded_at TEXT, "
                    "body TEXT NOT NULL)")
    rows = [(d["id"], d["type"], d["aggregate_id"], d["occurred_at"], d["recorded_at"], line)
            for d, line in zip(parsed, lines, strict=True)]

    def bulk(conn: Any, sql: str) -> None:
        for i in range(0, len(rows), BATCH):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, rows[i:i + BATCH])
            conn.execute("COMMIT")

    parts["insert_laptop"] = timed(lambda: bulk(
        db.conn, "INSERT INTO events (id, type, aggregate_id, occurred_at, recorded_at, body) "
        "VALUES (?, ?, ?, ?, ?, ?)"))
    db.close()
    # Bulk insert, endpoint: plain SQLite, WAL, synchronous FULL, as central/storage/sqlite.py.
    plain = sqlite3.connect(work / "bare-endpoint.db", isolation_level=None)
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("PRAGMA synchronous = FULL")
    plain.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, "
                  "type TEXT, aggregate_id TEXT, occurred_at TEXT, recorded_at TEXT, "
                  "body TEXT NOT NULL)")
    parts["insert_endpoint"] = timed(lambda: bulk(
        plain, "INSERT INTO events (id, type, aggregate_id, occurred_at, recorded_at, body) "
        "VALUES (?, ?, ?, ?, ?, ?)"))
    plain.close()

    parts["json_dumps"] = timed(lambda: [json.dumps(d, separators=(",", ":")) for d in parsed])
    parts["json_loads"] = timed(lambda: [json.loads(line) for line in lines])
    try:
        import orjson

        parts["orjson_dumps"] = timed(lambda: [orjson.dumps(d) for d in parsed])
        parts["orjson_loads"] = timed(lambda: [orjson.loads(line) for line in lines])
    except ImportError:
        pass
    rules = Rules(load_catalogue(), now(), load_policy().future_tolerance)
    parts["validate"] = timed(lambda: [parse_event(d, rules) for d in parsed])

    # Round trips: the endpoint's cheapest answer, on one kept-alive connection.
    transport = Transport(central.url, ca_bundle=certs.ca)
    transport.request("GET", "/v1/health")
    parts["rtt_https"] = timed(lambda: [transport.request("GET", "/v1/health")
                                        for _ in range(200)]) / 200
    transport.close()
    plain_central = Central(work / "plain", None)
    (work / "plain").mkdir()
    import requests

    with running(plain_central):
        session = requests.Session()
        session.trust_env = False
        session.get(f"{plain_central.url}/v1/health", timeout=10)
        parts["rtt_http"] = timed(lambda: [session.get(f"{plain_central.url}/v1/health",
                                                       timeout=10) for _ in range(200)]) / 200
        session.close()
    return parts


def child_main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-peer-fa-"))
    try:
        with endpoint_database(args.postgresql) as url:
            result = fieldapp_phases(work, Path(args.events_file), Path(args.extra_file),
                                     args.child == "on", url)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).write_text(json.dumps(result), encoding="utf-8")


# --------------------------------------------------------------------------- PouchDB


def install_peer(folder: Path) -> Path:
    peer = folder / "pouchdb"
    peer.mkdir()
    for name in ("bench.js", "server.js", "package.json"):
        shutil.copy(PEER / name, peer / name)
    subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund"], cwd=peer,
                   check=True, stdout=subprocess.DEVNULL)
    return peer


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


def pouch_run(peer: Path, events: Path, extra: Path, port: int) -> dict[str, Any]:
    out = peer / f"result-{port}.json"
    process = subprocess.Popen(
        ["node", str(peer / "bench.js"), str(events), str(extra), "--batch", str(BATCH),
         "--port", str(port), "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    peaks = {"client": 0.0, "server": 0.0}

    def watch() -> None:  # VmHWM of the client and of its server, while they live
        while process.poll() is None:
            try:
                peaks["client"] = max(peaks["client"], peak_rss_mib(process.pid))
                for child in _children(process.pid):
                    peaks["server"] = max(peaks["server"], peak_rss_mib(child))
            except (OSError, ValueError):
                pass
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    if process.wait() != 0:
        raise RuntimeError("the PouchDB peer failed")
    watcher.join()
    raw = json.loads(out.read_text())
    return {
        "capture": raw["capture_A"]["s"], "push": raw["push"]["s"], "pull": raw["pull"]["s"],
        "incremental": raw["incremental"]["s"], "noop": raw["noop"]["s"],
        "rss_laptop_mib": peaks["client"], "rss_endpoint_mib": peaks["server"],
    }


# --------------------------------------------------------------------------- the run


def write_inputs(folder: Path, count: int) -> tuple[Path, Path, Path, Path]:
    """The same events for both: canonical lines for fieldapp, `_id` added for PouchDB."""
    rng = random.Random(1)
    files = []
    for name, number in (("events", count), ("extra", EXTRA)):
        made = cases(number // 4, "5001", rng)
        canonical, pouch = folder / f"{name}.jsonl", folder / f"{name}-pouch.jsonl"
        with canonical.open("w") as c, pouch.open("w") as p:
            for event in made:
                c.write(event.to_json() + "\n")
                p.write(json.dumps({"_id": event.id, **event.to_dict()}) + "\n")
        files += [canonical, pouch]
    return files[0], files[1], files[2], files[3]


def limit(parts: dict[str, float], count: float) -> dict[str, tuple[float, float]]:
    """Each phase's limit without and with one validation per side, for `count` events."""
    per = {k: v / parts["events"] for k, v in parts.items() if k not in ("events",)}
    trips = -(-count // BATCH)
    encode, decode = per["json_dumps"], per["json_loads"]
    push = count * (encode + decode + per["insert_endpoint"]) + trips * parts["rtt_https"]
    pull = count * (encode + decode + per["insert_laptop"]) + trips * parts["rtt_https"]
    check = count * per["validate"]
    incr = EXTRA * (2 * (encode + decode) + per["insert_endpoint"] + per["insert_laptop"]) + (
        4 * parts["rtt_https"])
    return {
        "capture": (count * per["insert_laptop"],) * 2,
        "push": (push, push + check),
        "pull": (pull, pull + check),
        "incremental": (incr, incr + 2 * EXTRA * per["validate"]),
        "noop": (2 * parts["rtt_https"],) * 2,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--security", default="off,on",
                        help="cipher_memory_security settings to run fieldapp under")
    parser.add_argument("--postgresql", action="store_true",
                        help="run fieldapp's endpoint on a throwaway PostgreSQL cluster")
    parser.add_argument("--child", choices=("on", "off"), help=argparse.SUPPRESS)
    parser.add_argument("--events-file", help=argparse.SUPPRESS)
    parser.add_argument("--extra-file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    settings = [s for s in args.security.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="bench-peer-"))
    results: dict[str, list[dict[str, Any]]] = {"pouchdb": [], **{s: [] for s in settings}}
    try:
        print(f"installing the PouchDB peer; writing {args.events:,} events...", file=sys.stderr)
        peer = install_peer(work)
        events, events_pouch, extra, extra_pouch = write_inputs(work, args.events)
        from sync_support import free_port

        for r in range(args.repeat):
            order = ["pouchdb", *settings]
            for name in order if r % 2 == 0 else reversed(order):
                print(f"run {r + 1}/{args.repeat}: {name}", file=sys.stderr)
                if name == "pouchdb":
                    results[name].append(pouch_run(peer, events_pouch, extra_pouch,
                                                   free_port()))
                    continue
                out = work / f"fieldapp-{name}-{r}.json"
                subprocess.run(
                    [sys.executable, __file__, "--child", name, "--events-file", str(events),
                     "--extra-file", str(extra), "--out", str(out),
                     *(["--postgresql"] if args.postgresql else [])], check=True,
                )
                results[name].append(json.loads(out.read_text()))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(args, results, settings)


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(run[key]) for run in runs)


def report(args: argparse.Namespace, results: dict[str, list[dict[str, Any]]],
           settings: list[str]) -> None:
    pouch = results["pouchdb"]
    load = os.getloadavg()
    print(f"\n{args.events:,} events (+{EXTRA:,} incremental), batches of {BATCH}, medians of "
          f"{args.repeat}, endpoint on {'PostgreSQL' if args.postgresql else 'SQLite'}; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    header = "| phase | PouchDB s |" + "".join(
        f" fieldapp ({s}) s | ×PouchDB |" for s in settings) + " limit s | +validation s |"
    print("\n" + header)
    print("|---" * (header.count("|") - 1) + "|")
    first = results[settings[0]] if settings else []
    parts = {k: statistics.median(run["parts"][k] for run in first)
             for k in first[0]["parts"]} if first else {}
    limits = limit(parts, float(args.events)) if parts else {}
    for phase in PHASES:
        line = f"| {phase} | {median(pouch, phase):.3f} |"
        for s in settings:
            mine = median(results[s], phase)
            line += f" {mine:.3f} | {mine / median(pouch, phase):.2f} |"
        bare, checked = limits.get(phase, (float("nan"),) * 2)
        line += f" {bare:.3f} | {checked:.3f} |"
        print(line)
    print("\nPeak RSS (MiB): PouchDB laptop "
          f"{median(pouch, 'rss_laptop_mib'):.0f}, endpoint {median(pouch, 'rss_endpoint_mib'):.0f}"
          + "".join(f"; fieldapp ({s}) laptops A+B {median(results[s], 'rss_laptop_mib'):.0f}, "
                    f"endpoint {median(results[s], 'rss_endpoint_mib'):.0f}" for s in settings))
    print("\nCPU seconds per phase, laptops / endpoint (medians; the load moves these less "
          "than the times):")
    for s in settings:
        print(f"  fieldapp ({s}): " + "; ".join(
            f"{phase} {statistics.median(r['cpu'][phase][0] for r in results[s]):.2f} / "
            f"{statistics.median(r['cpu'][phase][1] for r in results[s]):.2f}"
            for phase in PHASES))
    if parts:
        print(f"\nParts of the limit (fieldapp, {settings[0]}; seconds for all "
              f"{int(parts['events']):,} events, round trips per request):")
        for name, value in parts.items():
            if name != "events":
                print(f"  {name:<16} {value * (1000 if name.startswith('rtt') else 1):10.4f}"
                      f"{' ms' if name.startswith('rtt') else ' s'}")
        for s in settings:
            checks = {json.dumps(run["check"]) for run in results[s]}
            print(f"  checked ({s}): {', '.join(sorted(checks))}")
    main_setting = "off" if "off" in settings else settings[0]
    ratios = " ".join(
        f"{phase} {median(results[main_setting], phase) / median(pouch, phase):.2f}"
        for phase in PHASES)
    print(f"\npeer ratio (fieldapp/PouchDB, lower is better): {ratios}")


if __name__ == "__main__":
    main()
