"""A held draft SLA version (an annual review's amendment holds it): the
contract's terms editor, page and API, refuses it with a 409 that links to
the holder; only the holder edits it; holding and releasing are audited."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import verify_chain
from contracts import services
from contracts.models import SLAVersion
from core.errors import Conflict

HOLDER = "/reviews/42/"


@pytest.fixture
def draft(contract, buyer):
    return services.sla_version_amend(actor=buyer, contract=contract, change_summary="Raise the target")


@pytest.fixture
def held(draft, buyer):
    return services.sla_version_hold(actor=buyer, version=draft, label="Annual review 2027", url=HOLDER)


def raised(version: SLAVersion) -> dict:
    terms = copy.deepcopy(version.terms)
    terms["uptime"]["target_percent"] = "99.99"
    return terms


def test_it_holds_and_releases_with_an_audit_entry_each(held, buyer):
    assert held.is_held and (held.held_by, held.held_by_url) == ("Annual review 2027", HOLDER)
    entry = AuditEntry.objects.get(verb="sla_version.held")
    assert entry.changes == {"held_by": ["", "Annual review 2027"], "held_by_url": ["", HOLDER]}

    again = services.sla_version_hold(actor=buyer, version=held, label="Annual review 2027", url=HOLDER)
    assert again.is_held and AuditEntry.objects.filter(verb="sla_version.held").count() == 1  # idempotent

    released = services.sla_version_release(actor=buyer, version=held, url=HOLDER)
    assert not released.is_held and SLAVersion.objects.get(pk=held.pk).held_by == ""
    assert AuditEntry.objects.get(verb="sla_version.released").changes["held_by"] == ["Annual review 2027", ""]
    assert verify_chain().ok


def test_it_refuses_a_second_holder_and_ignores_a_stranger_releasing(held, buyer):
    with pytest.raises(Conflict) as exc:
        services.sla_version_hold(actor=buyer, version=held, label="Annual review 2028", url="/reviews/43/")
    assert exc.value.state == "held" and HOLDER in exc.value.message
    services.sla_version_release(actor=buyer, version=held, url="/reviews/43/")
    assert SLAVersion.objects.get(pk=held.pk).held_by_url == HOLDER


def test_only_the_holder_edits_a_held_draft(held, buyer):
    with pytest.raises(Conflict) as exc:
        services.sla_version_update(actor=buyer, version=held, terms=raised(held))
    assert exc.value.state == "held"
    assert "Annual review 2027" in exc.value.message and HOLDER in exc.value.message
    assert SLAVersion.objects.get(pk=held.pk).terms["uptime"]["target_percent"] != "99.99"

    services.sla_version_update(actor=buyer, version=held, terms=raised(held), holder_url=HOLDER)
    assert SLAVersion.objects.get(pk=held.pk).terms["uptime"]["target_percent"] == "99.99"


def test_the_api_answers_409_with_the_holders_page(client_for, held, buyer, contract):
    path = f"/api/contracts/{contract.pk}/sla-versions/{held.number}/"
    response = client_for(buyer).patch(path, {"terms": raised(held)}, content_type="application/json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "conflict" and body["state"] == "held" and body["allowed"] == []
    assert HOLDER in body["detail"]
    assert SLAVersion.objects.get(pk=held.pk).terms == held.terms

    unheld = services.sla_version_release(actor=buyer, version=held, url=HOLDER)
    response = client_for(buyer).patch(path, {"change_summary": "Mine again"}, content_type="application/json")
    assert response.status_code == 200 and SLAVersion.objects.get(pk=unheld.pk).change_summary == "Mine again"


def test_the_page_answers_409_with_a_link_to_the_holder(client_for, held, buyer, contract):
    url = reverse("contracts:version_edit", args=[contract.pk, held.number])
    page = client_for(buyer).get(url)
    assert page.status_code == 409
    assert f'href="{HOLDER}"'.encode() in page.content and b"belongs to Annual review 2027" in page.content
    assert b'name="up_target"' not in page.content  # no editor to type into

    posted = client_for(buyer).post(url, {"up_target": "99.99"})
    assert posted.status_code == 409 and f'href="{HOLDER}"'.encode() in posted.content
    assert SLAVersion.objects.get(pk=held.pk).terms == held.terms


def test_an_unheld_draft_still_opens_in_the_editor(client_for, draft, buyer, contract):
    page = client_for(buyer).get(reverse("contracts:version_edit", args=[contract.pk, draft.number]))
    assert page.status_code == 200 and b'name="up_target"' in page.content
