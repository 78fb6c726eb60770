"""The bench's sealed-log reading (issue 13): both logs hold the same events, the sealed one
really sealed, and each side reads the whole log, a page of each in turn."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import personal_data
from shared.personal import current_vault, install_vault


@pytest.fixture(autouse=True)
def _vault_put_back():
    yield
    install_vault(":memory:")  # the bench installs its own key store: later tests get the default


def test_the_sealed_log_differs_from_the_clear_one_only_in_its_sealed_values(
    tmp_path: Path,
) -> None:
    clear, sealed = personal_data.stores(2_500, tmp_path)
    clear_events, sealed_events = clear.read_all(0, limit=3_000), sealed.read_all(0, limit=3_000)

    assert len(clear_events) == len(sealed_events) == 2_500
    named = [e for e in sealed_events if e.type == "BenchMemberNamed"]
    assert len(named) == 250  # one in ten
    assert all(b"Ana Peeters" not in e.data and b"{pii1:member/" in e.data for e in named)
    assert b"Ana Peeters 0" in current_vault().reveal_json(named[0].data)


def test_each_side_reads_every_event(tmp_path: Path) -> None:
    logs = personal_data.stores(2_500, tmp_path)

    rates = personal_data.interleaved(*logs)

    assert len(rates) == 3 and all(rate > 0 for rate in rates)
