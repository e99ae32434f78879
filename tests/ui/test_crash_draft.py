"""A draft survives the app being killed: kill -9 after typing, and the text is still there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from ui_support import FAST_KDF, PASSPHRASE, FixedClock

from fieldapp.store import Profiles

CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    sys.path.insert(0, sys.argv[2])
    from ui_support import FAST_KDF, PASSPHRASE, FixedClock
    from fieldapp.store import Profiles
    from fieldapp.ui.forms.base import DRAFT_DELAY_MS
    from fieldapp.ui.forms.occurrence import OccurrenceForm
    from fieldapp.ui.ops import DbWorker
    from fieldapp.ui.session import Session, identify, new_id

    app = QApplication([])
    worker = DbWorker()
    profiles = Profiles(FixedClock(), Path(sys.argv[1]), insecure_kdf_for_tests=FAST_KDF)
    worker.open(lambda: profiles.unlock("1234", PASSPHRASE))
    found = []
    worker.run(identify, found.append)
    while not found:
        app.processEvents()
    form = OccurrenceForm(Session(worker, found[0], FixedClock()), aggregate_id=new_id(),
                          draft_key="occurrence")
    form.show()
    form.reference.setText("13/99/26")
    form.reference.textEdited.emit("13/99/26")
    deadline = time.monotonic() + (DRAFT_DELAY_MS / 1000) + 1.5
    while time.monotonic() < deadline:
        app.processEvents()
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_typing_survives_the_app_being_killed(tmp_path: Path) -> None:
    profiles = Profiles(FixedClock(), tmp_path, insecure_kdf_for_tests=FAST_KDF)
    profiles.create("1234", PASSPHRASE).close()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path), str(Path(__file__).parent)],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    with profiles.unlock("1234", PASSPHRASE) as store:
        draft = store.load_draft("occurrence")
    assert draft is not None and "13/99/26" in draft
