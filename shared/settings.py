"""Settings from environment variables, checked once at start-up.

Outside development the admin key must be a real secret: a missing, short or placeholder key
is refused rather than silently accepted.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar, cast

from shared.eventstore.factory import KURRENTDB_SCHEMES

Environment = Literal["development", "production"]
ClockMode = Literal["system", "simulated"]
WorkingDays = Literal["mon-sat", "mon-fri"]
BackgroundMode = Literal["process", "inline"]
T = TypeVar("T", bound=str)

ENVIRONMENTS: tuple[Environment, ...] = ("development", "production")
CLOCK_MODES: tuple[ClockMode, ...] = ("system", "simulated")
WORKING_DAYS: tuple[WorkingDays, ...] = ("mon-sat", "mon-fri")
BACKGROUND_MODES: tuple[BackgroundMode, ...] = ("process", "inline")
MIN_ADMIN_KEY_LENGTH = 32
# 1 MiB: a prestation with 366 days and 100 expense lines is under 40 KiB; bank statement files
# are the largest bodies, and an operator raises this when theirs are larger.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# How much lower than the requests the background child runs (nice(2) increment, 0 to 19).
DEFAULT_BACKGROUND_NICE = 10
PLACEHOLDER_KEYS = frozenset(
    {"changeme", "change-me", "change_me", "secret", "password", "admin", "default", "test"}
)


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot run with."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    event_store: str
    admin_key: str
    admin_key_generated: bool = False
    clock: ClockMode = "system"
    env: Environment = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    working_days: WorkingDays = "mon-sat"
    secret: str | None = None  # COOP_SECRET; see `server_secret`
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Where a served app runs its projections and reactions (`shared.background`): a child
    # process of its own (the default of `python -m services.embedded`), or its own threads.
    background: BackgroundMode = "process"
    # COOP_BACKGROUND_NICE: the child's niceness above the HTTP process's (see
    # `shared.background.lower_priority`).
    background_nice: int = DEFAULT_BACKGROUND_NICE
    # COOP_PEPPOL_RULES: the official Peppol rule files (laid out as `../shared/peppol`);
    # billing validates every UBL it publishes against them, and publishes none without them.
    peppol_rules: Path | None = None
    # COOP_KEYSTORE: the people's keys (`shared.personal`), one file for every process of the
    # system whatever the event store; losing it loses the personal data it protects.
    keystore: Path | None = None

    @property
    def keystore_path(self) -> Path:
        return self.keystore or self.data_dir / "keys.sqlite3"

    @property
    def is_development(self) -> bool:
        return self.env == "development"

    def server_secret(self) -> bytes:
        """What derived values (clients' acceptance tokens) are derived with: COOP_SECRET, or in
        development a random secret kept in the data directory, so that it survives restarts
        and every process sharing that directory agrees on it."""
        if self.secret is not None:
            return self.secret.encode()
        return _secret_file(self.data_dir / "secret.key")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        environment = _choice(env, "COOP_ENV", ENVIRONMENTS, "development")
        data_dir = Path(get("COOP_DATA_DIR") or "./data")
        event_store = get("COOP_EVENT_STORE") or str(data_dir / "events.sqlite")
        if "://" in event_store and not event_store.startswith(KURRENTDB_SCHEMES):
            raise SettingsError(
                "COOP_EVENT_STORE",
                f"expected a SQLite path or one of {', '.join(KURRENTDB_SCHEMES)}",
            )
        admin_key = get("COOP_ADMIN_KEY")
        generated = admin_key is None and environment == "development"
        if admin_key is None and generated:
            admin_key = secrets.token_urlsafe(32)
        return cls(
            data_dir=data_dir,
            event_store=event_store,
            admin_key=_checked_admin_key(admin_key, environment),
            admin_key_generated=generated,
            clock=_choice(env, "COOP_CLOCK", CLOCK_MODES, "system"),
            env=environment,
            host=get("COOP_HOST") or "127.0.0.1",
            port=_whole(get("COOP_PORT"), "COOP_PORT", 8000, 1, 65535),
            working_days=_choice(env, "COOP_WORKING_DAYS", WORKING_DAYS, "mon-sat"),
            secret=_checked_secret(get("COOP_SECRET"), environment),
            max_body_bytes=_whole(
                get("COOP_MAX_BODY_BYTES"), "COOP_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1, 2**40
            ),
            background=_choice(env, "COOP_BACKGROUND", BACKGROUND_MODES, "process"),
            background_nice=_whole(
                get("COOP_BACKGROUND_NICE"), "COOP_BACKGROUND_NICE", DEFAULT_BACKGROUND_NICE, 0, 19
            ),
            peppol_rules=_optional_path(get("COOP_PEPPOL_RULES")),
            keystore=_optional_path(get("COOP_KEYSTORE")),
        )


def _choice(env: Mapping[str, str], name: str, allowed: tuple[T, ...], default: T) -> T:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise SettingsError(name, f"{value!r} is not one of {', '.join(allowed)}")
    return cast(T, value)


def _optional_path(raw: str | None) -> Path | None:
    return None if raw is None else Path(raw)


def _whole(raw: str | None, variable: str, default: int, low: int, high: int) -> int:
    """A whole number in [low, high]: ASCII digits only (str.isdigit accepts "²")."""
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18 and low <= int(raw) <= high):
        raise SettingsError(variable, f"{raw[:40]!r} is not a whole number from {low} to {high}")
    return int(raw)


def _checked_admin_key(key: str | None, environment: Environment) -> str:
    if key is None:
        raise SettingsError("COOP_ADMIN_KEY", f"is required when COOP_ENV={environment}")
    if environment == "development":
        return key
    if key.lower() in PLACEHOLDER_KEYS:
        raise SettingsError("COOP_ADMIN_KEY", "is a well-known placeholder; set a real secret")
    if len(key) < MIN_ADMIN_KEY_LENGTH:
        raise SettingsError(
            "COOP_ADMIN_KEY", f"must be at least {MIN_ADMIN_KEY_LENGTH} characters long"
        )
    return key


def _checked_secret(secret: str | None, environment: Environment) -> str | None:
    if environment == "development":
        return secret
    if secret is None or len(secret) < MIN_ADMIN_KEY_LENGTH:
        raise SettingsError(
            "COOP_SECRET",
            f"must be set, at least {MIN_ADMIN_KEY_LENGTH} characters, outside development",
        )
    return secret


@functools.cache
def _secret_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("xb") as file:  # exclusive: a racing process keeps its own
                file.write(secrets.token_hex(32).encode())
            path.chmod(0o600)
        except FileExistsError:
            pass
        return path.read_bytes()
