"""Finding, compiling and sharing the validator: missing rules, the environment, threads."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from services.billing.peppol import (
    PeppolRulesMissing,
    PeppolValidator,
    render_ubl,
    validator_from_env,
)
from services.billing.peppol.validation import RULES_ENV
from tests.billing.peppol import documents as docs


def test_a_missing_rules_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(PeppolRulesMissing, match=r"directory not found: .*nowhere"):
        PeppolValidator.from_directory(missing)


def _linked_rules(rules_dir: Path, target: Path, leave_out: str) -> Path:
    """A rules folder of symbolic links to the real files, one of them left out."""
    for source in rules_dir.rglob("*"):
        relative = source.relative_to(rules_dir)
        if source.is_file() and str(relative) != leave_out:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).symlink_to(source)
    return target


@pytest.mark.parametrize(
    "leave_out",
    ["peppol/PEPPOL-EN16931-UBL.xslt", "ubl-2.1/xsd/maindoc/UBL-CreditNote-2.1.xsd"],
)
def test_a_missing_rule_file_is_named(rules_dir: Path, tmp_path: Path, leave_out: str) -> None:
    rules = _linked_rules(rules_dir, tmp_path, leave_out)
    with pytest.raises(PeppolRulesMissing) as raised:
        PeppolValidator.from_directory(rules)
    assert str(tmp_path / leave_out) in str(raised.value)


def test_without_the_variable_there_is_no_validator() -> None:
    assert validator_from_env({}) is None
    assert validator_from_env({RULES_ENV: "  "}) is None


def test_the_variable_gives_one_validator_per_path(rules_dir: Path) -> None:
    first = validator_from_env({RULES_ENV: str(rules_dir)})
    again = validator_from_env({RULES_ENV: str(rules_dir / "." / "")})
    assert first is not None
    assert again is first
    assert first.validate(render_ubl(docs.invoice(docs.belgian_business()))).ok


def test_the_variable_pointing_nowhere_says_where(tmp_path: Path) -> None:
    with pytest.raises(PeppolRulesMissing, match=re.escape(str(tmp_path / "absent"))):
        validator_from_env({RULES_ENV: str(tmp_path / "absent")})


def test_threads_share_one_validator_and_get_the_same_answers(
    validator: PeppolValidator,
) -> None:
    good = render_ubl(docs.invoice(docs.belgian_business()), docs.small_pdf())
    bad = render_ubl(docs.invoice(docs.belgian_business("0403170702")))
    serial = [validator.validate(xml) for xml in (good, bad)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(validator.validate, [good, bad] * 16))
    elapsed = time.perf_counter() - started
    assert results == serial * 16
    # 32 documents at about 20 ms each, one at a time behind the lock; generous for slow CI.
    assert elapsed < 30
