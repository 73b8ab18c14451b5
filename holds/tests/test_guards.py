"""Deleting held evidence is refused with a 409 naming what holds it; nothing is half-applied."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from contracts.models import ContractDocument
from contracts.services.documents import document_upload
from core.errors import Conflict
from core.holds import assert_not_held, holds_on
from holds import services
from holds.tests.factories import dispute_outage, feb, outage, payload, source

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_guarded_delete_is_a_409_naming_the_hold(client_for, buyer, vendor, contract, clock):
    doc = document_upload(
        actor=buyer, contract=contract, title="Master agreement", file=SimpleUploadedFile("msa.pdf", PDF)
    )
    hold = services.place_hold(actor=vendor, contract=contract, reason="Regulator inquiry", scope="contract")
    remove = f"/contracts/{contract.pk}/setup/documents/{doc.pk}/remove/"

    response = client_for(buyer).post(remove)
    assert response.status_code == 409
    assert f"held by Legal hold {hold.reference}: Regulator inquiry" in response.content.decode()
    assert ContractDocument.objects.filter(pk=doc.pk).exists()
    assert not AuditEntry.objects.filter(verb="document.removed").exists()  # nothing half-applied

    services.release_hold(actor=vendor, hold=hold, reason="Inquiry closed")
    assert client_for(buyer).post(remove).status_code == 302
    assert not ContractDocument.objects.filter(pk=doc.pk).exists()


def test_a_period_hold_does_not_hold_the_contracts_documents(buyer, contract, clock):
    doc = document_upload(actor=buyer, contract=contract, title="Annex", file=SimpleUploadedFile("annex.pdf", PDF))
    services.place_hold(actor=buyer, contract=contract, reason="Q1", scope="period", starts_at=feb(1), ends_at=feb(2))
    assert holds_on(doc) == []


def test_evidence_under_an_open_dispute_names_the_dispute(vendor, staff, contract, clock):
    src = source(contract, staff)
    down = outage(contract, feb(3, 10))
    evidence, elsewhere = payload(src, feb(3, 11)), payload(src, feb(25))
    dispute = dispute_outage(vendor, contract, down)
    with pytest.raises(Conflict) as exc:
        assert_not_held(evidence, what="The payload")
    assert exc.value.status_code == 409 and exc.value.state == "held"
    assert exc.value.message.startswith(
        f"The payload is under legal hold and cannot be deleted: held by Dispute D-{dispute.pk}"
    )
    assert holds_on(down) == holds_on(evidence)  # the outage itself is held too
    assert holds_on(elsewhere) == []
    assert_not_held(elsewhere)
