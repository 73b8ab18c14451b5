"""Renewal reminders: before each notice deadline (term end minus the notice
period) the buyer's contract managers get, at each milestone, a PDF of their
leverage: the deadline and what happens if they miss it, the last twelve
months at a glance, credits owed, open disputes, any termination right and
the last annual review's recommendation.

Exactly once per contract, term and milestone: the ``RenewalReminder`` row is
inserted under its unique constraint *before* anything is sent, so a second
run of the task (or one running concurrently) finds it and sends nothing. A
row claimed by a run that died before sending is taken over by a later run
after ``RETRY_AFTER`` (an optimistic UPDATE on ``claimed_at``). A missed run
(the portal was down) is caught up by the next one: it sends the nearest
milestone that has passed and records the earlier missed ones as superseded,
so nobody gets three reminders on the same morning.

The PDF is rendered before the short transaction that stores and audits it;
the emails leave after it commits, through the outbox
(``reviews.tasks.email_renewal_reminder``), each notification mailed once.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Notification, User
from accounts.notifications import notifications_email, notify, unsubscribe_url_for
from audit import services as audit
from contracts import lock_objects
from contracts.models import Contract
from contracts.pdf import termination_text
from core import periods
from core.actor import SystemActor
from core.charts import ChartPoint, availability_chart
from core.mail import send_templated
from core.money import money
from core.pdf import html_to_pdf
from disputes.models import Dispute
from outbox.services import enqueue
from reports.models import Credit, ServiceReport
from reviews.models import AnnualReview, RenewalReminder
from reviews.packet import reference_version

log = logging.getLogger(__name__)
DEFAULT_MILESTONES = (120, 90, 60, 30, 7)
RETRY_AFTER = timedelta(minutes=15)
SYSTEM = SystemActor("system:renewal-reminders")


def milestones() -> tuple[int, ...]:
    """Days before the notice deadline (``COVENANT_RENEWAL_MILESTONES``), largest first."""
    raw = getattr(settings, "COVENANT_RENEWAL_MILESTONES", DEFAULT_MILESTONES)
    if isinstance(raw, str):
        raw = [x for x in re.split(r"[,\s]+", raw) if x]
    return tuple(sorted({int(x) for x in raw if int(x) >= 0}, reverse=True))


def recipients(contract: Contract) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__organization_id=contract.buyer_id,
            memberships__role=Membership.Role.CONTRACT_MANAGER,
        )
        .distinct()
        .order_by("pk")
    )


# -- what is due -----------------------------------------------------------------------------


def due_milestone(days_left: int, done: set[int], marks: tuple[int, ...]) -> tuple[int | None, list[int]]:
    """(the milestone to send now, the earlier ones it supersedes) for a
    deadline ``days_left`` away, given the milestones already recorded."""
    passed = [m for m in marks if days_left <= m and m not in done]
    if days_left < 0 or not passed:
        return None, []
    nearest = min(passed)
    return nearest, [m for m in passed if m != nearest]


def claim_due(*, today: date, now: datetime) -> list[RenewalReminder]:
    """Insert the reminder rows due today (each once), claimed by this run."""
    marks = milestones()
    if not marks:
        return []
    contracts = Contract.objects.active().filter(
        notice_deadline__gte=today, notice_deadline__lte=today + timedelta(days=max(marks))
    )
    done: dict[tuple[int, date], set[int]] = {}
    for contract_id, term_end, milestone in RenewalReminder.objects.filter(
        contract__in=contracts.values("pk")
    ).values_list("contract_id", "term_end", "milestone"):
        done.setdefault((contract_id, term_end), set()).add(milestone)
    claimed = []
    for contract in contracts.order_by("notice_deadline", "pk"):
        days_left = (contract.notice_deadline - today).days
        nearest, skipped = due_milestone(days_left, done.get((contract.pk, contract.term_end), set()), marks)
        if nearest is None:
            continue
        try:
            with transaction.atomic():
                row = RenewalReminder.objects.create(
                    contract=contract,
                    term_end=contract.term_end,
                    notice_deadline=contract.notice_deadline,
                    milestone=nearest,
                    days_left=days_left,
                    claimed_at=now,
                )
                for m in skipped:
                    RenewalReminder.objects.create(
                        contract=contract,
                        term_end=contract.term_end,
                        notice_deadline=contract.notice_deadline,
                        milestone=m,
                        days_left=days_left,
                        superseded=True,
                    )
        except IntegrityError:
            continue  # another run holds it
        claimed.append(row)
    return claimed


def reclaim_stale(*, now: datetime) -> list[RenewalReminder]:
    """Rows claimed by a run that died before sending."""
    out = []
    stale = RenewalReminder.objects.filter(sent_at__isnull=True, superseded=False).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - RETRY_AFTER)
    )
    for row in stale:
        won = RenewalReminder.objects.filter(pk=row.pk, sent_at__isnull=True, claimed_at=row.claimed_at).update(
            claimed_at=now
        )
        if won:
            row.claimed_at = now
            out.append(row)
    return out


# -- the reminder ----------------------------------------------------------------------------------


def reminder_context(contract: Contract, *, today: date, days_left: int, milestone: int) -> dict[str, Any]:
    now = timezone.now()
    version = reference_version(contract, now)
    terms = version.terms if version else {}
    up = terms.get("uptime", {})
    kind, zone = up.get("period", "month"), up.get("timezone", "UTC")
    last = periods.last_ended(now, kind=kind, zone=zone)
    span = periods.last_n(last, 12 if kind == "month" else 4)
    reports = {
        r.period: r
        for r in ServiceReport.objects.current()
        .filter(contract=contract, period__in=[p.label for p in span])
        .defer("snapshot")
    }
    rows = []
    for p in span:
        r = reports.get(p.label)
        rows.append(
            {
                "title": p.title,
                "short": p.short,
                "reported": r is not None,
                "availability": r.availability if r else None,
                "met": r.availability_met if r else None,
                "breaches": r.breaches if r else None,
                "credits": money(r.credit_total, contract.currency) if r else "",
            }
        )
    target = Decimal(str(up.get("target_percent", "99.9")))
    reported = [r for r in rows if r["reported"]]
    met = sum(1 for r in reported if r["met"])
    breaches = sum(r["breaches"] or 0 for r in reported)
    credit_total = sum((reports[p.label].credit_total for p in span if p.label in reports), Decimal(0))
    owed_rows = list(
        Credit.objects.filter(contract=contract)
        .owed(timezone.now())
        .select_related("report")
        .order_by("report__period_start")
    )
    owed = sum((c.amount for c in owed_rows), Decimal(0))
    disputes = list(Dispute.objects.open().filter(contract=contract).order_by("raised_at"))
    review = (
        AnnualReview.objects.filter(contract=contract)
        .exclude(recommendation="")
        .order_by("-signed_at", "-anniversary")
        .first()
    )
    noun = "month" if kind == "month" else "quarter"
    headline = (
        f"Availability met the {target} % target in {met} of {len(reported)} reported {noun}s; "
        f"{breaches} breach{'es' if breaches != 1 else ''}; credits {money(credit_total, contract.currency)}."
        if reported
        else f"No service report has been issued in the last {len(span)} {noun}s."
    )
    return {
        "contract": contract,
        "today": today,
        "days_left": days_left,
        "milestone": milestone,
        "version": version,
        "rows": rows,
        "noun": noun,
        "headline": headline,
        "chart_svg": availability_chart(
            [ChartPoint(label=r["short"], availability=r["availability"]) for r in rows],
            target=target,
            title=f"Availability per {noun}, last {len(rows)} {noun}s",
        ),
        "credit_total": money(credit_total, contract.currency),
        "owed_rows": [{"credit": c, "amount": money(c.amount, contract.currency)} for c in owed_rows],
        "owed": money(owed, contract.currency),
        "disputes": disputes,
        "termination_rule": termination_text(terms["termination"], kind) if terms.get("termination") else "",
        "review": review,
        "fee": money(contract.monthly_fee, contract.currency),
        "generated": now,
    }


def render_reminder_pdf(context: dict[str, Any]) -> bytes:
    return html_to_pdf(render_to_string("pdf/renewal_reminder.html", context))


def reminder_filename(row: RenewalReminder) -> str:
    ref = re.sub(r"[^A-Za-z0-9._-]+", "-", row.contract.reference).strip("-") or "contract"
    return f"{ref}-renewal-notice-{row.notice_deadline:%Y-%m-%d}-{row.milestone}d.pdf"


def _title(row: RenewalReminder, days_left: int) -> str:
    return (
        f"Notice deadline for {row.contract.reference} in {days_left} day{'s' if days_left != 1 else ''}: "
        f"{row.notice_deadline:%-d %b %Y}"
    )


def send(row: RenewalReminder, *, now: datetime) -> int:
    """Render one claimed reminder (no transaction open: WeasyPrint takes
    seconds), then store it, audit it and notify the buyer's contract
    managers in one short transaction. The emails, with the PDF attached,
    leave after commit (``reviews.tasks.email_renewal_reminder``). Returns
    how many emails were queued."""
    contract = Contract.objects.select_related("buyer", "vendor").get(pk=row.contract_id)
    row.contract = contract
    today = timezone.localdate(now)
    days_left = (row.notice_deadline - today).days
    context = reminder_context(contract, today=today, days_left=days_left, milestone=row.milestone)
    content = render_reminder_pdf(context)
    people = recipients(contract)
    with transaction.atomic():
        lock_objects.contract(row.contract_id)  # the contract, then the reminder (core.locks)
        locked = RenewalReminder.objects.select_for_update().get(pk=row.pk)
        if locked.sent_at is not None:
            return 0
        locked.pdf.save(reminder_filename(row), ContentFile(content), save=False)
        locked.pdf_sha256 = hashlib.sha256(content).hexdigest()
        locked.sent_at = now
        locked.days_left = days_left
        locked.recipients = [u.email for u in people if u.email]
        locked.save()
        audit.record(
            actor=SYSTEM,
            verb="renewal.reminder_sent",
            visibility="buyer",  # the buyer's own deadline and people: not the vendor's to read
            obj=contract,
            contract_id=contract.pk,
            changes={
                "milestone": [None, row.milestone],
                "notice_deadline": [None, row.notice_deadline.isoformat()],
                "recipients": [None, locked.recipients],
                "pdf_sha256": [None, locked.pdf_sha256],
            },
        )
        notes = notify(
            users=people,
            event="renewal.milestone",
            title=_title(row, days_left),
            body=context["headline"],
            url=reverse("reviews:renewals"),
            email=False,  # our own mail below, with the PDF attached
            contract_id=contract.pk,
            organization_ids=[contract.buyer_id],
        )
        mailed = [n.pk for n in notes if n.user.email]
        if mailed:
            enqueue("reviews.tasks.email_renewal_reminder", locked.pk, mailed)
    return len(mailed)


def email_reminder(*, reminder_id: int, notification_ids: list[int]) -> int:
    """Mail the stored reminder, PDF attached, to each notified person once
    (``notifications_email`` claims each notification). Runs after the
    reminder's transaction committed; returns how many went out."""
    row = RenewalReminder.objects.select_related("contract", "contract__buyer", "contract__vendor").get(pk=reminder_id)
    if row.sent_at is None or not row.pdf:
        return 0
    with row.pdf.open("rb") as handle:
        content = handle.read()
    today = timezone.localdate(row.sent_at)
    context = reminder_context(row.contract, today=today, days_left=row.days_left, milestone=row.milestone)
    extra = {
        "title": _title(row, row.days_left),
        "url": reverse("reviews:renewals"),
        "deadline": row.notice_deadline,
    }
    attachment = (reminder_filename(row), content, "application/pdf")

    def mail(notification: Notification) -> None:
        send_templated(
            "renewal_reminder",
            {**context, **extra, "user": notification.user},
            [notification.user.email],
            attachments=[attachment],
            unsubscribe_url=unsubscribe_url_for(notification),
        )

    return notifications_email(ids=notification_ids, send=mail)


def send_renewal_reminders(*, now: datetime | None = None) -> int:
    """Claim what is due, then send it (and anything a dead run left
    claimed); returns how many emails were queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows = reclaim_stale(now=now) + claim_due(today=today, now=now)
    sent = 0
    for row in rows:
        try:
            sent += send(row, now=now)
        except Exception:  # one contract's failure must not stop the others; the row is retried
            log.exception("renewal reminder %s failed", row.pk)
            RenewalReminder.objects.filter(pk=row.pk, sent_at__isnull=True).update(
                claimed_at=now - RETRY_AFTER - timedelta(seconds=1)
            )
    return sent


__all__ = ["due_milestone", "milestones", "reminder_context", "send_renewal_reminders"]
