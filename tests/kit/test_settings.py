from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from shared.settings import Settings, SettingsError

STRONG_KEY = "x" * 40


def test_defaults_in_development_generate_an_admin_key() -> None:
    settings = Settings.from_env({})
    assert settings.data_dir == Path("data")
    assert settings.event_store == str(Path("data") / "events.sqlite")
    assert settings.admin_key_generated and len(settings.admin_key) >= 32
    assert (settings.clock, settings.env, settings.working_days) == (
        "system",
        "development",
        "mon-sat",
    )
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_generated_keys_differ_between_starts() -> None:
    assert Settings.from_env({}).admin_key != Settings.from_env({}).admin_key


def test_values_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "COOP_DATA_DIR": "/srv/coop",
            "COOP_ADMIN_KEY": STRONG_KEY,
            "COOP_CLOCK": "simulated",
            "COOP_ENV": "production",
            "COOP_HOST": "0.0.0.0",
            "COOP_PORT": "9000",
            "COOP_WORKING_DAYS": "mon-fri",
            "COOP_SECRET": STRONG_KEY[::-1],
        }
    )
    assert settings.server_secret() == STRONG_KEY[::-1].encode()
    assert settings.event_store == "/srv/coop/events.sqlite"
    assert not settings.admin_key_generated and settings.admin_key == STRONG_KEY
    assert (settings.clock, settings.env, settings.port, settings.working_days) == (
        "simulated",
        "production",
        9000,
        "mon-fri",
    )


@pytest.mark.parametrize(
    "location",
    [
        "/var/lib/coop/events.sqlite",
        ":memory:",
        "kurrentdb://localhost:2113?tls=false",
        "kurrentdb+discover://cluster.local:2113",
        "esdb://admin:changeit@localhost:2113",
    ],
)
def test_event_store_accepts_paths_and_kurrentdb_uris(location: str) -> None:
    assert Settings.from_env({"COOP_EVENT_STORE": location}).event_store == location


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("COOP_EVENT_STORE", "postgres://localhost/events"),
        ("COOP_CLOCK", "frozen"),
        ("COOP_ENV", "staging"),
        ("COOP_PORT", "eighty"),
        ("COOP_PORT", "70000"),
        ("COOP_PORT", "²"),
        ("COOP_WORKING_DAYS", "sun-sat"),
    ],
)
def test_invalid_values_name_their_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({variable: value})
    assert raised.value.variable == variable
    assert variable in str(raised.value)


@pytest.mark.parametrize("key", [None, "short-but-not-a-placeholder", "changeme", "CHANGEME"])
def test_production_refuses_missing_short_or_placeholder_admin_keys(key: str | None) -> None:
    env = {"COOP_ENV": "production", "COOP_SECRET": STRONG_KEY} | (
        {} if key is None else {"COOP_ADMIN_KEY": key}
    )
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    assert raised.value.variable == "COOP_ADMIN_KEY"


def test_a_placeholder_is_refused_as_such() -> None:
    with pytest.raises(SettingsError, match="placeholder"):
        Settings.from_env({"COOP_ENV": "production", "COOP_ADMIN_KEY": "changeme"})


def test_development_accepts_any_given_admin_key() -> None:
    settings = Settings.from_env({"COOP_ADMIN_KEY": "dev"})
    assert settings.admin_key == "dev" and not settings.admin_key_generated


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(FrozenInstanceError):
        settings.port = 1  # type: ignore[misc]


def test_production_refuses_a_missing_or_short_secret() -> None:
    base = {"COOP_ENV": "production", "COOP_ADMIN_KEY": STRONG_KEY}
    for env in (base, base | {"COOP_SECRET": "short"}):
        with pytest.raises(SettingsError, match="COOP_SECRET"):
            Settings.from_env(env)


def test_the_development_secret_is_kept_in_the_data_directory(tmp_path: Path) -> None:
    first = Settings.from_env({"COOP_DATA_DIR": str(tmp_path)}).server_secret()
    again = Settings.from_env({"COOP_DATA_DIR": str(tmp_path)}).server_secret()
    assert first == again and len(first) == 64
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
