"""The server's own guard, with raw sockets on 127.0.0.1: clients that open a connection and
never finish a request are closed, and a request with two framings is refused."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from central_support import FakeClock, LiveServer

from central.app import create_app
from central.serving import timed
from central.storage.sql import SqlStorage

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def server(storage: SqlStorage) -> Iterator[LiveServer]:
    with LiveServer(create_app(storage, clock=FakeClock()), http=timed(1.0, 2.0)) as live:
        yield live


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection (EOF or reset) within `seconds`."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionError:
            return True
        if data == b"":
            return True
    return False


def test_slow_clients_are_closed_and_a_quick_one_is_served(server: LiveServer) -> None:
    silent = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(30)]
    trickling = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(30)]
    for sock in trickling:
        sock.sendall(b"GET /v1/time HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends the headers
    body = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)]
    for sock in body:
        sock.sendall(b"POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 100\r\n\r\n{")  # a body that never arrives
    try:
        for sock in silent + trickling + body:
            assert _closed_within(sock, 6.0)
        with socket.create_connection(("127.0.0.1", server.port)) as quick:
            quick.sendall(b"GET /v1/time HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            quick.settimeout(5)
            assert quick.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for sock in silent + trickling + body:
            sock.close()


def test_a_request_that_trickles_in_past_the_deadline_is_closed(server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        started = time.monotonic()
        closed = False
        for byte in b"GET /v1/time HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            time.sleep(0.05)
            if time.monotonic() - started > 4:
                break
        assert closed or _closed_within(sock, 2.0)
        assert time.monotonic() - started < 4.5


def test_content_length_with_chunked_encoding_is_refused(server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"POST /v1/enrol HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\n{}\r\n0\r\n\r\nGET /v1/time HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        )
        sock.settimeout(5)
        answer = b""
        while True:
            try:
                part = sock.recv(65536)
            except ConnectionError:
                break
            if not part:
                break
            answer += part
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"ambiguous_length" in answer
    assert answer.count(b"HTTP/1.1") == 1  # the smuggled second request got no answer
