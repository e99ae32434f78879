"""The thin I/O half of sync: HTTPS requests to the endpoint, verified, nothing else.

TLS is verified against the operating system's trust store (truststore) or a force CA bundle,
optionally pinned to the server certificate's SHA-256 fingerprint. There is no way to turn
verification off, and plain HTTP is refused.
"""

from __future__ import annotations

import ssl
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
    def __init__(self, context: ssl.SSLContext, pin: str | None) -> None:
        self._context = context
        self._pin = pin
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        if self._pin:
            # urllib3 compares the whole DER certificate's digest after the handshake.
            kwargs["assert_fingerprint"] = self._pin
        super().init_poolmanager(*args, **kwargs)


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    if ca_bundle:
        context = ssl.create_default_context(cafile=ca_bundle)
    else:
        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
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
        self.session.mount("https://", _VerifiedAdapter(ssl_context(ca_bundle), pin_sha256))
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
