"""Replies open sealed values as the last step, escaped for JSON."""

from __future__ import annotations

import json

from shared.http.revealing import RevealingJSONResponse, reveal_json
from shared.personal import ERASED, current_vault


def test_a_reply_opens_the_sealed_values_it_carries_and_escapes_them() -> None:
    name = current_vault().seal("member/R-1", 'O"Brien\\ \n Zoé')
    body = RevealingJSONResponse({"name": name, "note": f"for {name}"}).body
    assert json.loads(body) == {"name": 'O"Brien\\ \n Zoé', "note": 'for O"Brien\\ \n Zoé'}


def test_an_erased_persons_values_reply_as_erased() -> None:
    sealed = current_vault().seal("member/R-2", "Peeters")
    current_vault().erase("member/R-2")
    assert json.loads(reveal_json(json.dumps({"name": sealed}).encode())) == {"name": ERASED}


def test_a_reply_without_sealed_values_is_left_as_it_is() -> None:
    body = b'{"a":"{pii1: not a token}"}'
    assert reveal_json(body) is body or reveal_json(body) == body
