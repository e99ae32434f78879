"""One consultation entry per record the officer opens (DPA 2018 Part 3 s.62).

Views redraw a record they show after every change and reload, and the officer may move
through a list with the arrow keys: each record the officer brings up is logged once as it
is opened, not again while it stays shown.
"""

from __future__ import annotations

from fieldapp.ui.session import Session


class Consultations:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._shown: tuple[str, str] = ("", "")

    def opened(self, kind: str, subject_id: str, detail: str = "opened") -> None:
        if subject_id and (kind, subject_id) != self._shown:
            self._shown = (kind, subject_id)
            self.session.consulted(kind, subject_id, detail)

    def clear(self) -> None:
        """Nothing is shown now: the next record brought up is logged even if it is the
        same one again."""
        self._shown = ("", "")
