"""Replies open the personal values they carry, as the last step before the wire.

Handlers and read models work with sealed values (`shared.personal`); this middleware opens
them in every JSON reply's bytes, whichever way the reply was rendered (a response model's
fast path, a dict, a problem), so nothing kept on the way ever held the clear text and an
erased person's values reach the caller as "[erased]". Documents (HTML, PDF, CSV, XML) open
theirs when they are rendered; streamed replies (the SSE feed) are the feed's own business.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.personal import reveal_json
from shared.personal.tokens import PREFIX

_PREFIX = PREFIX.encode()


def _is_json(start: Message) -> bool:
    for name, value in start.get("headers", ()):
        if name == b"content-type":
            return value.startswith(b"application/") and b"json" in value
    return False


class RevealingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None

        async def opening_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and _is_json(message):
                held = message  # until the body says whether its length changes
                return
            if held is None:
                await send(message)
                return
            start, held = held, None
            body = message.get("body", b"")
            if not message.get("more_body") and _PREFIX in body:
                body = reveal_json(body)
                headers = [(n, v) for n, v in start["headers"] if n != b"content-length"]
                start = {**start, "headers": [*headers, (b"content-length", b"%d" % len(body))]}
                message = {**message, "body": body}
            await send(start)
            await send(message)

        await self.app(scope, receive, opening_send)
