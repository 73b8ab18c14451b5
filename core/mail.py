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
    unsubscribe_url: str = "",
) -> int:
    """``unsubscribe_url``: the signed link that stops this kind of mail; the
    templates show it and mail clients offer it (List-Unsubscribe, one-click)."""
    headers: dict[str, str] = {}
    if unsubscribe_url:
        context = {**context, "unsubscribe_url": unsubscribe_url}
        headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    subject, text, html = render_templated(name, context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, list(to), headers=headers)
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message.send()
