"""The onboarding plan and training resources: created on activation, worked
through the services, the routine page and the API, with the refusals the
issue names (owner outside the contract, due before activation, evidence of a
disallowed type) and the overdue notice sent once."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Notification
from audit.models import AuditEntry
from contracts import onboarding, services
from contracts.models import OnboardingItem, OnboardingTemplate, ResourceConfirmation, TrainingResource
from contracts.onboarding import DEFAULT_TEMPLATE_ITEMS
from contracts.tasks import onboarding_overdue_watch
from contracts.tests.factories import make_contract
from core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def plan(contract) -> list[OnboardingItem]:
    return list(contract.onboarding_items.order_by("order"))


def item_titled(contract, text: str) -> OnboardingItem:
    return contract.onboarding_items.get(title__icontains=text)


def post_json(client, path: str, data: Any = None):
    return client.post(path, json.dumps(data or {}), content_type="application/json")


# -- the plan --------------------------------------------------------------------------------


def test_activating_a_contract_creates_its_plan_due_relative_to_activation(buyer_org, vendor_org, buyer):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-NEW", activate=False)
    assert not contract.onboarding_items.exists()
    services.sla_version_activate(actor=buyer, version=contract.sla_versions.get(number=1))

    items = plan(contract)
    today = timezone.localdate()
    assert [i.title for i in items] == [t[0] for t in DEFAULT_TEMPLATE_ITEMS]
    assert [(i.due_date - today).days for i in items] == [t[2] for t in DEFAULT_TEMPLATE_ITEMS]
    assert [i.owner_party for i in items] == [t[1] for t in DEFAULT_TEMPLATE_ITEMS]
    assert all(i.status == OnboardingItem.Status.OPEN for i in items)
    # The training session waits for the SLA schedule to be read.
    training = item_titled(contract, "training session")
    assert training.resource is not None and training.resource.url.endswith("/versions/1/schedule.pdf")
    assert AuditEntry.objects.filter(verb="onboarding.plan_created", contract_id=contract.pk).count() == 1


def test_the_plan_is_created_once_not_again_on_amendment(contract, buyer):
    assert len(plan(contract)) == 6
    draft = services.sla_version_amend(actor=buyer, contract=contract)
    services.sla_version_activate(actor=buyer, version=draft)
    assert len(plan(contract)) == 6
    assert onboarding.onboarding_plan_create(actor=buyer, contract=contract) == plan(contract)


def test_the_default_template_comes_from_the_data_migration_and_staff_may_replace_it(contract, staff):
    template = OnboardingTemplate.objects.get(is_default=True)
    assert template.items.count() == 6
    saved = onboarding.onboarding_template_save(
        actor=staff,
        name="Lean onboarding",
        is_default=True,
        items=[{"title": "Kick-off call", "owner_party": "buyer", "due_offset_days": 3}],
    )
    assert OnboardingTemplate.objects.get(is_default=True) == saved
    with pytest.raises(InvalidInput) as exc:
        onboarding.onboarding_template_save(
            actor=staff, name="Bad", items=[{"title": "", "owner_party": "x", "due_offset_days": 900}]
        )
    assert set(exc.value.errors) == {"items[0].title", "items[0].owner_party", "items[0].due_offset_days"}


def test_only_staff_edit_templates(buyer):
    with pytest.raises(NotPermitted):
        onboarding.onboarding_template_save(actor=buyer, name="Mine", items=[])


# -- bad input -----------------------------------------------------------------------------------


def test_an_owner_outside_the_contract_is_refused_naming_the_field(contract, buyer, outsider, vendor_engineer):
    item = item_titled(contract, "coverage calendar")  # a buyer item
    with pytest.raises(InvalidInput) as exc:
        onboarding.onboarding_item_update(actor=buyer, item=item, owner=outsider)
    assert "owner" in exc.value.errors
    assert str(outsider) in exc.value.errors["owner"][0]
    # A vendor person cannot own a buyer item either.
    with pytest.raises(InvalidInput) as exc:
        onboarding.onboarding_item_update(actor=buyer, item=item, owner=vendor_engineer)
    assert "owner" in exc.value.errors
    item.refresh_from_db()
    assert item.owner is None


def test_a_board_member_or_a_party_member_may_own_an_item(contract, buyer, buyer_ops, board_member):
    item = item_titled(contract, "coverage calendar")
    assert onboarding.onboarding_item_update(actor=buyer, item=item, owner=board_member).owner == board_member
    assert onboarding.onboarding_item_update(actor=buyer, item=item, owner=buyer_ops).owner == buyer_ops


def test_a_due_date_before_activation_is_refused_naming_the_field(contract, buyer):
    started = onboarding.activation_date(contract)
    with pytest.raises(InvalidInput) as exc:
        onboarding.onboarding_item_add(
            actor=buyer, contract=contract, title="Late", owner_party="buyer", due_date=started - timedelta(days=1)
        )
    assert list(exc.value.errors) == ["due_date"]
    item = plan(contract)[0]
    with pytest.raises(InvalidInput) as exc:
        onboarding.onboarding_item_update(actor=buyer, item=item, due_date=started - timedelta(days=3))
    assert list(exc.value.errors) == ["due_date"]
    added = onboarding.onboarding_item_add(
        actor=buyer, contract=contract, title="Security review", owner_party="vendor", due_date=started
    )
    assert added.due_date == started


def test_a_draft_contract_has_no_plan_to_add_to(buyer_org, vendor_org, buyer):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, reference="C-DRAFT", activate=False)
    with pytest.raises(Conflict):
        onboarding.onboarding_item_add(
            actor=buyer, contract=contract, title="x", owner_party="buyer", due_date=date(2030, 1, 1)
        )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00"),
        ("notes.docx", b"PK\x03\x04"),
        ("fake.pdf", b"just text"),
        ("photo.png", b"\xff\xd8\xffJFIF"),
        ("binary.txt", b"\x00\x01\x02"),
        ("latin1.md", "café".encode("latin-1")),
    ],
)
def test_evidence_of_a_disallowed_type_is_refused_naming_the_field(contract, vendor_engineer, name, content):
    item = item_titled(contract, "monitoring source")
    with pytest.raises(InvalidInput) as exc:
        onboarding.onboarding_item_evidence(actor=vendor_engineer, item=item, file=SimpleUploadedFile(name, content))
    assert list(exc.value.errors) == ["file"]
    item.refresh_from_db()
    assert not item.evidence_file


@pytest.mark.parametrize(("name", "content"), [("proof.pdf", PDF), ("notes.md", b"# Monitor\nfirst probe ok\n")])
def test_evidence_of_an_allowed_type_is_kept(contract, vendor_engineer, client_for, name, content):
    item = item_titled(contract, "monitoring source")
    item = onboarding.onboarding_item_evidence(
        actor=vendor_engineer,
        item=item,
        note="First probe results arrived.",
        link="https://status.example.com/probe/1",
        file=SimpleUploadedFile(name, content),
    )
    assert item.evidence_file_name == name and item.has_evidence
    response = client_for(vendor_engineer).get(f"/contracts/{contract.pk}/routine/items/{item.pk}/file/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == content


def test_a_link_must_be_a_link(contract, vendor_engineer):
    item = item_titled(contract, "monitoring source")
    with pytest.raises(InvalidInput) as exc:
        onboarding.onboarding_item_evidence(actor=vendor_engineer, item=item, link="javascript:alert(1)")
    assert list(exc.value.errors) == ["link"]


def test_waiving_needs_a_reason_and_a_manager(contract, buyer, vendor_engineer):
    item = item_titled(contract, "escalation ladder")
    with pytest.raises(NotPermitted):
        onboarding.onboarding_item_waive(actor=vendor_engineer, item=item, reason="n/a")
    with pytest.raises(InvalidInput) as exc:
        onboarding.onboarding_item_waive(actor=buyer, item=item, reason="  ")
    assert list(exc.value.errors) == ["reason"]
    item = onboarding.onboarding_item_waive(actor=buyer, item=item, reason="Agreed in the kick-off")
    assert item.status == OnboardingItem.Status.WAIVED
    with pytest.raises(Conflict):
        onboarding.onboarding_item_done(actor=buyer, item=item)


# -- who does what ----------------------------------------------------------------------------------


def test_the_owner_party_marks_its_items_done(contract, vendor_engineer, buyer_ops, buyer_viewer):
    item = item_titled(contract, "monitoring source")  # a vendor item
    with pytest.raises(NotPermitted):
        onboarding.onboarding_item_done(actor=buyer_ops, item=item)
    with pytest.raises(NotPermitted):
        onboarding.onboarding_item_done(actor=buyer_viewer, item=item)
    item = onboarding.onboarding_item_done(actor=vendor_engineer, item=item, note="Alertmanager connected.")
    assert item.status == OnboardingItem.Status.DONE and item.done_by == vendor_engineer
    assert "Alertmanager" in item.evidence_note
    with pytest.raises(Conflict):
        onboarding.onboarding_item_done(actor=vendor_engineer, item=item)


def test_a_named_owner_may_complete_an_item_of_another_party(contract, buyer, board_member):
    item = item_titled(contract, "coverage calendar")
    onboarding.onboarding_item_update(actor=buyer, item=item, owner=board_member)
    item.refresh_from_db()
    assert onboarding.onboarding_item_done(actor=board_member, item=item).status == "done"


def test_an_item_requiring_a_resource_waits_for_everyone_to_read_it(contract, buyer, vendor, vendor_engineer):
    item = item_titled(contract, "training session")
    with pytest.raises(Conflict) as exc:
        onboarding.onboarding_item_done(actor=vendor, item=item)
    assert str(buyer) in exc.value.message and str(vendor_engineer) in exc.value.message
    assert exc.value.allowed == ["waive"]
    for person in (buyer, vendor, vendor_engineer):
        onboarding.resource_confirm(actor=person, resource=item.resource)
    onboarding.resource_confirm(actor=buyer, resource=item.resource)  # again: no second record
    assert ResourceConfirmation.objects.filter(resource=item.resource).count() == 3
    assert onboarding.onboarding_item_done(actor=vendor, item=item).status == "done"


def test_resources_are_a_link_or_a_file_for_an_audience(contract, buyer, vendor, buyer_ops, vendor_engineer):
    with pytest.raises(InvalidInput) as exc:
        onboarding.resource_add(actor=buyer, contract=contract, title="Runbook")
    assert "url" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        onboarding.resource_add(
            actor=buyer, contract=contract, title="Runbook", url="https://x.test/r", roles=["astronaut"]
        )
    assert "roles" in exc.value.errors
    with pytest.raises(NotPermitted):
        onboarding.resource_add(actor=vendor_engineer, contract=contract, title="Runbook", url="https://x.test/r")
    runbook = onboarding.resource_add(
        actor=vendor,
        contract=contract,
        title="Vendor runbook",
        file=SimpleUploadedFile("runbook.md", b"# Runbook\n"),
        audience="vendor",
        roles=["support_engineer"],
    )
    assert onboarding.pending_readers(runbook) == [str(vendor_engineer)]


# -- overdue -------------------------------------------------------------------------------------------


def test_the_overdue_task_notifies_owners_once(contract, buyer, vendor, buyer_ops):
    today = timezone.localdate()
    calendar_item = item_titled(contract, "coverage calendar")
    monitoring_item = item_titled(contract, "monitoring source")
    onboarding.onboarding_item_update(actor=buyer, item=calendar_item, owner=buyer_ops)
    OnboardingItem.objects.filter(pk__in=[calendar_item.pk, monitoring_item.pk]).update(
        due_date=today - timedelta(days=1)
    )

    assert onboarding_overdue_watch() == 2
    assert Notification.objects.filter(user=buyer_ops, event="onboarding.overdue").count() == 1
    # An item with no named owner goes to its party's managers.
    assert Notification.objects.filter(user=vendor, event="onboarding.overdue").count() == 1
    assert onboarding_overdue_watch() == 0
    assert Notification.objects.filter(event="onboarding.overdue").count() == 2

    # Rescheduled, it may become overdue (and be notified) again.
    onboarding.onboarding_item_update(actor=buyer, item=calendar_item, due_date=today + timedelta(days=2))
    assert onboarding.notify_overdue(today=today + timedelta(days=3)) == 1
    assert Notification.objects.filter(user=buyer_ops, event="onboarding.overdue").count() == 2


def test_overdue_items_are_listed_for_the_dashboard_by_visibility(contract, foreign_contract, buyer, vendor, outsider):
    today = timezone.localdate()
    OnboardingItem.objects.filter(contract__in=[contract, foreign_contract], order=1).update(
        due_date=today - timedelta(days=2)
    )
    assert set(OnboardingItem.objects.visible_to(buyer).overdue().values_list("contract_id", flat=True)) == {
        contract.pk,
        foreign_contract.pk,
    }
    assert list(OnboardingItem.objects.visible_to(vendor).overdue().values_list("contract_id", flat=True)) == [
        contract.pk
    ]
    assert list(OnboardingItem.objects.visible_to(outsider).overdue().values_list("contract_id", flat=True)) == [
        foreign_contract.pk
    ]


# -- pages ---------------------------------------------------------------------------------------------------


def test_the_routine_page_shows_the_plan_resources_playbook_raci_and_feedback(client_for, contract, vendor_engineer):
    response = client_for(vendor_engineer).get(f"/contracts/{contract.pk}/routine/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Onboarding plan",
        "Connect a monitoring source",
        "Training resources",
        "I have read this",
        "Incident-response playbook",
        "Join the bridge call".lower(),
        "Roles and responsibilities",
        "Feedback register",
    ):
        assert text in html or text in html.lower(), text


def test_the_contract_page_shows_onboarding_progress_until_complete(client_for, contract, buyer):
    html = client_for(buyer).get(f"/contracts/{contract.pk}/").content.decode()
    assert "0 of 6 items done" in html and f"/contracts/{contract.pk}/routine/" in html
    OnboardingItem.objects.filter(contract=contract).update(status=OnboardingItem.Status.DONE)
    html = client_for(buyer).get(f"/contracts/{contract.pk}/").content.decode()
    assert "items done" not in html


def test_marking_done_and_adding_evidence_through_the_page(client_for, contract, vendor_engineer):
    item = item_titled(contract, "monitoring source")
    client = client_for(vendor_engineer)
    base = f"/contracts/{contract.pk}/routine/items/{item.pk}"
    response = client.post(f"{base}/evidence/", {"file": SimpleUploadedFile("virus.exe", b"MZ")})
    assert response.status_code == 400
    assert "Allowed types" in response.content.decode()
    response = client.post(f"{base}/evidence/", {"note": "Probe connected", "link": "https://mon.example.com"})
    assert response.status_code == 302
    response = client.post(f"{base}/done/", {"note": ""})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "done" and item.evidence_link == "https://mon.example.com"


def test_a_bad_owner_on_the_page_is_shown_on_the_owner_field(client_for, contract, buyer, outsider):
    item = item_titled(contract, "coverage calendar")
    response = client_for(buyer).post(
        f"/contracts/{contract.pk}/routine/items/{item.pk}/edit/",
        {"title": item.title, "owner": str(outsider.pk), "due_date": item.due_date.isoformat()},
    )
    assert response.status_code == 400  # not one of the choices: the form refuses before the service
    assert 'aria-invalid="true"' in response.content.decode()


def test_staff_edit_templates_on_their_page(client_for, staff, buyer):
    assert client_for(buyer).get("/contracts/onboarding-templates/").status_code == 403
    client = client_for(staff)
    assert "Standard onboarding" in client.get("/contracts/onboarding-templates/").content.decode()
    data = {
        "name": "Short",
        "description": "",
        "is_default": "",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "40",
        "items-0-title": "Kick-off",
        "items-0-owner_party": "buyer",
        "items-0-due_offset_days": "2",
        "items-1-title": "",
        "items-1-owner_party": "buyer",
    }
    assert client.post("/contracts/onboarding-templates/new/", data).status_code == 302
    assert OnboardingTemplate.objects.get(name="Short").items.count() == 1


def test_outsiders_get_404_on_every_routine_page(client_for, contract, outsider):
    item = plan(contract)[0]
    resource = TrainingResource.objects.get(contract=contract)
    client = client_for(outsider)
    base = f"/contracts/{contract.pk}/routine"
    for path in (f"{base}/", f"{base}/items/{item.pk}/file/", f"{base}/resources/{resource.pk}/file/"):
        assert client.get(path).status_code == 404, path
    for path in (
        f"{base}/items/add/",
        f"{base}/items/{item.pk}/done/",
        f"{base}/items/{item.pk}/waive/",
        f"{base}/items/{item.pk}/evidence/",
        f"{base}/items/{item.pk}/edit/",
        f"{base}/resources/add/",
        f"{base}/resources/{resource.pk}/confirm/",
        f"{base}/feedback/add/",
    ):
        assert client.post(path, {"note": "x", "reason": "x"}).status_code == 404, path
    assert not ResourceConfirmation.objects.exists()


def test_the_routine_page_runs_a_constant_number_of_queries(
    client_for, count_queries, contract, buyer, vendor, vendor_engineer
):
    client = client_for(buyer)
    url = f"/contracts/{contract.pk}/routine/"
    client.get(url)
    small = count_queries(lambda: client.get(url))
    started = onboarding.activation_date(contract)
    for n in range(6):
        onboarding.onboarding_item_add(
            actor=buyer, contract=contract, title=f"Extra {n}", owner_party="vendor", due_date=started, owner=vendor
        )
        onboarding.resource_add(actor=vendor, contract=contract, title=f"Doc {n}", url=f"https://x.test/{n}")
        onboarding.feedback_log(actor=vendor_engineer, contract=contract, category="process", text=f"Note {n}")
    large = count_queries(lambda: client.get(url))
    assert large == small


# -- API -------------------------------------------------------------------------------------------------------


def test_api_lists_and_works_items(client_for, contract, vendor_engineer, buyer):
    client = client_for(vendor_engineer)
    body = client.get(f"/api/contracts/{contract.pk}/onboarding/").json()
    assert body["count"] == 6 and {"overdue", "owner_party", "due_date"} <= set(body["results"][0])
    item = item_titled(contract, "monitoring source")
    response = post_json(client, f"/api/contracts/{contract.pk}/onboarding/{item.pk}/done/", {"note": "ok"})
    assert response.status_code == 200 and response.json()["status"] == "done"
    # The API names the field too.
    started = onboarding.activation_date(contract)
    response = post_json(
        client_for(buyer),
        f"/api/contracts/{contract.pk}/onboarding/",
        {"title": "Late", "owner_party": "buyer", "due_date": (started - timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400 and "due_date" in response.json()["errors"]
    other = item_titled(contract, "coverage calendar")
    response = client_for(buyer).patch(
        f"/api/contracts/{contract.pk}/onboarding/{other.pk}/",
        json.dumps({"owner": vendor_engineer.pk}),
        content_type="application/json",
    )
    assert response.status_code == 400 and "owner" in response.json()["errors"]
    response = client.post(
        f"/api/contracts/{contract.pk}/onboarding/{item.pk}/evidence/", {"file": SimpleUploadedFile("x.exe", b"MZ")}
    )
    assert response.status_code == 400 and "file" in response.json()["errors"]


def test_api_resources_confirm(client_for, contract, buyer):
    client = client_for(buyer)
    resource = TrainingResource.objects.get(contract=contract)
    row = client.get(f"/api/contracts/{contract.pk}/resources/").json()["results"][0]
    assert row["read_by_me_at"] is None and row["must_read"] >= 1
    assert post_json(client, f"/api/contracts/{contract.pk}/resources/{resource.pk}/confirm/").status_code == 200
    row = client.get(f"/api/contracts/{contract.pk}/resources/{resource.pk}/").json()
    assert row["read_by_me_at"] is not None and row["confirmed"] == 1


def test_api_outsiders_get_404_everywhere(client_for, contract, outsider):
    item = plan(contract)[0]
    resource = TrainingResource.objects.get(contract=contract)
    client = client_for(outsider)
    base = f"/api/contracts/{contract.pk}"
    for path in (
        f"{base}/onboarding/",
        f"{base}/onboarding/{item.pk}/",
        f"{base}/onboarding/{item.pk}/evidence-file/",
        f"{base}/resources/",
        f"{base}/resources/{resource.pk}/",
        f"{base}/resources/{resource.pk}/file/",
        f"{base}/feedback/",
        f"{base}/raci/",
        f"{base}/playbook/",
    ):
        assert client.get(path).status_code == 404, path
    for path in (
        f"{base}/onboarding/",
        f"{base}/onboarding/{item.pk}/done/",
        f"{base}/onboarding/{item.pk}/waive/",
        f"{base}/onboarding/{item.pk}/evidence/",
        f"{base}/resources/",
        f"{base}/resources/{resource.pk}/confirm/",
        f"{base}/feedback/",
    ):
        assert post_json(client, path, {"reason": "x"}).status_code == 404, path


def test_api_lists_run_a_constant_number_of_queries(client_for, count_queries, contract, buyer, vendor):
    client = client_for(buyer)
    onboarding.feedback_log(actor=buyer, contract=contract, category="other", text="First")
    paths = [f"/api/contracts/{contract.pk}/{p}/" for p in ("onboarding", "resources", "feedback")]
    for p in paths:
        client.get(p)
    small = [count_queries(lambda p=p: client.get(p)) for p in paths]
    started = onboarding.activation_date(contract)
    for n in range(5):
        onboarding.onboarding_item_add(
            actor=buyer, contract=contract, title=f"Extra {n}", owner_party="vendor", due_date=started, owner=vendor
        )
        onboarding.resource_add(actor=buyer, contract=contract, title=f"Doc {n}", url=f"https://x.test/{n}")
        onboarding.feedback_log(actor=buyer, contract=contract, category="other", text=f"Note {n}")
    assert [count_queries(lambda p=p: client.get(p)) for p in paths] == small


def test_rescheduling_an_item_on_the_page_round_trips_the_iso_date(client_for, contract, buyer):
    item = item_titled(contract, "coverage calendar")
    client = client_for(buyer)
    html = client.get(f"/contracts/{contract.pk}/routine/").content.decode()
    prefix = f"edit-{item.pk}-"
    # The date input gets the ISO value a browser's date picker shows (not the locale's 25/10/2026).
    assert (
        f'type="date" name="due_date" value="{item.due_date.isoformat()}"' in html and f'id="{prefix}due_date"' in html
    )
    # Each field has its own label, tied to its own id.
    for field, label in (("title", "Title"), ("owner", "Owner (person)"), ("due_date", "Due")):
        assert f'<label for="{prefix}{field}">{label}' in html
    new_due = item.due_date + timedelta(days=7)
    response = client.post(
        f"/contracts/{contract.pk}/routine/items/{item.pk}/edit/",
        {"title": item.title, "owner": "", "due_date": new_due.isoformat()},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.due_date == new_due
    response = client.post(
        f"/contracts/{contract.pk}/routine/items/{item.pk}/edit/",
        {"title": item.title, "owner": "", "due_date": "next week"},
    )
    assert response.status_code == 400 and "Enter the date as YYYY-MM-DD." in response.content.decode()
