"""Corrective-action plans through their lifecycle: requested, filed, more asked for, accepted,
actions done with evidence, completed; overdue actions climb the ladder once per rung."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from accounts.models import Notification
from audit.models import AuditEntry
from contracts.models import ContractContact
from core.errors import Conflict, InvalidInput, NotPermitted
from corrective import services
from corrective.models import CorrectiveAction, CorrectivePlan
from incidents import services as incidents

pytestmark = pytest.mark.django_db

START = datetime(2026, 10, 1, 9, tzinfo=UTC)


def post(client: Any, path: str, data: Any = None) -> Any:
    return client.post(path, data or {}, content_type="application/json")


def actions(*days: int) -> list[dict[str, Any]]:
    return [
        {"description": f"Step {i + 1}", "owner": "SRE lead", "due_date": (START + timedelta(days=d)).date()}
        for i, d in enumerate(days)
    ]


@pytest.fixture
def breach(clock, contract, buyer):
    clock.set(START)
    return incidents.open_incident(
        actor=buyer, contract=contract, title="Payments down", severity="critical", environment="production",
        component="api",
    )  # fmt: skip


def test_a_plan_goes_through_its_lifecycle(clock, contract, buyer, vendor, vendor_engineer, breach):
    plan = services.request_plan(actor=buyer, contract=contract, subject="Resolve target missed", incident=breach)
    assert (plan.responsible_side, plan.status) == ("vendor", CorrectivePlan.Status.REQUESTED)
    assert plan.plan_due_at == START + timedelta(days=10)
    assert Notification.objects.filter(user=vendor, event="corrective_action.due").exists()
    with pytest.raises(NotPermitted):
        services.submit_plan(actor=buyer, plan=plan, root_cause="x", actions=actions(5))
    with pytest.raises(InvalidInput) as exc:
        services.submit_plan(actor=vendor, plan=plan, root_cause="Disk filled", actions=[])
    assert "actions" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        services.submit_plan(
            actor=vendor, plan=plan, root_cause="Disk filled",
            actions=[{"description": "Alert on disk", "owner": "", "due_date": "2026-09-01"}],
        )  # fmt: skip
    assert set(exc.value.errors) == {"actions[0].owner", "actions[0].due_date"}
    plan = services.submit_plan(actor=vendor_engineer, plan=plan, root_cause="Disk filled", actions=actions(5))
    assert plan.status == CorrectivePlan.Status.SUBMITTED and plan.actions.count() == 1
    with pytest.raises(NotPermitted):
        services.decide_plan(actor=vendor, plan=plan, accept=True)
    with pytest.raises(InvalidInput):
        services.decide_plan(actor=buyer, plan=plan, accept=False)
    plan = services.decide_plan(actor=buyer, plan=plan, accept=False, feedback="Add capacity planning")
    assert plan.status == CorrectivePlan.Status.MORE_REQUESTED
    plan = services.submit_plan(actor=vendor, plan=plan, root_cause="Disk filled", actions=actions(5, 20))
    assert list(plan.actions.values_list("position", flat=True)) == [1, 2]  # open actions replaced
    plan = services.decide_plan(actor=buyer, plan=plan, accept=True)
    first, second = plan.actions.order_by("position")
    with pytest.raises(InvalidInput):
        services.complete_action(actor=vendor, action=first, evidence=" ")
    services.complete_action(actor=vendor, action=first, evidence="Alert rule PR #12")
    with pytest.raises(Conflict):
        services.complete_action(actor=vendor, action=first, evidence="again")
    plan.refresh_from_db()
    assert plan.status == CorrectivePlan.Status.ACCEPTED
    services.complete_action(actor=vendor, action=second, evidence="Capacity review minutes")
    plan.refresh_from_db()
    assert plan.status == CorrectivePlan.Status.COMPLETED and plan.completed_at == START
    verbs = list(
        AuditEntry.objects.filter(verb__startswith="corrective.").order_by("pk").values_list("verb", flat=True)
    )
    assert verbs[0] == "corrective.requested" and verbs.count("corrective.action_done") == 2
    assert "corrective.more_requested" in verbs and "corrective.accepted" in verbs


def test_the_vendor_may_ask_the_buyer(clock, contract, buyer, vendor):
    clock.set(START)
    plan = services.request_plan(actor=vendor, contract=contract, subject="Buyer changes without notice")
    assert plan.responsible_side == "buyer"
    with pytest.raises(NotPermitted):
        services.submit_plan(actor=vendor, plan=plan, root_cause="x", actions=actions(3))
    services.submit_plan(actor=buyer, plan=plan, root_cause="No change board", actions=actions(3))


def test_overdue_actions_escalate_once_per_rung(clock, contract, buyer, vendor, vendor_engineer, breach):
    ContractContact.objects.create(
        contract=contract, side="vendor", role=ContractContact.Role.EXECUTIVE_SPONSOR, name="Exec", email="exec@example.com",
        user=vendor_engineer,
    )  # fmt: skip
    plan = services.request_plan(actor=buyer, contract=contract, subject="Breach", incident=breach)
    services.submit_plan(actor=vendor, plan=plan, root_cause="x", actions=actions(2))
    services.decide_plan(actor=buyer, plan=plan, accept=True)
    due = START + timedelta(days=2)
    assert services.escalate_overdue(now=due + timedelta(hours=10)) == 0  # due today, not yet overdue
    assert services.escalate_overdue(now=due + timedelta(days=1)) == 1  # 1 day overdue: escalation contacts
    assert services.escalate_overdue(now=due + timedelta(days=3)) == 0  # same rung: nothing twice
    before = Notification.objects.filter(user=vendor_engineer, event="corrective_action.due").count()
    assert services.escalate_overdue(now=due + timedelta(days=6)) == 0
    assert services.escalate_overdue(now=due + timedelta(days=7)) == 1  # 7 days: executive sponsors
    assert Notification.objects.filter(user=vendor_engineer, event="corrective_action.due").count() == before + 1
    action = CorrectiveAction.objects.get(plan=plan)
    assert action.escalation_level == 2
    assert services.escalate_overdue(now=due + timedelta(days=30)) == 0
    assert AuditEntry.objects.filter(verb="corrective.escalated").count() == 2


def test_a_plan_not_filed_in_time_escalates(clock, contract, buyer, vendor):
    clock.set(START)
    plan = services.request_plan(actor=buyer, contract=contract, subject="Repeated outages")
    assert services.escalate_overdue(now=plan.plan_due_at + timedelta(hours=1)) == 0
    assert services.escalate_overdue(now=plan.plan_due_at + timedelta(days=1, hours=1)) == 1
    plan.refresh_from_db()
    assert plan.escalation_level == 1


def test_the_api_runs_the_lifecycle_and_hides_other_tenants(
    clock, client_for, contract, buyer, vendor, outsider, breach
):
    r = post(
        client_for(buyer),
        "/api/corrective-plans/",
        {"contract": contract.pk, "subject": "Breach", "incident": breach.pk},
    )
    assert r.status_code == 201, r.content
    pid = r.json()["id"]
    assert r.json()["incident"] == breach.reference
    bad = post(
        client_for(vendor),
        f"/api/corrective-plans/{pid}/submit/",
        {"root_cause": "x", "actions": [{"description": "a", "owner": "b", "due_date": "nope"}]},
    )
    assert bad.status_code == 400 and "actions" in str(bad.json()["errors"])
    ok = post(
        client_for(vendor),
        f"/api/corrective-plans/{pid}/submit/",
        {"root_cause": "x", "actions": [{"description": "a", "owner": "b", "due_date": "2026-10-20"}]},
    )
    assert ok.status_code == 200 and ok.json()["status"] == "submitted"
    assert (
        post(client_for(buyer), f"/api/corrective-plans/{pid}/decide/", {"accept": True}).json()["status"] == "accepted"
    )
    aid = ok.json()["actions"][0]["id"]
    done = post(client_for(vendor), f"/api/corrective-plans/{pid}/complete/", {"action": aid, "evidence": "PR"})
    assert done.json()["status"] == "completed"
    assert client_for(outsider).get(f"/api/corrective-plans/{pid}/").status_code == 404
    assert (
        post(client_for(outsider), "/api/corrective-plans/", {"contract": contract.pk, "subject": "x"}).status_code
        == 404
    )


def test_pages_show_the_plan_and_the_forms_each_side_may_use(clock, client_for, contract, buyer, vendor, breach):
    r = client_for(buyer).post(
        f"/corrective/contracts/{contract.pk}/request/", {"subject": "Resolve missed", "incident": breach.pk}
    )
    plan = CorrectivePlan.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/{plan.pk}/")
    page = client_for(vendor).get(f"/corrective/contracts/{contract.pk}/{plan.pk}/").content.decode()
    assert "File the plan" in page and breach.reference in page
    assert (
        "File the plan" not in client_for(buyer).get(f"/corrective/contracts/{contract.pk}/{plan.pk}/").content.decode()
    )
    r = client_for(vendor).post(
        f"/corrective/contracts/{contract.pk}/{plan.pk}/submit/",
        {"root_cause": "Disk", "description": ["Alert", ""], "owner": ["SRE", ""], "due_date": ["2026-10-09", ""]},
    )
    assert r.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "submitted"
    page = client_for(buyer).get(f"/corrective/contracts/{contract.pk}/{plan.pk}/").content.decode()
    assert "Decide on the plan" in page and "Alert" in page


@pytest.mark.parametrize("path", ["/api/corrective-plans/", "/corrective/contracts/{pk}/"])
def test_lists_run_constant_queries(path, clock, client_for, contract, buyer, vendor, count_queries):
    clock.set(START)
    client = client_for(buyer)

    def grow(k: int) -> int:
        for i in range(k):
            p = services.request_plan(actor=buyer, contract=contract, subject=f"s{i}")
            services.submit_plan(actor=vendor, plan=p, root_cause="x", actions=actions(3, 4))
        return count_queries(lambda: client.get(path.format(pk=contract.pk)))

    assert grow(2) == grow(6)


def test_summary_for_reports(clock, contract, buyer, vendor):
    clock.set(START)
    plan = services.request_plan(actor=buyer, contract=contract, subject="S")
    services.submit_plan(actor=vendor, plan=plan, root_cause="RC", actions=actions(1))
    plans = services.plans_touching(contract, START - timedelta(days=1), START + timedelta(days=30))
    data = services.summary(plans, today=date(2026, 10, 5))
    assert data[0]["overdue_actions"] == 1 and data[0]["root_cause"] == "RC" and data[0]["status"] == "Plan submitted"
