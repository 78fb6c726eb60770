"""The official Peppol rule files, compiled once per test session.

They live outside the repository (third-party data, no open licence): `COOP_PEPPOL_RULES`, or
else `shared/peppol` beside the checkout (`<repo root>/../shared/peppol`), as on a developer
machine and in CI. Without them the tests that need them skip, saying where they looked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from services.billing.peppol import PeppolValidator
from services.billing.peppol.validation import RULES_ENV

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_RULES = REPO_ROOT.parent / "shared" / "peppol"


def rules_directory() -> Path:
    configured = os.environ.get(RULES_ENV, "").strip()
    return Path(configured) if configured else DEFAULT_RULES


@pytest.fixture(scope="session")
def rules_dir() -> Path:
    rules = rules_directory()
    if not (rules / "peppol" / "PEPPOL-EN16931-UBL.xslt").is_file():
        pytest.skip(
            f"Peppol rule files not found at {rules} (set {RULES_ENV}, or put the shared "
            "peppol folder beside the checkout): UBL validation tests skipped"
        )
    return rules


@pytest.fixture(scope="session")
def validator(rules_dir: Path) -> PeppolValidator:
    return PeppolValidator.from_directory(rules_dir)
