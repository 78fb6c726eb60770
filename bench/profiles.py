"""Reading what `make profile-http` records: py-spy's raw stacks and strace's flush calls.

py-spy (`record --format raw --threads`, without `--idle`) writes one line per distinct stack,
`thread (TID): NAME;outer (file:line);…;leaf (file:line) COUNT`, each sample one thread at one
instant. On this VM its own idle filter keeps threads parked in `Condition.wait` or the
selector, so stacks whose leaf is such a wait are filtered here too (and counted apart, as the
waits of the request threads are part of an encoding's latency). What is left is busy time:
on the CPU, or blocked in a system call that is not a wait (an fsync, a SQLite page read).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
_THREAD = re.compile(r"^thread \((?P<tid>[^)]*)\)(?::\s*(?P<name>.*))?$")
# Leaves where a thread waits for someone else: not busy.
IDLE_LEAVES = frozenset({
    ("Condition.wait", "threading.py"), ("Event.wait", "threading.py"),
    ("Thread.join", "threading.py"), ("Thread._wait_for_tstate_lock", "threading.py"),
    ("Semaphore.acquire", "threading.py"), ("Queue.get", "queue.py"),
    ("EpollSelector.select", "selectors.py"), ("PollSelector.select", "selectors.py"),
    ("SelectSelector.select", "selectors.py"), ("BaseSelectorEventLoop.select", "selectors.py"),
})  # fmt: skip
_STDLIB_FILES = ("threading.py", "queue.py", "selectors.py", "asyncio/", "concurrent/")
REQUEST_THREADS = "requests (AnyIO workers)"
_OURS = ("shared/", "services/")


def function_of(frame: str) -> str:
    """`Class.method (pkg/file.py:12)` → `pkg/file.py:Class.method` (lines merged)."""
    found = _FRAME.match(frame.strip())
    if found is None:
        return frame.strip()
    return f"{found['file']}:{found['function']}"


def thread_group(name: str) -> str:
    if name == "AnyIO worker thread":
        return REQUEST_THREADS
    if name == "MainThread":
        return "event loop (main)"
    return name or "?"


@dataclass(frozen=True)
class Stack:
    thread: str  # the group (see thread_group)
    frames: tuple[str, ...]  # outermost first, as `file:function`
    count: int

    @property
    def idle(self) -> bool:
        if not self.frames:
            return True
        file, _, function = self.frames[-1].partition(":")
        return (function, file) in IDLE_LEAVES


def parse_pyspy_raw(text: str) -> list[Stack]:
    stacks = []
    for line in text.splitlines():
        body, _, count = line.rstrip().rpartition(" ")
        if not body or not count.isdigit():
            continue
        parts = body.split(";")
        thread = "?"
        if parts and parts[0].startswith("process "):
            parts = parts[1:]
        if parts and (found := _THREAD.match(parts[0])):
            thread = thread_group((found["name"] or "").strip())
            parts = parts[1:]
        stacks.append(Stack(thread, tuple(function_of(p) for p in parts), int(count)))
    return stacks


@dataclass
class Profile:
    busy: int  # busy samples, every thread
    idle: int
    own: Counter[str] = field(default_factory=Counter)
    cumulative: Counter[str] = field(default_factory=Counter)
    own_by_thread: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    threads: Counter[str] = field(default_factory=Counter)  # busy samples per group
    waits: Counter[str] = field(default_factory=Counter)  # request threads: where they wait


def _waiting_in(frames: tuple[str, ...]) -> str:
    """The innermost frame of the project (or a library) above a wait: who waits."""
    for frame in reversed(frames[:-1]):
        if not frame.startswith(_STDLIB_FILES):
            return frame
    return frames[-1] if frames else "?"


def profile(stacks: Iterable[Stack]) -> Profile:
    result = Profile(0, 0)
    for stack in stacks:
        if stack.idle:
            result.idle += stack.count
            if stack.thread == REQUEST_THREADS and any(f.startswith(_OURS) for f in stack.frames):
                result.waits[_waiting_in(stack.frames)] += stack.count  # not an idle pool thread
            continue
        result.busy += stack.count
        result.threads[stack.thread] += stack.count
        leaf = stack.frames[-1]
        result.own[leaf] += stack.count
        result.own_by_thread[leaf][stack.thread] += stack.count
        for function in set(stack.frames):
            result.cumulative[function] += stack.count
    return result


def _threads_of(counter: Counter[str]) -> str:
    total = sum(counter.values())
    return ", ".join(f"{name} {100 * n / total:.0f}%" for name, n in counter.most_common(2))


def _ms(samples: int, rate: int, encodings: int) -> str:
    return f"{1000 * samples / rate / max(1, encodings):.2f}"


def top_table(result: Profile, rate: int, encodings: int, rows: int = 25) -> list[tuple[str, ...]]:
    """By own time: function, own %, own ms/encoding, cumulative %, cumulative ms, threads."""
    total = max(1, result.busy)
    return [
        (function, f"{100 * own / total:.1f}", _ms(own, rate, encodings),
         f"{100 * result.cumulative[function] / total:.1f}",
         _ms(result.cumulative[function], rate, encodings),
         _threads_of(result.own_by_thread[function]))
        for function, own in result.own.most_common(rows)
    ]  # fmt: skip


def cumulative_table(
    result: Profile, rate: int, encodings: int, rows: int = 25
) -> list[tuple[str, ...]]:
    """The project's own functions (shared/, services/) by cumulative time."""
    total = max(1, result.busy)
    ours = [
        (f, n) for f, n in result.cumulative.most_common() if f.startswith(("shared/", "services/"))
    ]
    return [
        (function, f"{100 * n / total:.1f}", _ms(n, rate, encodings),
         f"{100 * result.own[function] / total:.1f}")
        for function, n in ours[:rows]
    ]  # fmt: skip


# -- strace ------------------------------------------------------------------------------------

_SYSCALL = re.compile(
    r"^(?:\[pid\s+)?(?P<pid>\d+)\]?\s+(?P<time>\d+\.\d+)\s+(?P<call>fsync|fdatasync)"
    r"\((?P<fd>\d+)(?:<(?P<path>[^>]*)>)?"
)


@dataclass(frozen=True)
class Flush:
    call: str  # fsync or fdatasync
    path: str  # the file, from strace -y ("fd N" without it)
    at: float  # epoch seconds (strace -ttt)


def parse_strace(text: str) -> list[Flush]:
    """Every fsync/fdatasync started (`-f -y -ttt`; `<... resumed>` lines are not new calls)."""
    flushes = []
    for line in text.splitlines():
        found = _SYSCALL.match(line.strip())
        if found:
            path = found["path"] or f"fd {found['fd']}"
            flushes.append(Flush(found["call"], path, float(found["time"])))
    return flushes


def file_kind(path: str) -> str:
    """A data file's role, from its name: `events.sqlite-wal` → `events.sqlite (WAL)`."""
    name = path.rsplit("/", 1)[-1]
    for suffix, what in (("-wal", "WAL"), ("-journal", "rollback journal"), ("-shm", "shm")):
        if name.endswith(suffix):
            return f"{name.removesuffix(suffix)} ({what})"
    return name if "." in name or not path.startswith("/") else f"{name}/ (directory)"


def flushes_by_file(flushes: Iterable[Flush]) -> Counter[tuple[str, str]]:
    return Counter((file_kind(f.path), f.call) for f in flushes)


def strace_summary(text: str) -> list[str]:
    """The `-c`/`-C` table strace appends when it detaches."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("% time")]
    return lines[starts[-1] :] if starts else []
