"""Email: every message is a subject / text / HTML triplet under
templates/email/<name>_{subject.txt,body.txt,body.html}, rendered by one helper."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated(
    name: str,
    context: Mapping[str, Any],
    to: Sequence[str],
    *,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> int:
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"email/{name}_subject.txt", ctx).split())
    text = render_to_string(f"email/{name}_body.txt", ctx)
    html = render_to_string(f"email/{name}_body.html", ctx)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, list(to))
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message.send()
