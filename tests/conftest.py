"""Every test's log lines are searched for the fixtures' personal data (issue 13): names,
NISS, IBAN and e-mail addresses never reach a log, whatever the traffic. And every fold that a
handler continues from a kept state is checked against a fold from the stream's start, so an
`evolve` that changes its state in place fails the test that uses it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from shared.eventstore.folded import FOLDED
from tests.api.api_client import VALID_IBAN, VALID_NISS, Api
from tests.personal.test_whole_chain import CLIENT, MEMBER

FOLDED.verify = True

_member = Api.member_body()
PERSONAL = {
    VALID_NISS, VALID_IBAN, VALID_IBAN.replace(" ", ""), _member["email"], _member["last_name"],
    MEMBER["niss"], MEMBER["iban"], MEMBER["iban"].replace(" ", ""), MEMBER["email"],
    MEMBER["last_name"], CLIENT["name"], CLIENT["email"],
}  # fmt: skip


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture(autouse=True)
def no_personal_data_in_logs() -> Iterator[None]:
    kept, root = _Kept(), logging.getLogger()
    level = root.level
    root.addHandler(kept)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(kept)
        root.setLevel(level)
    leaked = personal_lines(kept.lines)
    assert not leaked, f"personal data in the logs: {leaked[:3]}"


def personal_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if any(value in line for value in PERSONAL)]
