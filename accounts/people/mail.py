"""The invitation mail (sent by ``accounts.tasks.email_invitation``, after commit)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from accounts.models import Invitation
from core.mail import send_templated


def invitation_link(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('people:invitation', args=[token])}"


def send_invitation(invitation: Invitation, token: str) -> None:
    context = {"invitation": invitation, "link": invitation_link(token), "inviter": invitation.invited_by}
    send_templated("invitation", context, [invitation.email])
