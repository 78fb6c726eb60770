"""Members (`/v1/members`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from services.contracts import schemas
from services.contracts.api.common import (
    Cursor,
    Handlers,
    IfMatch,
    Limit,
    MinPosition,
    Runtime,
    check_member,
    etag,
    expected_version,
    listed,
    member_of,
    written,
)
from services.contracts.domain import (
    CorrectMemberDetails,
    Member,
    MemberNotFound,
)
from shared.http.auth import PrincipalDep, StaffDep
from shared.http.inputs import PathId
from shared.http.service import ClockDep, ContextDep

members = APIRouter(prefix="/v1/members", tags=["members"])


@members.post("", status_code=201, response_model=schemas.MemberOut)
def register_member(
    body: schemas.MemberIn, _: StaffDep, handlers: Handlers, context: ContextDep,
    response: Response,
) -> dict[str, Any]:  # fmt: skip
    handled = handlers.register_member(body.model_dump(), context)
    member = member_of(handled)
    response.headers["Location"] = f"{members.prefix}/{member.member_id}"
    return written(response, handled, schemas.member_body(member, handled.version))


@members.get("", response_model=schemas.PageOut[schemas.MemberRow])
def list_members(
    _: StaffDep, runtime: Runtime, limit: Limit = 50, cursor: Cursor = None,
    min_position: MinPosition = None,
) -> dict[str, Any]:  # fmt: skip
    return listed(runtime, "members", {}, cursor, limit, min_position)


@members.get("/{member_id}", response_model=schemas.MemberOut)
def get_member(
    member_id: PathId, principal: PrincipalDep, handlers: Handlers, response: Response
) -> dict[str, Any]:
    check_member(principal, member_id)
    loaded = handlers.member(member_id)
    if not isinstance(loaded.state, Member):
        raise MemberNotFound(f"no member {member_id}")
    etag(response, loaded.version)
    return schemas.member_body(loaded.state, loaded.version)


@members.patch("/{member_id}", response_model=schemas.MemberOut)
def correct_member(
    member_id: PathId, body: schemas.MemberPatch, principal: PrincipalDep, handlers: Handlers,
    clock: ClockDep, context: ContextDep, response: Response, if_match: IfMatch = None,
) -> dict[str, Any]:  # fmt: skip
    check_member(principal, member_id)
    changes = body.model_dump(exclude_unset=True)
    command = CorrectMemberDetails(member_id=member_id, today=clock.today(), **changes)
    handled = handlers.on_member(member_id, command, context, if_match=expected_version(if_match))
    return written(response, handled, schemas.member_body(member_of(handled), handled.version))
