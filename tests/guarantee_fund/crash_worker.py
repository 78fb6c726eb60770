"""`python -m tests.guarantee_fund.crash_worker DATA_DIR YYYY-MM-DD`: one payment run over
the fund in DATA_DIR, for the test that kills it half-way with SIGKILL."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from tests.guarantee_fund.support import running_fund


def main() -> None:
    data_dir, day = Path(sys.argv[1]), date.fromisoformat(sys.argv[2])
    with running_fund(data_dir, day) as fund:
        fund.runs.execute("scheduler")


if __name__ == "__main__":
    main()
