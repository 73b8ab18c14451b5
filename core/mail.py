"""The one mail helper. Every message is a subject / text / HTML triplet under
templates/email/<name>_{subject.txt,body.txt,body.html}.

It sends at once, so call it only after commit (from a task the outbox
published): never inside a transaction, least of all one holding the audit
chain head. Notifications reach it through ``accounts.services.notify``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


class Rendered(NamedTuple):
    subject: str
    text: str
    html: str


def render_templated(name: str, context: Mapping[str, Any]) -> Rendered:
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"email/{name}_subject.txt", ctx).split())  # one line, always
    return Rendered(
        subject=subject,
        text=render_to_string(f"email/{name}_body.txt", ctx),
        html=render_to_string(f"email/{name}_body.html", ctx),
    )


def send_templated(
    name: str,
    context: Mapping[str, Any],
    to: Sequence[str],
    *,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> int:
    subject, text, html = render_templated(name, context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, list(to))
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message.send()
