"""The endpoint's word about this laptop, clock skew, and refused records."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import household, new_id, occurrence, offer
from sync_support import Central, Certificates, client, enrolled_profile, event_ids, profiles

from fieldapp.store import ProfileNotFound
from fieldapp.sync.protocol import DeviceRevoked, DeviceWipe

AT = datetime(2026, 3, 10, 14, tzinfo=UTC)


def device_of(central: Central, collar: str) -> str:
    [line] = [ln for ln in central.admin("list-devices").splitlines()[1:] if f" {collar} " in ln]
    return line.split()[0]


def test_a_wipe_order_stops_the_laptop_sending_and_the_profile_is_destroyed(
    tmp_path: Path, central: Central, certs: Certificates
) -> None:
    store = enrolled_profile(tmp_path, "3001", central.url, central.officer("3001"), certs.ca)
    o, h = new_id(), new_id()
    mine = [occurrence(o, AT, author="3001"), household(h, o, AT, author="3001"),
            offer(h, "declined", AT, author="3001")]
    store.append(mine)
    central.admin("mark-wipe", "--device", device_of(central, "3001"))
    with pytest.raises(DeviceWipe):
        client(store).run_once()
    # A laptop marked for wiping may be in the wrong hands: nothing more is accepted from it.
    assert set(central.event_ids()) == set()
    assert store.outbox_count() == len(mine)
    store.close()
    profiles(tmp_path).wipe("3001")
    assert profiles(tmp_path).names() == []
    with pytest.raises(ProfileNotFound):
        profiles(tmp_path).unlock("3001", "anything at all 123")


def test_revoked_laptop_is_refused(tmp_path: Path, central: Central, certs: Certificates) -> None:
    store = enrolled_profile(tmp_path, "3002", central.url, central.officer("3002"), certs.ca)
    central.admin("revoke-device", "--device", device_of(central, "3002"))
    o = new_id()
    store.append([occurrence(o, AT, author="3002")])
    with pytest.raises(DeviceRevoked):
        client(store).run_once()
    assert store.outbox_count() == 1  # kept: never cleared without an acknowledgement
    store.close()


def test_clock_skew_is_detected_and_events_flagged(
    tmp_path: Path, central: Central, certs: Certificates
) -> None:
    store = enrolled_profile(tmp_path, "3003", central.url, central.officer("3003"), certs.ca)
    o = new_id()
    first = occurrence(o, AT, author="3003")
    store.append([first])
    fast = client(store, clock=lambda: datetime.now(UTC) + timedelta(minutes=45))
    summary = fast.run_once()
    assert summary.skew_flagged
    assert summary.clock_skew_seconds is not None
    assert -45 * 60 - 30 < summary.clock_skew_seconds < -45 * 60 + 30
    assert set(store.skewed_ids()) == {first.id}
    later = household(new_id(), o, AT, author="3003")
    store.append([later])
    summary = client(store).run_once()
    assert not summary.skew_flagged
    assert set(store.skewed_ids()) == {first.id}
    store.close()


def test_refused_records_stay_with_their_reason_until_sent_again(
    tmp_path: Path, central: Central, certs: Certificates
) -> None:
    store = enrolled_profile(tmp_path, "3004", central.url, central.officer("3004"), certs.ca)
    o = new_id()
    good = occurrence(o, AT, author="3004")
    foreign = household(new_id(), o, AT, author="9999")  # recorded under another officer
    store.append([good, foreign])
    summary = client(store).run_once()
    assert summary.pushed == 1
    [(event, problems)] = store.rejected()
    assert event.id == foreign.id
    assert problems
    assert [r[0] for r in summary.rejected] == [foreign.id]
    assert store.outbox_count() == 0
    assert foreign.id in event_ids(store)  # never silently dropped
    # The next sync does not resend it; sending again is the officer's (or IT's) decision.
    assert client(store).run_once().pushed == 0
    assert store.send_again([foreign.id]) == 1
    assert store.outbox_count() == 1
    store.close()
