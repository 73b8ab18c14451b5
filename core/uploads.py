"""Uploaded files that a browser would run: refused wherever people attach
evidence to a shared record.

An attachment is downloaded by the other party from our domain. An HTML, SVG,
XHTML or JavaScript file opened from there runs with the portal's origin (a
stored cross-site script), so it is refused by its name and by its content
(a renamed ``report.txt`` that starts with ``<html>`` or ``<svg`` is still
one). People who need to share a page send a PDF or a screenshot.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError

ACTIVE_EXTENSIONS = frozenset(
    {".htm", ".html", ".shtml", ".xhtml", ".xht", ".svg", ".svgz", ".js", ".mjs", ".xsl", ".xslt", ".hta"}
)
ACTIVE_RULE = (
    "HTML, SVG, XHTML and JavaScript files are not accepted (a browser would run them): attach a PDF or an image."
)
SNIFF_BYTES = 1024
# What browsers sniff as markup: the first tag of the file, after a BOM, white space and comments.
_FIRST_TAG = re.compile(
    rb"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<\s*(!doctype\s+(?:html|svg)|html|svg|script|head|body|iframe)\b", re.I | re.S
)


def active_content_problem(name: str, head: bytes) -> str | None:
    """The rule an upload breaks (by its name or its first bytes), or None."""
    suffixes = {suffix.lower() for suffix in PurePath(name or "").suffixes}
    if suffixes & ACTIVE_EXTENSIONS:
        return ACTIVE_RULE
    text = head.removeprefix(b"\xef\xbb\xbf")
    if text.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = text.decode("utf-16", "ignore").encode("utf-8", "ignore")
    if _FIRST_TAG.match(text):
        return ACTIVE_RULE
    return None


def validate_passive_file(file: Any) -> None:
    """A Django validator for a form or serializer file field."""
    if file is None:
        return
    position = file.tell() if hasattr(file, "tell") else 0
    head = file.read(SNIFF_BYTES) if hasattr(file, "read") else b""
    if hasattr(file, "seek"):
        file.seek(position)
    problem = active_content_problem(getattr(file, "name", "") or "", head or b"")
    if problem is not None:
        raise ValidationError(problem, code="active_content")
