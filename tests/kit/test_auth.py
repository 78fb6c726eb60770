import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from shared.decider import NotFound
from shared.events.base import Context
from shared.eventstore.port import NO_STREAM, NewEvent
from shared.eventstore.sqlite import SQLiteEventStore
from shared.http.auth import KeyRequest, KeyRing, Principal, PrincipalDep, StaffDep
from shared.http.service import create_service_app
from tests.kit import ADMIN_KEY, bearer, kit_settings

CONTEXT = Context.new("admin:admin")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "events.sqlite"


@pytest.fixture
def store(path: Path) -> Iterator[SQLiteEventStore]:
    store = SQLiteEventStore(str(path))
    yield store
    store.close()


@pytest.fixture
def keyring(store: SQLiteEventStore) -> KeyRing:
    return KeyRing(store, ADMIN_KEY)


def member_key(keyring: KeyRing, member_id: str = "m-1") -> str:
    return keyring.issue(KeyRequest(role="member", member_id=member_id), CONTEXT).key


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


def test_issued_key_authenticates_with_its_role(keyring: KeyRing) -> None:
    issued = keyring.issue(
        KeyRequest(role="partner", scopes=["events:read", "events:read"]), CONTEXT
    )
    assert issued.key.startswith(f"coop_{issued.info.key_id}_")
    principal = keyring.authenticate(issued.key)
    assert principal == Principal(issued.info.key_id, "partner", None, frozenset({"events:read"}))
    assert issued.info.scopes == ["events:read"]


@pytest.mark.parametrize(
    "presented", ["", "coop_", "coop__secret", "coop_abc", "Bearer x", "coop_unknown_secret"]
)
def test_malformed_or_unknown_keys_are_refused(keyring: KeyRing, presented: str) -> None:
    assert keyring.authenticate(presented) is None


def test_a_wrong_secret_is_refused(keyring: KeyRing) -> None:
    key = member_key(keyring)
    assert keyring.authenticate(key[:-1] + ("A" if key[-1] != "A" else "B")) is None


def test_the_secret_is_never_stored(keyring: KeyRing, store: SQLiteEventStore) -> None:
    secret = member_key(keyring).split("_", 2)[2]
    stored = b"".join(e.data + e.metadata for e in store.read_all())
    assert secret.encode() not in stored


def test_a_revoked_key_stops_working(keyring: KeyRing) -> None:
    key = member_key(keyring)
    key_id = key.split("_")[1]
    info, position = keyring.revoke(key_id, CONTEXT)
    assert info.revoked and keyring.authenticate(key) is None
    again, same_position = keyring.revoke(key_id, CONTEXT)
    assert again.revoked_at == info.revoked_at and same_position == position
    with pytest.raises(NotFound):
        keyring.revoke("0000000000000000", CONTEXT)


def test_another_process_sees_issues_at_once_and_revocations_soon(
    keyring: KeyRing, path: Path
) -> None:
    other_store = SQLiteEventStore(str(path))
    try:
        other = KeyRing(other_store, ADMIN_KEY, refresh_interval=0.05)
        assert other.authenticate(ADMIN_KEY) is not None  # warms its cache
        key = member_key(keyring)
        assert other.authenticate(key) is not None
        keyring.revoke(key.split("_")[1], CONTEXT)
        time.sleep(0.06)
        assert other.authenticate(key) is None
    finally:
        other_store.close()


def test_a_lookup_reads_only_what_was_appended_since_the_last(
    keyring: KeyRing, store: SQLiteEventStore
) -> None:
    """Key events are read with a filtered scan: each look starts where the last one ended
    (the head then), not at the last key event."""
    key_id = keyring.issue(KeyRequest(role="ops"), CONTEXT).info.key_id
    store.append("noise-1", [NewEvent(uuid.uuid4(), "Noise", b"{}", b"{}")], NO_STREAM)
    assert keyring.get(key_id).key_id == key_id
    assert keyring._position == store.head()


def test_page_lists_keys_in_issue_order(keyring: KeyRing) -> None:
    ids = [keyring.issue(KeyRequest(role="ops"), CONTEXT).info.key_id for _ in range(3)]
    first, cursor = keyring.page(after=0, limit=2)
    assert [k.key_id for k in first] == ids[:2] and cursor is not None
    rest, end = keyring.page(after=cursor, limit=2)
    assert [k.key_id for k in rest] == ids[2:] and end is None


# -- over HTTP ---------------------------------------------------------------------------------

router = APIRouter()


@router.get("/v1/whoami")
def whoami(principal: PrincipalDep) -> dict[str, str | None]:
    return {"role": principal.role, "member_id": principal.member_id}


@router.get("/v1/staff-only")
def staff_only(principal: StaffDep) -> dict[str, str]:
    return {"role": principal.role}


@pytest.fixture
def client(tmp_path: Path, store: SQLiteEventStore) -> Iterator[TestClient]:
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


def test_roles_are_enforced(client: TestClient, store: SQLiteEventStore) -> None:
    key = member_key(KeyRing(store, ADMIN_KEY), "m-7")
    assert client.get("/v1/whoami", headers=bearer(key)).json() == {
        "role": "member",
        "member_id": "m-7",
    }
    forbidden = client.get("/v1/staff-only", headers=bearer(key))
    assert forbidden.status_code == 403
    assert forbidden.json()["type"].endswith("/forbidden")
    assert client.get("/v1/staff-only", headers=bearer(ADMIN_KEY)).json() == {"role": "admin"}
