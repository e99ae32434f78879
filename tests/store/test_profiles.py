"""Profiles: where they live, who can read them, unlocking, slowing down, passphrases, recovery."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from factories import household, new_id, occurrence, offer
from store_helpers import CHEAP_KDF, PASSPHRASE, START, FakeClock, cheap_profiles

from fieldapp.admin import admin_main
from fieldapp.domain.policy import _bank_holidays, london_date
from fieldapp.store import (
    DamagedDatabase,
    InvalidProfileName,
    ProfileExists,
    ProfileNotFound,
    Profiles,
    RecoveryFailed,
    Store,
    StoreLocked,
    TooManyAttempts,
    WeakPassphrase,
    WrongPassphrase,
)
from fieldapp.store.keys import PRODUCTION_KDF, WrappedKey
from fieldapp.store.profiles import default_base_dir

NEW = "amber-lantern-57-quay"


def some_events() -> list:
    o, h = new_id(), new_id()
    return [occurrence(o, START), household(h, o, START), offer(h, "declined", START)]


def test_real_parameters_create_and_unlock(home: Path, clock: FakeClock) -> None:
    profiles = Profiles(clock, home)
    with profiles.create("1234", PASSPHRASE) as store:
        store.append(some_events())
    wrapped = WrappedKey.from_json((home / "profiles/1234/key.json").read_bytes())
    assert wrapped.kdf == PRODUCTION_KDF
    with profiles.unlock("1234", PASSPHRASE) as store:
        assert store.totals(START.date()).events == 3
    with pytest.raises(WrongPassphrase, match="not right"):
        profiles.unlock("1234", "violet-anchor-river-93")


def test_a_profile_keyed_cheaply_is_rewrapped_at_full_strength(home: Path) -> None:
    cheap_profiles(home).create("1234", PASSPHRASE).close()
    Profiles(FakeClock(), home).unlock("1234", PASSPHRASE).close()
    wrapped = WrappedKey.from_json((home / "profiles/1234/key.json").read_bytes())
    assert wrapped.kdf == PRODUCTION_KDF


def test_files_are_private_to_the_os_user(profiles: Profiles) -> None:
    profiles.create("1234", PASSPHRASE).close()
    store = profiles.unlock("1234", PASSPHRASE)
    store.append(some_events())  # the -wal and -shm files exist while it is open
    folder = profiles.path("1234")
    assert {p.name for p in folder.iterdir()} >= {"store.db", "store.db-wal", "store.db-shm",
                                                   "key.json", "unlock.json"}
    for path in [profiles.root, folder]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    store.close()


def test_base_folder_comes_from_the_argument_then_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FIELDAPP_HOME", str(tmp_path / "env"))
    assert default_base_dir() == tmp_path / "env"
    assert Profiles(FakeClock()).root == tmp_path / "env" / "profiles"
    assert Profiles(FakeClock(), tmp_path / "arg").root == tmp_path / "arg" / "profiles"
    monkeypatch.delenv("FIELDAPP_HOME")
    assert "fieldapp" in str(default_base_dir())


@pytest.mark.parametrize("name", ["", "../x", "a b", "Jane Smith", "x" * 33, ".hidden", "a/b"])
def test_profile_names_are_short_plain_words(profiles: Profiles, name: str) -> None:
    with pytest.raises(InvalidProfileName, match="Anyone with the laptop can see it"):
        profiles.create(name, PASSPHRASE)


def test_names_lists_profiles_and_refuses_a_second_of_the_same_name(profiles: Profiles) -> None:
    profiles.create("PC1234", PASSPHRASE).close()
    profiles.create("pc-5678", PASSPHRASE).close()
    assert profiles.names() == ["PC1234", "pc-5678"]
    with pytest.raises(ProfileExists):
        profiles.create("pc1234", PASSPHRASE)  # case-insensitive file systems
    with pytest.raises(ProfileNotFound):
        profiles.unlock("9999", PASSPHRASE)


def test_a_weak_passphrase_creates_nothing(profiles: Profiles) -> None:
    with pytest.raises(WeakPassphrase) as raised:
        profiles.create("1234", "password")
    assert raised.value.reasons[0] == "Use at least 12 characters."
    assert profiles.names() == []
    assert not profiles.root.exists() or not any(profiles.root.iterdir())


def test_wrong_passphrases_slow_down_and_the_count_survives_a_restart(home: Path) -> None:
    clock = FakeClock()
    cheap_profiles(home, clock).create("1234", PASSPHRASE).close()
    for _ in range(3):  # typos cost nothing
        restarted = cheap_profiles(home, clock)
        with pytest.raises(WrongPassphrase):
            restarted.unlock("1234", "wrong-passphrase-1")
        assert restarted.wait_seconds("1234") == 0
    for delay in [2, 4, 8, 16, 32, 64]:  # then it doubles
        with pytest.raises(WrongPassphrase):
            cheap_profiles(home, clock).unlock("1234", "wrong-passphrase-1")
        restarted = cheap_profiles(home, clock)
        assert restarted.wait_seconds("1234") == delay
        # While waiting even the right passphrase is not tried.
        with pytest.raises(TooManyAttempts, match="Wait") as raised:
            restarted.unlock("1234", PASSPHRASE)
        assert raised.value.wait_seconds == delay
        clock.advance(delay)
    # The tenth failure within five minutes (at 126 s): the window decides, not the doubling.
    with pytest.raises(WrongPassphrase):
        cheap_profiles(home, clock).unlock("1234", "wrong-passphrase-1")
    assert cheap_profiles(home, clock).wait_seconds("1234") == pytest.approx(300 - 126)
    with pytest.raises(TooManyAttempts, match=r"Wait 3 minutes, then try again\."):
        cheap_profiles(home, clock).unlock("1234", PASSPHRASE)
    clock.advance(300 - 126)
    cheap_profiles(home, clock).unlock("1234", PASSPHRASE).close()
    assert cheap_profiles(home, clock).wait_seconds("1234") == 0


def test_a_clock_set_back_does_not_shorten_the_wait(home: Path) -> None:
    clock = FakeClock()
    profiles = cheap_profiles(home, clock)
    profiles.create("1234", PASSPHRASE).close()
    for _ in range(5):
        with pytest.raises((WrongPassphrase, TooManyAttempts)):
            profiles.unlock("1234", "wrong-passphrase-1")
        clock.advance(10)
    clock.advance(-3600)
    assert profiles.wait_seconds("1234") == 4.0


def test_failures_while_the_clock_ran_ahead_do_not_lock_out_after_it_is_corrected(
    home: Path,
) -> None:
    clock = FakeClock()
    profiles = cheap_profiles(home, clock)
    profiles.create("1234", PASSPHRASE).close()
    clock.advance(86_400)  # a day ahead
    for _ in range(10):
        clock.advance(profiles.wait_seconds("1234"))
        with pytest.raises(WrongPassphrase):
            profiles.unlock("1234", "wrong-passphrase-1")
    clock.advance(-86_400 - 600)  # corrected, to before the first failure
    # The stored times are brought back to now: the wait is as long as it was, not a day.
    assert 0 < profiles.wait_seconds("1234") <= 300
    clock.advance(300)
    assert cheap_profiles(home, clock).wait_seconds("1234") == 0
    profiles.unlock("1234", PASSPHRASE).close()


def test_an_attempt_counts_even_if_the_app_dies_while_checking(home: Path) -> None:
    clock = FakeClock()
    profiles = cheap_profiles(home, clock)
    profiles.create("1234", PASSPHRASE).close()
    counter = profiles.path("1234") / "unlock.json"
    profiles._throttle(profiles.path("1234")).begin_attempt()  # as if killed mid-derivation
    assert json.loads(counter.read_text())["failures"] == 1
    profiles.unlock("1234", PASSPHRASE).close()
    assert json.loads(counter.read_text())["failures"] == 0


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_passphrase_change_rewraps_without_touching_the_database(profiles: Profiles) -> None:
    with profiles.create("1234", PASSPHRASE) as store:
        events = some_events()
        store.append(events)
    database = profiles.path("1234") / "store.db"
    before = file_digest(database)
    profiles.change_passphrase("1234", PASSPHRASE, NEW)
    assert file_digest(database) == before  # same pages: nothing was re-encrypted
    with pytest.raises(WrongPassphrase):
        profiles.unlock("1234", PASSPHRASE)
    with profiles.unlock("1234", NEW) as store:
        assert [e.id for e in store.iter_events()] == [e.id for e in events]
    with pytest.raises(WeakPassphrase):
        profiles.change_passphrase("1234", NEW, "password")


def recovery_pair() -> tuple[bytes, bytes]:
    private = X25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"force-it-team"),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


def test_a_forgotten_passphrase_is_recovered_with_the_force_key(home: Path) -> None:
    private_pem, public_pem = recovery_pair()
    profiles = cheap_profiles(home, recovery_public_key=public_pem)
    with profiles.create("1234", PASSPHRASE) as store:
        events = some_events()
        store.append(events)
    assert profiles.recovery_key_id("1234")
    with pytest.raises(RecoveryFailed):
        profiles.recover("1234", recovery_pair()[0], NEW, private_key_password=b"force-it-team")
    profiles.recover("1234", private_pem, NEW, private_key_password=b"force-it-team")
    with pytest.raises(WrongPassphrase):
        profiles.unlock("1234", PASSPHRASE)
    with profiles.unlock("1234", NEW) as store:
        assert store.outbox_count() == len(events)  # unsynced records were not lost
    # The recovery copy survives the new wrap, so it works a second time.
    assert profiles.recovery_key_id("1234")


def test_recovery_through_the_admin_command(home: Path, tmp_path: Path) -> None:
    private_pem, public_pem = recovery_pair()
    profiles = Profiles(FakeClock(), home, recovery_public_key=public_pem)
    profiles.create("1234", PASSPHRASE).close()
    key_file = tmp_path / "recovery.pem"
    key_file.write_bytes(private_pem)
    stdin = tmp_path / "stdin"
    stdin.write_text(f"force-it-team\n{NEW}\n")
    with stdin.open() as handle, pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", handle)
        code = admin_main(["--home", str(home), "recover", "--profile", "1234",
                           "--private-key", str(key_file), "--passphrase-stdin"])
    assert code == 0
    profiles.unlock("1234", NEW).close()


def test_recovery_is_refused_for_a_profile_without_a_recovery_copy(profiles: Profiles) -> None:
    profiles.create("1234", PASSPHRASE).close()
    private_pem, public_pem = recovery_pair()
    with pytest.raises(RecoveryFailed, match="no recovery copy"):
        profiles.recover("1234", private_pem, NEW, private_key_password=b"force-it-team")
    # Added later with the passphrase, it then works.
    key_id = profiles.set_recovery_key("1234", PASSPHRASE, public_pem)
    assert profiles.recovery_key_id("1234") == key_id
    profiles.recover("1234", private_pem, NEW, private_key_password=b"force-it-team")
    profiles.unlock("1234", NEW).close()


def test_locking_closes_the_connection(store: Store) -> None:
    store.append(some_events())
    store.lock()
    assert store.locked
    with pytest.raises(StoreLocked, match="Unlock it"):
        store.outbox_count()
    with pytest.raises(StoreLocked):
        store.append(some_events())
    store.close()  # twice is fine


def test_a_missing_database_is_not_silently_recreated(profiles: Profiles) -> None:
    profiles.create("1234", PASSPHRASE).close()
    database = profiles.path("1234") / "store.db"
    database.unlink()
    with pytest.raises(DamagedDatabase, match="Do not delete anything"):
        profiles.unlock("1234", PASSPHRASE)
    assert not database.exists()


def test_cheap_parameters_only_through_the_test_argument() -> None:
    # The production default cannot be weakened by the tests' helper leaking into the app.
    assert Profiles(FakeClock())._kdf == PRODUCTION_KDF
    assert CHEAP_KDF.weaker_than(PRODUCTION_KDF)


def test_unlocking_builds_this_year_s_bank_holidays_before_the_first_save(
    profiles: Profiles, clock: FakeClock
) -> None:
    """The first year asked for loads `holidays`' data (~0.13 s): unlocking pays it, not the
    officer's first save."""
    profiles.create("1234", PASSPHRASE).close()
    _bank_holidays.cache_clear()
    store = profiles.unlock("1234", PASSPHRASE)
    try:
        year = london_date(clock()).year
        for asked in (year, year + 1):
            before = _bank_holidays.cache_info().hits
            _bank_holidays(profiles.policy.bank_holiday_region, asked)
            assert _bank_holidays.cache_info().hits == before + 1, asked
    finally:
        store.close()
