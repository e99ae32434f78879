"""Each test gets its own profiles folder under tmp_path, a clock it controls, and a profile
keyed with cheap Argon2id parameters (tests of the KDF and unlock path use the real ones)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import PASSPHRASE, FakeClock, cheap_profiles

from fieldapp.store import Profiles, Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def profiles(home: Path, clock: FakeClock) -> Profiles:
    return cheap_profiles(home, clock)


@pytest.fixture
def store(profiles: Profiles) -> Iterator[Store]:
    opened = profiles.create("1234", PASSPHRASE)
    yield opened
    opened.close()
