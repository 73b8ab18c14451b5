"""The one way HTML becomes a PDF (WeasyPrint).

Templates carry their print CSS inline and need no request, so a Celery task
renders the same document as a page. Rendering takes seconds: call this before
a write transaction opens, or from a task after commit, never while holding
the audit chain head or any other lock that other writers wait on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings

# WeasyPrint logs every layout step at INFO; a worker log needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class RefusedURL(ValueError):
    """A document asked for something other than a data: URI or one of our static files."""


def static_roots() -> list[Path]:
    """Where the project's own static files live: STATIC_ROOT and STATICFILES_DIRS."""
    roots = [Path(settings.STATIC_ROOT)] if getattr(settings, "STATIC_ROOT", None) else []
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        roots.append(Path(entry[1] if isinstance(entry, list | tuple) else entry))
    return [root.resolve() for root in roots]


def check_url(url: str) -> None:
    """Raise RefusedURL unless ``url`` is a data: URI or a file under the static roots."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return
    if scheme == "file" and not parts.netloc:
        path = Path(unquote(parts.path)).resolve()
        if path.is_file() and any(path.is_relative_to(root) for root in static_roots()):
            return
    raise RefusedURL(f"Documents may use data: URIs and the project's static files only, not {url[:100]!r}.")


def url_fetcher() -> Any:
    """WeasyPrint's fetcher for every document we render. The HTML holds text
    that people typed (titles, causes, comments): left to the default fetcher,
    an ``<img src="file:///etc/passwd">`` or an ``http://`` URL in it would be
    read by the server. Only data: URIs and files under the static roots are
    fetched; anything else is refused, and WeasyPrint leaves it out."""
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            check_url(url)
            return super().fetch(url, headers)

    return StaticOnlyFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


def _weasyprint(html: str) -> bytes:
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    # without a target, write_pdf() returns the bytes
    pdf: bytes = HTML(string=html, url_fetcher=url_fetcher()).write_pdf()
    return pdf


# The suites about who may fetch a document (the permission matrix, the API fuzz) swap in a renderer that
# renders each kind of document once (tests/conftest.py: pdf_once_per_kind); every app's PDF tests use this one.
_render: Callable[[str], bytes] = _weasyprint


def html_to_pdf(html: str) -> bytes:
    return _render(html)
