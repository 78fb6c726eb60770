"""`python -m shared.ops …` (make ops ARGS=…): the operations tool, on a stopped or running
system. It opens the store the settings name (COOP_EVENT_STORE, COOP_DATA_DIR, or --store
and --data-dir), reads what it needs and writes only where a command says so."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import time
from contextlib import AbstractContextManager, suppress
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from shared.eventstore.factory import open_store
from shared.eventstore.port import START, EventFilter, EventStore
from shared.eventstore.projections import Projection, ProjectionRunner
from shared.ops import backup, chain, history, replay
from shared.ops.meter import Meter
from shared.ops.meter import progress_bar as meter_bar
from shared.personal import install_vault
from shared.personal.backup import BadBackup, export_keys, import_keys
from shared.settings import Settings

app = typer.Typer(
    help="Operations: verify, export, import, export-keys, import-keys, replay, explain, as-of."
)
console = Console(stderr=True)
out = Console()

StoreOption = Annotated[str | None, typer.Option(help="Event store location (else settings)")]
DataDirOption = Annotated[Path | None, typer.Option(help="Data directory (else settings)")]


def progress_bar(label: str, total: int | None) -> AbstractContextManager[Meter]:
    return meter_bar(label, total, console)


def _settings(data_dir: Path | None) -> Settings:
    settings = Settings.from_env()
    if data_dir is None:
        return settings
    return Settings.from_env({"COOP_DATA_DIR": str(data_dir), "COOP_ADMIN_KEY": settings.admin_key,
                              "COOP_EVENT_STORE": str(data_dir / "events.sqlite")})  # fmt: skip


def _store(store: str | None, data_dir: Path | None) -> EventStore:
    settings = _settings(data_dir)
    install_vault(settings.keystore_path)
    return open_store(store or settings.event_store)


def _total(store: EventStore) -> int | None:
    """SQLite positions count events; KurrentDB's do not."""
    return store.head() if type(store).__name__ == "SQLiteEventStore" else None


def _ledger(data_dir: Path | None) -> Path:
    return Path(_settings(data_dir).data_dir) / "ops" / "chain.sqlite"


@app.command()
def verify(
    store: StoreOption = None, data_dir: DataDirOption = None,
    ledger: Annotated[bool, typer.Option(help="Compare with the sealer's ledger")] = True,
) -> None:  # fmt: skip
    """Recompute the hash chain; name the first position that no longer matches."""
    events = _store(store, data_dir)
    path = _ledger(data_dir)
    kept = chain.Ledger(path) if ledger and path.exists() else None
    with progress_bar("verify", _total(events)) as advance:
        verdict = chain.verify(events, kept, advance)
    out.print_json(json.dumps(asdict(verdict)))
    if not verdict.ok:
        raise typer.Exit(1)


@app.command()
def seal(
    store: StoreOption = None, data_dir: DataDirOption = None,
    every: Annotated[int, typer.Option(min=1)] = 1000,
) -> None:  # fmt: skip
    """Extend the ledger to the head now, sealing every N events (the sealer does it too)."""
    events = _store(store, data_dir)
    ledger = chain.Ledger(_ledger(data_dir))
    added = chain.extend(events, ledger, every)
    out.print_json(json.dumps({"links_added": added, "latest_seal": chain.latest_seal(events)}))


@app.command("latest-seal")
def latest_seal(store: StoreOption = None, data_dir: DataDirOption = None) -> None:
    """The latest seal, to keep somewhere else."""
    out.print_json(json.dumps(chain.latest_seal(_store(store, data_dir))))


@app.command()
def export(
    output: Annotated[Path, typer.Argument(help="JSON lines file ('-': standard output)")],
    store: StoreOption = None, data_dir: DataDirOption = None,
    stream: Annotated[str | None, typer.Option()] = None,
    category: Annotated[list[str] | None, typer.Option()] = None,
    after: Annotated[int, typer.Option(min=0)] = START,
    until: Annotated[int | None, typer.Option(min=0)] = None,
    since: Annotated[datetime | None, typer.Option(help="Recorded at or after")] = None,
    before: Annotated[datetime | None, typer.Option(help="Recorded before")] = None,
) -> None:  # fmt: skip
    """A stream, categories, or everything between positions or dates, as JSON lines."""
    events = _store(store, data_dir)
    selection = backup.Selection(stream, EventFilter(categories=tuple(category or ())), after,
                                 until, _aware(since), _aware(before))  # fmt: skip
    target = sys.stdout if str(output) == "-" else output.open("w", encoding="utf-8")
    try:
        with progress_bar("export", _total(events)) as advance:
            count = backup.export(events, target, selection, advance)
    finally:
        if target is not sys.stdout:
            target.close()
    console.print(f"exported {count} events")


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(help="A file written by export")],
    store: StoreOption = None, data_dir: DataDirOption = None,
) -> None:  # fmt: skip
    """Restore an export into an empty store: same streams, versions, event ids and order."""
    events = _store(store, data_dir)
    with source.open(encoding="utf-8") as lines, progress_bar("import", None) as advance:
        count = backup.restore(events, lines, advance)
    console.print(f"imported {count} events")


PassphraseOption = Annotated[
    str, typer.Option(help="Environment variable holding the passphrase (12+ characters)")
]


@app.command("export-keys")
def export_keys_command(
    output: Annotated[Path, typer.Argument(help="Where the encrypted key backup goes")],
    data_dir: DataDirOption = None, passphrase_env: PassphraseOption = "COOP_KEYS_PASSPHRASE",
) -> None:  # fmt: skip
    """The people's keys, encrypted with a passphrase: keep it with the event-store export."""
    vault = install_vault(_settings(data_dir).keystore_path)
    try:
        output.write_bytes(export_keys(vault.keys, _passphrase(passphrase_env)))
    except BadBackup as refused:
        raise typer.BadParameter(str(refused)) from None
    console.print(f"exported {len(vault.keys.rows())} keys to {output}")


@app.command("import-keys")
def import_keys_command(
    source: Annotated[Path, typer.Argument(help="A file written by export-keys")],
    data_dir: DataDirOption = None, passphrase_env: PassphraseOption = "COOP_KEYS_PASSPHRASE",
) -> None:  # fmt: skip
    """Restore the people's keys beside an imported event store (keys it has are kept)."""
    vault = install_vault(_settings(data_dir).keystore_path)
    try:
        added = import_keys(vault.keys, source.read_bytes(), _passphrase(passphrase_env))
    except BadBackup as refused:
        raise typer.BadParameter(str(refused)) from None
    console.print(f"imported {added} keys")


def _passphrase(variable: str) -> str:
    passphrase = os.environ.get(variable, "")
    if not passphrase:
        raise typer.BadParameter(f"set {variable} to the backup's passphrase")
    return passphrase


def projections(data_dir: Path | None) -> dict[str, tuple[Projection, Path]]:
    """Every projection of the embedded app and its directory (its composition root)."""
    from services import embedded

    services = embedded.build(_settings(data_dir))
    return {c.projection.name: (c.projection, c.directory) for c in services.components
            if isinstance(c, ProjectionRunner)}  # fmt: skip


@app.command("replay")
def replay_command(
    name: Annotated[str, typer.Argument(help="A projection's name, or 'all'")],
    store: StoreOption = None, data_dir: DataDirOption = None,
    diff: Annotated[bool, typer.Option(help="Into scratch, then diff with the live one")] = False,
    scratch: Annotated[Path | None, typer.Option(help="Where the scratch copy goes")] = None,
) -> None:  # fmt: skip
    """Rebuild a projection beside the live one and swap (stopped system), or --diff. Prints
    one JSON object per projection: events, seconds and rates (and the differences)."""
    events = _store(store, data_dir)
    known = projections(data_dir)
    chosen = sorted(known) if name == "all" else [name]
    differences = 0
    for each in chosen:
        if each not in known:
            raise typer.BadParameter(f"no projection {each!r}; known: {sorted(known)}")
        projection, directory = known[each]
        place = scratch or directory.parent / "ops" / f"{each}.scratch.sqlite"
        place.parent.mkdir(parents=True, exist_ok=True)
        if diff:
            differences += _audit(events, projection, directory, place)
        else:
            _rebuild(events, projection, directory)
    if differences:
        raise typer.Exit(1)


def _rate(count: int | None, seconds: float) -> int | None:
    return None if count is None or seconds <= 0 else round(count / seconds)


def _audit(events: EventStore, projection: Projection, directory: Path, place: Path) -> int:
    """The differences found (as a count of tables); the report on standard output."""
    path = replay.live_file(directory, projection)
    if not path.exists():
        console.print(f"{projection.name} has no live read model in {directory}")
        raise typer.Exit(2)
    until = replay.live_position(path)
    counted = _total(events) is not None  # positions count events: a bar with an ETA
    started = time.perf_counter()
    with progress_bar(f"replay --diff {projection.name}", until if counted else None) as meter:

        def told(folded: int, position: int) -> None:
            meter.reach(position) if counted else meter(folded)

        folded, found = replay.audit(events, projection, directory, place, told, until)
    seconds = time.perf_counter() - started
    log_events = until if counted else None
    report = [{"table": d.table, "only_live": d.only_live, "only_replayed": d.only_replayed}
              for d in found]  # fmt: skip
    out.print_json(json.dumps({
        "projection": projection.name, "position": until, "events": folded.events,
        "log_events": log_events, "fold_seconds": round(folded.seconds, 3),
        "diff_seconds": round(seconds - folded.seconds, 3),
        "events_per_second": round(folded.rate),
        "log_events_per_second": _rate(log_events, seconds), "differences": report,
    }, default=str))  # fmt: skip
    return len(found)


def _rebuild(events: EventStore, projection: Projection, directory: Path) -> None:
    from shared.background import background_lock

    try:
        with background_lock(directory.parent, timeout=1.0):
            runner = ProjectionRunner(events, projection, directory)
            runner.start()
            try:
                report = _rebuilt(events, runner)
            finally:
                runner.stop()
    except TimeoutError:
        console.print("the system is running: its background owns the projections; "
                      "stop it, or audit with --diff")  # fmt: skip
        raise typer.Exit(2) from None
    console.print(f"{projection.name} rebuilt and swapped")
    out.print_json(json.dumps(report))


def _rebuilt(events: EventStore, runner: ProjectionRunner) -> dict[str, object]:
    """Runs the rebuild in a thread and shows how far the new generation got (read from its
    own file: the runner's status would count the lag with a read of its own)."""
    target = events.head()
    counted = _total(events) is not None
    fresh = replay.live_file(runner.directory, runner.projection)
    fresh = fresh.with_name(f"{runner.name}.{int(fresh.name.split('.')[1]) + 1}.sqlite")
    outcome: list[bool] = []
    worker = threading.Thread(target=lambda: outcome.append(runner.rebuild(wait=True)))
    started = time.perf_counter()
    with progress_bar(f"replay {runner.name}", target if counted else None) as meter:
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
            if counted and fresh.exists():
                with suppress(sqlite3.Error):
                    meter.reach(replay.live_position(fresh))
        if counted:
            meter.reach(target)
    seconds = time.perf_counter() - started
    if outcome != [True]:
        console.print(f"{runner.name}: the rebuild did not finish")
        raise typer.Exit(1)
    log_events = target if counted else None
    return {"projection": runner.name, "rebuilt": True, "position": target,
            "log_events": log_events, "seconds": round(seconds, 3),
            "log_events_per_second": _rate(log_events, seconds)}  # fmt: skip


@app.command()
def explain(
    stream: Annotated[str | None, typer.Argument(help="A document's stream")] = None,
    store: StoreOption = None, data_dir: DataDirOption = None,
    projection: Annotated[str | None, typer.Option()] = None,
    table: Annotated[str | None, typer.Option()] = None,
    column: Annotated[str | None, typer.Option()] = None,
    value: Annotated[str | None, typer.Option()] = None,
) -> None:  # fmt: skip
    """The events behind a stream, or behind one row (--projection --table --column --value)."""
    events = _store(store, data_dir)
    if stream is not None:
        steps = history.explain_stream(events, stream)
    elif projection and table and column and value is not None:
        chosen, _ = projections(data_dir)[projection]
        steps = history.explain_row(events, chosen, table, column, value)
    else:
        raise typer.BadParameter("give a stream, or --projection, --table, --column and --value")
    out.print_json(json.dumps([asdict(s) for s in steps]))


@app.command("as-of")
def as_of(
    stream: str, store: StoreOption = None, data_dir: DataDirOption = None,
    position: Annotated[int | None, typer.Option(min=0)] = None,
    on: Annotated[datetime | None, typer.Option(help="Business date", formats=["%Y-%m-%d"])] = None,
) -> None:  # fmt: skip
    """A stream's state at a past position or at the end of a business date."""
    events = _store(store, data_dir)
    day: date | None = on.date() if on is not None else None
    found = history.as_of(events, stream, deciders().get(stream.partition("-")[0]),
                          position=position, business_date=day)  # fmt: skip
    out.print_json(json.dumps({"events": found.events, "position": found.position,
                               "state": _plain(found.state)}, default=str))  # fmt: skip


def deciders() -> dict[str, Any]:
    """The deciders of the aggregates, by stream category."""
    from services.billing.domain.invoice.decide import invoice_decider
    from services.billing.domain.payment import payment_decider
    from services.contracts.domain.client import client_decider
    from services.contracts.domain.member import member_decider
    from services.contracts.domain.prestation import prestation_decider

    return {"invoice": invoice_decider, "payment": payment_decider, "client": client_decider,
            "member": member_decider, "prestation": prestation_decider}  # fmt: skip


def _plain(state: object) -> object:
    if hasattr(state, "__dataclass_fields__"):
        return asdict(state)  # type: ignore[call-overload]
    if hasattr(state, "model_dump"):
        return state.model_dump(mode="json")
    return state
