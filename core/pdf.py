"""The one way HTML becomes a PDF (WeasyPrint).

Templates carry their print CSS inline and need no request, so a Celery task
renders the same document as a page. Rendering takes seconds: call this before
a write transaction opens, or from a task after commit, never while holding
the audit chain head or any other lock that other writers wait on."""

from __future__ import annotations

import logging
from collections.abc import Callable

# WeasyPrint logs every layout step at INFO; a worker log needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _weasyprint(html: str) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    pdf: bytes = HTML(string=html).write_pdf()  # without a target, write_pdf() returns the bytes
    return pdf


# The suites about who may fetch a document (the permission matrix, the API fuzz) swap in a renderer that
# renders each kind of document once (tests/conftest.py: pdf_once_per_kind); every app's PDF tests use this one.
_render: Callable[[str], bytes] = _weasyprint


def html_to_pdf(html: str) -> bytes:
    return _render(html)
