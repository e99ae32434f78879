"""Pull cursors: opaque to clients, a position in the caller's feed to the server.

A cursor is "1" (the format version) and the position as 8 big-endian bytes in unpadded
URL-safe base64. The pattern admits exactly the strings this module makes, so the OpenAPI
description of the parameter is exact: every string matching it is a cursor.
"""

from __future__ import annotations

import base64
import re

from central.errors import ApiError

# First character: the top bit of a position (< 2**63) is 0. Last: base64 pads 64 bits to 66.
PATTERN = r"^1[A-Za-f][A-Za-z0-9_-]{9}[AEIMQUYcgkosw048]$"
_PATTERN = re.compile(PATTERN)


def encode(position: int) -> str:
    return "1" + base64.urlsafe_b64encode(position.to_bytes(8, "big")).rstrip(b"=").decode()


def decode(cursor: str) -> int:
    if not _PATTERN.fullmatch(cursor):
        raise ApiError(
            400,
            "bad_cursor",
            "The cursor is not one this server gave out. Send the cursor from the last pull "
            "unchanged, or leave it out to start from the beginning.",
        )
    return int.from_bytes(base64.urlsafe_b64decode(cursor[1:] + "="), "big")
