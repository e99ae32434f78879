"""The doorstep: find or start an occurrence, then record leaflets, households and offers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.amend import changed_by_others
from fieldapp.domain.catalogue import (
    LEAFLET_OUTCOMES,
    OFFENCE_TYPES,
    OFFER_OUTCOMES,
    RELATIONSHIPS,
    RISK_INDICATORS,
)
from fieldapp.domain.policy import london_date
from fieldapp.domain.projection import Changes
from fieldapp.domain.views import HouseholdView, LeafletIssueView, OccurrenceView
from fieldapp.resources import load_catalogue
from fieldapp.store import SearchResults, Store
from fieldapp.ui.consulting import Consultations
from fieldapp.ui.launcher import DraftKey, FormLauncher
from fieldapp.ui.place import Place, draft_label
from fieldapp.ui.session import Session
from fieldapp.ui.text import day, labels, moment

SEARCH_DELAY_MS = 150  # as the officer types: a pause this long runs the search
RECENT_SETTING = "ui.recent_occurrences"
RECENT_MAX = 15
ROLE = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class Opened:
    occurrence: OccurrenceView | None
    households: tuple[HouseholdView, ...]
    # Changes another officer made, by the household (or occurrence) id they are shown on.
    changed_by_others: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Shortlist:
    """What the left-hand list offers when nothing is searched: recent records and drafts."""

    recent: tuple[tuple[str, str], ...]  # (occurrence id, reference)
    drafts: tuple[tuple[str, str], ...]  # (draft key, what it is: place.draft_label)


def read_recent(store: Store) -> list[tuple[str, str]]:
    try:
        items = json.loads(store.get_setting(RECENT_SETTING) or "[]")
    except ValueError:
        return []
    return [(str(i), str(r)) for i, r in items if isinstance(i, str)][:RECENT_MAX]


def remember(store: Store, occurrence_id: str, reference: str) -> None:
    kept = [(i, r) for i, r in read_recent(store) if i != occurrence_id]
    store.set_setting(RECENT_SETTING, json.dumps([(occurrence_id, reference), *kept][:RECENT_MAX]))


def open_occurrence(store: Store, occurrence_id: str) -> Opened:
    view = store.occurrence(occurrence_id)
    if view is not None:
        remember(store, view.id, view.reference)
    households = tuple(store.households(occurrence_id))
    conflicts = store.conflicts_about([occurrence_id, *(i for h in households
                                                        for i in h.merged_ids)])
    changed = {
        key: found
        for key, ids in [(occurrence_id, [occurrence_id]),
                         *((h.id, list(h.merged_ids)) for h in households)]
        if (found := tuple(changed_by_others(conflicts, ids)))
    }
    return Opened(view, households, changed)


def shortlist(store: Store) -> Shortlist:
    drafts = []
    for text in store.drafts():
        key = DraftKey.parse(text)
        if key is not None:
            drafts.append((text, draft_label(store, key)))
    return Shortlist(tuple(read_recent(store)), tuple(drafts))


def describe_household(view: HouseholdView, changed: Iterable[str] = ()) -> str:
    members = ", ".join(
        RELATIONSHIPS.get(m.relationship, m.relationship)
        + (f" ({m.age})" if m.age is not None else "")
        for m in view.members
    )
    lines = [f"{' '.join(view.address.split())}, {view.postcode}", f"Members: {members}"]
    if view.offers:
        last = view.offers[-1]
        lines.append(
            f"VCAS offer: {OFFER_OUTCOMES.get(last.outcome, last.outcome).lower()} "
            f"on {day(london_date(last.occurred_at))}"
        )
    else:
        lines.append("VCAS offer: not recorded yet")
    task = view.task
    if task is not None:
        lines.append(
            f"Call-back due {day(task.due)}" if task.is_open else f"Call-back: {task.reason}"
        )
    lines += [f"Changed by another officer: {text}" for text in changed]
    return "\n".join(lines)


class OccurrencePanel(QWidget):
    """One occurrence: what was recorded on it, and the next things to record."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Occurrence")
        self.heading = QLabel(self)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setObjectName("occurrenceHeading")
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.leaflets_button = self._button("Issue &leaflets…", "Record leaflets issued")
        self.household_button = self._button("Add &household…", "Add a household")
        self.offer_button = self._button("VCAS &offer…", "Record the VCAS offer")
        self.callback_button = self._button("Call-&back outcome…", "Record a call-back outcome")
        self.put_right_button = self._button("&Put right (correct, in error, reassign, merge)…",
                                             "Put a record right")
        actions = QGridLayout()
        for n, button in enumerate((self.leaflets_button, self.household_button,
                                    self.offer_button, self.callback_button)):
            actions.addWidget(button, n // 2, n % 2)
        actions.addWidget(self.put_right_button, 2, 0, 1, 2)
        self.issues = QListWidget(self)
        self.issues.setAccessibleName("Leaflets issued")
        self.issues.setWordWrap(True)
        self.households = QListWidget(self)
        self.households.setAccessibleName("Households")
        self.households.setWordWrap(True)
        self.households.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.details)
        layout.addLayout(actions)
        layout.addWidget(QLabel("<b>Households</b> (choose one for its offer or call-back)"))
        layout.addWidget(self.households, 2)
        layout.addWidget(QLabel("<b>Leaflets issued</b>"))
        layout.addWidget(self.issues, 1)

    def _button(self, text: str, name: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        button.setMinimumHeight(44)
        return button

    def show_occurrence(self, opened: Opened) -> None:
        view = opened.occurrence
        assert view is not None
        self.heading.setText(f"Occurrence {view.reference}")
        recorded = f", recorded {moment(view.recorded_at)}" if view.recorded_at else ""
        changed = "".join(f"\nChanged by another officer: {text}"
                          for text in opened.changed_by_others.get(view.id, ()))
        self.details.setText(
            f"{labels(view.offence_types, OFFENCE_TYPES)}. OIC {view.oic}, {view.district}"
            f"{recorded}.{changed}"
        )
        titles = load_catalogue().titles
        targets = load_catalogue().support.escalation_targets

        def escalated_text(issue: LeafletIssueView) -> str:
            if issue.escalation is not None:
                to = targets.get(issue.escalation.to, issue.escalation.to)
                return (f" (escalated to {to} by {issue.escalation.by} at "
                        f"{moment(datetime.fromisoformat(issue.escalation.at))})")
            return " (escalated)" if issue.escalated else ""

        self.issues.clear()
        for issue in view.leaflet_issues:
            risk = (
                f" Risk: {labels(issue.risk_indicators, RISK_INDICATORS)}"
                f"{escalated_text(issue)}."
                if issue.risk_indicators
                else ""
            )
            QListWidgetItem(
                f"{moment(issue.occurred_at)}: {issue.person_name}. "
                f"{labels(issue.leaflets, titles)}: "
                f"{LEAFLET_OUTCOMES.get(issue.outcome, issue.outcome).lower()}.{risk}",
                self.issues,
            )
        chosen = self.chosen_household()
        self.households.clear()
        for household in opened.households:
            item = QListWidgetItem(
                describe_household(household, opened.changed_by_others.get(household.id, ())),
                self.households,
            )
            item.setData(ROLE, household.id)
            if household.id == chosen:
                self.households.setCurrentItem(item)
        if self.households.currentItem() is None and self.households.count():
            self.households.setCurrentRow(self.households.count() - 1)

    def chosen_household(self) -> str:
        item = self.households.currentItem()
        return str(item.data(ROLE)) if item is not None else ""

    def clear(self) -> None:
        self.heading.clear()
        self.details.clear()
        self.issues.clear()
        self.households.clear()


class CapturePage(QWidget):
    """Left: new, find, recent and drafts. Right: the open occurrence."""

    put_right = Signal(str)  # the household (or, with none chosen, occurrence) to put right

    def __init__(
        self, session: Session, launcher: FormLauncher, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.launcher = launcher
        self.setAccessibleName("Record")
        self.current: Opened | None = None
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)

        self.new_button = QPushButton("New occurrence (Ctrl+N)", self)
        self.new_button.setAccessibleName("New occurrence")
        self.new_button.setMinimumHeight(44)
        self.new_button.clicked.connect(self.new_occurrence)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find (Ctrl+F): reference, address, postcode or name")
        self.search.setAccessibleName("Find by reference, address, postcode or name")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _: self._search_timer.start())
        self.results = QListWidget(self)
        self.results.setAccessibleName("Occurrences found, recent occurrences and drafts")
        self.results.itemActivated.connect(self._activated)
        self.results.itemClicked.connect(self._activated)
        left = QVBoxLayout()
        left.addWidget(self.new_button)
        left.addWidget(self.search)
        left.addWidget(self.results, 1)

        self.panel = OccurrencePanel(self)
        self.placeholder = QLabel(
            "Find an occurrence on the left, or record a new one (Ctrl+N).", self
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.right = QStackedWidget(self)
        self.right.addWidget(self.placeholder)
        self.right.addWidget(self.panel)

        layout = QHBoxLayout(self)
        holder = QWidget(self)
        holder.setLayout(left)
        holder.setMaximumWidth(380)
        layout.addWidget(holder)
        layout.addWidget(self.right, 1)

        self.panel.leaflets_button.clicked.connect(self.issue_leaflets)
        self.panel.household_button.clicked.connect(self.add_household)
        self.panel.offer_button.clicked.connect(self.record_offer)
        self.panel.callback_button.clicked.connect(self.record_callback)
        self.panel.put_right_button.clicked.connect(self.put_right_chosen)
        self.consultations = Consultations(session)
        self.household_consultations = Consultations(session)
        self.panel.households.currentItemChanged.connect(self._household_shown)
        self.panel.households.itemActivated.connect(lambda _: self.record_offer())
        launcher.saved.connect(self._saved)
        session.worker.changed.connect(self.on_changes)
        self.setTabOrder(self.new_button, self.search)
        self.setTabOrder(self.search, self.results)

    # ----------------------------------------------------------------- left-hand list

    def refresh_shortlist(self) -> None:
        if not self.search.text().strip():
            self.session.run(shortlist, self._show_shortlist)

    def _show_shortlist(self, found: Shortlist) -> None:
        if self.search.text().strip():
            return
        self.results.clear()
        for key_text, label in found.drafts:
            self._item(label, ("draft", key_text))
        for occurrence_id, reference in found.recent:
            self._item(f"Occurrence {reference}", ("occurrence", occurrence_id))

    def run_search(self) -> None:
        text = self.search.text().strip()
        if len(text) < 2:
            self.refresh_shortlist()
            return
        self.session.run(lambda store: store.search(text),
                         lambda found: self._show_results(text, found))

    def _show_results(self, text: str, found: SearchResults) -> None:
        if text != self.search.text().strip():
            return  # typed on since: the newer search's results are on their way
        self.results.clear()
        for occurrence in found.occurrences:
            self._item(
                f"Occurrence {occurrence.reference} ({occurrence.district})",
                ("occurrence", occurrence.id),
            )
        for household in found.households:
            self._item(
                f"{household.postcode}: {' '.join(household.address.split())}",
                ("occurrence", household.occurrence_id),
            )
        if not self.results.count():
            item = QListWidgetItem("Nothing found.", self.results)
            item.setFlags(Qt.ItemFlag.NoItemFlags)

    def _item(self, text: str, data: tuple[str, str]) -> None:
        item = QListWidgetItem(text, self.results)
        item.setData(ROLE, data)

    def _activated(self, item: QListWidgetItem) -> None:
        data = item.data(ROLE)
        if not data:
            return
        kind, value = data
        if kind == "draft":
            key = DraftKey.parse(value)
            if key is not None:
                self.launcher.open(key, "Continuing an unsaved draft.")
        else:
            self.consultations.clear()  # opened again by the officer: logged again
            self.open(value)

    # ----------------------------------------------------------------- the occurrence

    def open(self, occurrence_id: str, then: Callable[[], object] | None = None) -> None:
        """Shows the occurrence; `then` runs once it is shown (the next step to record)."""
        self.session.run(
            lambda store: open_occurrence(store, occurrence_id),
            lambda opened: self._opened(opened, then),
        )

    def _opened(self, opened: Opened, then: Callable[[], object] | None = None) -> None:
        if opened.occurrence is None:
            return
        self.current = opened
        assert opened.occurrence is not None
        self.consultations.opened("occurrence", opened.occurrence.id)
        self.panel.show_occurrence(opened)
        self.right.setCurrentWidget(self.panel)
        self.refresh_shortlist()  # it is now the most recent
        if then is not None:
            then()

    def place(self) -> Place:
        """Where the officer is, for the lock to keep: the occurrence and the open forms."""
        shown = self.current.occurrence.id if self.current and self.current.occurrence else ""
        return Place(shown, tuple(self.launcher.open_forms))

    def resume(self, place: Place) -> None:
        """After unlock: the occurrence again, then each form that was open, with its draft."""
        def forms() -> None:
            for text in place.forms:
                key = DraftKey.parse(text)
                if key is not None:
                    self.launcher.open(key, self._context(key.target))

        if place.occurrence_id:
            self.open(place.occurrence_id, forms)
        else:
            forms()

    def refresh(self) -> None:
        """Reads again what is shown (after a sync, which may have changed anything)."""
        if self.current is not None and self.current.occurrence is not None:
            self.open(self.current.occurrence.id)
        else:
            self.refresh_shortlist()

    def on_changes(self, changes: Changes) -> None:
        if self.current is not None and self.current.occurrence is not None:
            occurrence_id = self.current.occurrence.id
            if occurrence_id in changes.occurrences or changes.households & self._shown():
                self.open(occurrence_id)
        self.refresh_shortlist()

    def _shown(self) -> set[str]:
        return {h.id for h in self.current.households} if self.current else set()

    def _saved(self, key: DraftKey, aggregate_id: str, changes: Changes) -> None:
        # At the door one record leads to the next: the occurrence to the leaflets for the
        # person under investigation, the leaflets to the household (the first one), the
        # household to its offer.
        if key.kind == "occurrence":
            self.open(aggregate_id, self.issue_leaflets)
        elif key.kind == "leaflets":
            self.open(key.target, self._first_household)
        elif key.kind == "household":
            # At the door the offer follows the household: open it straight away.
            self._open_form(DraftKey("offer", aggregate_id))

    def _household_shown(self) -> None:
        chosen = self.panel.chosen_household()
        if chosen:
            self.household_consultations.opened("household", chosen, "shown with its occurrence")

    def put_right_chosen(self) -> None:
        """Put right the chosen household's records (with the occurrence's), or the
        occurrence's when no household is chosen."""
        view = self._occurrence()
        if view is not None:
            self.put_right.emit(self.panel.chosen_household() or view.id)

    def clear(self) -> None:
        self.current = None
        self.consultations.clear()
        self.household_consultations.clear()
        self.search.clear()
        self.results.clear()
        self.panel.clear()
        self.right.setCurrentWidget(self.placeholder)

    # ----------------------------------------------------------------- actions

    def new_occurrence(self) -> None:
        self.launcher.open(DraftKey("occurrence"))

    def _occurrence(self) -> OccurrenceView | None:
        view = self.current.occurrence if self.current else None
        if view is None:
            self.session.notify("Open an occurrence first, or record a new one.")
        return view

    def _context(self, household_id: str = "") -> str:
        view = self.current.occurrence if self.current else None
        text = f"Occurrence {view.reference}." if view else ""
        household = next(
            (h for h in (self.current.households if self.current else ()) if h.id == household_id),
            None,
        )
        if household is not None:
            text += f" Household at {' '.join(household.address.split())}, {household.postcode}."
        return text

    def issue_leaflets(self) -> None:
        view = self._occurrence()
        if view is not None:
            self.launcher.open(DraftKey("leaflets", view.id), self._context())

    def add_household(self) -> None:
        view = self._occurrence()
        if view is not None:
            issues = view.leaflet_issues
            self.launcher.open(
                DraftKey("household", view.id), self._context(),
                person=issues[-1].person_name if issues else "",
            )

    def _first_household(self) -> None:
        if self.current is not None and not self.current.households:
            self.add_household()

    def _chosen(self) -> str:
        if self._occurrence() is None:
            return ""
        chosen = self.panel.chosen_household()
        if not chosen:
            self.session.notify("Add a household first, or choose one in the list.")
        return chosen

    def record_offer(self) -> None:
        chosen = self._chosen()
        if chosen:
            self._open_form(DraftKey("offer", chosen))

    def record_callback(self) -> None:
        chosen = self._chosen()
        if chosen:
            self._open_form(DraftKey("callback", chosen))

    def _open_form(self, key: DraftKey) -> None:
        self.launcher.open(key, self._context(key.target))
