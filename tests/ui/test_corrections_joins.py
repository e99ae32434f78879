"""Joined records put right from the app, end to end against the real store: a household
joined through a chain of merges (A–B–C) split so that the two records chosen end in different
households; an occurrence joined by its reference parted by correcting the wrong one's
reference, the change shown before saving."""

from __future__ import annotations

from datetime import timedelta

from factories import event, household, new_id, occurrence
from pytestqt.qtbot import QtBot
from test_corrections import (
    AT,
    a_case,
    append,
    open_case,
    opener_for,
    read,
    save_correction,
)

from fieldapp.domain.events import EventType
from fieldapp.ui.corrections.dialogs import SplitDialog
from fieldapp.ui.corrections.forms import Correcting
from fieldapp.ui.session import Session


def test_a_household_joined_through_a_chain_is_split_where_the_oic_says(
    qtbot: QtBot, session: Session
) -> None:
    # Ids in order, so that the household is named by `h` and `last` is the far end of it.
    o, (h, middle, last) = new_id(), sorted(new_id() for _ in range(3))
    append(qtbot, session, [
        occurrence(o, AT, reference="13/240117/26"),
        household(h, o, AT + timedelta(minutes=10), postcode="LS6 2QQ", address="4 Beck Side"),
        household(middle, o, AT + timedelta(minutes=20), postcode="LS7 1AB",
                  address="12 Chapel Lane"),
        household(last, o, AT + timedelta(minutes=30), postcode="LS7 2AB",
                  address="14 Chapel Lane"),
        event(EventType.HOUSEHOLDS_MERGED, h, {"merged_id": middle, "reason": "Same family"},
              AT + timedelta(minutes=40)),
        event(EventType.HOUSEHOLDS_MERGED, middle, {"merged_id": last, "reason": "Same family"},
              AT + timedelta(minutes=41)),
    ])
    joined = read(qtbot, session, lambda store: store.household(h))
    assert joined.id == h and set(joined.merged_ids) == {h, middle, last}
    opener, _ = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, joined.id)
    dialog.split()
    [split] = opener.each(SplitDialog)
    index = split.choice.findData(last)
    assert index >= 0
    split.choice.setCurrentIndex(index)
    assert "14 Chapel Lane" in split.right.text()
    qtbot.waitUntil(lambda: "household of its own again" in split.effect.text(),
                    timeout=10_000)
    qtbot.keyClicks(split.reason, "14 is next door, not this family")
    with qtbot.waitSignal(split.saved, timeout=10_000):
        split.save()
    households = read(qtbot, session, lambda store: store.households(o))
    assert len(households) == 2
    assert all(not {h, last} <= set(v.merged_ids) for v in households)


def test_an_occurrence_joined_by_a_mistyped_reference_is_parted_by_correcting_it(
    qtbot: QtBot, session: Session
) -> None:
    first, _, _ = a_case(qtbot, session)  # 13/240117/26
    wrong = new_id()
    append(qtbot, session, [occurrence(wrong, AT + timedelta(minutes=50),
                                       reference="13-240117-26")])
    view = read(qtbot, session, lambda store: store.occurrence(wrong))
    assert view is not None and set(view.joined_ids) == {first, wrong}
    opener, launcher = opener_for(qtbot, session)
    dialog = open_case(qtbot, opener, wrong)
    rows = [dialog.records.item(n).text() for n in range(dialog.records.count())]
    dialog.records.setCurrentRow(next(n for n, t in enumerate(rows) if "13-240117-26" in t))
    assert dialog.correct_button.isEnabled()
    dialog.correct()
    form = next(f for f in launcher.open_forms.values() if isinstance(f, Correcting))
    qtbot.waitUntil(lambda: form.reference.text() == "13-240117-26", timeout=10_000)
    form.reference.setText("13/240118/26")
    form.touch()
    said = ("This occurrence will no longer be joined with the other record of "
            f"{view.reference}: it will be occurrence 13/240118/26 on its own.")
    qtbot.waitUntil(lambda: said in form.effect.text(), timeout=10_000)
    assert said in save_correction(qtbot, form, "One digit typed wrong")
    parted = read(qtbot, session, lambda store: store.occurrence(wrong))
    assert parted is not None and parted.joined_ids == () and parted.reference == "13/240118/26"
    kept = read(qtbot, session, lambda store: store.occurrence(first))
    assert kept is not None and kept.joined_ids == () and kept.reference == "13/240117/26"
