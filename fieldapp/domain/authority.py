"""Who may state a fact: whether an officer may make a given record about a given aggregate.

The endpoint asks this of every event it is sent; the laptop may ask it to offer or withhold
an action and to say why. The rules (docs/central.md, "Who may state a fact"):

- the record's author is the officer the laptop is enrolled to, and its device id is not
  another officer's laptop;
- a new aggregate (an occurrence; a household under an occurrence the officer can see): as
  the force's table says, normally anyone; its id must not already be in use;
- a record on an existing aggregate: only if the officer can already see it, and only by the
  officers the table names for that kind of record (anyone, the author of the occurrence or
  household, the author of the record being corrected, the occurrence's OIC now, a supervisor
  of its district);
- moving an occurrence to another district, or a household to another occurrence, directly
  or by a correction: as the table says (a supervisor of its district; for a household, also
  the OIC of the occurrence it is under, who already sees everything recorded about it);
- naming yourself OIC of an occurrence you are not OIC of: only a supervisor of its district
  (otherwise the author of an occurrence could take the whole case into view);
- a correction or retraction is filed under its target's own aggregate, and a correction
  restates its target's own kind of record;
- a merge or a split names a second household that passes the same test as the first;
- an accepted join names another record of the occurrence (the same reference, one the
  acceptor can see) and an officer who recorded it;
- an id already in use as another kind of aggregate, or a household restated under another
  occurrence, is refused; so is a kind of record the table does not list.

Which officers may do what per kind of record is data (resources/authority.json). `Known`
holds the facts a decision reads (the aggregates' own records, who can see what, which
officer each device id belongs to), and `settle` decides a whole batch, so that a record may
refer to an aggregate another record of the same batch creates, in whatever order they come.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from fieldapp.domain.events import (
    EnteredInError,
    Event,
    EventCorrected,
    HouseholdRecorded,
    JoinAccepted,
    OccurrenceRecorded,
    Payload,
    corrected_payload,
    paired_household,
)
from fieldapp.domain.identity import reference_key
from fieldapp.domain.projection import effective_events, order_key

WHO = ("anyone", "author", "record_author", "oic", "supervisor")
ON = ("occurrence", "household", "target", "any", "own")
ALLOWED = "allowed"
# Who is told when a reference already recorded is recorded again (central/visibility.py, (g)):
# "oic": the existing occurrence's OIC(s) and its district's supervisors; "supervisors": only
# the supervisors, so that whoever recorded a reference first (perhaps a squatter on a guessed
# one) does not learn that it came into use (docs/security.md).
JOIN_NOTICES = ("oic", "supervisors")


@dataclass(frozen=True)
class Permission:
    """One kind of record: what its aggregate id names and who may make it."""

    on: str
    new: frozenset[str] | None  # None: the aggregate must already exist
    existing: frozenset[str]
    move: frozenset[str]
    both: bool
    action: str  # "reassign this call-back": completes "Only ... can"


@dataclass(frozen=True)
class AuthorityTable:
    version: str
    permissions: Mapping[str, Permission]
    join_notice: str = "oic"

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> AuthorityTable:
        events = data["events"]
        if not isinstance(events, Mapping):
            raise ValueError("authority: 'events' is not a mapping")
        table: dict[str, Permission] = {}
        for name, entry in events.items():
            on = entry["on"]
            who = {
                key: frozenset(entry[key]) for key in ("new", "existing", "move") if key in entry
            }
            unknown = set().union(*who.values()) - set(WHO) if who else set()
            if on not in ON or unknown:
                raise ValueError(f"authority: {name} names {on!r} or {sorted(unknown)}")
            table[str(name)] = Permission(
                on, who.get("new"), who.get("existing", frozenset()),
                who.get("move", frozenset()), bool(entry.get("both", False)),
                str(entry["action"]),
            )
        join_notice = data.get("join_notice", "oic")
        if join_notice not in JOIN_NOTICES:
            raise ValueError(
                f"authority: join_notice is {join_notice!r}, not one of {list(JOIN_NOTICES)}"
            )
        return cls(str(data["version"]), table, str(join_notice))

    def starts(self, event_type: str) -> bool:
        """Whether a record of this type may start an aggregate (and so states its details)."""
        permission = self.permissions.get(event_type)
        return permission is not None and permission.new is not None

    def kind_made_by(self, event_type: str) -> str | None:
        """The kind of aggregate a record of this type is about (None: it names another)."""
        permission = self.permissions.get(event_type)
        if permission is None or permission.on in ("target", "any"):
            return None
        return event_type if permission.on == "own" else permission.on


@dataclass(frozen=True)
class Actor:
    """The officer asking: as the endpoint enrolled them."""

    collar: str
    role: str
    team: str
    district: str


@dataclass(frozen=True)
class Aggregate:
    """What is known of one aggregate: its kind, who recorded it, and its occurrence."""

    id: str
    kind: str  # "occurrence", "household", or a record type that stands on its own
    authors: frozenset[str]
    occurrence_id: str  # itself for an occurrence; the one a household is recorded under
    visible: bool  # the officer asking can already see it
    reference: str = ""  # for an occurrence: its reference, OIC and district now
    oic: str = ""
    district: str = ""


@dataclass(frozen=True)
class Record:
    """A stored record that a correction or retraction names."""

    id: str
    type: str
    aggregate_id: str
    author: str


@dataclass(frozen=True)
class Decision:
    code: str  # "allowed", or a stable refusal code (docs/central.md)
    message: str  # the officer's words

    @property
    def allowed(self) -> bool:
        return self.code == ALLOWED


_YES = Decision(ALLOWED, "")
_SAVED = "It was not saved on the central system; it stays on this laptop."


class Known:
    """The facts decisions read, as the endpoint (or a laptop) holds them, growing as a
    batch's records are allowed."""

    def __init__(
        self,
        table: AuthorityTable,
        events: Iterable[Event],
        *,
        visible: Iterable[str],
        records: Iterable[Record] = (),
        devices: Mapping[str, str] | None = None,
        told: Iterable[str] = (),
    ) -> None:
        self.table = table
        # Occurrences the officer holds only the record of, having been told of it as the
        # existing occurrence's OIC (central/visibility.py, (g)): enough to accept it as a
        # join, never to add to it.
        self.told = frozenset(told)
        self._events: dict[str, dict[str, Event]] = defaultdict(dict)
        self._visible = set(visible)
        self._records = {r.id: r for r in records}
        self._devices = dict(devices or {})
        self._cache: dict[str, Aggregate | None] = {}
        # The cached aggregates read under each occurrence (perhaps a few more), so that a
        # record added to an occurrence drops them without a scan of the whole cache.
        self._under: dict[str, set[str]] = defaultdict(set)
        for event in events:
            self._events[event.aggregate_id][event.id] = event
            self._records[event.id] = _record(event)

    def aggregate(self, aggregate_id: str) -> Aggregate | None:
        if aggregate_id not in self._cache:
            found = self._cache[aggregate_id] = self._derive(aggregate_id)
            if found and found.occurrence_id:
                self._under[found.occurrence_id].add(aggregate_id)
        return self._cache[aggregate_id]

    def record(self, event_id: str) -> Record | None:
        return self._records.get(event_id)

    def as_it_stands(self, event_id: str, aggregate_id: str) -> Payload | None:
        """What a record of `aggregate_id` now says, its corrections applied."""
        events = self._events.get(aggregate_id, {}).values()
        return next((e.payload for e in effective_events(events) if e.id == event_id), None)

    def device_owner(self, device_id: str) -> str | None:
        return self._devices.get(device_id)

    def add(self, event: Event) -> None:
        """An allowed record: what it states is known from now on, and its author sees it."""
        self._events[event.aggregate_id][event.id] = event
        self._records[event.id] = _record(event)
        self._visible.add(event.aggregate_id)
        self._devices.setdefault(event.device_id, event.author)
        # Its aggregate changed, and so did every household that reads its occurrence's facts.
        for key in self._under.pop(event.aggregate_id, ()):
            self._cache.pop(key, None)
        self._cache.pop(event.aggregate_id, None)

    def _derive(self, aggregate_id: str) -> Aggregate | None:
        events = sorted(self._events.get(aggregate_id, {}).values(), key=order_key)
        if not events:
            return None
        kinds = [k for e in events if (k := self._kind(e))]
        kind = kinds[0] if kinds else ""
        makers = [e for e in events if self._makes(e, kind)]
        # With nothing that corrects or retracts, the events as they stand are the events
        # (unique by id, in order_key order already): most aggregates of a push are like that.
        standing = (
            effective_events(events)
            if any(isinstance(e.payload, EventCorrected | EnteredInError) for e in events)
            else events
        )
        current = [e for e in standing if self._makes(e, kind)] or makers
        latest = current[-1].payload if current else None
        authors = frozenset(e.author for e in makers)
        visible = aggregate_id in self._visible
        if isinstance(latest, OccurrenceRecorded):
            return Aggregate(aggregate_id, kind, authors, aggregate_id, visible,
                             latest.reference, latest.oic, latest.district)
        parent = latest.occurrence_id if isinstance(latest, HouseholdRecorded) else ""
        return Aggregate(aggregate_id, kind, authors, parent, visible)

    def _makes(self, event: Event, kind: str) -> bool:
        kind_of = self.table.kind_made_by(event.type.value)
        return kind_of == kind and self.table.starts(event.type.value)

    def _kind(self, event: Event) -> str | None:
        payload = event.payload
        if isinstance(payload, EventCorrected):
            return self.table.kind_made_by(payload.target_type)
        return self.table.kind_made_by(event.type.value)


def _record(event: Event) -> Record:
    return Record(event.id, event.type.value, event.aggregate_id, event.author)


def settle(actor: Actor, events: Sequence[Event], known: Known) -> list[Decision]:
    """Decide every record of a batch: a refused one is retried after each round in which
    another was allowed, so that the order of a batch does not matter."""
    decisions: dict[int, Decision] = {}
    pending = list(range(len(events)))
    while pending:
        refused = []
        for index in pending:
            decision = decide(actor, events[index], known)
            decisions[index] = decision
            if decision.allowed:
                known.add(events[index])
            else:
                refused.append(index)
        if len(refused) == len(pending):
            break
        pending = refused
    return [decisions[i] for i in range(len(events))]


def decide(actor: Actor, event: Event, known: Known) -> Decision:
    """Whether `actor` may make `event`, from what `known` holds; the refusal says why."""
    if event.author != actor.collar:
        return Decision(
            "wrong_author",
            f"This record was recorded under another officer ({event.author}); only a laptop "
            "enrolled to that officer can send it.",
        )
    owner = known.device_owner(event.device_id)
    if owner is not None and owner != actor.collar:
        return Decision(
            "wrong_device",
            "This record names another officer's laptop as the one it was made on. " + _SAVED,
        )
    permission = known.table.permissions.get(event.type.value)
    if permission is None:
        return Decision(
            "unknown_event_type",
            "The central system has no rule yet for who may make this kind of record. " + _SAVED,
        )
    payload = event.payload
    record: Record | None = None
    if permission.on == "target":
        target_id = (
            payload.target_id if isinstance(payload, EventCorrected | EnteredInError) else ""
        )
        record = known.record(target_id)
        if record is None:
            return _not_found("The record it corrects")
        if record.aggregate_id != event.aggregate_id or (
            isinstance(payload, EventCorrected) and payload.target_type != record.type
        ):
            return Decision(
                "wrong_record",
                "This correction is filed under a different record from the one it corrects. "
                + _SAVED,
            )
    aggregate = known.aggregate(event.aggregate_id)
    if aggregate is None:
        if permission.new is None or permission.on in ("target", "any"):
            return _not_found("The record it is about")
        if not _holds(permission.new, actor, None, None, None):
            return _only(permission.new, permission.action, None)
        return _restated(actor, event, payload, None, known)
    expected = known.table.kind_made_by(event.type.value)
    if expected is not None and aggregate.kind not in ("", expected):
        return _in_use()
    if not aggregate.visible:
        return _in_use() if permission.new is not None else _not_found("The record it is about")
    if isinstance(payload, HouseholdRecorded) and aggregate.occurrence_id not in (
        "", payload.occurrence_id
    ):
        return _in_use()  # restating a household under another occurrence is a correction
    occurrence = known.aggregate(aggregate.occurrence_id) if aggregate.occurrence_id else None
    if not _holds(permission.existing, actor, aggregate, occurrence, record):
        return _only(permission.existing, permission.action, occurrence)
    if isinstance(payload, JoinAccepted):
        refused = _join_refused(payload, aggregate, occurrence, known)
        if refused is not None:
            return refused
    if permission.both and (paired := paired_household(payload)):
        other = known.aggregate(paired)
        if other is None or not other.visible:
            return _not_found("The other household")
        if other.kind != aggregate.kind:
            return _in_use()
        theirs = known.aggregate(other.occurrence_id) if other.occurrence_id else None
        if not _holds(permission.existing, actor, other, theirs, None):
            return _only(permission.existing, permission.action, theirs)
    return _restated(actor, event, payload, occurrence, known)


def _join_refused(
    payload: JoinAccepted, aggregate: Aggregate, occurrence: Aggregate | None, known: Known
) -> Decision | None:
    """An accepted join names another record of this occurrence (one the acceptor can see,
    with the same reference) and an officer who recorded it: nobody else gains a view."""
    other = known.aggregate(payload.other_id)
    if other is None or not (other.visible or other.id in known.told) or (
        other.kind != "occurrence"
    ):
        return _not_found("The other record of this occurrence")
    if occurrence is None or other.id == aggregate.id or reference_key(
        other.reference
    ) != reference_key(occurrence.reference):
        return Decision(
            "not_allowed",
            f"That record is not of {_name(occurrence)}: only a record with the same "
            "reference can be accepted. " + _SAVED,
        )
    if payload.officer not in other.authors:
        return Decision(
            "not_allowed",
            f"Only an officer who recorded that record of {_name(occurrence)} can be let see "
            "its records. " + _SAVED,
        )
    return None


def _restated(
    actor: Actor, event: Event, payload: Payload, occurrence: Aggregate | None, known: Known
) -> Decision:
    """What a record (or the record a correction restates) says of an occurrence or a
    household's place: a move, a new OIC, another occurrence."""
    stated: Payload = payload
    if isinstance(payload, EventCorrected):
        # A correction of changed fields states them over the record as it stands.
        target = known.as_it_stands(payload.target_id, event.aggregate_id)
        try:
            stated = corrected_payload(payload, target)
        except ValueError:
            return _not_found("The record being corrected")
    stated_type = payload.target_type if isinstance(payload, EventCorrected) else event.type.value
    if isinstance(stated, HouseholdRecorded):
        parent = known.aggregate(stated.occurrence_id)
        if parent is None or not parent.visible:
            return _not_found("The occurrence this household is recorded under")
        if parent.kind != "occurrence":
            return _in_use()
        mine = known.aggregate(event.aggregate_id)
        if mine is not None and mine.occurrence_id not in ("", stated.occurrence_id):
            # Others' records about the household follow it to the new occurrence: only who
            # sees all of them already (its OIC, a supervisor) may move it.
            move = known.table.permissions[stated_type].move
            if not _holds(move, actor, mine, occurrence, None):
                return _only(move, "move this household to another occurrence", occurrence)
    if isinstance(stated, OccurrenceRecorded) and occurrence is not None:
        supervisor = actor.role == "supervisor" and actor.district == occurrence.district
        if stated.district != occurrence.district:
            move = known.table.permissions[stated_type].move
            if not _holds(move, actor, occurrence, occurrence, None):
                return Decision(
                    "not_allowed",
                    f"Only a supervisor of {occurrence.district} can move "
                    f"{_name(occurrence)} to another district. " + _SAVED,
                )
        if stated.oic == actor.collar != occurrence.oic and not supervisor:
            return Decision(
                "not_allowed",
                f"Only the OIC of {_name(occurrence)} or a supervisor can make you its OIC. "
                + _SAVED,
            )
    return _YES


def _holds(
    who: frozenset[str],
    actor: Actor,
    aggregate: Aggregate | None,
    occurrence: Aggregate | None,
    record: Record | None,
) -> bool:
    def one(person: str) -> bool:
        if person == "anyone":
            return True
        if person == "author":
            return aggregate is not None and actor.collar in aggregate.authors
        if person == "record_author":
            return record is not None and record.author == actor.collar
        if person == "oic":
            return occurrence is not None and occurrence.oic == actor.collar
        # "supervisor": of the occurrence's district; with no occurrence, any supervisor.
        return actor.role == "supervisor" and (
            occurrence is None or occurrence.district == actor.district
        )

    return any(one(person) for person in who)


def _name(occurrence: Aggregate | None) -> str:
    return occurrence.reference if occurrence and occurrence.reference else "the occurrence"


def _only(who: frozenset[str], action: str, occurrence: Aggregate | None) -> Decision:
    words = {
        "author": "the officer who recorded it",
        "record_author": "the officer who recorded it",
        "oic": f"the OIC of {_name(occurrence)}",
        "supervisor": "a supervisor",
    }
    people = list(dict.fromkeys(words[t] for t in WHO if t in who and t in words))
    if not people:
        return Decision("not_allowed", f"No officer can {action} here. " + _SAVED)
    joined = people[0] if len(people) == 1 else ", ".join(people[:-1]) + " or " + people[-1]
    return Decision("not_allowed", f"Only {joined} can {action}. " + _SAVED)


def who_can(decision: Decision) -> str:
    """A refusal as the laptop says it before anything is sent: who can, without the
    endpoint's "not saved on the central system" ending."""
    return decision.message.removesuffix(" " + _SAVED)


def _not_found(what: str) -> Decision:
    return Decision(
        "not_found",
        f"{what} is not one you can see on the central system. " + _SAVED,
    )


def _in_use() -> Decision:
    return Decision(
        "id_in_use",
        "Its identifier is already used by another record on the central system. " + _SAVED,
    )


__all__ = [
    "ALLOWED",
    "JOIN_NOTICES",
    "Actor",
    "Aggregate",
    "AuthorityTable",
    "Decision",
    "Known",
    "Permission",
    "Record",
    "decide",
    "settle",
    "who_can",
]

