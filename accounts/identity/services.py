"""Sign-in history: the only writer of SignInEvent rows."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.client_ip import client_ip
from accounts.models import SignInEvent, User
from audit import services as audit
from core.actor import SystemActor

USER_AGENT_LENGTH = 200


def signin_record(
    *, request: HttpRequest, user: User | None, method: str, succeeded: bool, reason: str = ""
) -> SignInEvent:
    """One sign-in attempt. A refusal is audited too (verb ``user.sign_in_refused``):
    a wrong or replayed second factor is a security event, not only a log line."""
    event = SignInEvent(
        user=user,
        at=timezone.now(),
        ip=client_ip(request)[:45],
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        method=method[:60],
        succeeded=succeeded,
        reason=reason[:80],
    )
    with transaction.atomic():
        event.save()
        if not succeeded:
            audit.record(
                actor=user if user is not None else SystemActor("sign-in"),
                verb="user.sign_in_refused",
                obj=user if user is not None else event,
                changes={"method": [None, event.method], "reason": [None, event.reason], "ip": [None, event.ip]},
            )
    return event
