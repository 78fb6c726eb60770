"""A ceiling on the size of a request body, counted as the bytes arrive.

A pure ASGI middleware, so nothing buffers a body before it is counted: a `Content-Length`
over the ceiling is answered at once, without reading a byte; a body without one (chunked) is
counted chunk by chunk, and the first chunk past the ceiling stops the request. Both answer
413 `application/problem+json`. It must sit outside any middleware that reads the body
itself.

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.problems import problem_response

CODE = "content-too-large"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the ceiling. An HTTPException, so that
    FastAPI lets it through when it reads the body, and the problem handlers answer it."""

    def __init__(self, max_bytes: int) -> None:
        # The rest of the body is not read: the server closes the connection after the answer.
        detail = f"the request body is larger than {max_bytes} bytes"
        super().__init__(413, detail, headers={"Connection": "close"})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Raised where no handler answers it (a middleware reading the body).
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = BodyTooLarge(self.max_bytes)
        response = problem_response(
            413, CODE, refused.detail, instance=scope["path"], headers=refused.headers
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # Servers refuse a malformed Content-Length before the app; be strict anyway.
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
    return None
