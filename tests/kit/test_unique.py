"""Unique ids drawn without a system call: unique, well-formed, and different in a fork."""

from __future__ import annotations

import os

from shared.eventstore.codec import new_event_id
from shared.unique import unique_bits, unique_uuid4


def test_ids_are_unique_and_well_formed() -> None:
    ids = {unique_uuid4() for _ in range(100_000)}
    assert len(ids) == 100_000
    assert {uid.version for uid in ids} == {4}
    event_ids = [new_event_id() for _ in range(10_000)]
    assert len(set(event_ids)) == 10_000 and {uid.version for uid in event_ids} == {7}
    assert 0 <= unique_bits(80) < 2**80


def test_a_forked_child_draws_other_ids_than_its_parent() -> None:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first id, to the parent
        os.write(writer, unique_uuid4().bytes)
        os._exit(0)
    os.close(writer)
    theirs = os.read(reader, 16)
    os.waitpid(pid, 0)
    assert theirs != unique_uuid4().bytes
