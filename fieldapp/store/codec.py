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
    # A type read back as it is, once it is exactly this type (str, bool, int).
    exact: type | None = None


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


def _as_it_is(value: Any) -> Any:
    return value


_IDENTITY = (_as_it_is,)


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
            list if item.encode is _as_it_is else lambda v: [item.encode(x) for x in v],
            lambda v: tuple([item.decode(x) for x in _items(v)]),
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
        return _Codec(_as_it_is, _exactly(hint), hint(), hint)
    if hint is int:
        return _Codec(_as_it_is, _exactly(hint), exact=hint)
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
    return _Codec(_encoder(cls, fields), _decoder(cls, fields, dataclasses.fields(cls)))


_Field = tuple[str, _Codec, Any]

def _compiled(name: str, lines: list[str], scope: dict[str, Any]) -> Convert:
    """One function per dataclass, written out field by field (as dataclasses writes its
    __init__): every save encodes the rows it touches and every load decodes them, and a
    loop over (name, codec) pairs spent most of its time in the loop, not the conversion."""
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), scope, namespace)  # noqa: S102 - source made here, from field names
    function: Convert = namespace[name]
    return function


def _encoder(cls: type, fields: list[_Field]) -> Convert:
    """Each field encoded and left out when it is its type's empty value (compared by type
    too: 0 and 0.0 are not False, nor [] an empty string)."""
    scope: dict[str, Any] = {}
    lines = ["def encode(value):", "    row = {}"]
    for i, (name, codec, omitted) in enumerate(fields):
        if codec.encode in _IDENTITY:
            lines.append(f"    v = value.{name}")
        else:
            scope[f"enc{i}"] = codec.encode
            lines.append(f"    v = enc{i}(value.{name})")
        if omitted is _NO_EMPTY:
            lines.append(f"    row[{name!r}] = v")
            continue
        # The test below, said the quickest way for each empty value: "", [] and False are
        # their type's only falsy value, and None its type's only value.
        if omitted is None:
            lines.append("    if v is not None:")
        elif omitted is False:
            lines.append("    if v is not False:")
        elif type(omitted) in (str, list) and not omitted:
            lines.append(f"    if v or type(v) is not {type(omitted).__name__}:")
        else:
            scope[f"empty{i}"], scope[f"kind{i}"] = omitted, type(omitted)
            lines.append(f"    if type(v) is not kind{i} or v != empty{i}:")
        lines.append(f"        row[{name!r}] = v")
    lines.append("    return row")
    return _compiled("encode", lines, scope)


def _decoder(
    cls: type, fields: list[_Field], declared: tuple[dataclasses.Field[Any], ...]
) -> Convert:
    """A missing field reads as its type's empty value when rows leave it out, otherwise it
    takes the dataclass's default (a field added after the row was written); a field with
    neither is an error, as the dataclass's own __init__ would say."""
    scope: dict[str, Any] = {"cls": cls, "message": f"{cls.__name__} is not an object"}
    lines = [
        "def decode(data):",
        "    if not isinstance(data, dict):",
        "        raise TypeError(message)",
    ]
    for i, ((name, codec, omitted), field) in enumerate(zip(fields, declared, strict=True)):
        lines.append(f"    if {name!r} in data:")
        if codec.exact is not None:  # checked here, not in a call: most fields are text
            scope[f"kind{i}"] = codec.exact
            scope[f"wrong{i}"] = f"expected {codec.exact.__name__}"
            lines.append(f"        f{i} = data[{name!r}]")
            lines.append(f"        if type(f{i}) is not kind{i}:")
            lines.append(f"            raise TypeError(wrong{i})")
        else:
            scope[f"dec{i}"] = codec.decode
            lines.append(f"        f{i} = dec{i}(data[{name!r}])")
        lines.append("    else:")
        if omitted is not _NO_EMPTY:
            # Decoded once here: the empty values decode to immutable ones ("", (), None).
            scope[f"empty{i}"] = codec.decode(omitted)
            lines.append(f"        f{i} = empty{i}")
        elif field.default is not dataclasses.MISSING:
            scope[f"empty{i}"] = field.default
            lines.append(f"        f{i} = empty{i}")
        elif field.default_factory is not dataclasses.MISSING:
            scope[f"make{i}"] = field.default_factory
            lines.append(f"        f{i} = make{i}()")
        else:
            scope[f"missing{i}"] = f"{cls.__name__} has no {name}"
            lines.append(f"        raise TypeError(missing{i})")
    # Made in one call, by keyword: no dictionary of the values on the way.
    arguments = ", ".join(f"{name}=f{i}" for i, (name, _, _) in enumerate(fields))
    lines.append(f"    return cls({arguments})")
    return _compiled("decode", lines, scope)


def encode(view: object) -> str:
    # orjson writes what json.dumps(separators=(",", ":"), ensure_ascii=False) wrote, faster:
    # every save and every pulled page re-encodes the projections it touches.
    plain = _codec(type(view)).encode(view)
    return orjson.dumps(plain, option=orjson.OPT_NON_STR_KEYS).decode()


def decode(cls: type[T], text: str) -> T:
    value: T = _codec(cls).decode(orjson.loads(text))
    return value
