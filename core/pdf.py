"""The one way HTML becomes a PDF (WeasyPrint).

Templates carry their print CSS inline and need no request, so a Celery task
renders the same document as a page. Rendering takes seconds: call this before
a write transaction opens, or from a task after commit, never while holding
the audit chain head or any other lock that other writers wait on."""

from __future__ import annotations

import logging

# WeasyPrint logs every layout step at INFO; a worker log needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    pdf: bytes = HTML(string=html).write_pdf()  # without a target, write_pdf() returns the bytes
    return pdf
