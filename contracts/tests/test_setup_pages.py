"""The contract's setup page: each side manages its own contacts, the buyer's
contract managers seat the board from either side's people, the parties'
managers upload and remove documents; every change is in the audit trail."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from contracts import services
from contracts.models import BoardSeat, ContractContact, ContractDocument

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def setup_url(contract, tail=""):
    return f"/contracts/{contract.pk}/setup/{tail}"


def contact_form(side, name, email, role="incident_manager"):
    return {"contact-side": side, "contact-role": role, "contact-name": name, "contact-email": email}


def test_the_contract_page_links_to_the_setup_page_for_the_parties_managers(
    contract, buyer, vendor_engineer, client_for
):
    page = client_for(buyer).get(f"/contracts/{contract.pk}/").content.decode()
    assert setup_url(contract) + "#contacts" in page and setup_url(contract) + "#board" in page
    assert setup_url(contract) not in client_for(vendor_engineer).get(f"/contracts/{contract.pk}/").content.decode()
    assert client_for(vendor_engineer).get(setup_url(contract)).status_code == 403


def test_an_outsider_gets_a_404(contract, outsider, client_for):
    assert client_for(outsider).get(setup_url(contract)).status_code == 404
    response = client_for(outsider).post(setup_url(contract, "contacts/add/"), contact_form("vendor", "X", "x@x.test"))
    assert response.status_code == 404
    assert not ContractContact.objects.exists()


def test_each_side_manages_its_own_contacts(contract, buyer, vendor, client_for):
    buyer_browser, vendor_browser = client_for(buyer), client_for(vendor)

    added = buyer_browser.post(setup_url(contract, "contacts/add/"), contact_form("buyer", "Ann Buyer", "ann@nw.test"))
    assert added.status_code == 302 and added["Location"].endswith("#contacts")
    # The page offers the vendor only its own side; a forged side is refused on its field.
    forged = vendor_browser.post(setup_url(contract, "contacts/add/"), contact_form("buyer", "Evil", "e@acme.test"))
    assert forged.status_code == 400 and "side" in forged.context["contact_form"].errors
    assert (
        vendor_browser.post(
            setup_url(contract, "contacts/add/"), contact_form("vendor", "Vic Vendor", "vic@acme.test")
        ).status_code
        == 302
    )

    buyer_contact = ContractContact.objects.get(side="buyer")
    vendor_contact = ContractContact.objects.get(side="vendor")
    assert vendor_browser.post(setup_url(contract, f"contacts/{buyer_contact.pk}/remove/")).status_code == 403
    assert buyer_browser.post(setup_url(contract, f"contacts/{vendor_contact.pk}/remove/")).status_code == 403
    assert vendor_browser.post(setup_url(contract, f"contacts/{vendor_contact.pk}/remove/")).status_code == 302

    assert list(ContractContact.objects.values_list("name", flat=True)) == ["Ann Buyer"]
    verbs = list(
        AuditEntry.objects.filter(contract_id=contract.pk, verb__startswith="contact.").values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["contact.created", "contact.created", "contact.removed"]
    detail = buyer_browser.get(f"/contracts/{contract.pk}/").content.decode()
    assert "Ann Buyer" in detail and "No contacts yet" not in detail


def test_a_duplicate_contact_is_a_400_not_a_500(contract, buyer, client_for):
    form = contact_form("buyer", "Ann Buyer", "ann@nw.test")
    client_for(buyer).post(setup_url(contract, "contacts/add/"), form)
    again = client_for(buyer).post(setup_url(contract, "contacts/add/"), form)
    assert again.status_code == 400 and again.context["contact_form"].errors


def test_the_buyer_seats_the_board_from_either_side(contract, buyer, vendor, vendor_engineer, client_for):
    browser = client_for(buyer)
    candidates = browser.get(setup_url(contract)).context["seat_form"].fields["user"].queryset
    assert {buyer, vendor, vendor_engineer} <= set(candidates)

    seated = browser.post(setup_url(contract, "board/add/"), {"seat-user": vendor.pk, "seat-is_chair": "on"})
    assert seated.status_code == 302
    seat = BoardSeat.objects.get(contract=contract)
    assert seat.user == vendor and seat.is_chair
    assert (
        client_for(vendor).post(setup_url(contract, "board/add/"), {"seat-user": vendor_engineer.pk}).status_code == 403
    )
    assert client_for(vendor).post(setup_url(contract, f"board/{seat.pk}/remove/")).status_code == 403

    stranger = browser.post(setup_url(contract, "board/add/"), {"seat-user": 999999})
    assert stranger.status_code == 400 and "user" in stranger.context["seat_form"].errors

    assert browser.post(setup_url(contract, f"board/{seat.pk}/remove/")).status_code == 302
    assert not BoardSeat.objects.filter(contract=contract).exists()
    verbs = set(AuditEntry.objects.filter(contract_id=contract.pk).values_list("verb", flat=True))
    assert {"board.seat_added", "board.seat_removed"} <= verbs


def test_documents_are_uploaded_and_removed_and_a_browser_file_is_refused(
    contract, buyer, vendor, client_for, settings
):
    buyer_browser, vendor_browser = client_for(buyer), client_for(vendor)
    upload = setup_url(contract, "documents/upload/")

    html = vendor_browser.post(
        upload,
        {"document-title": "Page", "document-file": SimpleUploadedFile("x.html", b"<html><script>", "text/html")},
    )
    assert html.status_code == 400 and "file" in html.context["document_form"].errors
    fake = vendor_browser.post(upload, {"document-file": SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf")})
    assert fake.status_code == 400 and "not a valid .pdf" in fake.context["document_form"].errors["file"][0]

    assert (
        vendor_browser.post(
            upload, {"document-title": "Vendor annex", "document-file": SimpleUploadedFile("annex.pdf", PDF)}
        ).status_code
        == 302
    )
    assert (
        buyer_browser.post(
            upload, {"document-title": "Signed copy", "document-file": SimpleUploadedFile("signed.pdf", PDF)}
        ).status_code
        == 302
    )
    annex = ContractDocument.objects.get(title="Vendor annex")
    signed = ContractDocument.objects.get(title="Signed copy")
    assert buyer_browser.get(f"/contracts/{contract.pk}/documents/{signed.pk}/").status_code == 200

    # The vendor removes its own upload, not the buyer's; the buyer's managers may remove any.
    assert vendor_browser.post(setup_url(contract, f"documents/{signed.pk}/remove/")).status_code == 403
    path = annex.file.path
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert vendor_browser.post(setup_url(contract, f"documents/{annex.pk}/remove/")).status_code == 302
    import os

    assert not os.path.exists(path)
    assert list(ContractDocument.objects.values_list("title", flat=True)) == ["Signed copy"]
    removed = AuditEntry.objects.get(verb="document.removed")
    assert removed.changes["title"] == ["Vendor annex", None] and removed.contract_id == contract.pk


def test_the_api_removes_a_contact_for_its_own_side_only(contract, buyer, vendor, client_for):
    mine = services.contact_add(
        actor=vendor, contract=contract, side="vendor", role="billing", name="Bill", email="bill@acme.test"
    )
    url = f"/api/contracts/{contract.pk}/contacts/{mine.pk}/"

    assert client_for(buyer).delete(url).status_code == 403
    assert client_for(vendor).get(url).json()["name"] == "Bill"
    assert client_for(vendor).delete(url).status_code == 204
    assert client_for(vendor).delete(url).status_code == 404
    assert AuditEntry.objects.filter(verb="contact.removed", contract_id=contract.pk).count() == 1


@pytest.mark.parametrize("path", ["/api/contracts/{pk}/contacts/", "/contracts/{pk}/setup/"])
def test_the_contact_lists_take_the_same_queries_for_2_and_12(
    path, contract, buyer, client_for, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(start, n):
        for i in range(start, start + n):
            services.contact_add(
                actor=buyer, contract=contract, side="buyer", role="billing", name=f"Person {i}", email=f"p{i}@nw.test"
            )

    browser = client_for(buyer)
    url = path.format(pk=contract.pk)
    add(0, 2)
    browser.get(url)
    with CaptureQueriesContext(connection) as small:
        assert browser.get(url).status_code == 200
    add(2, 10)
    with django_assert_num_queries(len(small.captured_queries)):
        response = browser.get(url)
    assert "p11@nw.test" in response.content.decode()
