"""Device token rotation over HTTP on both back ends: asked for by an administrator or by the
token's age; the old token works until the new one is first used, so a lost answer never
locks a laptop out; after that only the new one works."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from central_support import FakeClock, add_officer, issue_code
from fastapi.testclient import TestClient

from central import security
from central.__main__ import main
from central.app import create_app
from central.config import Settings
from central.storage import open_storage
from central.storage.migrations import MIGRATIONS
from central.storage.sql import SqlStorage
from fieldapp.domain.problems import format_utc


@pytest.fixture
def client(storage: SqlStorage, clock: FakeClock) -> Iterator[TestClient]:
    add_officer(storage, "100")
    settings = Settings(rate_burst=1000, enrol_burst=1000, token_max_age=timedelta(days=90))
    with TestClient(create_app(storage, settings=settings, clock=clock)) as test_client:
        yield test_client


def enrol(client: TestClient, storage: SqlStorage) -> dict[str, Any]:
    answer = client.post("/v1/enrol", json={"code": issue_code(storage, "100"),
                                            "device_name": "Laptop 3"})
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def pull(client: TestClient, token: str) -> Any:
    return client.get("/v1/pull", headers={"Authorization": f"Bearer {token}"})


def rotate(client: TestClient, token: str) -> str:
    answer = client.post("/v1/rotate", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["device_status"] == "active" and len(body["token"]) >= 43
    assert body["token"] != token
    return str(body["token"])


def test_rotation_asked_for_by_an_administrator(
    client: TestClient, storage: SqlStorage, clock: FakeClock
) -> None:
    device = enrol(client, storage)
    old = device["token"]
    assert pull(client, old).json()["rotate"] is False
    assert client.post("/v1/push", json={"events": []},
                       headers={"Authorization": f"Bearer {old}"}).json()["rotate"] is False
    assert storage.request_rotation(device["device_id"], now=clock.now(), actor="cli:it")
    assert pull(client, old).json()["rotate"] is True
    assert client.post("/v1/push", json={"events": []},
                       headers={"Authorization": f"Bearer {old}"}).json()["rotate"] is True

    lost = rotate(client, old)  # the answer never reaches the laptop
    assert pull(client, old).status_code == 200  # so the old token still works
    assert pull(client, old).json()["rotate"] is True  # and it is asked again
    new = rotate(client, old)
    # The token whose answer was lost was replaced before it was ever used.
    assert pull(client, lost).json()["error"] == "unknown_token"
    first_use = pull(client, new)
    assert first_use.status_code == 200 and first_use.json()["rotate"] is False
    refused = pull(client, old)
    assert refused.status_code == 401 and refused.json()["error"] == "unknown_token"
    assert pull(client, new).status_code == 200

    actions = [(e.action, e.device_id) for e in storage.access_log()
               if e.action in ("request_rotation", "rotate_token", "token_rotated")]
    assert actions == [("request_rotation", device["device_id"]),
                       ("rotate_token", device["device_id"]),
                       ("rotate_token", device["device_id"]),
                       ("token_rotated", device["device_id"])]
    with storage.backend.transaction("read") as tx:
        stored = tx.query("SELECT token_hash, next_token_hash FROM devices")
    assert stored == [(security.digest(new), None)]


def test_rotation_asked_for_by_the_token_age(
    client: TestClient, storage: SqlStorage, clock: FakeClock
) -> None:
    token = enrol(client, storage)["token"]
    clock.advance(timedelta(days=89).total_seconds())
    assert pull(client, token).json()["rotate"] is False
    clock.advance(timedelta(days=2).total_seconds())
    assert pull(client, token).json()["rotate"] is True
    new = rotate(client, token)
    assert pull(client, new).json()["rotate"] is False
    clock.advance(timedelta(days=91).total_seconds())  # the new token ages too
    assert pull(client, new).json()["rotate"] is True


def test_rotation_needs_a_working_token(client: TestClient, storage: SqlStorage) -> None:
    device = enrol(client, storage)
    assert client.post("/v1/rotate").json()["error"] == "unauthenticated"
    assert client.post("/v1/rotate", headers={"Authorization": "Bearer nope"}).status_code == 401
    storage.set_device_status(device["device_id"], "revoked", now=FakeClock().now(), actor="t")
    answer = client.post("/v1/rotate", headers={"Authorization": f"Bearer {device['token']}"})
    assert answer.json()["error"] == "device_revoked"


def test_rotate_credentials_on_the_command_line(
    client: TestClient, storage: SqlStorage, database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    device = enrol(client, storage)
    db = ("--database", database_url)
    assert main(["admin", "rotate-credentials", *db, "--device", device["device_id"]]) == 0
    assert "next sync" in capsys.readouterr().out
    assert pull(client, device["token"]).json()["rotate"] is True
    assert main(["admin", "rotate-credentials", *db, "--device", "dev_nobody"]) == 2
    assert "No device" in capsys.readouterr().err
    storage.set_device_status(device["device_id"], "revoked", now=FakeClock().now(), actor="t")
    assert main(["admin", "rotate-credentials", *db, "--device", device["device_id"]]) == 2
    assert "revoked" in capsys.readouterr().err


def test_devices_enrolled_before_rotation_existed_keep_working(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = open_storage(database_url)
    try:
        monkeypatch.setattr("central.storage.migrations.MIGRATIONS", MIGRATIONS[:1])
        storage.migrate(clock.now())
        enrolled = format_utc(clock.now() - timedelta(days=100))
        with storage.backend.transaction("write") as tx:
            # As the version-1 server stored them (this code's add_officer reads later tables).
            tx.execute(
                "INSERT INTO officers (collar, name, role, team, district, created_at) "
                "VALUES ('100', 'PC 100', 'officer', 'T1', 'Leeds', ?)",
                (enrolled,),
            )
            tx.execute(
                "INSERT INTO devices (device_id, collar, name, token_hash, status, enrolled_at) "
                "VALUES ('dev_old', '100', 'Old laptop', ?, 'active', ?)",
                (security.digest("old-token"), enrolled),
            )
        monkeypatch.undo()
        storage.migrate(clock.now())
        caller = storage.caller(security.digest("old-token"), now=clock.now())
        assert caller is not None and caller.token_issued_at == enrolled
        assert not caller.rotate_requested
    finally:
        storage.close()
