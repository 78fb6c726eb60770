"""Bank statements read from the bank's own files: CODA (Febelfin v2) and camt.053 (ISO 20022).

Pure parsing, no store and no clock: `parse_statements(body, media_type)` answers every
statement of the file or raises `StatementFormatError` naming the line (CODA) or the element
path (XML). Every statement returned reconciles: opening + Σ movements == closing.
"""

from __future__ import annotations

from services.billing.statements.camt053 import parse_camt053
from services.billing.statements.coda import parse_coda
from services.billing.statements.model import (
    MAX_BODY_BYTES,
    MAX_MOVEMENTS,
    BankMovement,
    BankStatement,
    StatementFormatError,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_MOVEMENTS",
    "BankMovement",
    "BankStatement",
    "StatementFormatError",
    "parse_statements",
]

_XML_TYPES = frozenset({"application/xml", "text/xml"})


def parse_statements(body: bytes, media_type: str) -> tuple[BankStatement, ...]:
    """'application/xml' or 'text/xml' → camt.053; any other 'text/…' → CODA.

    Parameters of the media type ("; charset=…") are ignored: each format says its own
    encoding. Raises `StatementFormatError` for a body over `MAX_BODY_BYTES`, another media
    type, or a file that breaks its format; a file without any statement is refused too.
    """
    if len(body) > MAX_BODY_BYTES:
        raise StatementFormatError("body", f"a statement file is at most {MAX_BODY_BYTES} bytes")
    kind = media_type.split(";", 1)[0].strip().lower()
    if kind in _XML_TYPES:
        return parse_camt053(body)
    if kind.startswith("text/"):
        return parse_coda(body)
    raise StatementFormatError(
        "Content-Type",
        f"{kind[:60]!r} is neither text/plain (CODA) nor application/xml (camt.053)",
    )
