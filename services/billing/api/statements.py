"""Bank statements (`/v1/bank-statements`): the bank's own file as the body, staff only.

The body is read raw (CODA is fixed-width text, camt.053 is XML): no JSON, no form. Parsing and
the import run off the event loop (`blocking`), so a large file does not hold it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from services.billing import schemas
from services.billing.api.common import Runtime
from services.billing.statement_import import ImportedStatement, MalformedStatement
from services.billing.statements import StatementFormatError, parse_statements
from shared.events.base import Context
from shared.http.auth import StaffDep
from shared.http.service import ContextDep, blocking

statements = APIRouter(prefix="/v1/bank-statements", tags=["bank statements"])

_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {"schema": {"type": "string"}, "example": "0000002032672505 …"},
            "application/xml": {"schema": {"type": "string"}},
        },
        "description": "A CODA file (Febelfin v2) or a camt.053 file (.001.02, .04, .08)",
    }
}


def statement_body(imported: ImportedStatement) -> dict[str, Any]:
    recorded = imported.recorded
    body = recorded.model_dump(exclude={"imported_on"})
    body["movements"] = [movement.model_dump() for movement in recorded.movements]
    return body


@statements.post(
    "",
    status_code=201,
    response_model=schemas.StatementOut | schemas.StatementsOut,
    openapi_extra=_BODY,
    responses={200: {"description": "Imported before: nothing recorded again"}},
)
async def import_bank_statement(
    request: Request, staff: StaffDep, runtime: Runtime, context: ContextDep, response: Response
) -> dict[str, Any]:
    """201 when this import recorded a statement, 200 when every statement of the file was
    imported before (same `statement_id`, nothing recorded); 422 naming the line or element."""
    body = await request.body()
    media_type = request.headers.get("content-type", "")
    imported = await blocking(_import, runtime, body, media_type, context)
    if not any(statement.new for statement in imported):
        response.status_code = 200
    if len(imported) == 1:
        return statement_body(imported[0])
    return {"statements": [statement_body(statement) for statement in imported]}


def _import(
    runtime: Runtime, body: bytes, media_type: str, context: Context
) -> list[ImportedStatement]:
    try:
        parsed = parse_statements(body, media_type)
    except StatementFormatError as error:
        raise MalformedStatement.of(error) from error
    return runtime.handlers.import_statements(parsed, context)
