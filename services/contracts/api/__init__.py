"""HTTP for the contracts service: requests become commands and queries, nothing else.

One router per resource; `ROUTERS` is what the composition root mounts.
"""

from __future__ import annotations

from services.contracts.api.clients import clients
from services.contracts.api.common import ContractsRuntime
from services.contracts.api.employment import contracts, declarations
from services.contracts.api.members import members
from services.contracts.api.prestations import prestations
from services.contracts.api.quotes import quotes

ROUTERS = (members, clients, prestations, quotes, contracts, declarations)

__all__ = ["ROUTERS", "ContractsRuntime"]
