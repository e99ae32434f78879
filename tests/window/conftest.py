"""The real-window tier: helpers in xsession.py (importable from the tests here)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
