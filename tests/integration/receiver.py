"""A real HTTP receiver on 127.0.0.1 that fails on purpose, recording what it got."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes
    accepted: bool


@dataclass
class Receiver:
    fail_first: int = 0  # answers 503 to this many requests first
    failing: bool = False  # answers 503 while set
    delay: float = 0.0  # seconds each answer takes
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        time.sleep(self.delay)
        with self.lock:
            accepted = not self.failing and len(self.deliveries) >= self.fail_first
            self.deliveries.append(Delivery(headers, body, accepted))
        return 204 if accepted else 503

    def accepted(self) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.accepted]


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = receiver.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
