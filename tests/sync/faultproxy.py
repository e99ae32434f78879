"""A TCP proxy on 127.0.0.1 that injects network faults between the client and the endpoint.

It forwards bytes as they are (TLS passes through untouched), and per connection may: refuse
it, cut the request part-way, cut the response part-way (the server has committed, the client
never hears), stall, or reset. Faults are drawn from a seeded generator, so a failing run can
be replayed.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Faults:
    refuse: float = 0.0
    cut_request: float = 0.0
    cut_response: float = 0.0
    stall: float = 0.0
    reset: float = 0.0
    stall_seconds: float = 0.5
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def draw(self) -> str:
        roll = self.rng.random()
        for name in ("refuse", "cut_request", "cut_response", "stall", "reset"):
            chance: float = getattr(self, name)
            if roll < chance:
                return name
            roll -= chance
        return "pass"


class FaultProxy:
    def __init__(self, upstream_port: int, faults: Faults | None = None) -> None:
        self.upstream_port = upstream_port
        self.faults = faults or Faults()
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                fault = self.faults.draw()
                self.counts[fault] = self.counts.get(fault, 0) + 1
                stall = self.faults.stall_seconds
            threading.Thread(target=self._handle, args=(client, fault, stall), daemon=True).start()

    def _handle(self, client: socket.socket, fault: str, stall: float) -> None:
        if fault == "refuse":
            _reset(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            _reset(client)
            return
        if fault == "stall":
            time.sleep(stall)
        # Cut points are drawn in bytes: through the TLS handshake and into the request or
        # the response, so some cuts land after the server committed the request.
        up_limit = random.randint(200, 4000) if fault == "cut_request" else None
        down_limit = {"cut_response": random.randint(2000, 9000), "reset": 1}.get(fault)
        done = threading.Event()
        threading.Thread(
            target=_pump, args=(client, upstream, up_limit, done), daemon=True
        ).start()
        _pump(upstream, client, down_limit, done)
        done.wait(timeout=30)
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.close()


def _pump(src: socket.socket, dst: socket.socket, limit: int | None, done: threading.Event) -> None:
    sent = 0
    try:
        src.settimeout(30)
        while True:
            chunk = src.recv(16384)
            if not chunk:
                break
            if limit is not None and sent + len(chunk) >= limit:
                dst.sendall(chunk[: max(0, limit - sent)])
                _reset(dst)
                _reset(src)
                break
            dst.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        done.set()


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
