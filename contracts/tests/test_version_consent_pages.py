"""Terms change only with both parties: the version page, the accept confirmation, the editor's refusals, and
the exhibit PDF's acceptance line."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Membership
from accounts.tests.factories import member
from contracts import services
from contracts.models import Contract, SLAVersion
from contracts.pdf import render_schedule_pdf
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def fresh(buyer_org, vendor_org) -> Contract:
    return make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-NEW", activate=False)


def v(contract: Contract, number: int = 1) -> SLAVersion:
    return contract.sla_versions.get(number=number)


def page(contract: Contract, name: str, number: int = 1) -> str:
    return reverse(f"contracts:{name}", args=[contract.pk, number])


def test_the_buyer_alone_cannot_activate_through_the_page(client_for, buyer, fresh):
    response = client_for(buyer).post(page(fresh, "version_activate"), {"reason": "agreed", "effective_from": ""})
    assert response.status_code == 403
    assert "both parties" in response.content.decode()
    assert v(fresh).is_draft


def test_the_vendor_alone_cannot_activate_through_the_page(client_for, vendor, buyer, fresh):
    services.sla_version_propose(actor=buyer, version=v(fresh))
    response = client_for(vendor).post(page(fresh, "version_activate"), {"reason": "agreed"})
    assert response.status_code == 403
    assert v(fresh).is_proposed


def test_propose_then_accept_through_the_pages(client_for, buyer, vendor, fresh):
    buyer_client, vendor_client = client_for(buyer), client_for(vendor)
    html = buyer_client.get(page(fresh, "version")).content.decode()
    assert "Propose v1 to the vendor" in html and "Review and accept" not in html
    response = buyer_client.post(page(fresh, "version_propose"), {"effective_from": ""})
    assert response.status_code == 302
    assert v(fresh).is_proposed

    html = vendor_client.get(page(fresh, "version")).content.decode()
    assert "Review and accept v1" in html and "Counter-propose" in html and "Reject v1" in html
    confirm = vendor_client.get(page(fresh, "version_accept")).content.decode()
    checksum = v(fresh).consent_checksum
    assert f'name="checksum" value="{checksum}"' in confirm  # carried in a hidden field
    assert "1 Jan 2025 00:00" in confirm  # the effective date the vendor accepts

    response = vendor_client.post(page(fresh, "version_accept"), {"checksum": checksum}, follow=True)
    assert "accepted by both parties" in response.content.decode()
    assert v(fresh).is_active and v(fresh).activation_basis == SLAVersion.Basis.ACCEPTED


def test_a_stale_checksum_on_the_page_is_409_and_shows_the_current_one(client_for, buyer, vendor, fresh):
    services.sla_version_propose(actor=buyer, version=v(fresh))
    response = client_for(vendor).post(page(fresh, "version_accept"), {"checksum": "f" * 64})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Nothing was accepted" in html and v(fresh).consent_checksum in html
    assert v(fresh).is_proposed and v(fresh).acceptances.count() == 1


def test_the_editor_refuses_a_proposal(client_for, buyer, fresh):
    services.sla_version_propose(actor=buyer, version=v(fresh))
    response = client_for(buyer).get(page(fresh, "version_edit"))
    assert response.status_code == 409
    assert "withdraws it" in response.content.decode()


def test_a_vendor_board_member_is_refused_by_the_editor_and_comments_instead(client_for, vendor_org, staff, fresh):
    person = member("vendor-board", vendor_org, Membership.Role.SUPPORT_ENGINEER)
    services.board_seat_add(actor=staff, contract=fresh, user=person)
    client = client_for(person)
    assert client.get(page(fresh, "version_edit")).status_code == 403
    assert client.post(page(fresh, "version_edit"), {"change_summary": "x"}).status_code == 403
    html = client.get(page(fresh, "version")).content.decode()
    assert "Edit draft" not in html and 'name="body"' in html
    client.post(page(fresh, "version_comment"), {"body": "Add the Easter closure, please."})
    assert list(v(fresh).comments.values_list("body", flat=True)) == ["Add the Easter closure, please."]
    assert "Add the Easter closure, please." in client.get(page(fresh, "version")).content.decode()


def test_the_counter_proposal_page_shows_the_redline(client_for, buyer, vendor, fresh):
    services.sla_version_propose(actor=buyer, version=v(fresh))
    response = client_for(vendor).post(page(fresh, "version_counter"), {"change_summary": "Faster restore"})
    assert response.status_code == 302 and response["Location"] == page(fresh, "version_edit", 2)
    counter = v(fresh, 2)
    terms = counter.terms
    before = terms["targets"][0]["restore_minutes"]
    terms["targets"][0]["restore_minutes"] = 60
    services.sla_version_update(actor=vendor, version=counter, terms=terms)
    html = client_for(buyer).get(page(fresh, "version", 2)).content.decode()
    assert "Redline against v1" in html
    assert ".restore_minutes</code>" in html
    assert f"{before} min" in html and "60 min" in html


def test_reject_and_withdraw_forms_need_a_reason(client_for, buyer, vendor, fresh):
    services.sla_version_propose(actor=buyer, version=v(fresh))
    response = client_for(vendor).post(page(fresh, "version_reject"), {"reason": ""}, follow=True)
    assert "Give a reason" in response.content.decode() and v(fresh).is_proposed
    client_for(buyer).post(page(fresh, "version_withdraw"), {"reason": "Wrong calendar"})
    assert v(fresh).is_draft and v(fresh).returned_reason == "Wrong calendar"


def test_version_page_queries_do_not_grow_with_comments(client_for, buyer, fresh, django_assert_num_queries):
    client = client_for(buyer)
    services.sla_version_comment(actor=buyer, version=v(fresh), body="one")
    client.get(page(fresh, "version"))
    with CaptureQueriesContext(connection) as small:
        client.get(page(fresh, "version"))
    assert len(small.captured_queries) <= 14
    for i in range(6):
        services.sla_version_comment(actor=buyer, version=v(fresh), body=f"more {i}")
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(page(fresh, "version")).content.decode().count("<li><strong>") == 7


# -- the exhibit ------------------------------------------------------------------------------------------


def test_the_exhibit_names_both_acceptances(buyer, vendor, fresh):
    services.sla_version_propose(actor=buyer, version=v(fresh))
    proposed = text_of(render_schedule_pdf(v(fresh)))
    assert "PROPOSED" in proposed and "Active" not in proposed
    services.sla_version_accept(actor=vendor, version=v(fresh), checksum=v(fresh).consent_checksum)
    version = v(fresh)
    text = " ".join(text_of(render_schedule_pdf(version)).split())
    assert "Active (frozen)" in text
    assert f"Accepted by {buyer.get_full_name()}, Northwind Bank on" in text
    assert f"and {vendor.get_full_name()}, Acme Cloud on" in text
    assert f"checksum{version.consent_checksum}" in "".join(text.split())


def test_the_exhibit_prints_the_override_reason(staff, fresh):
    services.sla_version_activate_override(actor=staff, version=v(fresh), reason="Signed on paper on 3 January")
    text = " ".join(text_of(render_schedule_pdf(v(fresh))).split())
    assert "Active (frozen)" in text
    assert "Activated by staff override: Signed on paper on 3 January" in text


def test_the_exhibit_never_calls_a_merely_recorded_version_active(contract):
    # The fixtures' setup path: activated without acceptances.
    text = " ".join(text_of(render_schedule_pdf(v(contract))).split())
    assert "Active" not in text and "no acceptance by both parties on record" in text
