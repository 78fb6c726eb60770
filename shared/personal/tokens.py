"""The sealed form of a personal value: a text that names the key it needs.

`{pii1:member/M-1:<base64url of nonce ‖ AES-256-GCM ciphertext ‖ tag>}` — a string, so a sealed
value travels through every `str` field, read-model column and outbox row unchanged, and opens
only where it leaves the system. The person's key name is the associated data: a sealed value
copied under another person's name does not open.
"""

from __future__ import annotations

import base64
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "{pii1:"
KEY_BYTES = 32
NONCE_BYTES = 12
TOKEN = re.compile(r"\{pii1:([a-z]{1,20}/[^\s:{}]{1,100}):([A-Za-z0-9_-]{38,})\}")


def seal(cipher: AESGCM, subject: str, text: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, text.encode(), subject.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()
    return f"{PREFIX}{subject}:{body}}}"


def open_sealed(cipher: AESGCM, subject: str, body: str) -> str | None:
    """The clear text, or None when `body` was not sealed with this key for this subject."""
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        clear = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], subject.encode())
    except (InvalidTag, ValueError):
        return None
    return clear.decode()


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)
