"""fieldapp-central on the command line: admin commands on both back ends, and `serve` as a
real process over HTTPS."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import trustme
from central_support import Events, free_port

from central import security
from central.__main__ import main
from central.storage import open_storage

CODE = re.compile(r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_admin_commands_manage_officers_and_laptops(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--database", database_url)
    status, out, _ = run(capsys, "admin", "add-officer", *db, "--collar", "1234", "--name",
                         "PC Jo Bloggs", "--role", "oic", "--team", "Safeguarding 2",
                         "--district", "Leeds")
    assert status == 0 and "1234" in out
    status, _, err = run(capsys, "admin", "add-officer", *db, "--collar", "1234", "--name", "X",
                         "--role", "officer", "--team", "T", "--district", "Leeds")
    assert status == 2 and "already registered" in err

    status, out, err = run(capsys, "admin", "enrolment-code", *db, "--collar", "1234")
    code = out.strip()
    assert status == 0 and CODE.match(code) and "1234" in err
    storage = open_storage(database_url)
    try:
        officer = storage.enrol(
            security.code_digest(code), device_id="dev_cli", device_name="Laptop 12",
            token_hash="t", now=Events().now, address=None,
        )
        assert officer is not None and officer.role == "oic"
        with storage.backend.transaction("read") as tx:
            stored = tx.query("SELECT code_hash FROM enrolment_codes")
        assert code not in str(stored)
    finally:
        storage.close()

    status, out, _ = run(capsys, "admin", "list-devices", *db)
    assert status == 0 and "dev_cli" in out and "active" in out and "Laptop 12" in out
    status, out, _ = run(capsys, "admin", "mark-wipe", *db, "--device", "dev_cli")
    assert status == 0 and "wipe" in out
    status, out, _ = run(capsys, "admin", "revoke-device", *db, "--device", "dev_cli")
    assert status == 0 and "revoked" in out
    status, _, err = run(capsys, "admin", "mark-wipe", *db, "--device", "dev_cli")
    assert status == 2 and "revoked" in err
    status, _, err = run(capsys, "admin", "revoke-device", *db, "--device", "dev_nope")
    assert status == 2 and "No device" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("admin", "enrolment-code", "--collar", "9999"),
        ("admin", "add-officer", "--collar", "12 34", "--name", "X", "--role", "officer",
         "--team", "T", "--district", "Leeds"),
        ("admin", "add-officer", "--collar", "1", "--name", " ", "--role", "officer",
         "--team", "T", "--district", "Leeds"),
    ],
)
def test_admin_mistakes_are_explained_not_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    status, _, err = run(capsys, *argv, "--database", f"sqlite:///{tmp_path / 'c.db'}")
    assert status == 2 and err.startswith("fieldapp-central: ")


def test_a_database_url_of_another_kind_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "admin", "list-devices", "--database", "mysql://x/y")
    assert status == 2 and "sqlite:///" in err


def test_plain_http_is_only_served_on_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "serve", "--database", f"sqlite:///{tmp_path / 'c.db'}",
                         "--host", "0.0.0.0")
    assert status == 2 and "HTTPS" in err


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("fieldapp-central")
    return [str(script)] if script.exists() else [sys.executable, "-m", "central"]


def test_serve_runs_the_endpoint_over_https(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    ca.cert_pem.write_to_path(str(ca_file))
    database = f"sqlite:///{tmp_path / 'central.db'}"
    subprocess.run([*_cli(), "admin", "add-officer", "--database", database, "--collar", "77",
                    "--name", "PC Seven", "--role", "officer", "--team", "T",
                    "--district", "Leeds"], check=True, capture_output=True)
    code = subprocess.run([*_cli(), "admin", "enrolment-code", "--database", database,
                           "--collar", "77"], check=True, capture_output=True,
                          text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [*_cli(), "serve", "--database", database, "--host", "127.0.0.1", "--port", str(port),
         "--certfile", str(certfile), "--keyfile", str(keyfile)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/v1/health", verify=str(ca_file), timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.1)
        with requests.Session() as laptop:
            # A kept-alive TLS connection would hold the server's shutdown for its 10 s grace.
            laptop.headers["Connection"] = "close"
            # Per request: requests lets REQUESTS_CA_BUNDLE override a session's verify.
            enrolled = laptop.post(f"{base}/v1/enrol", timeout=10, verify=str(ca_file),
                                   json={"code": code, "device_name": "Laptop"})
            assert enrolled.status_code == 200
            laptop.headers["Authorization"] = f"Bearer {enrolled.json()['token']}"
            event = Events(now=datetime.now(UTC)).occurrence("77", "77", "Leeds")  # a real clock
            pushed = laptop.post(f"{base}/v1/push", timeout=10, verify=str(ca_file),
                                 json={"events": [event.to_dict()]})
            assert pushed.status_code == 200
            assert pushed.json()["accepted"][0]["id"] == event.id
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    # uvicorn shuts down cleanly, then re-raises the SIGTERM it caught.
    assert server.returncode in (0, -signal.SIGTERM)
    assert "Finished server process" in output and "exceeded" not in output
    assert "PC Seven" not in output and event.id not in output
