"""The platform's deciders, given/when/then, grouped by state."""

from __future__ import annotations

import ast
import sys
from datetime import date
from pathlib import Path

import pytest

import services.platform.domain as platform_domain
from services.platform.domain import (
    ApiKeyCommand,
    ApiKeyState,
    ClockCommand,
    ClockNotSimulated,
    ClockState,
    InvalidKeyGrant,
    IssueApiKey,
    IssuedKey,
    KeyIdTaken,
    KeyNotFound,
    NoKey,
    RevokeApiKey,
    RevokedKey,
    SetSimulatedDate,
    SimulatedDate,
    SystemDate,
    api_key_decider,
    clock_decider,
)
from shared.decider import Spec
from shared.events.platform import ApiKeyIssued, ApiKeyRevoked, SimulatedDateSet, secret_sha256

KEY_ID = "0123456789abcdef"
SECRET = "s3cret-from-the-handler"
ISSUE_OPS = IssueApiKey(key_id=KEY_ID, role="ops", secret=SECRET)
OPS_ISSUED = ApiKeyIssued(key_id=KEY_ID, role="ops", secret_sha256=secret_sha256(SECRET))
REVOKED = ApiKeyRevoked(key_id=KEY_ID)


def keys() -> Spec[ApiKeyCommand, ApiKeyState]:
    return Spec(api_key_decider)


def clock() -> Spec[ClockCommand, ClockState]:
    return Spec(clock_decider)


class TestNoKey:
    def test_issue_records_only_the_hash_of_the_secret(self) -> None:
        [issued] = keys().given().when(ISSUE_OPS).then(OPS_ISSUED)

        assert SECRET not in issued.model_dump_json()
        assert SECRET not in repr(ISSUE_OPS)

    def test_issue_a_member_key(self) -> None:
        command = IssueApiKey(key_id=KEY_ID, role="member", secret=SECRET, member_id="m-1")

        keys().given().when(command).then(
            ApiKeyIssued(
                key_id=KEY_ID,
                role="member",
                member_id="m-1",
                secret_sha256=secret_sha256(SECRET),
            )
        )

    def test_issue_a_partner_key_drops_duplicate_scopes(self) -> None:
        command = IssueApiKey(
            key_id=KEY_ID,
            role="partner",
            secret=SECRET,
            scopes=("events:read", "streams:read", "events:read"),
        )

        keys().given().when(command).then(
            ApiKeyIssued(
                key_id=KEY_ID,
                role="partner",
                scopes=["events:read", "streams:read"],
                secret_sha256=secret_sha256(SECRET),
            )
        )

    @pytest.mark.parametrize(
        ("grant", "field", "message"),
        [
            ({"role": "member"}, "member_id", "needs a member_id"),
            ({"role": "ops", "member_id": "m-1"}, "member_id", "only a member key"),
            ({"role": "ops", "scopes": ("events:read",)}, "scopes", "only a partner key"),
            ({"role": "partner"}, "scopes", "at least one"),
            ({"role": "partner", "scopes": ("everything",)}, "scopes", "unknown scopes"),
        ],
    )
    def test_issue_refuses_a_grant_the_role_cannot_carry(
        self, grant: dict[str, object], field: str, message: str
    ) -> None:
        command = IssueApiKey(key_id=KEY_ID, secret=SECRET, **grant)  # type: ignore[arg-type]

        error = keys().given().when(command).raises(InvalidKeyGrant, match=message)

        assert error.field == field and error.status == 422

    def test_revoke_an_unknown_key_is_not_found(self) -> None:
        error = keys().given().when(RevokeApiKey(KEY_ID)).raises(KeyNotFound)

        assert error.status == 404 and error.field == "key_id"

    def test_state_is_no_key(self) -> None:
        assert api_key_decider.fold([]) == NoKey()


class TestIssuedKey:
    def test_revoke_records_the_revocation(self) -> None:
        keys().given(OPS_ISSUED).when(RevokeApiKey(KEY_ID)).then(REVOKED)

    def test_issue_again_with_the_same_secret_and_grant_changes_nothing(self) -> None:
        keys().given(OPS_ISSUED).when(ISSUE_OPS).then()

    def test_issue_again_with_another_secret_is_refused(self) -> None:
        other = IssueApiKey(key_id=KEY_ID, role="ops", secret="another")

        error = keys().given(OPS_ISSUED).when(other).raises(KeyIdTaken)

        assert error.status == 409

    def test_issue_again_with_another_role_is_refused(self) -> None:
        admin = IssueApiKey(key_id=KEY_ID, role="admin", secret=SECRET)

        keys().given(OPS_ISSUED).when(admin).raises(KeyIdTaken)

    def test_state_is_the_issued_key(self) -> None:
        assert api_key_decider.fold([OPS_ISSUED]) == IssuedKey(
            KEY_ID, "ops", None, (), secret_sha256(SECRET)
        )


class TestRevokedKey:
    def test_revoke_again_changes_nothing(self) -> None:
        keys().given(OPS_ISSUED, REVOKED).when(RevokeApiKey(KEY_ID)).then()

    def test_issue_again_with_the_same_secret_changes_nothing(self) -> None:
        keys().given(OPS_ISSUED, REVOKED).when(ISSUE_OPS).then()

    def test_issue_again_with_another_secret_is_refused(self) -> None:
        other = IssueApiKey(key_id=KEY_ID, role="ops", secret="another")

        keys().given(OPS_ISSUED, REVOKED).when(other).raises(KeyIdTaken)

    def test_state_is_revoked_and_stays_so(self) -> None:
        state = api_key_decider.fold([OPS_ISSUED, REVOKED, REVOKED])

        assert isinstance(state, RevokedKey) and state.key.key_id == KEY_ID


MARCH_2 = date(2026, 3, 2)


class TestSystemDate:
    def test_set_a_date_on_a_simulated_clock(self) -> None:
        clock().given().when(SetSimulatedDate(MARCH_2, clock_is_simulated=True)).then(
            SimulatedDateSet(today=MARCH_2)
        )

    def test_set_a_date_on_the_system_clock_is_refused(self) -> None:
        on_the_system_clock = SetSimulatedDate(MARCH_2, clock_is_simulated=False)

        error = clock().given().when(on_the_system_clock).raises(ClockNotSimulated)

        assert error.status == 409 and error.code == "clock-not-simulated"

    def test_state_is_the_system_date(self) -> None:
        assert clock_decider.fold([]) == SystemDate()


class TestSimulatedDate:
    def test_set_a_later_date(self) -> None:
        later = date(2026, 3, 10)

        clock().given(SimulatedDateSet(today=MARCH_2)).when(
            SetSimulatedDate(later, clock_is_simulated=True)
        ).then(SimulatedDateSet(today=later))

    def test_set_an_earlier_date_goes_back_in_time(self) -> None:
        earlier = date(2026, 2, 27)

        clock().given(SimulatedDateSet(today=MARCH_2)).when(
            SetSimulatedDate(earlier, clock_is_simulated=True)
        ).then(SimulatedDateSet(today=earlier))

    def test_set_the_same_date_changes_nothing(self) -> None:
        clock().given(SimulatedDateSet(today=MARCH_2)).when(
            SetSimulatedDate(MARCH_2, clock_is_simulated=True)
        ).then()

    def test_set_on_a_clock_no_longer_simulated_is_refused(self) -> None:
        clock().given(SimulatedDateSet(today=MARCH_2)).when(
            SetSimulatedDate(date(2026, 3, 3), clock_is_simulated=False)
        ).raises(ClockNotSimulated)

    def test_state_is_the_latest_date(self) -> None:
        history = [SimulatedDateSet(today=MARCH_2), SimulatedDateSet(today=date(2026, 2, 27))]

        assert clock_decider.fold(history) == SimulatedDate(date(2026, 2, 27))


def test_the_domain_imports_no_store_no_http() -> None:
    """Pure: the published language, the decider machinery and the standard library only."""
    tree = ast.parse(Path(platform_domain.__file__).read_text())
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    allowed = ("shared.events", "shared.decider")
    impure = {
        name
        for name in imported
        if not name.startswith(allowed) and name.split(".")[0] not in sys.stdlib_module_names
    }
    assert impure == set()
