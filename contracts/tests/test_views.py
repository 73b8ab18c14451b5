"""Contract pages: the buyer's whole journey, the vendor's read-only view, the
outsider's 404s, the frozen-version conflict and the list's query count."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEntry
from contracts import services
from contracts.models import Contract, SLAVersion
from contracts.tests.factories import make_contract

pytestmark = pytest.mark.django_db


def form_data(form: Any) -> dict[str, Any]:
    """What a browser would post back for the form as rendered."""
    data: dict[str, Any] = {}
    for bf in form:
        value = bf.value()
        if bf.widget_type == "checkbox":
            if value:
                data[bf.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bf.html_name] = list(value)
        else:
            data[bf.html_name] = "" if value is None else value
    return data


def edit_url(contract: Contract, number: int) -> str:
    return reverse("contracts:version_edit", args=[contract.pk, number])


def create_payload(buyer_org: Any, vendor_org: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "buyer": buyer_org.pk,
        "vendor": vendor_org.pk,
        "reference": "NW-2025-014",
        "product": "Payments Hub",
        "start_date": "2025-01-01",
        "term_end": "2027-12-31",
        "auto_renew": "on",
        "notice_period_days": "90",
        "monthly_fee": "12500.00",
        "currency": "eur",
        "covered_components": "api, web\nreporting",
        "supported_integrations": "SAML SSO",
        "out_of_scope": "Custom reports",
        "preset": "business-hours",
        **overrides,
    }


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# -- the buyer's journey ------------------------------------------------------------------------


def test_it_takes_a_buyer_from_template_to_amended_sla(client_for, buyer, vendor, buyer_org, vendor_org):
    client = client_for(buyer)

    # Create from a template in the browser.
    page = client.get(reverse("contracts:create"))
    assert page.status_code == 200
    assert "Business hours standard" in page.content.decode()
    response = client.post(reverse("contracts:create"), create_payload(buyer_org, vendor_org))
    contract = Contract.objects.get(reference="NW-2025-014")
    assert response.status_code == 302
    assert response["Location"] == reverse("contracts:detail", args=[contract.pk])
    assert contract.status == Contract.Status.DRAFT
    assert contract.covered_components == ["api", "web", "reporting"]
    assert contract.currency == "EUR"
    v1 = contract.sla_versions.get()
    assert v1.preset == "business-hours" and v1.is_draft

    # Edit the draft: valid input is saved.
    page = client.get(edit_url(contract, 1))
    for name in ("tier_0_percent", "breach_0_severity", "esc_0_level", "dispute_0_stage", "h_0_0_start"):
        assert f'name="{name}"' in page.content.decode(), name
    form = page.context["form"]
    data = form_data(form)
    data["t_critical_production_restore_minutes"] = "360"
    data["up_target"] = "99.7"
    data["change_summary"] = "Faster restore for critical incidents"
    response = client.post(edit_url(contract, 1), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else None
    v1.refresh_from_db()
    critical = next(t for t in v1.terms["targets"] if (t["severity"], t["environment"]) == ("critical", "production"))
    assert critical["restore_minutes"] == 360
    assert v1.terms["uptime"]["target_percent"] == "99.7"
    assert v1.change_summary == "Faster restore for critical incidents"
    assert AuditEntry.objects.for_contract(contract.pk).filter(verb="sla_version.updated").exists()

    # Invalid input: field errors next to the inputs, a summary on top, nothing saved.
    saved = v1.terms
    bad = {**data, "t_critical_production_acknowledge_minutes": "9999", "cal_timezone": "Mars/Olympus"}
    response = client.post(edit_url(contract, 1), bad)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "acknowledge <= restore <= resolve" in " ".join(errors["t_critical_production_restore_minutes"])
    assert "Mars/Olympus" in " ".join(errors["cal_timezone"])
    html = response.content.decode()
    assert "Nothing was saved" in html and 'href="#id_cal_timezone"' in html
    v1.refresh_from_db()
    assert v1.terms == saved

    # A value the form cannot parse never reaches the service.
    response = client.post(edit_url(contract, 1), {**data, "claim_window": "thirty"})
    assert response.status_code == 200
    assert "claim_window" in response.context["form"].errors
    v1.refresh_from_db()
    assert v1.terms == saved

    # The buyer alone may not activate; it proposes, and the vendor (once it accepted the invitation) accepts.
    # The first version starts with the contract.
    response = client.post(reverse("contracts:version_activate", args=[contract.pk, 1]), {"effective_from": ""})
    assert response.status_code == 403
    response = client.post(reverse("contracts:version_propose", args=[contract.pk, 1]), {"effective_from": ""})
    assert response.status_code == 302
    services.contract_vendor_accept(actor=vendor, contract=contract)
    vendor_client = client_for(vendor)
    checksum = contract.sla_versions.get(number=1).consent_checksum
    response = vendor_client.post(reverse("contracts:version_accept", args=[contract.pk, 1]), {"checksum": checksum})
    assert response.status_code == 302
    v1.refresh_from_db()
    contract.refresh_from_db()
    assert v1.status == SLAVersion.Status.ACTIVE
    assert contract.status == Contract.Status.ACTIVE

    # The schedule is on the page.
    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert "Response and resolution targets" in html
    assert "6 h" in html  # 360 minutes
    assert "3 % of the monthly fee" in html
    assert "Amend SLA" in html

    # And in the PDF.
    response = client.get(reverse("contracts:schedule_pdf", args=[contract.pk, 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Exhibit: Service Level Schedule" in text
    assert "Northwind Bank" in text and "Acme Cloud" in text
    assert "NW-2025-014" in text

    # Amend into v2 and edit it.
    response = client.post(reverse("contracts:amend", args=[contract.pk]))
    assert response.status_code == 302
    assert response["Location"] == edit_url(contract, 2)
    v2 = contract.sla_versions.get(number=2)
    assert v2.is_draft and v2.based_on == v1
    data = form_data(client.get(edit_url(contract, 2)).context["form"])
    data["t_critical_production_restore_minutes"] = "240"
    data["change_summary"] = "Restore critical incidents within 4 h"
    assert client.post(edit_url(contract, 2), data).status_code == 302

    # Propose v2 from a future date, in the calendar's zone; the vendor accepts it.
    starts = (timezone.now() + timedelta(days=30)).astimezone(timezone.get_fixed_timezone(0))
    response = client.post(
        reverse("contracts:version_propose", args=[contract.pk, 2]),
        {"effective_from": starts.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    checksum = contract.sla_versions.get(number=2).consent_checksum
    response = vendor_client.post(reverse("contracts:version_accept", args=[contract.pk, 2]), {"checksum": checksum})
    assert response.status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v2.status == SLAVersion.Status.ACTIVE
    assert v2.effective_from > timezone.now()
    assert v1.effective_to == v2.effective_from

    # v1 stays in force until then; the page says v2 is coming.
    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert "SLA v2 is activated and takes effect" in html

    # The diff shows what changed.
    response = client.get(reverse("contracts:diff", args=[contract.pk]), {"a": 1, "b": 2})
    assert response.status_code == 200
    rows = {r["path"]: r for r in response.context["rows"]}
    changed = rows["targets[critical, production].restore_minutes"]
    assert (changed["old"], changed["new"]) == ("360 min (6 h)", "240 min (4 h)")
    assert "Restore within" in response.content.decode()

    history = client.get(reverse("contracts:versions", args=[contract.pk]))
    assert history.status_code == 200
    assert "Restore critical incidents within 4 h" in history.content.decode()


def test_the_proposed_date_is_read_in_the_calendar_zone(client_for, buyer, buyer_org, vendor_org):
    client = client_for(buyer)
    client.post(reverse("contracts:create"), create_payload(buyer_org, vendor_org))  # Europe/Berlin template
    contract = Contract.objects.get(reference="NW-2025-014")
    client.post(reverse("contracts:version_propose", args=[contract.pk, 1]), {"effective_from": "2025-01-01T00:00"})
    v1 = contract.sla_versions.get(number=1)
    assert v1.proposed_from.isoformat() == "2024-12-31T23:00:00+00:00"


def test_proposal_errors_come_back_as_a_message(client_for, buyer, contract):
    client = client_for(buyer)
    services.sla_version_amend(actor=buyer, contract=contract)
    response = client.post(
        reverse("contracts:version_propose", args=[contract.pk, 2]),
        {"effective_from": "2020-01-01T00:00"},
        follow=True,
    )
    assert "Versions may not overlap" in response.content.decode()
    assert contract.sla_versions.get(number=2).is_draft


def test_create_shows_service_errors_on_the_fields(client_for, buyer, buyer_org, vendor_org, contract):
    client = client_for(buyer)
    response = client.post(
        reverse("contracts:create"),
        create_payload(buyer_org, vendor_org, reference=contract.reference, term_end="2024-06-30"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "term_end" in errors
    assert Contract.objects.count() == 1


def test_create_is_for_contract_managers(client_for, buyer_ops, vendor, buyer_org, vendor_org):
    for user in (buyer_ops, vendor):
        client = client_for(user)
        assert client.get(reverse("contracts:create")).status_code == 403
        assert client.post(reverse("contracts:create"), create_payload(buyer_org, vendor_org)).status_code == 403
    assert not Contract.objects.exists()


def test_create_offers_only_the_buyers_the_user_manages(client_for, buyer, staff, buyer_org):
    from accounts.models import Organization
    from accounts.tests.factories import OrganizationFactory

    other = OrganizationFactory(name="Contoso Insurance", slug="contoso", kind=Organization.Kind.BUYER)
    mine = client_for(buyer).get(reverse("contracts:create")).context["form"].fields["buyer"].queryset
    assert list(mine) == [buyer_org]
    everyone = client_for(staff).get(reverse("contracts:create")).context["form"].fields["buyer"].queryset
    assert set(everyone) == {buyer_org, other}


# -- who sees what ---------------------------------------------------------------------------------


def test_vendor_people_see_the_contract_read_only(client_for, vendor, vendor_engineer, contract):
    for user in (vendor, vendor_engineer):
        client = client_for(user)
        response = client.get(reverse("contracts:detail", args=[contract.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        assert "Response and resolution targets" in html
        assert "Amend SLA" not in html and "Edit draft" not in html and "Activate" not in html
        assert client.get(reverse("contracts:schedule_pdf", args=[contract.pk, 1])).status_code == 200


def test_vendor_cannot_edit_activate_or_amend(client_for, buyer, vendor, contract):
    draft = services.sla_version_amend(actor=_staff(), contract=contract)
    before = draft.terms
    buyer_form = client_for(buyer).get(edit_url(contract, draft.number)).context["form"]
    data = {**form_data(buyer_form), "up_target": "90"}

    client = client_for(vendor)
    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert "Edit draft" not in html
    assert client.get(edit_url(contract, draft.number)).status_code == 403
    assert client.post(edit_url(contract, draft.number), data).status_code == 403
    assert client.post(reverse("contracts:version_activate", args=[contract.pk, draft.number])).status_code == 403
    assert client.post(reverse("contracts:amend", args=[contract.pk])).status_code == 403
    draft.refresh_from_db()
    assert draft.terms == before and draft.is_draft


def test_board_member_may_edit_a_draft(client_for, board_member, contract):
    contract = Contract.objects.get(pk=contract.pk)  # the fixture's instance cached its board before the seat
    draft = services.sla_version_amend(actor=board_member, contract=contract)
    client = client_for(board_member)
    data = {**form_data(client.get(edit_url(contract, draft.number)).context["form"]), "claim_window": "45"}
    assert client.post(edit_url(contract, draft.number), data).status_code == 302
    draft.refresh_from_db()
    assert draft.terms["claim_window_days"] == 45


def _staff() -> Any:
    from accounts.tests.factories import UserFactory

    return UserFactory(username="factory-staff", is_staff=True)


def _upload(contract: Contract) -> Any:
    file = SimpleUploadedFile("msa.pdf", b"%PDF-1.4\n% signed agreement\n", content_type="application/pdf")
    return services.document_upload(actor=_staff(), contract=contract, title="Signed MSA", file=file)


def test_documents_download_through_a_checked_view(client_for, buyer, contract):
    doc = _upload(contract)
    client = client_for(buyer)
    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    url = reverse("contracts:document", args=[contract.pk, doc.pk])
    assert url in html
    assert "/media/" not in html
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


def test_outsider_gets_404_on_every_contract_page(client_for, outsider, contract):
    doc = _upload(contract)
    services.sla_version_amend(actor=_staff(), contract=contract)
    client = client_for(outsider)
    pk = contract.pk
    for url in (
        reverse("contracts:detail", args=[pk]),
        reverse("contracts:versions", args=[pk]),
        reverse("contracts:diff", args=[pk]) + "?a=1&b=2",
        reverse("contracts:audit", args=[pk]),
        reverse("contracts:audit", args=[pk]) + "?format=csv",
        reverse("contracts:schedule_pdf", args=[pk, 1]),
        reverse("contracts:document", args=[pk, doc.pk]),
        edit_url(contract, 2),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        edit_url(contract, 2),
        reverse("contracts:version_activate", args=[pk, 2]),
        reverse("contracts:amend", args=[pk]),
    ):
        assert client.post(url, {}).status_code == 404, url
    assert contract.sla_versions.get(number=2).is_draft
    assert contract.reference not in client.get(reverse("contracts:list")).content.decode()


def test_a_document_of_another_contract_is_404(client_for, buyer, contract, foreign_contract):
    doc = _upload(foreign_contract)
    response = client_for(buyer).get(reverse("contracts:document", args=[contract.pk, doc.pk]))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, contract):
    response = client.get(reverse("contracts:detail", args=[contract.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# -- frozen versions ---------------------------------------------------------------------------------


def test_editing_an_active_version_is_a_409_pointing_to_amend(client_for, buyer, contract):
    client = client_for(buyer)
    amend_url = reverse("contracts:amend", args=[contract.pk])
    response = client.get(edit_url(contract, 1))
    assert response.status_code == 409
    assert amend_url in response.content.decode()

    # A POST goes to the service, which refuses: nothing changes.
    draft = services.sla_version_amend(actor=buyer, contract=contract)
    data = {**form_data(client.get(edit_url(contract, draft.number)).context["form"]), "up_target": "90"}
    before = contract.sla_versions.get(number=1).terms
    response = client.post(edit_url(contract, 1), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "active and frozen" in html
    assert edit_url(contract, draft.number) in html  # the open draft is the way forward
    assert contract.sla_versions.get(number=1).terms == before


def test_version_pages(client_for, buyer, contract):
    client = client_for(buyer)
    assert client.get(reverse("contracts:detail", args=[contract.pk]) + "?v=9").status_code == 404
    assert client.get(reverse("contracts:diff", args=[contract.pk]) + "?a=1&b=7").status_code == 404
    response = client.get(reverse("contracts:diff", args=[contract.pk]) + "?a=x")
    assert response.status_code == 302
    same = client.get(reverse("contracts:diff", args=[contract.pk]) + "?a=1&b=1")
    assert "identical" in same.content.decode()


def test_audit_trail_lists_the_contracts_entries(client_for, buyer, contract, foreign_contract):
    client = client_for(buyer)
    response = client.get(reverse("contracts:audit", args=[contract.pk]))
    assert response.status_code == 200
    verbs = {e.verb for e in response.context["page"]}
    assert {"contract.created", "sla_version.activated"} <= verbs
    assert all(e.contract_id == contract.pk for e in response.context["page"])
    csv = client.get(reverse("contracts:audit", args=[contract.pk]) + "?format=csv")
    assert csv.status_code == 200
    body = b"".join(csv.streaming_content).decode()
    assert "contract.created" in body and "C-FOREIGN" not in body


# -- the list ----------------------------------------------------------------------------------------------


def _contracts(buyer_org: Any, vendor_org: Any, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        make_contract(buyer=buyer_org, vendor=vendor_org, reference=f"L-{i:03d}")


def _list_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("contracts:list"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(client_for, buyer, buyer_org, vendor_org, django_assert_num_queries):
    client = client_for(buyer)
    _contracts(buyer_org, vendor_org, 3)
    client.get(reverse("contracts:list"))  # warm the session
    baseline = _list_queries(client)
    with django_assert_num_queries(baseline):
        assert len(client.get(reverse("contracts:list")).context["page"]) == 3
    _contracts(buyer_org, vendor_org, 9, start=3)
    with django_assert_num_queries(baseline):
        assert len(client.get(reverse("contracts:list")).context["page"]) == 12


def test_list_shows_only_visible_contracts_and_filters(client_for, vendor, buyer, contract, foreign_contract):
    assert [c.reference for c in client_for(vendor).get(reverse("contracts:list")).context["page"]] == ["C-1"]
    client = client_for(buyer)
    page = client.get(reverse("contracts:list")).context["page"]
    assert [c.reference for c in page] == ["C-1", "C-FOREIGN"]

    vendors = client_for(vendor).get(reverse("contracts:list")).context["filter"].form.fields["vendor"].queryset
    assert [o.name for o in vendors] == ["Acme Cloud"]  # only vendors of visible contracts

    def refs(**params: Any) -> list[str]:
        return [c.reference for c in client.get(reverse("contracts:list"), params).context["page"]]

    assert refs(vendor=contract.vendor_id) == ["C-1"]
    assert refs(q="foreign") == ["C-FOREIGN"]
    assert refs(status="draft") == []
    assert refs(status="active") == ["C-1", "C-FOREIGN"]
    assert refs(o="-reference") == ["C-FOREIGN", "C-1"]


def test_list_renewal_filter_and_notice_warning(client_for, buyer, buyer_org, vendor_org):
    today = timezone.localdate()
    make_contract(buyer=buyer_org, vendor=vendor_org, reference="SOON", term_end=today + timedelta(days=120))
    make_contract(buyer=buyer_org, vendor=vendor_org, reference="LATER", term_end=today + timedelta(days=900))
    client = client_for(buyer)
    response = client.get(reverse("contracts:list"), {"renewal_within": 60})
    assert [c.reference for c in response.context["page"]] == ["SOON"]
    html = response.content.decode()
    assert "in 30 days" in html and "Notice soon" in html
    bad = client.get(reverse("contracts:list"), {"renewal_within": "soon"})
    assert bad.status_code == 200 and "renewal_within" in bad.context["filter"].errors


def test_list_paginates_by_25(client_for, buyer, buyer_org, vendor_org):
    from contracts.models import Contract as C

    base = make_contract(buyer=buyer_org, vendor=vendor_org, reference="P-000")
    C.objects.bulk_create(
        [
            C(
                reference=f"P-{i:03d}",
                product=base.product,
                buyer=buyer_org,
                vendor=vendor_org,
                start_date=base.start_date,
                term_end=base.term_end,
                notice_deadline=base.notice_deadline,
                monthly_fee=base.monthly_fee,
            )
            for i in range(1, 30)
        ]
    )
    client = client_for(buyer)
    first = client.get(reverse("contracts:list"))
    assert len(first.context["page"]) == 25
    assert len(client.get(reverse("contracts:list"), {"page": 2}).context["page"]) == 5


def test_the_editor_keeps_target_keys_it_does_not_edit(client_for, buyer, buyer_org, vendor_org):
    """The investigate target and the update cadence are set through the API; saving the draft in
    the editor must not drop them."""
    from contracts.models import SLAVersion

    client = client_for(buyer)
    client.post(reverse("contracts:create"), create_payload(buyer_org, vendor_org))
    contract = Contract.objects.get(reference="NW-2025-014")
    v1 = contract.sla_versions.get()
    terms = dict(v1.terms)
    terms["targets"] = [
        {**t, "investigate_minutes": 45, "update_interval_minutes": 30} if t["severity"] == "critical" else t
        for t in terms["targets"]
    ]
    SLAVersion.objects.filter(pk=v1.pk).update(terms=terms)
    data = form_data(client.get(edit_url(contract, 1)).context["form"])
    data["t_critical_production_restore_minutes"] = "360"
    assert client.post(edit_url(contract, 1), data).status_code == 302
    v1.refresh_from_db()
    critical = next(t for t in v1.terms["targets"] if (t["severity"], t["environment"]) == ("critical", "production"))
    assert (critical["restore_minutes"], critical["investigate_minutes"], critical["update_interval_minutes"]) == (
        360,
        45,
        30,
    )
