"""The HTTP bench's readers (`make bench-http`, `make profile-http`): wrk's output, readiness
bodies, py-spy's raw stacks and strace's lines. No server, no wrk: text in, figures out."""

from __future__ import annotations

import pytest

from bench import profiles, servers, wrk

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:41235/v1/prestations
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    69.12ms   20.01ms 301.70ms   80.12%
    Req/Sec    58.10     12.90    90.00     71.00%
  Latency Distribution
     50%   65.91ms
     75%   75.02ms
     90%   90.33ms
     99%  137.44ms
  1161 requests in 10.04s, 2.51MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    115.63
Transfer/sec:    255.90KB
"""
RESULT_LINE = (
    "BENCH_RESULT requests=1161 duration_us=10040000 p50_us=65910 p99_us=137440 max_us=301700"
    " non2xx=5 connect=0 read=1 write=0 timeout=2 status=3 statuses=201:1156,409:2,422:3\n"
)


def test_the_scripts_line_is_read_first_and_counts_every_non_2xx() -> None:
    result = wrk.parse(WRK_OUTPUT + RESULT_LINE)

    assert result.requests == 1161
    assert result.seconds == pytest.approx(10.04)
    assert result.rate == pytest.approx(115.637, rel=1e-3)
    assert (result.p50_ms, result.p99_ms, result.max_ms) == (65.91, 137.44, 301.7)
    assert result.non_2xx == 5  # 409s count too, not only wrk's statuses above 399
    assert result.socket_errors == 3
    assert result.statuses == {201: 1156, 409: 2, 422: 3}
    assert result.ok == 1156


def test_without_the_scripts_line_wrks_own_summary_is_read() -> None:
    result = wrk.parse(WRK_OUTPUT)

    assert (result.requests, result.seconds, result.non_2xx) == (1161, 10.04, 3)
    assert (result.p50_ms, result.p99_ms) == (65.91, 137.44)


def test_latency_units_and_missing_parts() -> None:
    text = WRK_OUTPUT.replace("65.91ms", "812.00us").replace("137.44ms", "1.50s")
    result = wrk.parse_summary(text.replace("  Non-2xx or 3xx responses: 3\n", ""))
    assert (result.p50_ms, result.p99_ms, result.non_2xx) == (0.812, 1500.0, 0)

    with pytest.raises(wrk.WrkError):
        wrk.parse_summary("wrk: unable to connect\n")


def test_readiness_is_read_tolerantly() -> None:
    today = {
        "status": "ready",
        "checks": [
            {"name": "store", "head": 9, "caught_up": True},
            {"name": "contracts_views", "position": 7, "head": 9, "caught_up": False},
            {"name": "contracts-dimona-submit", "position": 8, "head": 9, "caught_up": True},
        ],
    }
    tomorrow = {"checks": {"contracts_views": {"lag_events": 0, "position": 9, "head": 9}}}

    found = servers.consumers(today)
    assert [(c.name, c.behind, c.exact) for c in found] == [
        ("contracts_views", 2, False),
        ("contracts-dimona-submit", 1, False),
    ]
    assert [(c.name, c.behind, c.exact) for c in servers.consumers(tomorrow)] == [
        ("contracts_views", 0, True)
    ]
    assert servers.consumers({"status": "ready"}) == []


def test_a_check_claiming_caught_up_below_the_head_counts_only_once_still() -> None:
    views = servers.Consumer("views", 0, False, True)
    reaction = servers.Consumer("reaction", 3, False, True)
    lagging = servers.Consumer("views", 3, False, False)
    exact = servers.Consumer("views", 3, True, True)

    assert servers.reached([views], still_for=0.0, settle=1.0) == ()
    assert servers.reached([views, reaction], still_for=0.5, settle=1.0) is None
    assert servers.reached([views, reaction], still_for=1.0, settle=1.0) == ("reaction",)
    assert servers.reached([lagging], still_for=9.0, settle=1.0) is None
    assert servers.reached([exact], still_for=9.0, settle=1.0) is None
    assert servers.reached([], still_for=9.0, settle=1.0) is None


PYSPY_RAW = """\
thread (101): AnyIO worker thread;Thread._bootstrap (threading.py:1002);WorkerThread.run (anyio/_backends/_asyncio.py:1124);encode_prestation (services/contracts/api.py:273);SQLiteEventStore._commit (shared/eventstore/sqlite.py:271) 6
thread (101): AnyIO worker thread;Thread._bootstrap (threading.py:1002);WorkerThread.run (anyio/_backends/_asyncio.py:1124);encode_prestation (services/contracts/api.py:270);SQLiteEventStore.append_many (shared/eventstore/sqlite.py:221);Condition.wait (threading.py:327) 4
thread (102): AnyIO worker thread;Thread._bootstrap (threading.py:1002);WorkerThread.run (anyio/_backends/_asyncio.py:1113);Queue.get (queue.py:171);Condition.wait (threading.py:327) 50
thread (7): reaction-contracts-dimona-submit;Thread.run (threading.py:982);ReactionRunner._run (shared/eventstore/reactions.py:69) 3
thread (1): MainThread;BaseEventLoop.run_forever (asyncio/base_events.py:607);EpollSelector.select (selectors.py:468) 20
not a stack line
"""  # noqa: E501


def test_pyspy_stacks_are_grouped_by_thread_and_waits_are_filtered() -> None:
    stacks = profiles.parse_pyspy_raw(PYSPY_RAW)
    assert len(stacks) == 5
    assert stacks[0].thread == profiles.REQUEST_THREADS
    assert stacks[0].frames[-1] == "shared/eventstore/sqlite.py:SQLiteEventStore._commit"

    found = profiles.profile(stacks)
    assert (found.busy, found.idle) == (9, 74)
    assert found.threads == {profiles.REQUEST_THREADS: 6, "reaction-contracts-dimona-submit": 3}
    assert found.own.most_common(1) == [("shared/eventstore/sqlite.py:SQLiteEventStore._commit", 6)]
    assert found.cumulative["services/contracts/api.py:encode_prestation"] == 6
    # a request thread waiting for the group commit is counted; an idle pool thread is not
    assert found.waits == {"shared/eventstore/sqlite.py:SQLiteEventStore.append_many": 4}

    top = profiles.top_table(found, rate=100, encodings=10)
    assert top[0][:5] == ("shared/eventstore/sqlite.py:SQLiteEventStore._commit", "66.7",
                          "6.00", "66.7", "6.00")  # fmt: skip


STRACE = """\
4242 1796161412.474751 fdatasync(12</tmp/d/data/events.sqlite-wal>) = 0
4243 1796161412.475000 fdatasync(14</tmp/d/data/contracts/reactions.sqlite-journal> <unfinished ...>
4242 1796161412.475100 fsync(9</tmp/d/data/contracts>) = 0
4243 1796161412.476000 <... fdatasync resumed>) = 0
4243 1796161412.477000 +++ exited with 0 +++
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
100.00    0.001089         363         3           fdatasync
"""


def test_strace_lines_count_each_call_once_with_its_file() -> None:
    flushes = profiles.parse_strace(STRACE)

    assert [(f.call, profiles.file_kind(f.path)) for f in flushes] == [
        ("fdatasync", "events.sqlite (WAL)"),
        ("fdatasync", "reactions.sqlite (rollback journal)"),
        ("fsync", "contracts/ (directory)"),
    ]
    assert flushes[0].at == pytest.approx(1796161412.474751)
    assert profiles.strace_summary(STRACE)[0].startswith("% time")
    assert profiles.strace_summary("no summary") == []
