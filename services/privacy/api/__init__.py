"""HTTP for the privacy service: one router per resource; `ROUTERS` is what the composition
root mounts."""

from __future__ import annotations

from services.privacy.api.common import PrivacyRuntime
from services.privacy.api.erasures import erasures
from services.privacy.api.personal_data import personal_data

ROUTERS = (erasures, personal_data)

__all__ = ["ROUTERS", "PrivacyRuntime"]
