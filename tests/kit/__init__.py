"""Tests of the service kit. Helpers shared by its modules live here."""

from __future__ import annotations

from pathlib import Path

from shared.settings import Settings

ADMIN_KEY = "kit-tests-admin-key-0123456789abcdefghij"


def kit_settings(data_dir: Path, **env: str) -> Settings:
    """Development settings over a temporary data directory with a known admin key."""
    return Settings.from_env({"COOP_DATA_DIR": str(data_dir), "COOP_ADMIN_KEY": ADMIN_KEY, **env})


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
