"""The sync driver: push the outbox, pull pages, let the store reconcile.

The order of effects is what keeps invariant 3: an event leaves the outbox only when the
endpoint acknowledges it, and a pulled page is applied with its cursor in one transaction.
A crash or a cut connection anywhere leaves both sides able to converge on the next run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import requests

from fieldapp.domain.catalogue import LeafletCatalogue
from fieldapp.domain.events import Event, Rules
from fieldapp.domain.policy import SchedulePolicy
from fieldapp.domain.problems import Problem, parse_utc
from fieldapp.domain.projection import Changes
from fieldapp.domain.retention import Erasure
from fieldapp.domain.wire import DeviceStatus, PullReply
from fieldapp.sync.protocol import (
    MAX_BATCH_EVENTS,
    PULL_PAGE,
    DeviceWipe,
    Retry,
    SyncError,
    classify,
    clock_skew,
    decode_pull_page,
    plan_push,
    pulled_ids,
    push_body,
    read_pulled_events,
    read_push_response,
    read_rotate_response,
    retry_after_seconds,
    unreadable,
)
from fieldapp.sync.transport import Clock, Response, Transport, utc_now

# Events pulled from the endpoint were validated there against its own clock; a device clock
# that runs slow must not refuse them.
PULL_FUTURE_TOLERANCE = timedelta(days=2)

# A network in the middle (a hotel's login page, or worse) looks like this too: nothing is sent.
UNVERIFIED = (
    "The central system's certificate could not be verified, so nothing was sent. "
    "If this goes on, tell IT."
)


def endpoint_reachable(transport: Transport) -> bool:
    """Whether the endpoint answers now (automatic sync probes this before it syncs)."""
    try:
        return transport.request("GET", "/v1/health").status == 200
    except requests.RequestException:
        return False


def network_error(failure: requests.RequestException) -> SyncError:
    """What a request that got no answer means for the officer (always worth retrying)."""
    if isinstance(failure, requests.exceptions.SSLError):
        return SyncError(UNVERIFIED, retryable=True)
    return SyncError("The central system cannot be reached.", retryable=True)


SETTING_URL = "sync.url"
SETTING_TOKEN = "sync.token"  # noqa: S105 (a settings key, not a secret)
SETTING_DEVICE = "sync.device_id"
SETTING_OFFICER = "sync.officer"
SETTING_CA = "sync.ca_bundle"
SETTING_PIN = "sync.pin_sha256"
SETTING_LAST = "sync.last_success"


class SyncStore(Protocol):
    """What sync needs of the store (fieldapp.store.Store provides it)."""

    def outbox(self, limit: int) -> list[Event]: ...
    def outbox_count(self) -> int: ...
    def mark_acknowledged(self, acks: Mapping[str, int]) -> None: ...
    def mark_rejected(self, rejections: Mapping[str, Sequence[Problem]]) -> None: ...
    def mark_skewed(self, ids: Sequence[str]) -> None: ...
    def cursor(self) -> str | None: ...
    def held_bodies(self, ids: Iterable[str]) -> Mapping[str, str]: ...
    def apply_pulled(
        self, events: Sequence[Event], cursor: str, erasures: Sequence[Erasure] = ()
    ) -> Changes: ...
    def get_setting(self, key: str) -> str | None: ...
    def set_setting(self, key: str, value: str) -> None: ...


@dataclass(frozen=True)
class SyncProgress:
    phase: str  # "push" or "pull"
    done: int
    total: int


@dataclass(frozen=True)
class SyncSummary:
    pushed: int
    pulled: int
    rejected: tuple[tuple[str, tuple[Problem, ...]], ...]
    invalid_from_server: int
    tasks_created: tuple[str, ...]
    tasks_closed: tuple[str, ...]
    tasks_done_elsewhere: tuple[str, ...]
    conflicts_new: tuple[str, ...]
    clock_skew_seconds: float | None
    skew_flagged: bool
    device_status: str
    # Occurrences and households the endpoint ordered erased (retention); whatever of them
    # this laptop held is gone.
    erased: tuple[str, ...] = ()
    token_rotated: bool = False


@dataclass(frozen=True)
class Enrolment:
    device_id: str
    officer: Mapping[str, Any]


class Cancelled(SyncError):
    def __init__(self) -> None:
        super().__init__("Sync was stopped.", retryable=True)


class SyncClient:
    def __init__(
        self,
        store: SyncStore,
        transport: Transport,
        *,
        policy: SchedulePolicy,
        catalogue: LeafletCatalogue,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        retry: Retry | None = None,
    ) -> None:
        self.store = store
        self.transport = transport
        self.policy = policy
        self.catalogue = catalogue
        self.clock = clock
        self.sleep = sleep
        self.retry = retry or Retry()
        self._skew: timedelta | None = None

    @classmethod
    def from_settings(
        cls, store: SyncStore, *, policy: SchedulePolicy, catalogue: LeafletCatalogue
    ) -> SyncClient:
        url, token = store.get_setting(SETTING_URL), store.get_setting(SETTING_TOKEN)
        if not url or not token:
            raise SyncError("This laptop is not enrolled: it works offline only.",
                            retryable=False)
        transport = Transport(
            url,
            token=token,
            ca_bundle=store.get_setting(SETTING_CA),
            pin_sha256=store.get_setting(SETTING_PIN),
        )
        return cls(store, transport, policy=policy, catalogue=catalogue)

    # ----------------------------------------------------------------- one run

    def run_once(
        self,
        progress: Callable[[SyncProgress], None] = lambda _: None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> SyncSummary:
        self._skew = None
        status = DeviceStatus.ACTIVE
        rotate = False
        pushed_ids: list[str] = []
        rejected: list[tuple[str, tuple[Problem, ...]]] = []
        total = self.store.outbox_count()
        progress(SyncProgress("push", 0, total))
        # Two batches in flight: the next one is sent (and stored by the endpoint) while this
        # one's answer is written here. The store is used from this thread only; the other
        # moves bytes. A failure leaves at most the batch in flight unanswered, which the
        # next run sends again (the endpoint answers a resent event with its first seq).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldapp-push") as ahead:

            def send(batch: list[Event]) -> Future[Response] | None:
                if not batch:
                    return None
                return ahead.submit(self._call, "POST", "/v1/push", cancelled,
                                    body=push_body(batch))

            batch = plan_push(self.store.outbox(MAX_BATCH_EVENTS))
            sending = send(batch)
            while sending is not None:
                # The batch after this one is read while the endpoint stores this one, so it
                # goes out the moment this answer is in: the endpoint never waits on the
                # outbox read.
                in_flight = {event.id for event in batch}
                following = plan_push([
                    event for event in self.store.outbox(2 * MAX_BATCH_EVENTS)
                    if event.id not in in_flight
                ])
                reply = sending.result()
                outcome = read_push_response(batch, reply.body)
                unconfirmed = outcome.unanswered and not (outcome.acks or outcome.rejections)
                sending = None if unconfirmed else send(following)
                self.store.mark_acknowledged(outcome.acks)
                self.store.mark_rejected(outcome.rejections)
                pushed_ids += list(outcome.acks)
                rejected += list(outcome.rejections.items())
                status = outcome.device_status
                rotate = rotate or outcome.rotate
                progress(SyncProgress("push", len(pushed_ids) + len(rejected), total))
                if unconfirmed:
                    raise SyncError("The central system did not confirm any record; will "
                                    "retry.", retryable=True)
                batch = following
        flagged = self._flag_skew(pushed_ids)
        if status is DeviceStatus.WIPE:
            raise DeviceWipe()

        pulled = invalid = 0
        created: set[str] = set()
        closed: set[str] = set()
        elsewhere: set[str] = set()
        conflicts: set[str] = set()
        erased: set[str] = set()
        rules = Rules(self.catalogue, self.clock(), PULL_FUTURE_TOLERANCE)
        # The next page is read (validated) and the one after it asked for while this one is
        # applied, as the endpoint works while the laptop does. Which of a page's events this
        # laptop holds already is asked of the store here, on its own thread, before the page
        # is read: those held byte for byte are not validated again. Pages are applied in
        # order, each with its own cursor, so a failure drops at most the pages read ahead,
        # which the next run asks for again.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldapp-pull") as ahead:

            def read(raw: PullReply[Any]) -> Future[PullReply[Event]]:
                stored = self.store.held_bodies(pulled_ids(raw))
                return ahead.submit(read_pulled_events, raw, rules, stored)

            def fetch(raw: PullReply[Any]) -> Future[PullReply[Any]] | None:
                return ahead.submit(self._pull_page, raw.cursor, cancelled) if raw.more else None

            held = self.store.cursor()
            raw = self._pull_page(held, cancelled)
            reading, fetching = read(raw), fetch(raw)
            while True:
                page = reading.result()
                if fetching is not None:
                    raw = fetching.result()
                    reading, fetching = read(raw), fetch(raw)
                # A page that brings nothing and leaves the cursor where it is (a sync with
                # nothing new) changes nothing: no transaction, no commit to wait for.
                changes = (
                    self.store.apply_pulled(page.events, page.cursor, page.erasures)
                    if page.events or page.erasures or page.invalid or page.cursor != held
                    else Changes()
                )
                held = page.cursor
                erased.update(a for order in page.erasures for a in order.aggregate_ids)
                rotate = rotate or page.rotate
                pulled += len(page.events)
                invalid += len(page.invalid)
                created.update(changes.tasks_created)
                closed.update(changes.tasks_closed)
                elsewhere.update(changes.tasks_done_elsewhere)
                conflicts.update(changes.conflicts_new)
                progress(SyncProgress("pull", pulled, pulled + (PULL_PAGE if page.more else 0)))
                if not page.more:
                    break
        self.store.set_setting(SETTING_LAST, self.clock().isoformat())
        rotated = rotate and self._rotate(cancelled)
        return SyncSummary(
            pushed=len(pushed_ids),
            pulled=pulled,
            rejected=tuple(rejected),
            invalid_from_server=invalid,
            tasks_created=tuple(sorted(created)),
            tasks_closed=tuple(sorted(closed)),
            tasks_done_elsewhere=tuple(sorted(elsewhere)),
            conflicts_new=tuple(sorted(conflicts)),
            clock_skew_seconds=self._skew.total_seconds() if self._skew is not None else None,
            skew_flagged=flagged,
            device_status=status.value,
            erased=tuple(sorted(erased)),
            token_rotated=rotated,
        )

    def _pull_page(self, cursor: str | None, cancelled: Callable[[], bool]) -> PullReply[Any]:
        """The page after `cursor` as sent, its events not yet read."""
        params = {"limit": str(PULL_PAGE)}
        if cursor:
            params["cursor"] = cursor
        reply = self._call("GET", "/v1/pull", cancelled, params=params)
        return decode_pull_page(reply.body)

    def _rotate(self, cancelled: Callable[[], bool]) -> bool:
        """Take a new device token, as the endpoint asked. It is saved before it is used: the
        old one works until the endpoint first sees the new one, so an answer lost on the way
        (or a crash before saving) leaves the old one working and the next sync tries again."""
        try:
            reply = self._call("POST", "/v1/rotate", cancelled)
            token = read_rotate_response(reply.body)
        except SyncError as error:
            if not error.retryable:
                raise
            return False  # the records are synced; the endpoint asks again next time
        self.store.set_setting(SETTING_TOKEN, token)
        self.transport.set_token(token)
        return True

    def _flag_skew(self, pushed_ids: Sequence[str]) -> bool:
        """Events pushed under a clock far from the server's are flagged for the officer."""
        if self._skew is None or abs(self._skew) <= self.policy.clock_skew_threshold:
            return False
        if pushed_ids:
            self.store.mark_skewed(pushed_ids)
        return True

    def _call(
        self,
        method: str,
        path: str,
        cancelled: Callable[[], bool],
        *,
        params: Mapping[str, str] | None = None,
        body: str | None = None,
    ) -> Response:
        """One request with retries on network faults, 5xx and 429."""
        last: SyncError | None = None
        for attempt in range(self.retry.attempts):
            if cancelled():
                raise Cancelled()
            try:
                reply = self.transport.request(method, path, params=params, body=body)
            except requests.RequestException as failure:
                last = network_error(failure)
                self.sleep(self.retry.delay(attempt))
                continue
            self._observe_time(reply)
            error = classify(reply.status, reply.body)
            if error is None:
                return reply
            if not error.retryable:
                raise error
            last = error
            self.sleep(self.retry.delay(attempt, retry_after_seconds(reply.headers.get(
                "Retry-After"))))
        assert last is not None
        raise last

    def _observe_time(self, reply: Response) -> None:
        server = reply.body.get("server_time") if isinstance(reply.body, Mapping) else None
        moment = parse_utc(server) or parse_utc(reply.headers.get("X-Server-Time"))
        if moment is not None:
            self._skew = clock_skew(reply.sent_at, reply.received_at, moment)


def enrol(
    store: SyncStore,
    url: str,
    code: str,
    device_name: str,
    *,
    ca_bundle: str | None = None,
    pin_sha256: str | None = None,
) -> Enrolment:
    """Enrol this laptop with a one-time code; the device token is kept in the encrypted store."""
    transport = Transport(url, ca_bundle=ca_bundle, pin_sha256=pin_sha256)
    try:
        reply = transport.request(
            "POST", "/v1/enrol", body=json.dumps({"code": code, "device_name": device_name})
        )
    except requests.RequestException as failure:
        raise network_error(failure) from failure
    finally:
        transport.close()
    if reply.status in (400, 401, 403, 404, 422):
        raise SyncError("That enrolment code was not accepted: check it, or ask for a new one.",
                        retryable=False)
    error = classify(reply.status, reply.body)
    if error is not None:
        raise error
    data = reply.body if isinstance(reply.body, Mapping) else {}
    token, device_id = data.get("token"), data.get("device_id")
    officer = data.get("officer")
    if not isinstance(token, str) or not isinstance(device_id, str) or not isinstance(
        officer, Mapping
    ):
        raise unreadable()
    store.set_setting(SETTING_URL, url)
    store.set_setting(SETTING_TOKEN, token)
    store.set_setting(SETTING_DEVICE, device_id)
    store.set_setting(SETTING_OFFICER, json.dumps(dict(officer)))
    if ca_bundle:
        store.set_setting(SETTING_CA, ca_bundle)
    if pin_sha256:
        store.set_setting(SETTING_PIN, pin_sha256)
    return Enrolment(device_id, dict(officer))
