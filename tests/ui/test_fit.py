"""Every window and form fits a 1366×768 laptop panel, and 1920×1080 shown at 150%.

Qt gives a process its screens once, so each size runs fit_probe.py in a process of its own
on an offscreen screen of that size (QT_QPA_PLATFORM=offscreen:configfile=..., Qt's own
option). The probe opens the real app and every form, in their fullest states, and reports
what lies off the screen, what is clipped and what scrolls that is not a list.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).resolve().parent / "fit_probe.py"
ROOT = PROBE.parents[2]


@pytest.mark.parametrize(
    ("width", "height", "scale", "logical"),
    [(1366, 768, "1", (1366, 768)), (1920, 1080, "1.5", (1280, 720))],
)
def test_every_window_and_form_fits_the_screen(
    tmp_path: Path, width: int, height: int, scale: str, logical: tuple[int, int]
) -> None:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{
        "name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1,
    }]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
           "QT_SCALE_FACTOR": scale}
    done = subprocess.run(
        [sys.executable, str(PROBE)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert tuple(report["screen"][2:]) == logical  # the probe really had that screen
    assert len(report["seen"]) >= 18
    assert report["problems"] == []
