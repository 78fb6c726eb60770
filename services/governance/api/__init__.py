"""HTTP for the governance service: one router per resource; `ROUTERS` is what app.py mounts."""

from __future__ import annotations

from services.governance.api.common import GovernanceRuntime
from services.governance.api.shares import active, purchases, register, shareholders

ROUTERS = (purchases, shareholders, register, active)

__all__ = ["ROUTERS", "GovernanceRuntime"]
