"""A report's PDF (rendered from its frozen snapshot, no request needed),
stored once with its SHA-256, and delivered to both parties."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Membership, Notification, User
from accounts.notifications import notifications_email, notify, unsubscribe_url_for
from audit import documents
from audit.checkpoints import latest_checkpoint
from audit.models import IssuedDocument
from core.mail import send_templated
from core.pdf import html_to_pdf
from outbox.services import enqueue
from reports.models import ServiceReport, report_pdf_path
from reports.presenters import report_context

REPORT_READY = "report.issued"


def pdf_filename(report: ServiceReport) -> str:
    ref = re.sub(r"[^A-Za-z0-9._-]+", "-", report.contract.reference).strip("-") or "contract"
    return f"{ref}-service-report-{report.period}-r{report.revision}.pdf"


def render_report_html(report: ServiceReport) -> str:
    context = {**report_context(report), "contract": report.contract, "checkpoint": latest_checkpoint()}
    return render_to_string("pdf/service_report.html", context)


def render_report_pdf(report: ServiceReport) -> bytes:
    """The report as a PDF. Print CSS is inline; fonts are the system's."""
    return html_to_pdf(render_report_html(report))


def store_pdf(report: ServiceReport) -> ServiceReport:
    """Render, sign (``audit.documents.issue``) and store the PDF once, with
    no lock held. A second call (a retry, a concurrent worker) finds it stored
    and keeps the first; a file written by a loser of the race is deleted."""
    if report.pdf and report.pdf_sha256:
        return report
    content, _ = documents.issue(
        render_report_pdf(report),
        kind=IssuedDocument.Kind.SERVICE_REPORT,
        obj=report,
        contract_id=report.contract_id,
        reference=f"{report.contract.reference} · {report.period} · revision {report.revision}",
    )
    digest = hashlib.sha256(content).hexdigest()
    name = default_storage.save(report_pdf_path(report, pdf_filename(report)), ContentFile(content))
    won = ServiceReport.objects.filter(pk=report.pk, pdf_sha256="").update(pdf=name, pdf_sha256=digest)
    if not won:
        default_storage.delete(name)
    report.refresh_from_db(fields=["pdf", "pdf_sha256"])
    return report


def recipients(report: ServiceReport) -> list[User]:
    """Both parties' managers: the buyer's contract managers and the vendor's account managers."""
    contract = report.contract
    return list(
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__organization_id__in=[contract.buyer_id, contract.vendor_id],
            memberships__role__in=[Membership.Role.CONTRACT_MANAGER, Membership.Role.ACCOUNT_MANAGER],
        )
        .distinct()
        .order_by("pk")
    )


def _title(report: ServiceReport) -> str:
    return f"Service report {report.contract.reference} · {report.snapshot['period']['title']}" + (
        f" (revision {report.revision})" if report.revision > 1 else ""
    )


def deliver_report(report: ServiceReport) -> int:
    """An in-app notification for each recipient and, after commit, an email
    with the PDF attached (``reports.tasks.email_report``). Once: a person who
    already has this report's notification is skipped, so a retried delivery
    adds only what is missing. Returns the number of people notified."""
    report = store_pdf(report)  # before the transaction: no PDF is rendered while it is open
    url = reverse("reports:detail", args=[report.pk])
    done = set(Notification.objects.filter(event=REPORT_READY, url=url).values_list("user_id", flat=True))
    people = [user for user in recipients(report) if user.pk not in done]
    if not people:
        return 0
    with transaction.atomic():
        notes = notify(
            users=people,
            event=REPORT_READY,
            title=_title(report),
            body=_summary(report),
            url=url,
            email=False,
            contract_id=report.contract_id,
            # A retried delivery adds missing people only: parties and contacts were told the first time.
            organization_ids=[] if done else [report.contract.buyer_id, report.contract.vendor_id],
        )
        enqueue("reports.tasks.email_report", report.pk, [note.pk for note in notes])
    return len(notes)


def email_report(*, report: ServiceReport, notification_ids: list[int]) -> int:
    """The report-ready mail, PDF attached, for each of these notifications
    not yet mailed; returns how many went out. Sends mail: runs in a task
    after the notifications committed."""
    context: dict[str, Any] = {
        **report_context(report),
        "contract": report.contract,
        "url": reverse("reports:detail", args=[report.pk]),
        "title": _title(report),
    }
    with report.pdf.open("rb") as handle:
        attachment = (pdf_filename(report), handle.read(), "application/pdf")

    def send(note: Notification) -> None:
        send_templated(
            "report_ready",
            {**context, "user": note.user},
            [note.user.email],
            attachments=[attachment],
            unsubscribe_url=unsubscribe_url_for(note),
        )

    return notifications_email(ids=notification_ids, send=send)


def _summary(report: ServiceReport) -> str:
    s = report.snapshot
    a = s["availability"]
    avail = f"{a['value']} % (target {a['target']} %)" if a["measured"] else "not measured"
    lines = [
        f"Availability {avail}; {report.breaches} breach{'es' if report.breaches != 1 else ''}; "
        f"credits due {s['credits']['total']} {report.currency}.",
    ]
    if s["termination"]["triggered"]:
        lines.append(f"Termination right: triggered ({s['termination']['rule']}).")
    if report.what_changed:
        lines.append("What changed: " + "; ".join(report.what_changed))
    return "\n".join(lines)
