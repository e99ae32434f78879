"""Pull cursors: opaque to clients, two positions to the server.

A cursor names a position in the caller's feed (events) and one in their erasure notices.
It is "2" (the format version) and each position as 8 big-endian bytes in unpadded URL-safe
base64 (11 characters each). Version 1 cursors, "1" and the feed position alone, were given
out before erasure notices existed and are still read: their notice position is 0, so a
laptop upgrading from one is told every erasure that concerns its officer. The pattern admits
exactly the strings this module makes or made, so the OpenAPI description of the parameter is
exact: every string matching it is a cursor.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from central.errors import ApiError

# First character: the top bit of a position (< 2**63) is 0. Last: base64 pads 64 bits to 66.
_POSITION = r"[A-Za-f][A-Za-z0-9_-]{9}[AEIMQUYcgkosw048]"
PATTERN = rf"^(1{_POSITION}|2{_POSITION}{_POSITION})$"
_PATTERN = re.compile(PATTERN)
_WIDTH = 11


@dataclass(frozen=True)
class Position:
    feed: int = 0
    notices: int = 0


def _encode(position: int) -> str:
    return base64.urlsafe_b64encode(position.to_bytes(8, "big")).rstrip(b"=").decode()


def _decode(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "="), "big")


def encode(position: Position) -> str:
    return "2" + _encode(position.feed) + _encode(position.notices)


def decode(cursor: str) -> Position:
    if not _PATTERN.fullmatch(cursor):
        raise ApiError(
            400,
            "bad_cursor",
            "The cursor is not one this server gave out. Send the cursor from the last pull "
            "unchanged, or leave it out to start from the beginning.",
        )
    feed = _decode(cursor[1 : 1 + _WIDTH])
    if cursor[0] == "1":
        return Position(feed, 0)
    return Position(feed, _decode(cursor[1 + _WIDTH :]))
