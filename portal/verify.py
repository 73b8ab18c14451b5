"""The public page that checks a PDF: was it issued by this portal, and is it unchanged?

Anyone may ask (no sign-in): the answer to a stranger is "valid, issued by
this portal on <date>" or "not valid: <reason>". Which record the document
belongs to (kind, reference) is shown only to a signed-in person who can see
that record's contract. Uploads are rate-limited per client address.
The checking itself is the audit app's (audit/documents.py); this page sits
in portal because it reads the contracts' visibility rule."""

from __future__ import annotations

import hashlib

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.client_ip import client_ip
from accounts.models import User
from accounts.ratelimit import allow
from audit import services as audit
from audit.documents import DocumentCheck, check
from audit.models import AuditEntry, IssuedDocument
from contracts.models import Contract
from core.actor import SystemActor


class VerifyForm(forms.Form):
    document = forms.FileField(label="PDF document", help_text="The file exactly as you received it.")

    def clean_document(self) -> bytes:
        upload = self.cleaned_data["document"]
        if upload.size > settings.COVENANT_MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {settings.COVENANT_MAX_DOCUMENT_BYTES // (1024 * 1024)} MB."
            )
        content: bytes = upload.read()
        if not content.startswith(b"%PDF"):
            raise forms.ValidationError("The file is not a PDF.")
        return content


def visible_record(request: HttpRequest, result: DocumentCheck) -> IssuedDocument | None:
    """The register entry, if the person asking may see its contract (the one visibility rule)."""
    record = result.record
    if record is None or not request.user.is_authenticated or record.contract_id is None:
        return None
    if not Contract.objects.visible_to(request.user).filter(pk=record.contract_id).exists():
        return None
    return record


def _audit_refusal(request: HttpRequest, content: bytes, result: DocumentCheck) -> None:
    """A document that fails verification is a security event (a tampered or
    forged exhibit in circulation): staff see it in the trail with the file's
    digest and the reason. The upload rate limit bounds how many a stranger
    can write."""
    actor = request.user if isinstance(request.user, User) else SystemActor("verify-page")
    with transaction.atomic():
        audit.record(
            actor=actor,
            verb="document.verification_refused",
            object_type="document",
            object_id=hashlib.sha256(content).hexdigest()[:32],
            object_repr="uploaded PDF",
            changes={"reason": [None, result.reason[:200]], "ip": [None, client_ip(request)[:45]]},
            visibility=AuditEntry.Visibility.STAFF,
        )


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    result: DocumentCheck | None = None
    record: IssuedDocument | None = None
    status, limited = 200, False
    form = VerifyForm(request.POST, request.FILES) if request.method == "POST" else VerifyForm()
    if request.method == "POST":
        limit = settings.COVENANT_VERIFY_PER_IP
        if not allow(scope="verify", key=client_ip(request), limit=limit, window_seconds=3600):
            form, status, limited = VerifyForm(), 429, True
        elif form.is_valid():
            result = check(form.cleaned_data["document"])
            record = visible_record(request, result)
            if not result.valid:
                _audit_refusal(request, form.cleaned_data["document"], result)
        else:
            status = 400
    context = {"form": form, "result": result, "record": record, "limited": limited}
    return render(request, "audit/verify.html", context, status=status)
