"""A small Server-Sent Events reader over httpx: frames as (event, id, data)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Frame:
    event: str
    id: str | None
    data: str
    comment: bool = False


def frames(response: httpx.Response) -> Iterator[Frame]:
    event, frame_id, comment = "message", None, False
    data: list[str] = []
    for line in response.iter_lines():
        if line == "":
            if data or comment or frame_id is not None:
                yield Frame(event, frame_id, "\n".join(data), comment)
            event, frame_id, data, comment = "message", None, [], False
            continue
        if line.startswith(":"):
            comment = True
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "id":
            frame_id = value
        elif name == "data":
            data.append(value)
