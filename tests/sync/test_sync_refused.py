"""A record the endpoint's authority rule refuses: the laptop keeps it, and the sync page
lists it with the endpoint's own sentence."""

from datetime import UTC, datetime
from pathlib import Path

from factories import event, household, new_id, occurrence
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sync_support import Central, Certificates, client, enrolled_profile, event_ids

from fieldapp.domain.events import EventType
from fieldapp.ui.sync_view import SyncPage, read_facts

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)


def test_a_refused_record_is_kept_and_shown_with_the_endpoints_sentence(
    qtbot: QtBot, tmp_path: Path, central: Central, certs: Certificates
) -> None:
    oic = enrolled_profile(tmp_path / "a", "7001", central.url, central.officer("7001"),
                           certs.ca)
    mate = enrolled_profile(tmp_path / "b", "7002", central.url, central.officer("7002"),
                            certs.ca)
    o, h = new_id(), new_id()
    oic.append([occurrence(o, AT, oic="7001", author="7001", reference="13/240117/26"),
                household(h, o, AT, author="7001")])
    client(oic).run_once()
    client(mate).run_once()
    # A teammate sees the household but is not the OIC: may not reassign its call-back.
    moved = event(EventType.TASK_REASSIGNED, h, {"to_officer": "7002", "reason": "Mine now"},
                  AT, author="7002", device="laptop-b")
    mate.append([moved])
    summary = client(mate).run_once()
    sentence = "Only the OIC of 13/240117/26 or a supervisor can reassign this call-back."
    [(refused_id, problems)] = summary.rejected
    assert refused_id == moved.id and problems[0].message.startswith(sentence)
    assert moved.id in event_ids(mate) and moved.id not in central.event_ids()
    page = SyncPage(QWidget())
    qtbot.addWidget(page)
    page.show_facts(read_facts(mate))
    assert page.rejected.count() == 1 and sentence in page.rejected.item(0).text()
    oic.close()
    mate.close()
