"""How uvicorn serves the endpoint: HTTP/1.1 (h11) with a deadline on every request.

uvicorn closes an idle keep-alive connection, but not one that was opened and never sends a
whole request: a few hundred such clients ("slowloris") hold every connection the server has.
Here each request must arrive in time: its line and headers within `headers_timeout` seconds
of the connection opening (or of the last response), its body within `body_timeout` seconds
after that. The handler's own time does not count. A laptop's largest push (2 MiB) needs
about 17 s at 1 Mbit/s, well inside the body's minute.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADERS_TIMEOUT = 10.0
BODY_TIMEOUT = 60.0
_FINISHED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)


class GuardedH11Protocol(H11Protocol):
    headers_timeout = HEADERS_TIMEOUT
    body_timeout = BODY_TIMEOUT

    def connection_made(self, transport: Any) -> None:
        self._guard: asyncio.TimerHandle | None = None
        self._reading_body = False
        super().connection_made(transport)
        self._arm(self.headers_timeout)

    def handle_events(self) -> None:
        super().handle_events()
        state = self.conn.their_state
        if state in _FINISHED:
            self._disarm()
        elif state is h11.SEND_BODY and not self._reading_body:
            self._reading_body = True
            self._arm(self.body_timeout)

    def on_response_complete(self) -> None:
        # Armed first: a pipelined request handled inside the call below disarms it again.
        self._reading_body = False
        self._arm(self.headers_timeout)
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._guard = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _too_slow(self) -> None:
        self._guard = None
        if not self.transport.is_closing():
            self.transport.close()


def timed(headers: float, body: float) -> type[GuardedH11Protocol]:
    """The protocol with other deadlines (tests use short ones)."""
    return type(
        "TimedH11Protocol", (GuardedH11Protocol,),
        {"headers_timeout": headers, "body_timeout": body},
    )
