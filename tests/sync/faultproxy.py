"""A fault-injecting TLS proxy on 127.0.0.1, standing where a force's reverse proxy would.

It terminates TLS with a test certificate (the client verifies it as it would the real one),
reads each HTTP request, and per request either passes it to the endpoint (plain HTTP on
127.0.0.1) or injects a fault: refuse the connection, cut the request part-way, lose or cut
the response after the endpoint has committed, stall past the client's timeout, or answer
503 / 429 itself. Faults are drawn from a seeded generator, so a failing run can be replayed.
"""

from __future__ import annotations

import contextlib
import random
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field

FAULTS = ("refuse", "cut_request", "lose_response", "cut_response", "stall", "busy", "throttle")


@dataclass
class Faults:
    chances: dict[str, float] = field(default_factory=dict)
    stall_seconds: float = 3.0
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def draw(self) -> str:
        roll = self.rng.random()
        for name in FAULTS:
            chance = self.chances.get(name, 0.0)
            if roll < chance:
                return name
            roll -= chance
        return "pass"


class FaultProxy:
    def __init__(
        self, upstream_port: int, certfile: str, keyfile: str, faults: Faults | None = None
    ) -> None:
        self.upstream_port = upstream_port
        self.faults = faults or Faults()
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(certfile, keyfile)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults

    def _draw(self) -> tuple[str, float, int]:
        with self._lock:
            fault = self.faults.draw()
            self.counts[fault] = self.counts.get(fault, 0) + 1
            return fault, self.faults.stall_seconds, self.faults.rng.randrange(1, 1 << 30)

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(raw,), daemon=True).start()

    def _connection(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(30)
            client = self._tls.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            _reset(raw)
            return
        reader = client.makefile("rb")
        try:
            while not self._stopped.is_set():
                request = _read_message(reader)
                if request is None:
                    break
                fault, stall, seed = self._draw()
                if not self._one(client, request, fault, stall, seed):
                    break
        except OSError:
            pass
        finally:
            _reset(client)

    def _one(self, client: ssl.SSLSocket, request: bytes, fault: str, stall: float,
             seed: int) -> bool:
        """Handle one request; False when the client connection must end."""
        if fault == "refuse":
            return False
        if fault in ("busy", "throttle"):
            status = b"503 Service Unavailable" if fault == "busy" else b"429 Too Many Requests"
            body = b'{"error":"busy"}'
            client.sendall(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nRetry-After: 0"
                b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            return True
        if fault == "stall":
            time.sleep(stall)
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60)
        try:
            if fault == "cut_request":
                upstream.sendall(request[: 1 + seed % max(1, len(request) - 1)])
                return False
            upstream.sendall(request)
            response = _read_message(upstream.makefile("rb"))
        finally:
            upstream.close()
        if response is None or fault == "lose_response":
            return False
        if fault == "cut_response":
            client.sendall(response[: 1 + seed % max(1, len(response) - 1)])
            return False
        client.sendall(response)
        return True


def _read_message(reader: object) -> bytes | None:
    """One HTTP/1.1 message framed by Content-Length (what requests and uvicorn send here)."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.readline(65536)  # type: ignore[attr-defined]
        if not line:
            return None
        head += line
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = reader.read(length) if length else b""  # type: ignore[attr-defined]
    if len(body) < length:
        return None
    return head + body


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
