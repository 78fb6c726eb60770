"""Personal data: sealed per person in the log and wherever it is kept, opened at the edges.

See `vault` (sealing and opening), `keystore` (the keys), `plans` (which fields) and the
markers in `shared.events.personal`.
"""

from shared.personal.plans import personal_fields
from shared.personal.vault import (
    ERASED,
    Vault,
    current_vault,
    install_vault,
    reveal,
    reveal_text,
)

__all__ = [
    "ERASED",
    "Vault",
    "current_vault",
    "install_vault",
    "personal_fields",
    "reveal",
    "reveal_text",
]
