"""The doorstep in a real window: the real app (`python -m fieldapp`, as scripts/run-app.sh
starts it) on a 1366×768 X display with a window manager, driven by xdotool at full speed,
then the saved records read back from the encrypted profile after the app has quit.

The offscreen tests (tests/ui) cover the rest; this tier catches what only a real display
shows: window sizes and frames the window manager gives, focus moving between windows, and
keys arriving faster than the app redraws.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from xsession import XSession, x_session

from fieldapp.resources import load_policy
from fieldapp.store import Profiles
from fieldapp.sync.client import SETTING_URL

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "orange kettle harbour tundra"
WIDTH, HEIGHT = 1366, 768


def _on_screen(x: XSession, window: str, name: str) -> None:
    left, top, width, height = x.frame(window)
    assert left >= 0 and top >= 0, f"{name} starts off the screen: {(left, top)}"
    assert left + width <= WIDTH and top + height <= HEIGHT, (
        f"{name} at {(left, top, width, height)} goes past the {WIDTH}×{HEIGHT} screen")


def test_the_doorstep_typed_at_full_speed_in_a_real_window(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with x_session(WIDTH, HEIGHT) as x, running_app(x, tmp_path, home) as app:
        _new_profile(x)
        x.key("alt+o")  # Stay offline for now
        main = _wait_main(x)
        _on_screen(x, main, "the main window")

        x.key("ctrl+n")
        _on_screen(x, x.wait_active("New occurrence"), "the occurrence form")
        x.type("13/77/26")
        x.key("Tab", "space", "alt+d")
        x.type("Leeds")
        x.key("ctrl+s")

        _on_screen(x, x.wait_active("Leaflets issued"), "the leaflets form")
        x.type("John Smith")
        x.key("Tab", "space", "alt+o", "ctrl+s")  # a leaflet; no risk seen

        _on_screen(x, x.wait_active("Household"), "the household form")
        x.type("4 Beck Side")
        x.key("Tab")
        x.type("LS6 2QQ")
        x.key("alt+p")
        x.type("Jane Smith")
        x.key("alt+c")
        x.type("9")
        x.key("alt+c")
        x.type("4")
        x.key("alt+u", "ctrl+s")
        time.sleep(1)  # the check before saving, read by the officer
        x.key("Return")

        _on_screen(x, x.wait_active("VCAS offer"), "the offer form")
        decline_the_offer(x)
        x.screenshot(tmp_path / "doorstep.png")
        x.key("ctrl+q")
        assert app.wait(timeout=60) == 0
    assert (tmp_path / "doorstep.png").stat().st_size > 10_000

    with Profiles(lambda: datetime.now(UTC), home).unlock("1234", PASSPHRASE) as store:
        [occurrence] = store.search("13/77/26").occurrences
        assert (occurrence.offence_types, occurrence.district) == (("iioc",), "Leeds")
        [issue] = occurrence.leaflet_issues
        assert (issue.person_name, issue.leaflets, issue.outcome, issue.risk_indicators) == (
            "John Smith", ("safer_lives",), "handed", ())
        [household] = store.households(occurrence.id)
        assert (household.address, household.postcode) == ("4 Beck Side", "LS6 2QQ")
        assert [(m.relationship, m.name, m.age) for m in household.members] == [
            ("partner", "Jane Smith", None), ("child", "", 9), ("child", "", 4),
            ("person_under_investigation", "John Smith", None),
        ]
        [offer] = household.offers
        assert offer.outcome == "declined"
        assert household.task is not None and household.task.is_open
        assert household.task.due == load_policy().first_due(offer.occurred_at)


@contextmanager
def running_app(x: XSession, tmp_path: Path, home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The real app (`python -m fieldapp`) on the display, its output in app.log; killed if
    the test ends with it still running."""
    with (tmp_path / "app.log").open("w") as log:
        env = x.env | {"FIELDAPP_HOME": str(home), "HOME": str(tmp_path)}
        app = subprocess.Popen([sys.executable, "-m", "fieldapp", "--home", str(home)],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield app
        finally:
            if app.poll() is None:
                app.kill()


def _new_profile(x: XSession) -> None:
    """The first screen by keyboard: profile 1234, the passphrase twice, Enter; then wait for
    the enrolment page (once the passphrase's key is derived)."""
    x.wait_active("New profile")
    x.type("1234")
    x.key("Tab")
    x.type(PASSPHRASE)
    x.key("Tab")
    x.type(PASSPHRASE)
    x.key("Return")  # Enter creates the profile
    x.wait_active("Connect to the central system")


def decline_the_offer(x: XSession) -> None:
    """On the open offer form: Declined, saved, the check before saving read and accepted,
    and back on the main window."""
    x.key("Right", "space", "ctrl+s")
    time.sleep(1)
    x.key("Return")
    x.wait_gone("VCAS offer")
    x.wait_active("fieldapp")
    time.sleep(1)


def _wait_main(x: XSession) -> str:
    """The main window (titled "fieldapp"), once the start window has given way to it."""
    end = time.monotonic() + 90
    while time.monotonic() < end:
        for window in x.windows("fieldapp"):
            if x.frame(window)[2] > 900:  # the start window is 640 wide
                return window
        time.sleep(0.1)
    raise AssertionError("the main window did not open")


def test_the_demo_instructions_work_when_followed_literally(tmp_path: Path) -> None:
    """scripts/run-app.sh --demo, then exactly what it prints: the profile is enrolled."""
    home = tmp_path / "home"
    with x_session(WIDTH, HEIGHT) as x:
        env = x.env | {"HOME": str(tmp_path)}
        app = subprocess.Popen(["./scripts/run-app.sh", "--demo", "--home", str(home)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            assert app.stdout is not None
            printed = []
            for line in app.stdout:
                printed.append(line.rstrip())
                if line.startswith("enrolment code, for"):
                    break
            steps = "\n".join(printed)
            code = steps.split("in *Enrolment code* type\n")[1].split("\n")[0].strip()
            ca = steps.split("in *Force certificate* type (or *Choose…*)\n")[1].split("\n")[0]
            url = steps.split("in *Central system address* type\n")[1].split("\n")[0].strip()
            _new_profile(x)  # 1. Profile name 1234, a passphrase twice, Enter
            # 2. Connect: the address (the cursor is there), the code, the certificate, Enter.
            x.type(url)
            x.key("alt+c")
            x.type(code)
            x.key("alt+t")
            x.type(ca.strip())
            x.key("Return")
            main = _wait_main(x)
            _on_screen(x, main, "the main window")
            x.key("ctrl+q")
            app.wait(timeout=60)
        finally:
            if app.poll() is None:  # the script, the app and the demo endpoint it started
                os.killpg(app.pid, signal.SIGTERM)
                app.wait(timeout=30)
    with Profiles(lambda: datetime.now(UTC), home).unlock("1234", PASSPHRASE) as store:
        assert store.get_setting(SETTING_URL) == url
