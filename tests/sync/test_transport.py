"""HTTPS only, verified: against a force CA (or the OS trust store), optionally pinned."""

import hashlib
import ssl
import subprocess
from pathlib import Path

import pytest
import requests
from sync_support import Central, Certificates

from fieldapp.sync.transport import InsecureEndpoint, Transport


def server_fingerprint(certs: Certificates) -> str:
    pem = Path(certs.cert).read_text()
    first = pem[pem.index("-----BEGIN CERTIFICATE-----"):]
    der = ssl.PEM_cert_to_DER_cert(first[: first.index("-----END CERTIFICATE-----") + 25])
    return hashlib.sha256(der).hexdigest()


def test_verified_against_the_force_ca(central: Central, certs: Certificates) -> None:
    assert Transport(central.url, ca_bundle=certs.ca).request("GET", "/v1/health").status == 200


def test_unknown_ca_is_refused_by_the_os_trust_store(central: Central) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        Transport(central.url).request("GET", "/v1/health")


def test_certificate_pin(central: Central, certs: Certificates) -> None:
    pin = server_fingerprint(certs)
    pinned = Transport(central.url, ca_bundle=certs.ca, pin_sha256=pin)
    assert pinned.request("GET", "/v1/health").status == 200
    wrong = Transport(central.url, ca_bundle=certs.ca, pin_sha256="00" * 32)
    with pytest.raises(requests.exceptions.SSLError):
        wrong.request("GET", "/v1/health")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "ftp://x", "127.0.0.1:8443", ""])
def test_only_https_addresses(url: str) -> None:
    with pytest.raises(InsecureEndpoint):
        Transport(url)


def test_environment_ca_bundle_is_not_trusted(
    central: Central, monkeypatch: pytest.MonkeyPatch, certs: Certificates
) -> None:
    # REQUESTS_CA_BUNDLE would otherwise override what the transport verifies against.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certs.ca)
    monkeypatch.setenv("CURL_CA_BUNDLE", certs.ca)
    with pytest.raises(requests.exceptions.SSLError):
        Transport(central.url).request("GET", "/v1/health")


def test_admin_enrol_with_a_pin(
    tmp_path: Path, central: Central, certs: Certificates, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io

    from sync_support import PASSPHRASE, profiles

    from fieldapp.admin import admin_main

    profiles(tmp_path).create("6001", PASSPHRASE).close()

    def enrol(pin: str) -> int:
        code = central.officer("6001") if pin.startswith("00") else central.admin(
            "enrolment-code", "--collar", "6001").splitlines()[0]
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{PASSPHRASE}\n{code}\n"))
        return admin_main(["--home", str(tmp_path), "enrol", "--profile", "6001", "--url",
                           central.url, "--device-name", "laptop", "--ca-file", certs.ca,
                           "--pin-sha256", pin, "--passphrase-stdin"])

    assert enrol("00" * 32) == 1
    assert "certificate could not be verified" in capsys.readouterr().err
    with profiles(tmp_path).unlock("6001", PASSPHRASE) as store:
        assert store.get_setting("sync.token") is None
    right = ":".join(server_fingerprint(certs)[i:i + 2] for i in range(0, 64, 2)).upper()
    assert enrol(right) == 0
    with profiles(tmp_path).unlock("6001", PASSPHRASE) as store:
        assert store.get_setting("sync.pin_sha256") == server_fingerprint(certs)
        assert store.get_setting("sync.token")


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_openssl_environment_ca_is_not_trusted(
    central: Central, monkeypatch: pytest.MonkeyPatch, certs: Certificates, tmp_path: Path,
    variable: str,
) -> None:
    # A CA the OS store does not hold, offered through OpenSSL's own variables.
    if variable == "SSL_CERT_DIR":
        folder = tmp_path / "hostile"
        folder.mkdir()
        pem = Path(certs.ca).read_text()
        subject_hash = subprocess.run(
            ["openssl", "x509", "-hash", "-noout", "-in", certs.ca],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        (folder / f"{subject_hash}.0").write_text(pem)
        monkeypatch.setenv(variable, str(folder))
    else:
        monkeypatch.setenv(variable, certs.ca)
    with pytest.raises(requests.exceptions.SSLError):
        Transport(central.url).request("GET", "/v1/health")
    with pytest.raises(requests.exceptions.SSLError):
        Transport(central.url, pin_sha256=server_fingerprint(certs)).request("GET", "/v1/health")


def test_a_pin_does_not_turn_off_the_host_name_check(
    central: Central, certs: Certificates
) -> None:
    # The certificate names 127.0.0.1 only: "localhost" reaches the same server, pin and CA
    # right, and must still be refused.
    wrong_name = central.url.replace("127.0.0.1", "localhost")
    pinned = Transport(wrong_name, ca_bundle=certs.ca, pin_sha256=server_fingerprint(certs))
    with pytest.raises(requests.exceptions.SSLError):
        pinned.request("GET", "/v1/health")
    assert Transport(central.url, ca_bundle=certs.ca, pin_sha256=server_fingerprint(
        certs).upper()).request("GET", "/v1/health").status == 200
