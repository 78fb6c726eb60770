"""Streams a process has folded, kept so that the next command on them reads only what is new.

A command reads the same streams again and again: every encoding folds its member and its
client from their first event, decoding and opening the same sealed names and NISS each time.
Here the last fold of each stream is kept with the version it reached; the next load asks the
store only for the events after that version (one query, as before, so it is never staler than
a full read) and folds them onto the kept state.

What is kept is exactly what a full read would give: the store is append-only, the decider is
the same object, and folds with personal values opened are kept only while the vault's keys
are unchanged (an erasure anywhere, in this process or another, forgets them: `Vault.epoch`).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from shared.personal.vault import Vault

# Per store, the least recently loaded stream goes first once more than CAPACITY streams or
# EVENTS events are kept (some tens of MB at most); a stream longer than LONGEST is not kept.
CAPACITY = 1024
EVENTS = 10_000
LONGEST = 200


@dataclass(frozen=True)
class _Kept:
    decider: object
    vault: Vault | None  # None: kept sealed, whatever the keys
    epoch: int
    loaded: Any  # handling.Loaded


class _Streams(OrderedDict[tuple[str, bool], _Kept]):
    events = 0  # kept envelopes, all streams together


class FoldedStreams:
    def __init__(
        self, capacity: int = CAPACITY, events: int = EVENTS, longest: int = LONGEST
    ) -> None:
        self.capacity = capacity
        self.events = events
        self.longest = longest
        self._by_store: weakref.WeakKeyDictionary[object, _Streams] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self.verify = False  # the tests set it: every continued fold is checked against a full one

    def get(
        self, store: object, stream: str, decider: object, vault: Vault | None, epoch: int
    ) -> Any | None:
        with self._lock:
            streams = self._by_store.get(store)
            kept = None if streams is None else streams.get((stream, vault is not None))
        if kept is None or kept.decider is not decider or kept.vault is not vault:
            return None
        return kept.loaded if kept.epoch == epoch else None

    def put(
        self, store: object, stream: str, decider: object, vault: Vault | None, epoch: int,
        loaded: Any,
    ) -> None:  # fmt: skip
        key = (stream, vault is not None)
        with self._lock:
            streams = self._by_store.setdefault(store, _Streams())
            replaced = streams.pop(key, None)
            if replaced is not None:
                streams.events -= len(replaced.loaded.envelopes)
            if len(loaded.envelopes) > self.longest:
                return
            streams[key] = _Kept(decider, vault, epoch, loaded)
            streams.events += len(loaded.envelopes)
            while len(streams) > self.capacity or streams.events > self.events:
                _, dropped = streams.popitem(last=False)
                streams.events -= len(dropped.loaded.envelopes)


FOLDED = FoldedStreams()
