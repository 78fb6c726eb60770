"""Text as fpdf2's standard Helvetica can print it, shared by every service's PDF documents.

The core fonts with the Windows-1252 encoding fpdf2 declares for them print é, è, ç and € on
any viewer without shipping a font file; other letters lose their accent, anything else is "?",
never an error.
"""

from __future__ import annotations

import unicodedata

PDF_ENCODING = "windows-1252"
# Letters with no decomposition to a cp1252 base letter (Polish, Croatian, Turkish names).
_FOLDED = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "\u0131": "i", "Ħ": "H", "ħ": "h"})


def pdf_text(text: str) -> str:
    """`text` as Helvetica can print it: cp1252 as is, other letters without their accents,
    anything else "?"."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text).translate(_FOLDED):
        if _encodable(char):
            out.append(char)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(_encodable(c) for c in base) else "?")
    return "".join(out)


def _encodable(char: str) -> bool:
    try:
        char.encode(PDF_ENCODING)
    except UnicodeEncodeError:
        return False
    return True
