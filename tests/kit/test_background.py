"""The background process's keeper: started again when it exits, stopped on request, and
never two sets of background components over one data directory."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from shared.background import (
    BackgroundProcess,
    background_lock,
    follows,
    serve_background,
    start_side,
)
from shared.settings import DEFAULT_BACKGROUND_NICE, Settings, SettingsError
from tests.eventstore.faults import until


def test_a_child_that_exits_is_started_again() -> None:
    keeper = BackgroundProcess([sys.executable, "-c", "pass"], {})
    keeper.start()
    try:
        assert until(lambda: keeper.restarts >= 2, timeout=10)
    finally:
        keeper.stop()


def test_stop_ends_a_running_child_and_status_says_so() -> None:
    keeper = BackgroundProcess([sys.executable, "-c", "import time; time.sleep(60)"], {})
    keeper.start()
    assert keeper.status()["caught_up"] is True
    began = time.monotonic()
    keeper.stop()
    assert time.monotonic() - began < 10
    status = keeper.status()
    assert status["caught_up"] is False and status["restarts"] == 0


def test_one_holder_of_the_background_lock_at_a_time(tmp_path: Path) -> None:
    held = pytest.raises(TimeoutError, match="another process runs the background")
    with background_lock(tmp_path), held, background_lock(tmp_path, timeout=0.1):
        pass
    with background_lock(tmp_path, timeout=0.1):
        pass  # released with its holder


class _Recorder:
    def __init__(self, *, with_follow: bool) -> None:
        self.calls: list[str] = []
        if with_follow:
            self.follow = lambda: self.calls.append("follow")

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")


def test_components_with_a_read_side_follow_the_others_start() -> None:
    followed, resource = _Recorder(with_follow=True), _Recorder(with_follow=False)
    for component in (followed, resource):
        start_side(component, background_elsewhere=True)
    assert (followed.calls, resource.calls) == (["follow"], ["start"])
    start_side(followed, background_elsewhere=False)
    assert followed.calls == ["follow", "start"]
    assert follows(followed) and not follows(resource)


def test_a_child_whose_parent_died_before_it_started_stops_at_once(tmp_path: Path) -> None:
    class Never:
        def start(self) -> None:
            raise AssertionError("started with no parent to serve")

        def stop(self) -> None:
            pass

    # A parent pid that is not ours: the HTTP process was killed while the child imported.
    serve_background([Never()], tmp_path, {"COOP_BACKGROUND_PARENT": "999999999"})


def test_the_childs_niceness_comes_from_the_environment_within_nices_range() -> None:
    assert Settings.from_env({}).background_nice == DEFAULT_BACKGROUND_NICE
    assert Settings.from_env({"COOP_BACKGROUND_NICE": "0"}).background_nice == 0
    assert Settings.from_env({"COOP_BACKGROUND_NICE": "19"}).background_nice == 19
    for value in ("20", "-1", "high"):
        with pytest.raises(SettingsError) as raised:
            Settings.from_env({"COOP_BACKGROUND_NICE": value})
        assert raised.value.variable == "COOP_BACKGROUND_NICE"
