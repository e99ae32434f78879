"""Two officers, offline, then sync through a real HTTPS endpoint: both converge."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from factories import callback, event, household, new_id, occurrence, offer
from sync_support import Central, Certificates, client, enrolled_profile, event_ids

from fieldapp.domain.events import EventType
from fieldapp.domain.projection import project
from fieldapp.domain.schedule import TaskStatus
from fieldapp.resources import load_policy

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)  # Tuesday: call-back due Tuesday 31 March
DUE = date(2026, 3, 31)


def test_two_officers_converge_and_call_backs_close_elsewhere(
    tmp_path: Path, central: Central, certs: Certificates
) -> None:
    code_a = central.officer("1001", role="oic")
    code_b = central.officer("1002")
    a = enrolled_profile(tmp_path / "a", "1001", central.url, code_a, certs.ca)
    b = enrolled_profile(tmp_path / "b", "1002", central.url, code_b, certs.ca)
    a.set_setting("device_id", "laptop-a")
    b.set_setting("device_id", "laptop-b")

    # Both attend the same address offline; each records the household, B without the town
    # (so the rule cannot tell: the OIC is asked, and merges them).
    o, ha, hb = new_id(), new_id(), new_id()
    a.append([occurrence(o, AT, oic="1001", author="1001", device="laptop-a"),
              household(ha, o, AT, author="1001", device="laptop-a")])
    declined = offer(ha, "declined", AT, author="1001", device="laptop-a")
    a.append([declined])
    b.append([household(hb, o, AT + timedelta(minutes=3), author="1002", device="laptop-b",
                        address="1 High Street")])
    # A records a wrong outcome first, and corrects it.
    wrong_day = event(EventType.EVENT_CORRECTED, ha, {
        "target_id": declined.id, "target_type": "vcas_offered",
        "payload": {"outcome": "declined"}, "reason": "Recorded against the wrong day",
        "occurred_at": "2026-03-10T15:00:00Z"}, AT + timedelta(hours=1), author="1001",
        device="laptop-a")
    a.append([wrong_day])
    [task] = a.tasks(DUE, statuses=(TaskStatus.DUE,))
    assert task.household_id == ha

    for run in (client(a), client(b), client(a)):
        run.run_once()

    assert sorted(event_ids(a)) == sorted(event_ids(b)) == sorted(central.event_ids())
    assert a.state() == b.state()
    [duplicate] = [c for c in b.conflicts() if c.kind == "possible_duplicate_household"]

    # B makes the call-back; A, the OIC, merges the two records (only an OIC or a supervisor
    # may merge households).
    b.append([callback(ha, "accepted", AT + timedelta(days=21), author="1002",
                       device="laptop-b")])
    a.append([event(EventType.HOUSEHOLDS_MERGED, hb, {"merged_id": ha, "reason": "Same house"},
                    AT + timedelta(days=21, minutes=5), author="1001", device="laptop-a")])
    summary_b = client(b).run_once()
    assert summary_b.pushed == 1 and summary_b.rejected == ()
    summary_a = client(a).run_once()
    assert summary_a.pushed == 1 and summary_a.rejected == ()
    assert summary_a.pulled == 1
    assert summary_a.tasks_done_elsewhere == (ha,) or summary_a.tasks_done_elsewhere == (
        min(ha, hb),
    )

    merged = a.household(ha)
    assert merged is not None
    assert set(merged.merged_ids) == {ha, hb}
    assert merged.task is not None
    assert merged.task.status(DUE, viewer_device="laptop-a") is TaskStatus.DONE_ELSEWHERE
    assert not [c for c in a.conflicts() if c.kind == "possible_duplicate_household"]
    assert duplicate.kind == "possible_duplicate_household"

    client(b).run_once()
    # Every copy agrees, and agrees with projecting the endpoint's event set from scratch.
    assert a.state() == b.state() == project(list(a.iter_events()), load_policy())
    assert sorted(event_ids(a)) == sorted(event_ids(b)) == sorted(central.event_ids())
    # A second sync with nothing new changes nothing.
    again = client(a).run_once()
    assert (again.pushed, again.pulled) == (0, 0)
    a.close()
    b.close()
