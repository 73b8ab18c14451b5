"""Telling people: ``notify()`` for every catalogue event (accounts/events.py),
each person's mail preferences, the daily digest, mail to contract contacts
without a login, and the signed unsubscribe link every mail carries.

In-app rows are always written; a person's preference governs only the mail:
immediately, in the daily digest, or not at all. Critical events always mail
people in a vendor's on-call role at once: they cannot turn them off."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from accounts import events as catalogue
from accounts.models import (
    ContactNotification,
    ContactOptOut,
    Membership,
    Notification,
    NotificationPreference,
    Organization,
    User,
)
from audit import services as audit
from core.actor import Actor, SystemActor
from core.errors import InvalidInput
from outbox.services import enqueue

Delivery = NotificationPreference.Delivery
Mail = Notification.Mail

# People on call for a vendor: they may not silence a critical event.
ON_CALL_ROLES = (Membership.Role.SUPPORT_ENGINEER, Membership.Role.ACCOUNT_MANAGER)
UNSUBSCRIBE_SALT = "accounts.notifications.unsubscribe"
CONTACT_ACTOR = SystemActor("unsubscribe link")
MAIL_FOR = {Delivery.IMMEDIATELY: Mail.NOW, Delivery.DIGEST: Mail.DIGEST, Delivery.OFF: Mail.NONE}


# -- notify -------------------------------------------------------------------------------------


def notify(
    *,
    users: Iterable[User],
    event: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = True,
    contract_id: int | None = None,
    organization_ids: Iterable[int] = (),
    contact_roles: Collection[str] | None = None,
    urgent: bool = False,
) -> list[Notification]:
    """The one way to tell people something: an in-app notification of the
    catalogue ``event`` for each person (once, however often they are named),
    mailed after commit as each person's preference says
    (``accounts.tasks.email_notifications`` or the daily digest).

    ``organization_ids`` are the parties the event is addressed to: their
    webhooks receive it, and with ``contract_id`` that contract's contacts
    without a login on those parties' sides are mailed it when their contact
    role is there for the event (``events.CONTACT_ROLE_EVENTS``; the
    escalation watcher names the level's role in ``contact_roles``).
    ``urgent`` mails at once people who chose the digest (a Sev-1/2 incident
    in production); "off" still holds for those allowed it.

    Call it inside the use case's transaction: the rows commit or roll back
    with the change they announce, and no mail leaves before the commit. A
    caller that sends its own richer mail (a PDF attached) passes
    ``email=False``, enqueues its own task and sends through
    ``notifications_email`` so each notification is still mailed once (and
    only if the person wants it at once)."""
    spec = catalogue.event(event)  # an unknown key is a programming error: KeyError names it
    people = list({u.pk: u for u in users}.values())
    orgs = sorted(set(organization_ids))
    with transaction.atomic():
        mail = _mail_for(people, spec, urgent=urgent)
        rows = [
            Notification(user=u, event=spec.key, title=title[:200], body=body, url=url, mail=mail[u.pk]) for u in people
        ]
        created = Notification.objects.bulk_create(rows) if rows else []
        now_ids = [n.pk for n in created if n.pk is not None and n.mail == Mail.NOW]
        if email and now_ids:
            enqueue("accounts.tasks.email_notifications", now_ids)
        if contract_id is not None and orgs:
            contact_ids = _notify_contacts(
                spec,
                contract_id=contract_id,
                organization_ids=orgs,
                roles=contact_roles,
                title=title,
                body=body,
                url=url,
            )
            if contact_ids:
                enqueue("accounts.tasks.email_contacts", contact_ids)
        if orgs and apps.is_installed("webhooks"):
            enqueue(
                "webhooks.tasks.dispatch_event",
                event=spec.key,
                organization_ids=orgs,
                contract_id=contract_id,
                title=title[:200],
                body=body,
                url=url,
                occurred_at=timezone.now().isoformat(),
            )
    return created


def _on_call(user_ids: Collection[int]) -> set[int]:
    return set(
        Membership.objects.filter(user_id__in=user_ids, role__in=ON_CALL_ROLES, is_active=True).values_list(
            "user_id", flat=True
        )
    )


def _mail_for(people: Sequence[User], spec: catalogue.Event, *, urgent: bool) -> dict[int, str]:
    ids = [u.pk for u in people]
    if not ids:
        return {}
    prefs = dict(
        NotificationPreference.objects.filter(user_id__in=ids, event=spec.key).values_list("user_id", "delivery")
    )
    # A preference set before the person took an on-call role does not silence a critical event.
    locked = _on_call(ids) if spec.critical and prefs else set()
    out: dict[int, str] = {}
    for user in people:
        delivery = prefs.get(user.pk, Delivery.IMMEDIATELY)
        if user.pk in locked or (urgent and delivery == Delivery.DIGEST):
            delivery = Delivery.IMMEDIATELY
        out[user.pk] = MAIL_FOR[Delivery(delivery)] if user.email else Mail.NONE
    return out


def _notify_contacts(
    spec: catalogue.Event,
    *,
    contract_id: int,
    organization_ids: Sequence[int],
    roles: Collection[str] | None,
    title: str,
    body: str,
    url: str,
) -> list[int]:
    """Rows for the contract's contacts without a login whose role is there
    for the event, on the addressed parties' sides, minus opt-outs."""
    wanted = catalogue.contact_roles_for(spec.key) if roles is None else frozenset(roles)
    if not wanted:
        return []
    sides = set(Organization.objects.filter(pk__in=organization_ids).values_list("kind", flat=True))
    # Contacts belong to contracts, which sit above accounts: looked up by name, not imported.
    contact_model = apps.get_model("contracts", "ContractContact")
    emails = {
        e.strip().lower()
        for e in contact_model.objects.filter(contract_id=contract_id, side__in=sides, role__in=wanted)
        .filter(Q(user__isnull=True) | Q(user__is_active=False))
        .exclude(email="")
        .values_list("email", flat=True)
    }
    if not emails:
        return []
    # A contact who has a login is told in the app, as a person, if the event is theirs.
    emails -= set(
        User.objects.annotate(lower=Lower("email"))
        .filter(lower__in=emails, is_active=True)
        .values_list("lower", flat=True)
    )
    emails -= set(
        ContactOptOut.objects.filter(contract_id=contract_id, event=spec.key, email__in=emails).values_list(
            "email", flat=True
        )
    )
    rows = ContactNotification.objects.bulk_create(
        ContactNotification(email=e, contract_id=contract_id, event=spec.key, title=title[:200], body=body, url=url)
        for e in sorted(emails)
    )
    return [r.pk for r in rows if r.pk is not None]


# -- sending (from tasks, after commit) ---------------------------------------------------------


def notifications_email(*, ids: Iterable[int], send: Callable[[Notification], object]) -> int:
    """Mail each of these notifications once with ``send(notification)``;
    returns how many went out. Only rows the person wants mailed at once are
    sent. The optimistic claim (UPDATE ... WHERE emailed_at IS NULL) makes a
    repeated or concurrent task send nothing twice, and a failed send rolls
    its claim back so a retry sends it.

    Sends mail: call it from a task, after commit, never inside a use case's
    transaction. No transaction or lock is held while the mail server answers:
    the claim commits first, and a failed send releases it."""
    sent = 0
    pending = (
        Notification.objects.filter(pk__in=list(ids), emailed_at__isnull=True, mail=Mail.NOW)
        .exclude(user__email="")
        .select_related("user")
        .order_by("pk")
    )
    for notification in pending:
        claimed_at = timezone.now()
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=claimed_at)
        if not claimed:
            continue
        try:
            send(notification)
        except Exception:
            # Release only our own claim, so the task's retry sends it once.
            Notification.objects.filter(pk=notification.pk, emailed_at=claimed_at).update(emailed_at=None)
            raise
        sent += 1
    return sent


def contact_notifications_email(*, ids: Iterable[int], send: Callable[[ContactNotification], object]) -> int:
    """``notifications_email`` for contacts without a login: each row once."""
    sent = 0
    for row in ContactNotification.objects.filter(pk__in=list(ids), emailed_at__isnull=True).order_by("pk"):
        claimed_at = timezone.now()
        if not ContactNotification.objects.filter(pk=row.pk, emailed_at__isnull=True).update(emailed_at=claimed_at):
            continue
        try:
            send(row)
        except Exception:
            ContactNotification.objects.filter(pk=row.pk, emailed_at=claimed_at).update(emailed_at=None)
            raise
        sent += 1
    return sent


def digest_users() -> list[int]:
    """People with notifications waiting for their digest."""
    return sorted(set(Notification.objects.digest_pending().exclude(user__email="").values_list("user_id", flat=True)))


def digest_send(*, user_id: int, send: Callable[[User, list[Notification]], object]) -> int:
    """One digest mail of everything waiting for this person's digest since
    their last one; returns how many notifications it carried (0: another
    worker took them, or nothing waited). The rows are claimed together with
    one optimistic UPDATE, so a repeated or concurrent run mails nothing
    twice; a failed send releases them for the retry. Sends mail: call it from
    a task, outside any transaction."""
    claimed_at = timezone.now()
    claimed = Notification.objects.digest_pending().filter(user_id=user_id).update(emailed_at=claimed_at)
    if not claimed:
        return 0
    notes = list(
        Notification.objects.filter(user_id=user_id, mail=Mail.DIGEST, emailed_at=claimed_at)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    if not notes:
        return 0
    try:
        send(notes[0].user, notes)
    except Exception:
        Notification.objects.filter(pk__in=[n.pk for n in notes], emailed_at=claimed_at).update(emailed_at=None)
        raise
    return len(notes)


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# -- mail content -------------------------------------------------------------------------------


def mail_context(*, title: str, body: str, url: str, event: str, unsubscribe_url: str) -> dict[str, Any]:
    """What templates/email/notification_* read, for a person or a contact."""
    return {
        "title": title,
        "body": body,
        "url": url,
        "event_label": catalogue.event(event).label if event in catalogue.EVENTS else event,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": settings.SITE_URL + reverse("accounts:notification_preferences"),
    }


def unsubscribe_url_for(notification: Notification) -> str:
    """The signed link that stops this notification's event for its person."""
    return _unsubscribe_url({"u": notification.user_id, "e": [notification.event]})


def digest_unsubscribe_url(user: User, notes: Sequence[Notification]) -> str:
    return _unsubscribe_url({"u": user.pk, "e": sorted({n.event for n in notes})})


def contact_unsubscribe_url(row: ContactNotification) -> str:
    return _unsubscribe_url({"c": row.email, "k": row.contract_id, "e": [row.event]})


def _unsubscribe_url(payload: Mapping[str, Any]) -> str:
    token = signing.dumps(dict(payload), salt=UNSUBSCRIBE_SALT, compress=True)
    return settings.SITE_URL + reverse("accounts:unsubscribe", args=[token])


# -- unsubscribing ------------------------------------------------------------------------------


@dataclass
class Unsubscribe:
    """What a signed unsubscribe link asks for: a person's events, or one
    contact address's event on one contract."""

    events: list[str]
    user: User | None = None
    email: str = ""
    contract_id: int | None = None
    refused: list[str] = field(default_factory=list)  # critical events an on-call person must keep

    @property
    def allowed(self) -> list[str]:
        return [e for e in self.events if e not in self.refused]


def unsubscribe_read(token: str) -> Unsubscribe:
    """The request a link's token carries; InvalidInput for a tampered or
    unknown one (no login needed: the signature is the proof)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        keys = [str(k) for k in data["e"]]
        if not keys or any(k not in catalogue.EVENTS for k in keys):
            raise ValueError("unknown event")
        if "u" in data:
            user = User.objects.get(pk=int(data["u"]), is_active=True)
            critical = [k for k in keys if catalogue.EVENTS[k].critical]
            refused = critical if critical and _on_call([user.pk]) else []
            return Unsubscribe(events=keys, user=user, refused=refused)
        return Unsubscribe(events=keys, email=str(data["c"]), contract_id=int(data["k"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, User.DoesNotExist):
        raise InvalidInput(
            "This unsubscribe link is not valid.", errors={"token": ["The link is altered or no longer valid."]}
        ) from None


def unsubscribe_apply(*, token: str) -> Unsubscribe:
    """Turn off what the link names (critical events of on-call people stay on)."""
    request = unsubscribe_read(token)
    if request.user is not None:
        if request.allowed:
            preferences_update(
                actor=request.user, user=request.user, changes=dict.fromkeys(request.allowed, Delivery.OFF)
            )
        return request
    assert request.contract_id is not None
    with transaction.atomic():
        for key in request.events:
            _, created = ContactOptOut.objects.get_or_create(
                email=request.email, contract_id=request.contract_id, event=key
            )
            if created:
                audit.record(
                    actor=CONTACT_ACTOR,
                    verb="contact.unsubscribed",
                    contract_id=request.contract_id,
                    object_type="accounts.contactoptout",
                    object_id=request.email,
                    object_repr=request.email,
                    changes={"event": [None, key]},
                )
    return request


# -- preferences --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceRow:
    event: catalogue.Event
    delivery: str
    locked: bool  # critical for this on-call person: always immediately


def preferences_for(user: User) -> list[PreferenceRow]:
    """Every catalogue event with this person's delivery, in catalogue order (two queries)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "delivery"))
    on_call = bool(_on_call([user.pk]))
    rows = []
    for spec in catalogue.EVENTS.values():
        locked = spec.critical and on_call
        delivery = Delivery.IMMEDIATELY if locked else chosen.get(spec.key, Delivery.IMMEDIATELY)
        rows.append(PreferenceRow(event=spec, delivery=str(delivery), locked=locked))
    return rows


def preferences_update(*, actor: Actor, user: User, changes: Mapping[str, str]) -> list[PreferenceRow]:
    """Set how ``user`` is mailed each named event. Refuses, naming the event,
    an unknown event or delivery, and turning a critical event off or into
    the digest for a person in a vendor's on-call role."""
    errors: dict[str, list[str]] = {}
    for key, delivery in changes.items():
        if key not in catalogue.EVENTS:
            errors[key] = ["Unknown event: see the catalogue (GET /api/notifications/preferences/)."]
        elif delivery not in Delivery.values:
            errors[key] = [f"Must be one of: {', '.join(Delivery.values)}."]
    if errors:
        raise InvalidInput("Please correct the errors below.", errors=errors)
    critical = [k for k, d in changes.items() if catalogue.EVENTS[k].critical and d != Delivery.IMMEDIATELY]
    if critical and _on_call([user.pk]):
        raise InvalidInput(
            f"“{catalogue.EVENTS[critical[0]].label}” ({critical[0]}) is critical: people in a vendor's on-call "
            "role (support engineer, account manager) are always mailed it at once.",
            errors={k: ["Critical for on-call roles: must stay immediately."] for k in critical},
        )
    with transaction.atomic():
        existing = {
            p.event: p
            for p in NotificationPreference.objects.select_for_update().filter(user=user, event__in=list(changes))
        }
        diff: dict[str, list[str]] = {}
        for key, delivery in sorted(changes.items()):
            current = existing.get(key)
            before = current.delivery if current else Delivery.IMMEDIATELY
            if before == delivery:
                continue
            diff[key] = [str(before), delivery]
            if current is None:
                NotificationPreference.objects.create(user=user, event=key, delivery=delivery)
            else:
                current.delivery = delivery
                current.save(update_fields=["delivery", "updated_at"])
        if diff:
            audit.record(actor=actor, verb="notification_preferences.updated", obj=user, changes=diff)
    return preferences_for(user)
