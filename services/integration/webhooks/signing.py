"""Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` over
`<webhook-id>.<webhook-timestamp>.<body>`, keyed with the bytes of a `whsec_<base64>` secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64


class InvalidSecret(ValueError):
    pass


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def key_of(secret: str) -> bytes:
    """The HMAC key a `whsec_` secret stands for; refused unless 24 to 64 random bytes."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret("a webhook secret reads whsec_<base64 of 24 to 64 bytes>")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidSecret("the part after whsec_ is not base64") from error
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise InvalidSecret(f"a webhook key is {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
        "content-type": "application/cloudevents+json",
    }


def verify(
    secret: str, message_id: str, timestamp: str, body: bytes, presented: str, now: int,
    tolerance: int = 300,
) -> bool:  # fmt: skip
    """What a receiver checks: one of the space-separated `v1,` signatures matches, and the
    timestamp is within `tolerance` seconds of `now`."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    expected = signature(secret, message_id, int(timestamp), body)
    return any(hmac.compare_digest(expected, one) for one in presented.split())
