"""The storage interface the HTTP layer and the CLI use, and the records it deals in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from fieldapp.domain.authority import AuthorityTable, Decision
from fieldapp.domain.events import Event

Role = Literal["officer", "oic", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("officer", "oic", "supervisor", "admin")
DeviceStatus = Literal["active", "wipe", "revoked"]


class StorageError(Exception):
    """A request the database cannot carry out as asked (unknown officer, duplicate...)."""


class StorageUnavailable(StorageError):
    """The database is not answering (down, or locked past the busy timeout): try later."""


@dataclass(frozen=True)
class GuessLimit:
    """At most `limit` wrong enrolment codes from one address since `since`."""

    limit: int
    since: datetime


class TooManyGuesses(StorageError):
    """An enrolment refused, untried, because its address already has `GuessLimit.limit`
    wrong codes in the window: `failures` are their times, oldest first."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("Too many wrong enrolment codes from this address.")
        self.failures = failures


@dataclass(frozen=True)
class Officer:
    collar: str
    name: str
    role: Role
    team: str
    district: str


@dataclass(frozen=True)
class Device:
    device_id: str
    collar: str
    name: str
    status: DeviceStatus
    enrolled_at: str
    last_seen_at: str | None


@dataclass(frozen=True)
class Caller:
    """The authenticated party of a request: an enrolled device and its officer."""

    device: Device
    officer: Officer
    token_issued_at: str  # when the token this request used was issued
    rotate_requested: bool  # an administrator asked for a new token (admin rotate-credentials)


@dataclass(frozen=True)
class PushOutcome:
    event_id: str
    # None: an event with this id but other content is already stored, or (erased) the event
    # belongs to a case erased under the retention policy; either way it was not stored.
    seq: int | None
    erased: bool = False
    # Set when the authority rule refused it (fieldapp/domain/authority.py): not stored.
    refused: Decision | None = None


@dataclass(frozen=True)
class PulledEvent:
    seq: int
    body: str  # the canonical JSON the event was stored as
    received_at: str
    aggregate_id: str


@dataclass(frozen=True)
class ErasureNotice:
    """Aggregates the caller's laptops may hold that an erasure removed from the endpoint."""

    aggregate_ids: tuple[str, ...]
    reason: str
    erased_at: str


@dataclass(frozen=True)
class PullPage:
    items: list[PulledEvent]
    position: int  # where the next pull starts in the caller's feed
    erasures: list[ErasureNotice]
    notice_position: int  # ... and in the caller's erasure notices
    more: bool


@dataclass(frozen=True)
class ErasedCase:
    """One case a retention run erases: an occurrence and everything connected to it."""

    occurrence_ids: tuple[str, ...]  # the occurrences recorded in it (none for an orphan)
    references: tuple[str, ...]
    newest: str  # when its newest event occurred
    aggregate_ids: tuple[str, ...]  # every id it holds or names
    events: int


@dataclass(frozen=True)
class Retention:
    """What a retention run erased (or, in a dry run, would erase)."""

    occurred_before: str
    cases: list[ErasedCase]
    erasure_id: int | None  # None in a dry run


@dataclass(frozen=True)
class AccessEntry:
    at: str
    action: str
    category: str  # DPA 2018 s.62: collection, alteration, consultation, disclosure, erasure
    officer: str | None
    device_id: str | None
    address: str | None
    detail: dict[str, Any]


class Storage(Protocol):
    def migrate(self, now: datetime) -> int:
        """Apply any pending numbered migrations; return the schema version now in place."""
        ...

    def close(self) -> None: ...

    def check(self) -> None:
        """Raise StorageUnavailable if the database does not answer."""
        ...

    def add_officer(self, officer: Officer, *, now: datetime, actor: str) -> None:
        """Register an officer and give them everything already stored that they may see."""
        ...

    def officer(self, collar: str) -> Officer | None: ...

    def add_enrolment_code(
        self, collar: str, code_hash: str, *, now: datetime, expires_at: datetime, actor: str
    ) -> None: ...

    def enrol(
        self,
        code_hash: str,
        *,
        device_id: str,
        device_name: str,
        token_hash: str,
        now: datetime,
        address: str | None,
        guesses: GuessLimit | None = None,
    ) -> Officer | None:
        """Spend a one-time code on a new device; None if the code is unknown, used or expired.
        With `guesses`, raises TooManyGuesses (and tries nothing) when the address is at the
        limit: counted in the enrolment's own serialised transaction, so concurrent wrong codes
        cannot each pass the count and add one more guess than the limit."""
        ...

    def enrolment_failures(self, address: str, *, since: datetime) -> list[str]:
        """When each failed enrolment from this address since `since` happened, oldest first."""
        ...

    def caller(
        self, token_hash: str, *, now: datetime, address: str | None = None
    ) -> Caller | None:
        """The device whose current token, or whose new token (first use: it becomes the
        current one and the old one stops working), has this hash."""
        ...

    def rotate_token(
        self, caller: Caller, token_hash: str, *, now: datetime, address: str | None
    ) -> None:
        """Issue a new token to the caller's device; the one in use works until it is used."""
        ...

    def order_wipe(self, caller: Caller, *, now: datetime, address: str | None) -> None:
        """The laptop marked for wiping is told so: from now on its token is dead (the
        device is revoked)."""
        ...

    def request_rotation(self, device_id: str, *, now: datetime, actor: str) -> Device | None:
        """Ask the laptop to rotate its token at its next sync."""
        ...

    def set_device_status(
        self, device_id: str, status: DeviceStatus, *, now: datetime, actor: str
    ) -> Device | None: ...

    def devices(self, *, now: datetime, actor: str) -> list[Device]: ...

    def push(
        self,
        caller: Caller,
        events: Sequence[Event],
        *,
        received_at: datetime,
        address: str | None,
        rejected: int,
        authority: AuthorityTable | None = None,
        server_admin: bool = False,
    ) -> list[PushOutcome]:
        """Store each new event the authority rule allows once, in one transaction; one
        outcome per event, in order. `authority` defaults to resources/authority.json.
        `server_admin`: records an administrator makes on the server itself with the admin
        commands (`admin districts --map`), which no officer's push can ask for: the rule is
        not applied to them; they are logged like every other push."""
        ...

    def pull(
        self,
        caller: Caller,
        *,
        after: int,
        after_notice: int = 0,
        limit: int,
        now: datetime,
        address: str | None,
    ) -> PullPage:
        """The caller's feed after a position, less events their own device pushed; and the
        erasure notices for the caller after another."""
        ...

    def retention(
        self, before: datetime, *, reason: str, now: datetime, actor: str, dry_run: bool
    ) -> Retention:
        """Erase every case whose newest event occurred before `before` (see retention.py)."""
        ...

    def consult(
        self, caller: Caller, *, now: datetime, address: str | None, purpose: dict[str, Any]
    ) -> list[str]:
        """Every event the caller may see (canonical JSON), to compute figures from; logged
        as a consultation, with the purpose."""
        ...

    def consult_all(self, *, now: datetime, actor: str, purpose: dict[str, Any]) -> list[str]:
        """Every stored event (canonical JSON), for figures the server's operators compute on
        the server itself (`fieldapp-central report`); logged as a consultation by `actor`."""
        ...

    def access_log(self, *, after_id: int = 0) -> list[AccessEntry]: ...
