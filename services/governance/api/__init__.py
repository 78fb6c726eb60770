"""HTTP for the governance service: one router per resource; `ROUTERS` is what app.py mounts."""

from __future__ import annotations

from services.governance.api.assemblies import assemblies
from services.governance.api.board import board
from services.governance.api.common import GovernanceRuntime
from services.governance.api.shares import active, purchases, register, shareholders

ROUTERS = (purchases, shareholders, register, active, assemblies, board)

__all__ = ["ROUTERS", "GovernanceRuntime"]
