"""Names and ids of the contracts context, derived rather than looked up.

A prestation `P` has quote `QP`, contract `CP` and DIMONA declarations `DP-1`, `DP-2`… in order,
so a quote or declaration id leads straight to its stream and a retried command produces the
same ids. What a request creates takes its id from the request's Idempotency-Key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid

from services.contracts.domain import NoPrestation, PrestationNotFound, PrestationState
from shared.events.base import Context, deterministic_id

_PRESTATION_ID = re.compile(r"[0-9a-f]{32}")


def member_stream(member_id: str) -> str:
    return f"member-{member_id}"


def client_stream(client_id: str) -> str:
    return f"client-{client_id}"


def prestation_stream(prestation_id: str) -> str:
    return f"prestation-{prestation_id}"


def quote_id_of(prestation_id: str) -> str:
    return f"Q{prestation_id}"


def contract_id_of(prestation_id: str) -> str:
    return f"C{prestation_id}"


def prestation_id_from(document_id: str, prefix: str) -> str | None:
    """`Q<id>` / `C<id>` / `D<id>-<n>` → `<id>`, or None when it is not one of ours."""
    if not document_id.startswith(prefix):
        return None
    candidate = document_id[len(prefix) :].split("-", 1)[0]
    return candidate if _PRESTATION_ID.fullmatch(candidate) else None


def next_declaration_id(state: PrestationState) -> str:
    if isinstance(state, NoPrestation):
        raise PrestationNotFound("a declaration belongs to an existing prestation")
    prestation = state.prestation
    return f"D{prestation.prestation_id}-{len(prestation.declarations) + 1}"


def creation_id(kind: str, context: Context) -> str:
    """The id of what a request creates: derived from its Idempotency-Key when it has one, so
    that a retry after a crash lands on what the first attempt made; random otherwise."""
    if context.idempotency_key is None:
        return uuid.uuid4().hex
    return deterministic_id(kind, context.idempotency_key).hex


def acceptance_token(secret: bytes, quote_id: str) -> str:
    """The client's token for a quote: derived, never stored, so any answer can show it again
    while the log keeps only its hash."""
    digest = hmac.new(secret, f"acceptance-token:{quote_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()
