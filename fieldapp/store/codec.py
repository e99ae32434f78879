"""JSON for the domain's read models, as kept in the projection tables.

Conversion follows each dataclass's type hints, so a view that gains a field with a default
still reads rows written before it (the tables are rebuilt from the log anyway whenever the
projection changes: see projections.PROJECTION_FORMAT), and a row of the wrong shape is an
error, never a guess.

A field whose value is its type's empty value ("", an empty tuple, None, False) is left out
of the row, unless the dataclass gives it another default; reading fills it in again. Most of
a view's fields are empty most of the time, and every byte of a row is encrypted, written to
the log and synced to disk on every save.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

import orjson

from fieldapp.domain.contacts import CallTime, Contact, Phone
from fieldapp.domain.events import Escalation, Member
from fieldapp.domain.problems import format_utc, parse_utc
from fieldapp.domain.referral import Referral, ReferralState
from fieldapp.domain.schedule import CallbackTask, TaskState
from fieldapp.domain.views import (
    AttemptView,
    Conflict,
    HouseholdView,
    LeafletIssueView,
    OccurrenceView,
    OfferView,
)

T = TypeVar("T")

# Names the views' string annotations refer to (some are imported only for type checking).
_NAMES: dict[str, Any] = {
    cls.__name__: cls
    for cls in (
        AttemptView, CallbackTask, CallTime, Conflict, Contact, Escalation, HouseholdView,
        LeafletIssueView, Member, OccurrenceView, OfferView, Phone, Referral, ReferralState,
        TaskState,
    )
}


Convert = Callable[[Any], Any]


_NO_EMPTY = object()  # a type with no empty value: its fields are always written


@dataclass(frozen=True)
class _Codec:
    encode: Convert
    decode: Convert
    # The encoded empty value of the type (left out of a row), or _NO_EMPTY.
    empty: Any = _NO_EMPTY


# Built once per type from its hints: each row is then converted without looking hints up.
_CODECS: dict[Any, _Codec] = {}


def _codec(hint: Any) -> _Codec:
    codec = _CODECS.get(hint)
    if codec is None:
        codec = _CODECS[hint] = _build(hint)
    return codec


def _exactly(kind: type) -> Convert:
    def check(value: Any) -> Any:
        if type(value) is not kind:  # a bool is not an int here
            raise TypeError(f"expected {kind.__name__}")
        return value

    return check


def _instant(value: Any) -> datetime:
    moment = parse_utc(value)
    if moment is None:
        raise TypeError("expected an instant")
    return moment


def _items(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def _build(hint: Any) -> _Codec:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"cannot convert {hint}")
        inner = _codec(options[0])
        return _Codec(
            lambda v: None if v is None else inner.encode(v),
            lambda v: None if v is None else inner.decode(v),
            None,
        )
    if origin is tuple:
        item = _codec(typing.get_args(hint)[0])
        return _Codec(
            lambda v: [item.encode(x) for x in v],
            lambda v: tuple(item.decode(x) for x in _items(v)),
            [],
        )
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _dataclass(hint)
    if hint is datetime:
        return _Codec(format_utc, _instant)
    if hint is date:
        return _Codec(date.isoformat, lambda v: date.fromisoformat(_exactly(str)(v)))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _Codec(lambda v: v.value, hint)
    if hint in (str, bool):
        return _Codec(lambda v: v, _exactly(hint), hint())
    if hint is int:
        return _Codec(lambda v: v, _exactly(hint))
    raise TypeError(f"cannot convert {hint}")


def _omitted(field: dataclasses.Field[Any], codec: _Codec) -> Any:
    """The encoded value left out of a row for this field, or _NO_EMPTY: its type's empty
    value, unless a default says otherwise (a missing field then means an older row)."""
    if codec.empty is _NO_EMPTY:
        return _NO_EMPTY
    if field.default is not dataclasses.MISSING:
        default = field.default
    elif field.default_factory is not dataclasses.MISSING:
        default = field.default_factory()
    else:
        return codec.empty
    return codec.empty if codec.encode(default) == codec.empty else _NO_EMPTY


def _dataclass(cls: type) -> _Codec:
    hints = typing.get_type_hints(cls, localns=_NAMES)
    fields = []
    for field in dataclasses.fields(cls):
        codec = _codec(hints[field.name])
        fields.append((field.name, codec, _omitted(field, codec)))

    def encode(value: Any) -> dict[str, Any]:
        row = {}
        for name, codec, omitted in fields:
            encoded = codec.encode(getattr(value, name))
            # Compared by type too: 0 and 0.0 are not False, nor [] an empty string.
            if type(encoded) is not type(omitted) or encoded != omitted:
                row[name] = encoded
        return row

    def decode(data: Any) -> Any:
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} is not an object")
        values = {}
        for name, codec, omitted in fields:
            if name in data:
                values[name] = codec.decode(data[name])
            elif omitted is not _NO_EMPTY:
                values[name] = codec.decode(omitted)
            # Otherwise a field missing from an older row takes the dataclass's default.
        return cls(**values)

    return _Codec(encode, decode)


def encode(view: object) -> str:
    # orjson writes what json.dumps(separators=(",", ":"), ensure_ascii=False) wrote, faster:
    # every save and every pulled page re-encodes the projections it touches.
    plain = _codec(type(view)).encode(view)
    return orjson.dumps(plain, option=orjson.OPT_NON_STR_KEYS).decode()


def decode(cls: type[T], text: str) -> T:
    value: T = _codec(cls).decode(orjson.loads(text))
    return value
