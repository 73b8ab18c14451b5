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
from django.utils import timezone

from accounts.mail import send_templated
from accounts.models import Membership, Notification, User
from accounts.services import notify
from reports.models import ServiceReport, report_pdf_path
from reports.presenters import report_context


def pdf_filename(report: ServiceReport) -> str:
    ref = re.sub(r"[^A-Za-z0-9._-]+", "-", report.contract.reference).strip("-") or "contract"
    return f"{ref}-service-report-{report.period}-r{report.revision}.pdf"


def render_report_html(report: ServiceReport) -> str:
    return render_to_string("pdf/service_report.html", {**report_context(report), "contract": report.contract})


def render_report_pdf(report: ServiceReport) -> bytes:
    """The report as a PDF. Print CSS is inline; fonts are the system's."""
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    return HTML(string=render_report_html(report)).write_pdf()


def store_pdf(report: ServiceReport) -> ServiceReport:
    """Render and store the PDF once. A second call (a retry, a concurrent
    worker) finds it stored and keeps the first; a file written by a loser of
    the race is deleted."""
    if report.pdf and report.pdf_sha256:
        return report
    content = render_report_pdf(report)
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


def deliver_report(report: ServiceReport) -> int:
    """An in-app notification and an email with the PDF attached for each
    recipient, once: a person who already has this report's notification is
    skipped, so a retried delivery sends only what is missing. Returns the
    number of emails sent."""
    report = store_pdf(report)
    url = reverse("reports:detail", args=[report.pk])
    verb = "report.ready"
    done = set(Notification.objects.filter(verb=verb, url=url).values_list("user_id", flat=True))
    s = report.snapshot
    title = f"Service report {report.contract.reference} · {s['period']['title']}" + (
        f" (revision {report.revision})" if report.revision > 1 else ""
    )
    context: dict[str, Any] = {
        **report_context(report),
        "contract": report.contract,
        "url": url,
        "title": title,
    }
    with report.pdf.open("rb") as handle:
        content = handle.read()
    attachment = (pdf_filename(report), content, "application/pdf")
    sent = 0
    for user in recipients(report):
        if user.pk in done:
            continue
        with transaction.atomic():  # a failed send rolls the notification back, so a retry redoes both
            (note,) = notify(users=[user], verb=verb, title=title, body=_summary(report), url=url, email=False)
            if user.email:
                send_templated("report_ready", {**context, "user": user}, [user.email], attachments=[attachment])
                Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
                sent += 1
    return sent


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
