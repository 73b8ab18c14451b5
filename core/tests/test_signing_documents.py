"""Issued documents: a service report, an accepted SLA schedule and a frozen review packet
are signed and registered; /verify/ and ``verify_document`` tell a valid file from a
changed one, and name the record only to someone who may see it."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from audit.checkpoints import checkpoint_issue
from audit.models import IssuedDocument
from contracts.pdf import render_schedule_pdf
from core import signing
from core.tests.test_signing import flip_one_byte
from reports.services import close_period, render_report_pdf, store_pdf
from reports.tests.conftest import clock  # noqa: F401  (the reviews suite's frozen clock)
from reports.tests.factories import add_outage, at

NOV_5 = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def report_pdf(contract, tmp_path):
    add_outage(contract, start=at(10), minutes=30)
    report = store_pdf(close_period(contract=contract, period="2026-10", now=NOV_5))
    with report.pdf.open("rb") as handle:
        content = handle.read()
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return report, content, path


def post(client, content: bytes):
    return client.post("/verify/", {"document": SimpleUploadedFile("report.pdf", content, "application/pdf")})


def test_an_issued_report_is_signed_and_registered(report_pdf, capsys):
    report, content, path = report_pdf
    assert signing.verify_pdf(content).valid
    row = IssuedDocument.objects.get(kind=IssuedDocument.Kind.SERVICE_REPORT, object_id=report.pk)
    assert row.contract_id == report.contract_id and row.sha256 == report.pdf_sha256
    call_command("verify_document", str(path))
    out = capsys.readouterr().out
    assert "Valid: issued by this portal on" in out and report.contract.reference in out


def test_a_one_byte_change_fails_the_command_and_the_page(report_pdf, client, tmp_path):
    _, content, _ = report_pdf
    changed = flip_one_byte(content)
    path = tmp_path / "changed.pdf"
    path.write_bytes(changed)
    with pytest.raises(CommandError, match="Not valid: .*changed"):
        call_command("verify_document", str(path))
    page = post(client, changed).content.decode()
    assert "Not valid:" in page and "changed" in page and "Valid.</strong>" not in page
    # The refusal is on the trail (staff only), with the file's digest; a valid check writes nothing.
    from audit.models import AuditEntry

    refused = AuditEntry.objects.filter(verb="document.verification_refused")
    assert refused.count() == 1 and refused.get().visibility == AuditEntry.Visibility.STAFF
    post(client, content)
    assert refused.count() == 1


def test_the_page_tells_a_stranger_only_valid_and_the_date(report_pdf, client, client_for, outsider):
    report, content, _ = report_pdf
    reference = report.contract.reference
    for asker in (client, client_for(outsider)):
        response = post(asker, content)
        page = response.content.decode()
        assert response.status_code == 200
        assert "Valid.</strong> Issued by this portal on" in page
        assert "Record:" not in page and reference not in page and "Service report" not in page


def test_the_page_names_the_record_to_a_party(report_pdf, client_for, buyer, vendor):
    report, content, _ = report_pdf
    for person in (buyer, vendor):
        page = post(client_for(person), content).content.decode()
        assert f"Record: Service report · {report.contract.reference} · 2026-10 · revision 1" in page


def test_the_page_is_csrf_protected_and_explains_bad_input(client, report_pdf):
    from django.test import Client

    _, content, _ = report_pdf
    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/verify/").status_code == 200
    assert post(strict, content).status_code == 403
    response = client.post("/verify/", {})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client.post("/verify/", {"document": SimpleUploadedFile("a.pdf", b"hello", "application/pdf")})
    assert response.status_code == 400 and "The file is not a PDF." in response.content.decode()


def test_the_page_is_rate_limited(client, report_pdf, settings):
    from django.core.cache import cache

    cache.clear()
    settings.COVENANT_VERIFY_PER_IP = 2
    _, content, _ = report_pdf
    assert [post(client, content).status_code for _ in range(3)] == [200, 200, 429]
    cache.clear()


def test_a_rotated_key_still_verifies_an_old_report(report_pdf, client, tmp_path, settings):
    _, content, _ = report_pdf
    old_cert = settings.COVENANT_SIGNING_CERT_FILE
    signing.make_key(tmp_path / "new-key.pem", tmp_path / "new-cert.pem")
    settings.COVENANT_SIGNING_KEY_FILE = str(tmp_path / "new-key.pem")
    settings.COVENANT_SIGNING_CERT_FILE = str(tmp_path / "new-cert.pem")
    settings.COVENANT_SIGNING_OLD_CERT_FILES = [old_cert]
    page = post(client, content).content.decode()
    assert "Valid.</strong>" in page and "signed with an earlier key" in page


def test_the_latest_checkpoint_is_printed_in_the_report(contract):
    add_outage(contract, start=at(10), minutes=30)
    report = close_period(contract=contract, period="2026-10", now=NOV_5)
    checkpoint = checkpoint_issue()
    assert checkpoint is not None
    flat = re.sub(r"\s+", "", text_of(render_report_pdf(report)))
    assert f"#{checkpoint.seq}·head{checkpoint.head_hash[:16]}" in flat


def test_only_an_accepted_schedule_is_signed(contract, buyer):
    from contracts import services as contract_services

    active = contract.sla_versions.get(number=1)
    assert signing.verify_pdf(render_schedule_pdf(active)).valid
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.SLA_SCHEDULE, object_id=active.pk).exists()
    draft = contract_services.sla_version_amend(actor=buyer, contract=contract)
    assert signing.verify_pdf(render_schedule_pdf(draft)).reason == "the file carries no signature"


@pytest.fixture
def frozen_review(contract, staff, buyer, vendor, clock):  # noqa: F811  (the imported fixture)
    from reviews.services import lifecycle
    from reviews.tests.factories import open_review, propose, seat_board

    chair = seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    review = open_review(contract, generate_packet=False)
    propose(review, buyer)
    lifecycle.review_freeze(actor=chair, review=review)
    review.refresh_from_db()
    return review, chair


def test_a_frozen_packet_is_signed_with_a_signature_page(frozen_review, buyer, vendor):
    from reviews.services import packets
    from reviews.tests.factories import sign_all

    review, chair = frozen_review
    packet = packets.signing_packet(review)
    with packet.pdf.open("rb") as handle:
        content = handle.read()
    assert signing.verify_pdf(content).valid
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.REVIEW_PACKET, object_id=review.pk).exists()
    page = re.sub(r"\s+", "", text_of(content).split("Signature page")[-1])  # a cell may wrap a name
    for person in (chair, buyer, vendor):
        assert re.sub(r"\s+", "", str(person)) in page
    assert page.count("tosign") == 3

    from reviews.packet.render import render_signed_packet_pdf

    sign_all(review, [buyer, vendor, chair])
    signed = render_signed_packet_pdf(packet)
    assert signing.verify_pdf(signed).valid
    flat = re.sub(r"\s+", "", text_of(signed).split("Signature page")[-1])
    assert packet.checksum in flat
    for person, org in ((buyer, "NorthwindBank"), (vendor, "AcmeCloud")):
        assert re.sub(r"\s+", "", str(person)) + org in flat
    assert flat.count("Approved") == 3 and flat.count("password") == 3
    assert "5Nov202609:00:00" in flat
