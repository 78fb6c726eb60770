"""Verifying bearer keys: roles, and what a lookup costs the store.

Keys are recorded here as the platform service records them (events in `apikey-<id>`), by any
process: the key ring only reads them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, TypeVar

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from shared.decider import NotFound
from shared.events.base import Context
from shared.events.platform import ApiKeyIssued, ApiKeyRevoked, secret_sha256
from shared.eventstore.codec import to_new_event
from shared.eventstore.port import (
    ANY,
    NO_FILTER,
    NO_STREAM,
    START,
    EventFilter,
    NewEvent,
    RecordedEvent,
)
from shared.eventstore.sqlite import SQLiteEventStore
from shared.http.auth import (
    KeyRing,
    Principal,
    PrincipalDep,
    StaffDep,
    key_stream,
    require_scopes,
)
from shared.http.service import create_service_app
from tests.kit import ADMIN_KEY, bearer, kit_settings
from tests.ticks import Ticks

T = TypeVar("T")
GATE_TIMEOUT = 10.0  # a held read goes on by itself after this: no test hangs
CONTEXT = Context.new("admin:admin")
SECRET = "the-secret"


class CountingStore(SQLiteEventStore):
    """The real engine, noting which streams are read and whether the log is scanned."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.stream_reads: list[tuple[str, int]] = []
        self.scans = 0

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        self.stream_reads.append((stream, from_version))
        return super().read_stream(stream, from_version)

    def read_all(
        self, after: int = START, filter: EventFilter = NO_FILTER, limit: int | None = None
    ) -> list[RecordedEvent]:
        self.scans += 1
        return super().read_all(after, filter, limit)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.sqlite"


@pytest.fixture
def store(path: Path) -> Iterator[CountingStore]:
    store = CountingStore(str(path))
    yield store
    store.close()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def keyring(store: CountingStore, ticks: Ticks) -> KeyRing:
    return KeyRing(store, ADMIN_KEY, monotonic=ticks)


def record_key(
    store: SQLiteEventStore,
    role: str = "member",
    *,
    member_id: str | None = "m-1",
    scopes: tuple[str, ...] = (),
    secret: str = SECRET,
) -> str:
    """Issues a key as the platform does; answers the bearer key."""
    key_id = uuid.uuid4().hex[:16]
    issued = ApiKeyIssued(
        key_id=key_id,
        role=role,
        member_id=member_id if role == "member" else None,
        scopes=list(scopes),
        secret_sha256=secret_sha256(secret),
    )
    store.append(key_stream(key_id), [to_new_event(issued, CONTEXT)], NO_STREAM)
    return f"coop_{key_id}_{secret}"


def record_revocation(store: SQLiteEventStore, key: str) -> None:
    key_id = key_id_of(key)
    store.append(key_stream(key_id), [to_new_event(ApiKeyRevoked(key_id=key_id), CONTEXT)], ANY)


def key_id_of(key: str) -> str:
    return key.split("_")[1]


def test_principal_can_see_members() -> None:
    admin, ops = Principal("a", "admin"), Principal("o", "ops")
    member = Principal("k", "member", member_id="m-1")
    partner = Principal("p", "partner", scopes=frozenset({"events:read"}))
    assert admin.can_see_member("m-1") and ops.can_see_member("m-2")
    assert member.can_see_member("m-1") and not member.can_see_member("m-2")
    assert not partner.can_see_member("m-1")
    assert partner.has_scope("events:read") and not partner.has_scope("webhooks:manage")
    assert member.actor == "member:k"


def test_admin_key_from_settings_is_the_builtin_admin(keyring: KeyRing) -> None:
    principal = keyring.authenticate(ADMIN_KEY)
    assert principal is not None and principal.role == "admin"
    assert keyring.authenticate(ADMIN_KEY + "x") is None


def test_a_recorded_key_authenticates_with_its_role(keyring: KeyRing, store: CountingStore) -> None:
    key = record_key(store, "partner", scopes=("events:read",))

    principal = keyring.authenticate(key)

    assert principal == Principal(key_id_of(key), "partner", None, frozenset({"events:read"}))


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "coop_",
        "coop__secret",
        "coop_abc",
        "Bearer x",
        "coop_unknown_secret",
        "coop_0123456789abcdef_secret",  # well formed, never issued
    ],
)
def test_malformed_or_unknown_keys_are_refused(keyring: KeyRing, presented: str) -> None:
    assert keyring.authenticate(presented) is None


def test_a_wrong_secret_is_refused(keyring: KeyRing, store: CountingStore) -> None:
    key = record_key(store)

    assert keyring.authenticate(key[:-1] + "X") is None
    assert keyring.authenticate(key) is not None


def test_a_revoked_key_stops_working_once_its_entry_is_refreshed(
    keyring: KeyRing, store: CountingStore, ticks: Ticks
) -> None:
    key = record_key(store)
    assert keyring.authenticate(key) is not None

    record_revocation(store, key)  # by any process
    ticks.seconds += keyring.refresh_interval

    assert keyring.authenticate(key) is None
    assert keyring.get(key_id_of(key)).revoked


# -- what a lookup costs -------------------------------------------------------------------------


def test_a_lookup_reads_the_key_s_own_stream_and_never_scans_the_log(
    keyring: KeyRing, store: CountingStore
) -> None:
    keys = [record_key(store) for _ in range(3)]
    store.append("noise-1", [NewEvent(uuid.uuid4(), "Noise", b"{}", b"{}")], NO_STREAM)

    for key in keys:
        assert keyring.authenticate(key) is not None

    assert store.scans == 0
    assert store.stream_reads == [(key_stream(key_id_of(key)), 0) for key in keys]


def test_a_fresh_cached_key_costs_no_read(
    keyring: KeyRing, store: CountingStore, ticks: Ticks
) -> None:
    key = record_key(store)

    for _ in range(100):
        assert keyring.authenticate(key) is not None
        ticks.seconds += keyring.refresh_interval / 200

    assert len(store.stream_reads) == 1


def test_a_stale_key_is_read_again_from_its_next_event(
    keyring: KeyRing, store: CountingStore, ticks: Ticks
) -> None:
    key = record_key(store)
    keyring.authenticate(key)

    ticks.seconds += keyring.refresh_interval
    keyring.authenticate(key)

    assert store.stream_reads == [(key_stream(key_id_of(key)), 0), (key_stream(key_id_of(key)), 1)]


def test_an_unknown_id_is_remembered_for_the_interval(
    keyring: KeyRing, store: CountingStore, ticks: Ticks
) -> None:
    presented = "coop_0123456789abcdef_secret"

    for _ in range(10):
        assert keyring.authenticate(presented) is None
    assert len(store.stream_reads) == 1

    ticks.seconds += keyring.refresh_interval
    assert keyring.authenticate(presented) is None
    assert len(store.stream_reads) == 2


@pytest.mark.parametrize(
    "key_id",
    [
        "ABCDEF0123456789",  # upper case
        "0123456789abcde",  # too short
        "0123456789abcdef" * 2 + "0",  # too long
        "0123456789abcdeg",
        "../../etc/passwd",
        "x" * 10_000,
    ],
)
def test_an_ill_formed_key_id_reads_nothing(
    keyring: KeyRing, store: CountingStore, key_id: str
) -> None:
    assert keyring.authenticate(f"coop_{key_id}_secret") is None
    with pytest.raises(NotFound):
        keyring.get(key_id)

    assert store.stream_reads == [] and store.scans == 0


def test_the_memory_of_unknown_ids_is_bounded(store: CountingStore, ticks: Ticks) -> None:
    keyring = KeyRing(store, ADMIN_KEY, monotonic=ticks, unknown_capacity=3)

    for n in range(5):
        keyring.authenticate(f"coop_{n:016x}_secret")

    assert list(keyring._unknown) == [f"{n:016x}" for n in (2, 3, 4)]


def test_another_process_s_new_key_works_at_once_and_its_revocation_within_the_interval(
    keyring: KeyRing, path: Path, ticks: Ticks
) -> None:
    other_process = SQLiteEventStore(str(path))
    try:
        key = record_key(other_process)
        assert keyring.authenticate(key) is not None  # never seen: its stream is read

        record_revocation(other_process, key)
        assert keyring.authenticate(key) is not None  # cached, fresh: up to the interval
        ticks.seconds += keyring.refresh_interval
        assert keyring.authenticate(key) is None
    finally:
        other_process.close()


def test_refresh_finds_a_key_remembered_as_unknown(keyring: KeyRing, store: CountingStore) -> None:
    key_id = "00000000000000ff"
    assert keyring.authenticate(f"coop_{key_id}_{SECRET}") is None
    issued = ApiKeyIssued(key_id=key_id, role="ops", secret_sha256=secret_sha256(SECRET))
    store.append(key_stream(key_id), [to_new_event(issued, CONTEXT)], NO_STREAM)

    refreshed = keyring.refresh(key_id)

    assert refreshed is not None and refreshed.version == 0
    assert keyring.authenticate(f"coop_{key_id}_{SECRET}") is not None


def answered_while_held(call: Callable[[], T], held: threading.Thread) -> T:
    """`call`'s answer, checked to come while `held` is still held at its gate (run in a
    thread of its own, so that a call that waits for the held one fails instead of hanging)."""
    answers: list[T] = []
    caller = threading.Thread(target=lambda: answers.append(call()))
    caller.start()
    caller.join(GATE_TIMEOUT / 2)
    assert answers and held.is_alive(), "the call waited for the held read"
    return answers[0]


class GatedStore(SQLiteEventStore):
    """The real engine, whose reads of one stream can be held at a gate."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.held_stream: str | None = None
        self.entered = threading.Event()
        self.gate = threading.Event()

    def read_stream(self, stream: str, from_version: int = 0) -> list[RecordedEvent]:
        if stream == self.held_stream:
            self.entered.set()
            self.gate.wait(GATE_TIMEOUT)
        return super().read_stream(stream, from_version)


def test_a_slow_read_of_one_key_holds_no_other_key(path: Path, ticks: Ticks) -> None:
    store = GatedStore(str(path))
    try:
        keyring = KeyRing(store, ADMIN_KEY, monotonic=ticks)
        slow = record_key(store)
        slow_stripe = keyring._stripe(key_id_of(slow))
        candidates = (record_key(store) for _ in range(50))
        other = next(k for k in candidates if keyring._stripe(key_id_of(k)) is not slow_stripe)
        store.held_stream = key_stream(key_id_of(slow))
        reader = threading.Thread(target=keyring.authenticate, args=(slow,))
        reader.start()
        assert store.entered.wait(5)

        assert answered_while_held(lambda: keyring.authenticate(other), reader) is not None
        assert answered_while_held(lambda: keyring.authenticate(ADMIN_KEY), reader) is not None

        store.gate.set()
        reader.join(5)
        assert not reader.is_alive()
    finally:
        store.gate.set()
        store.close()


# -- the admin's reading -------------------------------------------------------------------------


def test_get_reads_the_key_as_its_stream_has_it_now(keyring: KeyRing, store: CountingStore) -> None:
    key = record_key(store, "ops", member_id=None)
    key_id = key_id_of(key)
    assert keyring.get(key_id).revoked_at is None

    record_revocation(store, key)

    info = keyring.get(key_id)
    assert info.revoked and info.issued_by == "admin:admin" and info.role == "ops"
    with pytest.raises(NotFound):
        keyring.get("0123456789abcdef")


def test_a_second_revocation_keeps_the_first_one_s_time(
    keyring: KeyRing, store: CountingStore
) -> None:
    key = record_key(store)
    record_revocation(store, key)
    first = keyring.get(key_id_of(key)).revoked_at

    record_revocation(store, key)  # a writer that did not check

    refreshed = keyring.refresh(key_id_of(key))
    assert refreshed is not None and refreshed.version == 2
    assert refreshed.info.revoked_at == first


def test_page_lists_keys_in_issue_order(keyring: KeyRing, store: CountingStore) -> None:
    ids = [key_id_of(record_key(store, "ops", member_id=None)) for _ in range(3)]
    first, cursor = keyring.page(after=0, limit=2)
    assert [k.key_id for k in first] == ids[:2] and cursor is not None
    rest, end = keyring.page(after=cursor, limit=2)
    assert [k.key_id for k in rest] == ids[2:] and end is None


def test_page_shows_revocations(keyring: KeyRing, store: CountingStore) -> None:
    key = record_key(store)
    keyring.page(after=0, limit=10)

    record_revocation(store, key)

    [listed], _ = keyring.page(after=0, limit=10)
    assert listed.revoked


def test_the_listing_reads_only_what_was_appended_since_its_last_look(
    keyring: KeyRing, store: CountingStore
) -> None:
    """Key events are found by a filtered scan: each look starts where the last one ended
    (the head then), not at the last key event."""
    record_key(store)
    store.append("noise-1", [NewEvent(uuid.uuid4(), "Noise", b"{}", b"{}")], NO_STREAM)

    keyring.page(after=0, limit=10)

    assert keyring._listed_upto == store.head()


# -- over HTTP ---------------------------------------------------------------------------------

router = APIRouter()


@router.get("/v1/whoami")
def whoami(principal: PrincipalDep) -> dict[str, str | None]:
    return {"role": principal.role, "member_id": principal.member_id}


@router.get("/v1/feed")
def feed(principal: Annotated[Principal, Depends(require_scopes("events:read"))]) -> str:
    return principal.role


@router.get("/v1/hooks")
def hooks(principal: Annotated[Principal, Depends(require_scopes("webhooks:manage"))]) -> str:
    return principal.role


@router.get("/v1/staff-only")
def staff_only(principal: StaffDep) -> dict[str, str]:
    return {"role": principal.role}


@pytest.fixture
def client(tmp_path: Path, store: CountingStore) -> Iterator[TestClient]:
    app = create_service_app(
        title="t", settings=kit_settings(tmp_path), store=store, routers=[router]
    )
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    "headers", [{}, bearer("coop_nope_nope"), {"Authorization": f"Basic {ADMIN_KEY}"}]
)
def test_missing_or_invalid_keys_are_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get("/v1/whoami", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"].endswith("/unauthenticated")


def test_scopes_are_enforced(client: TestClient, store: CountingStore) -> None:
    partner = bearer(record_key(store, "partner", scopes=("events:read",)))
    assert client.get("/v1/feed", headers=partner).json() == "partner"
    refused = client.get("/v1/hooks", headers=partner)
    assert refused.status_code == 403 and "webhooks:manage" in refused.json()["detail"]
    assert client.get("/v1/hooks", headers=bearer(ADMIN_KEY)).json() == "admin"


def test_roles_are_enforced(client: TestClient, store: CountingStore) -> None:
    key = record_key(store, member_id="m-7")
    assert client.get("/v1/whoami", headers=bearer(key)).json() == {
        "role": "member",
        "member_id": "m-7",
    }
    forbidden = client.get("/v1/staff-only", headers=bearer(key))
    assert forbidden.status_code == 403
    assert forbidden.json()["type"].endswith("/forbidden")
    assert client.get("/v1/staff-only", headers=bearer(ADMIN_KEY)).json() == {"role": "admin"}
