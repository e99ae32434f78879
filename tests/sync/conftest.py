"""Fixtures for sync tests: test certificates and a real endpoint process on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_support import Central, Certificates, running


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def central(tmp_path: Path, certs: Certificates) -> Iterator[Central]:
    with running(Central(tmp_path, certs)) as server:
        yield server
