"""Replies open the personal values they carry, as the last step before the wire.

Handlers and read models work with sealed values (`shared.personal`); the JSON reply class
opens them in the rendered bytes, so nothing kept on the way (read models, outboxes) ever
held the clear text, and an erased person's values reach the caller as "[erased]".
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.responses import JSONResponse

from shared.personal import reveal_text
from shared.personal.tokens import PREFIX, TOKEN

_PREFIX = PREFIX.encode()
_TOKEN = re.compile(TOKEN.pattern.encode())


def _opened_json(match: re.Match[bytes]) -> bytes:
    clear = reveal_text(match.group(0).decode())
    # The token sat inside a JSON string: the clear text must be escaped as one.
    return json.dumps(clear, ensure_ascii=False)[1:-1].encode()


def reveal_json(body: bytes) -> bytes:
    if _PREFIX not in body:
        return body
    return _TOKEN.sub(_opened_json, body)


class RevealingJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return reveal_json(super().render(content))
