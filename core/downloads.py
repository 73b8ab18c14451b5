"""The one way a download names its file (``Content-Disposition``).

File names are built from what people typed (a contract reference, a
scenario's name): a quote, a semicolon or a line break in one must neither
break the header (Django refuses a header with a newline: a 500) nor smuggle
a parameter into it. RFC 6266: an ASCII ``filename`` fallback of safe
characters, and the real name, UTF-8 and percent-encoded, in ``filename*``.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def ascii_fallback(name: str) -> str:
    """Letters, digits, ``. _ -`` and spaces; accents folded, the rest as ``_``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    safe = _UNSAFE.sub("_", folded).strip(" .")
    return safe or "download"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    clean = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C").strip() or "download"
    fallback = ascii_fallback(clean)
    value = f'{"inline" if inline else "attachment"}; filename="{fallback}"'
    if fallback != clean:
        value += f"; filename*=UTF-8''{quote(clean, safe='')}"
    return value
