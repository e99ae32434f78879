"""Who may see which events: the rules, as facts read off single events.

An officer may pull an event if any of these holds (admins pull nothing):

(a) they authored it;
(b) its aggregate lies in the scope of an occurrence where they are OIC;
(c) its aggregate lies in the scope of a household reassigned to them;
(d) its author is in their team;
(e) they are a supervisor and its aggregate lies in the scope of an occurrence in their district;
(f) it corrects or retracts a record they authored (so they are told; storage/feed.py);
(g) it is an occurrence's own record (occurrence_recorded, or a correction or retraction of
    one) and an earlier occurrence record holds the same reference key: the existing
    occurrence's OIC(s) and its district's supervisors are told of the new record, as the
    force's `join_notice` policy says (resources/authority.json; storage/notices.py). That
    event only, never its scope; and never the other way, to the newcomer.

"Scope" is a graph of aggregates. Each event may state facts:

- occurrence_recorded on O: grant(O, oic), district(O, district), and for (g) oic(O, oic)
  and key(O, reference key)
- household_recorded on H naming occurrence O: edge(O → H)
- households_merged on H absorbing M: edge(H → M)
- task_reassigned on H: grant(H, to_officer)
- households_split on H naming another: nothing (a split only separates, it never grants)
- join_accepted on O naming an officer: grant(O, officer) (the authority rule lets only O's
  OIC or a supervisor make it, for an officer who recorded O's reference under another id).
  It grants nothing of the other record's scope to O's readers: whoever recorded a reference
  first may be a squatter on a guessed one. The newcomer, now seeing O, accepts O's record
  in return to share theirs (the same rule, the other way).
- event_corrected of an occurrence_recorded or household_recorded: the same facts as the
  corrected payload (version 2: as the fields it changes), once its target is stored and is of
  that type in the same aggregate (a correction is about its target, so a mismatch grants
  nothing).

An aggregate's readers are the grants, and the supervisors of the districts, of every aggregate
from which it can be reached by edges (itself included). Facts only accumulate: an OIC replaced
by a correction keeps what they could see. That makes visibility a function of the set of
events, whatever order they arrive in, as everything else in fieldapp is; and an officer who
was OIC has already pulled the occurrence onto their laptop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fieldapp.domain.events import (
    Event,
    EventCorrected,
    EventType,
    HouseholdRecorded,
    HouseholdsMerged,
    JoinAccepted,
    OccurrenceRecorded,
    Payload,
    TaskReassigned,
    corrected_payload,
)
from fieldapp.domain.identity import reference_key

_SCOPING_CORRECTIONS = frozenset(
    {EventType.OCCURRENCE_RECORDED.value, EventType.HOUSEHOLD_RECORDED.value}
)


@dataclass(frozen=True)
class TargetRef:
    """What a correction needs to know about the event it corrects."""

    type: str
    aggregate_id: str


@dataclass
class Facts:
    grants: set[tuple[str, str]] = field(default_factory=set)  # (aggregate, officer)
    districts: set[tuple[str, str]] = field(default_factory=set)  # (aggregate, district)
    edges: set[tuple[str, str]] = field(default_factory=set)  # (parent, child)
    # For (g): who is an occurrence's OIC by its own record, and the reference keys it holds.
    oics: set[tuple[str, str]] = field(default_factory=set)  # (occurrence, officer)
    keys: set[tuple[str, str]] = field(default_factory=set)  # (occurrence, reference key)

    def update(self, other: Facts) -> None:
        self.grants |= other.grants
        self.districts |= other.districts
        self.edges |= other.edges
        self.oics |= other.oics
        self.keys |= other.keys


def target_of(event: Event) -> str | None:
    """The id of the event whose facts this one restates, if it is a scoping correction."""
    payload = event.payload
    if isinstance(payload, EventCorrected) and payload.target_type in _SCOPING_CORRECTIONS:
        return payload.target_id
    return None


def facts_of(event: Event, target: TargetRef | None = None) -> Facts:
    payload = event.payload
    if isinstance(payload, EventCorrected):
        if (
            target is None
            or payload.target_type not in _SCOPING_CORRECTIONS
            or target.type != payload.target_type
            or target.aggregate_id != event.aggregate_id
        ):
            return Facts()
        if not payload.restates_whole:
            return _changed_facts(event.aggregate_id, payload.changes)
        return _payload_facts(event.aggregate_id, corrected_payload(payload))
    return _payload_facts(event.aggregate_id, payload)


def _changed_facts(aggregate: str, changes: Mapping[str, Any]) -> Facts:
    """A correction of changed fields (version 2) states only those: the facts of the fields
    it leaves were stated by the records before it, and facts only accumulate."""
    facts = Facts()
    if "oic" in changes:
        facts.grants.add((aggregate, str(changes["oic"])))
        facts.oics.add((aggregate, str(changes["oic"])))
    if "reference" in changes:
        facts.keys.add((aggregate, reference_key(str(changes["reference"]))))
    if "district" in changes:
        facts.districts.add((aggregate, str(changes["district"])))
    if "occurrence_id" in changes:
        facts.edges.add((str(changes["occurrence_id"]), aggregate))
    return facts


def _payload_facts(aggregate: str, payload: Payload) -> Facts:
    facts = Facts()
    if isinstance(payload, OccurrenceRecorded):
        facts.grants.add((aggregate, payload.oic))
        facts.districts.add((aggregate, payload.district))
        facts.oics.add((aggregate, payload.oic))
        facts.keys.add((aggregate, reference_key(payload.reference)))
    elif isinstance(payload, HouseholdRecorded):
        facts.edges.add((payload.occurrence_id, aggregate))
    elif isinstance(payload, HouseholdsMerged):
        facts.edges.add((aggregate, payload.merged_id))
    elif isinstance(payload, TaskReassigned):
        facts.grants.add((aggregate, payload.to_officer))
    elif isinstance(payload, JoinAccepted):
        facts.grants.add((aggregate, payload.officer))
    return facts
