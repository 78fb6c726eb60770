"""Identifiers that must be unique, not secret, drawn without a system call.

`uuid.uuid4()` reads `os.urandom`, whose getrandom() call releases the interpreter lock: on
the event loop that hands the interpreter to another thread, and taking it back can cost a
switch interval (5 ms) under load — the hot write path spent a third of a millisecond per
request there (bench/RESULTS.md, "HTTP write path, background apart"). Event ids, request and
correlation ids only need to be unique, so they come from a generator seeded once from the
system (and again in a forked child). Secrets — keys, tokens — keep using `secrets`.
"""

from __future__ import annotations

import os
import random
import uuid

_generator = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _generator.seed(os.urandom(32)))


def unique_bits(bits: int) -> int:
    return _generator.getrandbits(bits)


def unique_uuid4() -> uuid.UUID:
    """A random (version 4) UUID."""
    return uuid.UUID(int=_generator.getrandbits(128), version=4)
