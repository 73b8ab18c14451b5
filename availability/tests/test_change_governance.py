"""Change notices governed both ways: the major release's impact assessment, the vendor's answer,
the buyer's postponement (granted at once within the notice owed, otherwise the vendor's
decision), the thread, the audit entries and who is told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accounts.models import Notification
from audit.models import AuditEntry
from availability.models import ChangeMessage, ChangeNotice
from availability.services import periods as av
from core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db


def t(day: int, hour: int = 9, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def post(client: Any, path: str, data: Any = None) -> Any:
    return client.post(path, data or {}, content_type="application/json")


def major(vendor: Any, contract: Any, planned: datetime, **kw: Any) -> ChangeNotice:
    return av.announce_change(
        actor=vendor,
        contract=contract,
        kind="major_release",
        title="Ledger 5.0",
        planned_at=planned,
        impact="New settlement engine",
        components=kw.pop("components", []),
        expected_downtime_minutes=kw.pop("expected_downtime_minutes", 20),
        rollback_plan=kw.pop("rollback_plan", "Switch traffic back to 4.x"),
        **kw,
    )


def test_a_major_release_needs_its_impact_assessment(clock, contract, vendor):
    clock.set(t(1))
    with pytest.raises(InvalidInput) as exc:
        av.announce_change(
            actor=vendor, contract=contract, kind="major_release", title="v5", planned_at=t(20), impact="Big"
        )
    assert set(exc.value.errors) == {"expected_downtime_minutes", "rollback_plan"}
    assert not ChangeNotice.objects.exists()
    # a minor release does not need one
    av.announce_change(
        actor=vendor, contract=contract, kind="minor_release", title="v5.1", planned_at=t(20), impact="x"
    )
    with pytest.raises(InvalidInput) as exc:
        major(vendor, contract, t(20), expected_downtime_minutes=-1)
    assert "expected_downtime_minutes" in exc.value.errors


def test_api_names_the_missing_assessment_fields(clock, client_for, contract, vendor):
    clock.set(t(1))
    body = {"contract": contract.pk, "kind": "major_release", "title": "v5", "planned_at": "2026-11-20T06:00:00Z"}
    r = post(client_for(vendor), "/api/change-notices/", {**body, "impact": "Big"})
    assert r.status_code == 400
    assert {"expected_downtime_minutes", "rollback_plan"} <= set(r.json()["errors"])
    ok = post(
        client_for(vendor),
        "/api/change-notices/",
        {**body, "impact": "Big", "expected_downtime_minutes": 0, "rollback_plan": "Flip back"},
    )
    assert ok.status_code == 201, ok.content
    assert (ok.json()["expected_downtime_minutes"], ok.json()["rollback_plan"]) == (0, "Flip back")


def test_the_vendor_answers_a_question_and_both_sides_are_told(clock, contract, vendor, vendor_engineer, buyer):
    clock.set(t(1))
    n = major(vendor, contract, t(20, month=11))
    with pytest.raises(Conflict):
        av.answer_change(actor=vendor, notice=n, answer="Nothing was asked")
    av.question_change(actor=buyer, notice=n, question="Is v4 kept for 6 months?")
    assert Notification.objects.filter(user=vendor, event="change.questioned").count() == 1
    with pytest.raises(NotPermitted):
        av.answer_change(actor=buyer, notice=n, answer="Answering myself")
    with pytest.raises(InvalidInput) as exc:
        av.answer_change(actor=vendor, notice=n, answer="  ")
    assert "answer" in exc.value.errors
    n = av.answer_change(actor=vendor_engineer, notice=n, answer="Yes, until May.")
    assert (n.status, n.vendor_response) == (ChangeNotice.Status.ANSWERED, "Yes, until May.")
    assert Notification.objects.filter(user=buyer, event="change.questioned").count() == 1
    assert list(n.messages.values_list("side", "kind")) == [("buyer", "question"), ("vendor", "answer")]
    assert AuditEntry.objects.filter(verb="change.answered", object_id=str(n.pk)).exists()
    # the buyer can ask again, then acknowledge
    av.question_change(actor=buyer, notice=n, question="And the webhooks?")
    n = av.acknowledge_change(actor=buyer, notice=n)
    assert n.status == ChangeNotice.Status.ACKNOWLEDGED
    assert Notification.objects.filter(user=vendor, event="change.questioned").count() == 3


def test_a_postponement_within_the_notice_owed_is_granted_at_once(clock, contract, vendor, buyer):
    """Announced 10 days ahead of a major release that needs 30: the buyer is owed the full 30."""
    clock.set(t(1))
    n = major(vendor, contract, t(11))
    assert n.late and n.required_notice_days == 30
    owed = av.entitled_until(n)
    assert owed == n.announced_at + timedelta(days=30)
    n = av.request_postponement(actor=buyer, notice=n, until=owed, reason="We need the notice we agreed.")
    assert n.planned_at == owed and n.original_planned_at == t(11)
    assert n.status == ChangeNotice.Status.ANNOUNCED and n.postponement_requested_to is None
    assert not n.late  # judged again on the new date: exactly the notice is in time
    assert n.messages.last().kind == ChangeMessage.Kind.POSTPONEMENT_GRANTED
    entry = AuditEntry.objects.get(verb="change.postponed")
    assert entry.changes["late"] == [True, False]
    assert Notification.objects.filter(user=vendor, event="change.questioned").count() == 1


def test_a_postponement_beyond_the_notice_waits_for_the_vendor(clock, contract, vendor, buyer):
    clock.set(t(1))
    n = major(vendor, contract, t(20, month=11))  # 50 days ahead: on time
    assert not n.late
    n = av.request_postponement(actor=buyer, notice=n, until=t(4, month=12), reason="Quarter-end freeze")
    assert n.status == ChangeNotice.Status.POSTPONING and n.planned_at == t(20, month=11)
    with pytest.raises(Conflict):
        av.request_postponement(actor=buyer, notice=n, until=t(5, month=12), reason="again")
    with pytest.raises(NotPermitted):
        av.decide_postponement(actor=buyer, notice=n, accept=True)
    with pytest.raises(InvalidInput) as exc:
        av.decide_postponement(actor=vendor, notice=n, accept=False)
    assert "reason" in exc.value.errors
    n = av.decide_postponement(actor=vendor, notice=n, accept=False, reason="Security fixes ride on it")
    assert n.status == ChangeNotice.Status.ANNOUNCED and n.planned_at == t(20, month=11)
    assert Notification.objects.filter(user=buyer, event="change.questioned").count() == 1
    n = av.request_postponement(actor=buyer, notice=n, until=t(27, month=11), reason="One week then")
    n = av.decide_postponement(actor=vendor, notice=n, accept=True)
    assert (n.planned_at, n.original_planned_at) == (t(27, month=11), t(20, month=11))
    kinds = list(n.messages.values_list("kind", flat=True))
    assert kinds == ["postpone", "declined", "postpone", "postponed"]


def test_postponement_input_is_checked(clock, contract, vendor, buyer):
    clock.set(t(1))
    n = major(vendor, contract, t(20, month=11))
    with pytest.raises(InvalidInput) as exc:
        av.request_postponement(actor=buyer, notice=n, until=t(19, month=11), reason="earlier")
    assert "until" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        av.request_postponement(actor=buyer, notice=n, until=t(21, month=11), reason="")
    assert "reason" in exc.value.errors
    with pytest.raises(NotPermitted):
        av.request_postponement(actor=vendor, notice=n, until=t(21, month=11), reason="vendor cannot")
    clock.set(t(20, 10, month=11))
    with pytest.raises(InvalidInput) as exc:
        av.request_postponement(actor=buyer, notice=n, until=t(21, month=11), reason="too late")
    assert "already due" in exc.value.message
    n.refresh_from_db()
    assert n.status == ChangeNotice.Status.ANNOUNCED and not n.messages.exists()


def test_the_api_runs_the_whole_conversation(clock, client_for, contract, vendor, buyer, outsider):
    clock.set(t(1))
    n = major(vendor, contract, t(20, month=11))
    base = f"/api/change-notices/{n.pk}"
    assert post(client_for(buyer), f"{base}/question/", {"question": "Rollback tested?"}).status_code == 200
    r = post(client_for(vendor), f"{base}/answer/", {"answer": "Yes, weekly."})
    assert r.status_code == 200 and r.json()["status"] == "answered"
    r = post(client_for(buyer), f"{base}/postpone/", {"until": "2026-11-27T09:00:00Z", "reason": "Freeze"})
    assert r.status_code == 200 and r.json()["status"] == "postponing"
    assert r.json()["postponement_requested_to"].startswith("2026-11-27T09:00")
    bad = post(client_for(buyer), f"{base}/postpone/", {"until": "2026-11-28T09:00:00", "reason": "naive"})
    assert bad.status_code == 400 and "until" in bad.json()["errors"]
    r = post(client_for(vendor), f"{base}/postponement/", {"accept": True})
    assert r.status_code == 200 and r.json()["planned_at"].startswith("2026-11-27T09:00")
    assert [m["kind"] for m in r.json()["messages"]] == ["question", "answer", "postpone", "postponed"]
    assert post(client_for(vendor), f"{base}/postponement/", {"accept": True}).status_code == 409
    assert post(client_for(outsider), f"{base}/answer/", {"answer": "x"}).status_code == 404


def test_the_page_shows_the_thread_and_each_side_its_actions(clock, client_for, contract, vendor, buyer):
    clock.set(t(1))
    n = major(vendor, contract, t(20, month=11))
    av.question_change(actor=buyer, notice=n, question="Rollback tested?")
    page = client_for(vendor).get(f"/availability/contracts/{contract.pk}/").content.decode()
    assert "Answer the question" in page and "Rollback tested?" in page and "Switch traffic back to 4.x" in page
    assert "Request a postponement" not in page
    r = client_for(vendor).post(
        f"/availability/contracts/{contract.pk}/changes/{n.pk}/answer/", {"answer": "Weekly drills."}
    )
    assert r.status_code == 302
    page = client_for(buyer).get(f"/availability/contracts/{contract.pk}/").content.decode()
    assert "Weekly drills." in page and "Request a postponement" in page and "Answer the question" not in page
    r = client_for(buyer).post(
        f"/availability/contracts/{contract.pk}/changes/{n.pk}/postpone/",
        {"until": "2026-11-27T09:00", "reason": "Freeze"},
    )
    assert r.status_code == 302
    n.refresh_from_db()
    assert n.status == ChangeNotice.Status.POSTPONING
    page = client_for(vendor).get(f"/availability/contracts/{contract.pk}/").content.decode()
    assert "The buyer asks to move it to" in page


def test_the_change_list_api_runs_constant_queries(clock, client_for, contract, vendor, buyer, count_queries):
    clock.set(t(1))
    client = client_for(buyer)

    def grow(k: int) -> int:
        for i in range(k):
            n = av.announce_change(
                actor=vendor, contract=contract, kind="minor_release", title=f"r{i}", planned_at=t(20), impact="x"
            )
            av.question_change(actor=buyer, notice=n, question="why?")
        return count_queries(lambda: client.get(f"/api/change-notices/?contract={contract.pk}"))

    assert grow(2) == grow(8)
