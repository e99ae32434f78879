"""A correction typed as an officer would, in a real window: the household saved at the door
with the partner misspelt ("Jane Smithc") and a child missing is put right from the Record
page by keyboard alone (Alt+P, the household, Ctrl+E, the fields, the reason, Ctrl+S, Enter),
then read back from the encrypted profile after the app has quit."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from test_real_window import (
    PASSPHRASE,
    _new_profile,
    _on_screen,
    _wait_main,
    decline_the_offer,
    running_app,
)
from xsession import x_session

from fieldapp.domain.events import EventType
from fieldapp.store import Profiles


def test_a_household_is_corrected_by_keyboard_in_a_real_window(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with x_session(1366, 768) as x, running_app(x, tmp_path, home) as app:
        _new_profile(x)
        x.key("alt+o")  # Stay offline for now
        _wait_main(x)
        x.key("ctrl+n")
        x.wait_active("New occurrence")
        x.type("13/78/26")
        x.key("Tab", "space", "alt+d")
        x.type("Leeds")
        x.key("ctrl+s")
        x.wait_active("Leaflets issued")
        x.type("John Smith")
        x.key("Tab", "space", "alt+o", "ctrl+s")
        x.wait_active("Household")
        x.type("4 Beck Side")
        x.key("Tab")
        x.type("LS6 2QQ")
        x.key("alt+p")
        x.type("Jane Smithc")
        x.key("ctrl+s")
        time.sleep(1)
        x.key("Return")
        x.wait_active("VCAS offer")
        decline_the_offer(x)

        x.key("alt+p")  # Put right…, for the household chosen on the Record page
        _on_screen(x, x.wait_active("Put records right"), "the put-right window")
        time.sleep(1)  # its records are read on the worker
        x.key("Down", "Down", "ctrl+e")  # occurrence, leaflets, household
        _on_screen(x, x.wait_active("Correct the household"), "the correction form")
        time.sleep(1)  # pre-filled once the record is read
        x.key("Tab", "Tab", "Tab", "ctrl+a")  # postcode, relationship, the partner's name
        x.type("Jane Smith")
        x.key("alt+c")
        x.type("7")
        x.key("alt+y")
        x.type("Name misspelt and a child missed at the door")
        x.key("ctrl+s")
        time.sleep(1)  # the check before saving, read by the officer
        x.key("Return")
        x.wait_gone("Correct the household")
        x.screenshot(tmp_path / "put-right.png")
        x.key("Escape")
        x.wait_gone("Put records right")
        x.key("ctrl+q")
        assert app.wait(timeout=60) == 0

    with Profiles(lambda: datetime.now(UTC), home).unlock("1234", PASSPHRASE) as store:
        [occurrence] = store.search("13/78/26").occurrences
        [household] = store.households(occurrence.id)
        assert [(m.relationship, m.name, m.age) for m in household.members] == [
            ("partner", "Jane Smith", None), ("child", "", 7)]
        [fix] = store.events_of_type(EventType.EVENT_CORRECTED)
        assert fix.payload.reason == "Name misspelt and a child missed at the door"
        assert household.task is not None and household.task.is_open  # the call-back stands
