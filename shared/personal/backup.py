"""The key store's backup: every person's key (and who was erased, when), encrypted with a
passphrase (scrypt, then AES-256-GCM), so the copy kept beside an event-store export is no
weaker than the store it protects. An erased person's key is not in it: it no longer exists.
"""

from __future__ import annotations

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from shared.personal.keystore import KeyRow, KeyStore

FORMAT = "coop-keys/1"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
MIN_PASSPHRASE = 12


class BadBackup(ValueError):
    pass


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def export_keys(keys: KeyStore, passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise BadBackup(f"the passphrase needs at least {MIN_PASSPHRASE} characters")
    rows = [
        {"subject": r.subject, "key": None if r.key is None else base64.b64encode(r.key).decode(),
         "created_at": r.created_at, "erased_at": r.erased_at}
        for r in keys.rows()
    ]  # fmt: skip
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_key(passphrase, salt, **_SCRYPT)).encrypt(
        nonce, json.dumps(rows).encode(), FORMAT.encode()
    )
    document = {"format": FORMAT, "kdf": {"name": "scrypt", "salt": salt.hex(), **_SCRYPT},
                "nonce": nonce.hex(), "keys": base64.b64encode(sealed).decode()}  # fmt: skip
    return json.dumps(document, indent=1).encode()


def import_keys(keys: KeyStore, backup: bytes, passphrase: str) -> int:
    """Adds the backed-up keys the store lacks; returns how many."""
    try:
        document = json.loads(backup)
        if document["format"] != FORMAT:
            raise BadBackup(f"not a {FORMAT} backup")
        kdf = document["kdf"]
        key = _key(passphrase, bytes.fromhex(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
        clear = AESGCM(key).decrypt(
            bytes.fromhex(document["nonce"]), base64.b64decode(document["keys"]), FORMAT.encode()
        )
    except InvalidTag:
        raise BadBackup("wrong passphrase, or the backup was altered") from None
    except (KeyError, TypeError, ValueError) as broken:
        raise BadBackup(f"not a key backup: {broken}") from None
    rows = [
        KeyRow(r["subject"], None if r["key"] is None else base64.b64decode(r["key"]),
               r["created_at"], r["erased_at"])
        for r in json.loads(clear)
    ]  # fmt: skip
    return keys.restore(rows)
