"""The thin I/O half of sync: HTTPS requests to the endpoint, verified, nothing else.

TLS is verified against the operating system's trust store or a force CA bundle, optionally
pinned to the server certificate's SHA-256 fingerprint. There is no way to turn verification
off, and plain HTTP is refused.

Only those are trusted: not SSL_CERT_FILE / SSL_CERT_DIR (OpenSSL and truststore read them),
not REQUESTS_CA_BUNDLE, not requests' own certifi bundle. On Linux the OS store is read from
the distributions' fixed paths; on Windows and macOS truststore asks the OS, which reads no
environment. A pin is checked after the handshake, which has already verified the chain and
the host name (urllib3's own pin check would turn the host-name check off).
"""

from __future__ import annotations

import hashlib
import ssl
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
import truststore
from requests.adapters import HTTPAdapter

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class InsecureEndpoint(ValueError):
    pass


@dataclass(frozen=True)
class Response:
    status: int
    body: Any
    headers: Mapping[str, str]
    sent_at: datetime
    received_at: datetime


class _VerifiedAdapter(HTTPAdapter):
    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # requests would add its certifi bundle to the context: trust only what ours holds.
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None


# Where Linux distributions keep the OS trust store (Debian/Ubuntu, Fedora/RHEL, openSUSE,
# Alpine, ...), in the order truststore looks, less the environment variables it reads first.
_LINUX_CA_FILES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
)


def _trust_os_store(context: ssl.SSLContext) -> None:
    if not sys.platform.startswith("linux"):
        context.load_default_certs()  # the Windows store (a pinned context off Linux)
        return
    for path in _LINUX_CA_FILES:
        try:
            context.load_verify_locations(cafile=path)
            return
        except (FileNotFoundError, ssl.SSLError):
            continue


class _PinnedContext(ssl.SSLContext):
    """Verifies as usual (chain and host name), then compares the certificate's digest."""

    pin: str

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        sock = super().wrap_socket(*args, **kwargs)
        der = sock.getpeercert(binary_form=True) or b""
        if hashlib.sha256(der).hexdigest() != self.pin:
            sock.close()
            raise ssl.SSLCertVerificationError(
                "the server's certificate is not the one this laptop was enrolled with"
            )
        return sock


def ssl_context(ca_bundle: str | None, pin_sha256: str | None = None) -> ssl.SSLContext:
    if pin_sha256:
        pinned = _PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
        pinned.pin = pin_sha256.replace(":", "").lower()
        context: ssl.SSLContext = pinned
    elif ca_bundle or sys.platform.startswith("linux"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # asks the OS itself
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    elif not isinstance(context, truststore.SSLContext):
        _trust_os_store(context)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class Transport:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        ca_bundle: str | None = None,
        pin_sha256: str | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        clock: Clock = utc_now,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise InsecureEndpoint("The central system's address must start with https://")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.clock = clock
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or CA bundle from the environment
        self.session.mount("https://", _VerifiedAdapter(ssl_context(ca_bundle, pin_sha256)))
        if token:
            self.set_token(token)

    def set_token(self, token: str) -> None:
        """Authenticate every later request with this device token (after a rotation)."""
        self.session.headers["Authorization"] = f"Bearer {token}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: str | None = None,
    ) -> Response:
        """One request; network failures raise requests.RequestException."""
        sent_at = self.clock()
        reply = self.session.request(
            method,
            f"{self.base_url}{path}",
            params=params,
            data=body.encode() if body is not None else None,
            headers={"Content-Type": "application/json"} if body is not None else None,
            timeout=self.timeout,
            allow_redirects=False,
        )
        received_at = self.clock()
        try:
            # orjson: a pull page of 500 events decodes several times faster than with json.
            parsed: Any = orjson.loads(reply.content)
        except orjson.JSONDecodeError:
            parsed = None
        return Response(reply.status_code, parsed, dict(reply.headers), sent_at, received_at)

    def close(self) -> None:
        self.session.close()
