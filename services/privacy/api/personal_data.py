"""Access and portability (`/v1/members/{id}/personal-data`): everything the system holds
about a member, from the log, opened, by service and stream category, a page at a time."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.privacy import access, keys, schemas
from services.privacy.api.common import Runtime, behind, visible_member
from services.privacy.domain.erasure import member_subject
from shared.http.auth import PrincipalDep
from shared.http.inputs import PathId, WholeNumber
from shared.http.paging import format_cursor, parse_cursor

personal_data = APIRouter(prefix="/v1/members", tags=["personal-data"])
# A page of events read back from the log: a member with years of history pages through.
MAX_PAGE = 500
Limit = Annotated[WholeNumber, Query(ge=1, le=MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=18, description="`next_cursor` of a page")]
# An export must hold everything written before it was asked for: wait this long at most.
EXPORT_CATCH_UP_TIMEOUT = 5.0


@personal_data.get("/{member_id}/personal-data", response_model=schemas.PersonalDataOut)
def member_personal_data(
    member_id: PathId, principal: PrincipalDep, runtime: Runtime, limit: Limit = 200,
    cursor: Cursor = None,
) -> dict[str, Any]:  # fmt: skip
    """Every event of the log that names the member (its `member_id`, or a value sealed for
    `member/<id>`), its personal values opened (or "[erased]" after an erasure), with its
    stream, type, position and dates, grouped by service then stream category; paged."""
    visible_member(runtime, principal, member_id)
    after = parse_cursor(cursor)
    head = runtime.handlers.store.head()
    if not runtime.index.wait_for(head, timeout=EXPORT_CATCH_UP_TIMEOUT):
        raise behind("the personal data index")
    with runtime.index.read() as conn:
        found, last = access.mentions(conn, member_id, after, limit)
        total = access.mention_count(conn, member_id)
    services: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for envelope in access.read_back(runtime.handlers.store, found):
        category = envelope.stream.partition("-")[0]
        by_category = services.setdefault(access.service_of(envelope.event), {})
        by_category.setdefault(category, []).append(access.exported(envelope))
    subject = member_subject(member_id)
    return {
        "member_id": member_id,
        "subjects": [subject],
        "erased": keys.is_erased(subject),
        "total_events": total,
        "as_of_position": head,
        "services": services,
        "next_cursor": None if last is None else format_cursor(last),
    }
