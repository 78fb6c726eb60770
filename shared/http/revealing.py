"""Replies open the personal values they carry, as the last step before the wire.

Handlers and read models work with sealed values (`shared.personal`); the JSON reply class
opens them in the rendered bytes, so nothing kept on the way (read models, outboxes) ever
held the clear text, and an erased person's values reach the caller as "[erased]".
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from shared.personal import reveal_json


class RevealingJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return reveal_json(super().render(content))
