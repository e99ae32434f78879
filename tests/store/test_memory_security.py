"""cipher_memory_security is the force's policy: applied as asked, and nothing else changes.

SQLCipher applies the setting to the whole process and cannot turn it off once on, so each
setting is tried in a process of its own (the app, too, opens profiles under one policy).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlcipher3
from store_helpers import PASSPHRASE, worker_env

from fieldapp.domain.policy import SchedulePolicy
from fieldapp.resources import load_policy, resources_dir
from fieldapp.store.keys import WrappedKey

# Opens a profile under the policy with the setting given, saves records, and reports what the
# connection says of its encryption (the same as the app: Profiles → Store).
CHILD = """
import dataclasses, json, sys
from pathlib import Path
from store_helpers import PASSPHRASE, cheap_profiles, scenario
from fieldapp.resources import load_policy

policy = dataclasses.replace(load_policy(), cipher_memory_security=sys.argv[2] == "on")
profiles = cheap_profiles(Path(sys.argv[1]), policy=policy)
store = profiles.create("1234", PASSPHRASE)
store.append(scenario(3, 4))
store.close()
store = profiles.unlock("1234", PASSPHRASE)
conn = store._db.conn
read = lambda pragma: [list(r) for r in conn.execute(f"PRAGMA {pragma}").fetchall()]
print(json.dumps({
    "memory_security": read("cipher_memory_security"),
    "settings": read("cipher_settings"),
    "version": read("cipher_version"),
    "provider": read("cipher_provider"),
    "events": store.totals(__import__("datetime").date(2026, 1, 1)).events,
}))
store.close()
"""


def run_child(home: Path, setting: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(home), setting],
        capture_output=True, text=True, env=worker_env(), timeout=120, check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_each_setting_is_applied_as_the_policy_asks_and_nothing_else_changes(
    tmp_path: Path,
) -> None:
    on = run_child(tmp_path / "on", "on")
    off = run_child(tmp_path / "off", "off")
    assert on.pop("memory_security") == [["1"]]
    assert off.pop("memory_security") == [["0"]]
    # Cipher, KDF, HMAC, page size, version and provider: the same under both settings.
    assert on == off
    assert on["settings"] and on["events"]
    for name in ("on", "off"):
        folder = tmp_path / name / "profiles" / "1234"
        # Still encrypted on disk: no plain SQLite header, and the raw key alone opens it.
        assert not (folder / "store.db").read_bytes()[:16].startswith(b"SQLite format 3")
        key = WrappedKey.from_json((folder / "key.json").read_bytes()).open(PASSPHRASE)
        conn = sqlcipher3.connect(str(folder / "store.db"))
        conn.execute(f"PRAGMA key = \"x'{key.reveal().hex()}'\"")
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == on["events"]
        conn.close()


def test_the_shipped_policy_leaves_it_off_and_only_a_yes_or_no_is_accepted() -> None:
    assert load_policy().cipher_memory_security is False
    data = json.loads((resources_dir() / "schedule_policy.json").read_text(encoding="utf-8"))
    assert SchedulePolicy.from_dict({**data, "cipher_memory_security": True}).cipher_memory_security
    without = {k: v for k, v in data.items() if k != "cipher_memory_security"}
    assert SchedulePolicy.from_dict(without).cipher_memory_security is False
    with pytest.raises(ValueError, match="true or false"):
        SchedulePolicy.from_dict({**data, "cipher_memory_security": "on"})
    assert dataclasses.replace(load_policy(), cipher_memory_security=True).version == (
        load_policy().version
    )
