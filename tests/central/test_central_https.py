"""HTTPS: the endpoint served by uvicorn with a certificate from a test CA; clients verify
against that CA, and plain HTTP or another CA gets nowhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import trustme
from central_support import FakeClock, LiveServer

from central.app import create_app
from central.storage.sql import SqlStorage


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(
    ca: trustme.CA, tmp_path: Path, storage: SqlStorage
) -> Iterator[tuple[LiveServer, Path]]:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_pem.write_to_path(str(keyfile))
    with certfile.open("wb") as handle:
        for pem in cert.cert_chain_pems:
            handle.write(pem.bytes())
    ca.cert_pem.write_to_path(str(ca_file))
    app = create_app(storage, clock=FakeClock())
    with LiveServer(app, certfile=str(certfile), keyfile=str(keyfile)) as live:
        yield live, ca_file


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_https_with_the_force_ca_works_and_nothing_else_does(
    tls_server: tuple[LiveServer, Path], tmp_path: Path
) -> None:
    server, ca_file = tls_server
    assert server.url.startswith("https://127.0.0.1:")
    answer = requests.get(f"{server.url}/v1/time", verify=str(ca_file), timeout=10)
    assert answer.status_code == 200 and "server_time" in answer.json()

    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{server.port}/v1/time", timeout=10)

    other = trustme.CA()
    other_file = tmp_path / "other-ca.pem"
    other.cert_pem.write_to_path(str(other_file))
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{server.url}/v1/time", verify=str(other_file), timeout=10)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{server.url}/v1/time", timeout=10)  # the system store does not know it
