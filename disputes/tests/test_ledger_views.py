"""Credit ledger and dispute pages and API: visibility (another tenant's is a
404), buttons per role, error codes with clear reasons, constant query counts."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from disputes import services as disputes
from disputes.models import Dispute
from reports.models import Credit
from reports.services import ledger
from reports.tests.ledger_factories import freeze, make_credit, make_report

D = Dispute.Subject


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch)


@pytest.fixture
def credit(contract):
    return make_credit(make_report(contract))


def _action(credit, name):
    return reverse("disputes:credit_action", args=[credit.pk, name])


def _open(actor, contract, subject_id, **kw):
    fields = {"title": "Availability overstated", "statement": "The monitor shows 98.9 %."}
    return disputes.dispute_open(
        actor=actor, contract=contract, subject_type=D.REPORT_LINE, subject_id=subject_id, **{**fields, **kw}
    )


# ==========================================================================================
# Pages
# ==========================================================================================


def test_another_tenants_ledger_and_disputes_are_404(client_for, outsider, buyer, contract, credit, clock):
    dispute = _open(buyer, contract, credit.report_id)
    c = client_for(outsider)
    assert c.get(reverse("disputes:contract", args=[contract.pk])).status_code == 404
    assert c.get(reverse("disputes:dispute", args=[dispute.pk])).status_code == 404
    assert c.post(_action(credit, "claim")).status_code == 404
    assert c.post(reverse("disputes:dispute_action", args=[dispute.pk, "comment"]), {"note": "hi"}).status_code == 404
    assert c.get(reverse("disputes:dispute_create") + f"?contract={contract.pk}").status_code == 404
    page = c.get(reverse("disputes:credits"))
    assert page.status_code == 200 and page.context["credits"] == []
    assert c.get(reverse("disputes:disputes")).context["total"] == 0
    assert Credit.objects.get().status == "calculated"


def test_buttons_follow_role_and_state(client_for, buyer, vendor, buyer_ops, credit, clock):
    claim, approve, dispute = _action(credit, "claim"), _action(credit, "approve"), _action(credit, "dispute")
    html = client_for(buyer).get(reverse("disputes:credits")).content.decode()
    assert claim in html and dispute in html and approve not in html
    html = client_for(vendor).get(reverse("disputes:credits")).content.decode()
    assert claim not in html and approve not in html and dispute not in html
    assert claim not in client_for(buyer_ops).get(reverse("disputes:credits")).content.decode()

    response = client_for(buyer).post(claim)
    assert response.status_code == 302 and response["Location"].endswith(f"#credit-{credit.pk}")
    html = client_for(vendor).get(reverse("disputes:contract", args=[credit.contract_id])).content.decode()
    assert approve in html and _action(credit, "apply") not in html
    html = client_for(buyer).get(reverse("disputes:credits")).content.decode()
    assert approve not in html and claim not in html and dispute in html


def test_totals_per_status(client_for, buyer, contract, clock):
    report = make_report(contract)
    make_credit(report, amount="500.00")
    make_credit(report, amount="120.50", ref="INC-1/restore", status=Credit.Status.CLAIMED)
    make_credit(report, amount="80.00", ref="INC-2/restore", status=Credit.Status.CLAIMED)
    response = client_for(buyer).get(reverse("disputes:credits"))
    totals = {t["status"]: t for t in response.context["totals"]}
    assert totals["calculated"]["count"] == 1 and totals["calculated"]["amounts"] == ["EUR 500.00"]
    assert totals["claimed"]["count"] == 2 and totals["claimed"]["amounts"] == ["EUR 200.50"]
    assert totals["applied"]["count"] == 0
    assert "void" not in totals
    filtered = client_for(buyer).get(reverse("disputes:credits") + "?status=claimed")
    assert len(filtered.context["credits"]) == 2
    assert {t["status"]: t for t in filtered.context["totals"]}["calculated"]["count"] == 1  # totals stay whole


def test_the_buyer_approving_gets_the_reason_on_a_403_page(client_for, buyer, credit, clock):
    ledger.credit_claim(actor=buyer, credit=credit)
    response = client_for(buyer).post(_action(credit, "approve"))
    assert response.status_code == 403
    assert "Northwind Bank cannot approve its own claim" in response.content.decode()


def test_a_late_claim_is_a_409_naming_the_deadline(client_for, buyer, credit, clock):
    clock.set(credit.claim_deadline + timedelta(hours=1))
    response = client_for(buyer).post(_action(credit, "claim"))
    assert response.status_code == 409
    assert "closed on 31 Mar 2026 00:00 UTC" in response.content.decode()


def test_applying_without_an_invoice_reference_shows_the_field_error(client_for, buyer, vendor, credit, clock):
    ledger.credit_claim(actor=buyer, credit=credit)
    ledger.credit_approve(actor=vendor, credit=credit)
    c = client_for(vendor)
    response = c.post(_action(credit, "apply"), {"invoice_reference": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    response = c.post(_action(credit, "apply"), {"invoice_reference": "INV-42", "next": "contract"})
    assert response["Location"] == reverse("disputes:contract", args=[credit.contract_id]) + f"#credit-{credit.pk}"
    assert Credit.objects.get().invoice_reference == "INV-42"


def test_disputing_a_credit_from_the_ledger_opens_the_dispute_page(client_for, buyer, vendor, credit, clock):
    response = client_for(buyer).post(_action(credit, "dispute"), {"statement": "The tier should be 10 %."})
    dispute = Dispute.objects.get()
    assert response["Location"] == reverse("disputes:dispute", args=[dispute.pk])
    html = client_for(vendor).get(reverse("disputes:credits")).content.decode()
    assert f'href="{reverse("disputes:dispute", args=[dispute.pk])}"' in html
    assert "Disputed" in html


def test_the_dispute_board_groups_open_disputes_by_stage_with_overdue_highlighted(
    client_for, buyer, vendor, contract, clock
):
    report = make_report(contract)
    first = _open(buyer, contract, f"{report.pk}:availability")
    clock.advance(days=3)
    second = _open(vendor, contract, f"{report.pk}:breaches", title="Breach count")
    disputes.dispute_escalate(actor=buyer, dispute=second, note="No progress")
    clock.advance(days=8)  # the first is 1 day past its Negotiation deadline
    response = client_for(buyer).get(reverse("disputes:disputes"))
    assert response.status_code == 200
    columns = {c["name"]: [d.pk for d in c["disputes"]] for c in response.context["columns"]}
    assert list(columns) == ["Negotiation", "Executive escalation", "Mediation", "Arbitration"]
    assert columns["Negotiation"] == [first.pk] and columns["Executive escalation"] == [second.pk]
    html = response.content.decode()
    assert 'class="dispute-card overdue"' in html
    assert "over by 1d 0h" in html
    assert response.context["overdue"] == 1
    disputes.dispute_withdraw(actor=buyer, dispute=first)
    closed = client_for(vendor).get(reverse("disputes:disputes") + "?show=closed")
    assert [d.pk for d in closed.context["page"]] == [first.pk]


def test_the_dispute_page_shows_steps_and_forms_per_role(
    client_for, buyer, vendor, buyer_ops, board_member, contract, clock
):
    dispute = _open(buyer, contract, make_report(contract).pk)
    url = reverse("disputes:dispute", args=[dispute.pk])

    def actions(user):
        return set(client_for(user).get(url).context["actions"])

    assert actions(buyer) == {"escalate", "comment", "resolve", "withdraw"}
    assert actions(vendor) == {"escalate", "comment", "resolve"}
    assert actions(buyer_ops) == {"comment"}
    assert actions(board_member) == {"comment"}

    c = client_for(vendor)
    response = c.post(reverse("disputes:dispute_action", args=[dispute.pk, "escalate"]), {"note": "Stalled"})
    assert response.status_code == 302
    html = c.get(url).content.decode()
    assert "Executive escalation" in html and "Stalled" in html and 'aria-current="step"' in html
    response = c.post(reverse("disputes:dispute_action", args=[dispute.pk, "withdraw"]), {})
    assert response.status_code == 403
    assert "whose side raised" in response.content.decode()
    response = c.post(reverse("disputes:dispute_action", args=[dispute.pk, "escalate"]), {"note": ""})
    assert response.status_code == 400


def test_resolving_from_the_page_with_an_outcome(client_for, buyer, vendor, contract, clock):
    from availability.models import Outage

    outage = Outage.objects.create(
        contract=contract,
        component="api",
        start=datetime(2026, 2, 3, 10, 0, tzinfo=UTC),
        end=datetime(2026, 2, 3, 12, 0, tzinfo=UTC),
        source=Outage.Source.MONITORING,
    )
    dispute = disputes.dispute_open(
        actor=vendor, contract=contract, subject_type=D.OUTAGE, subject_id=outage.pk, title="Probe", statement="Flap"
    )
    url = reverse("disputes:dispute_action", args=[dispute.pk, "resolve"])
    form = client_for(buyer).get(reverse("disputes:dispute", args=[dispute.pk])).context["actions"]["resolve"]["form"]
    assert set(form.fields) == {"resolution", "accept_exclusion", "outage_start", "outage_end"}
    response = client_for(vendor).post(url, {"resolution": "Excluded", "accept_exclusion": "on"})
    assert response.status_code == 403
    response = client_for(buyer).post(url, {"resolution": "x", "outage_end": "2026-02-03T09:00"})
    assert response.status_code == 400 and "Before the start." in response.content.decode()
    response = client_for(buyer).post(url, {"resolution": "Third-party CDN.", "accept_exclusion": "on"})
    assert response.status_code == 302
    outage.refresh_from_db()
    assert outage.exclusion == "accepted"
    html = client_for(vendor).get(reverse("disputes:dispute", args=[dispute.pk])).content.decode()
    assert "Resolved" in html and "excluded: no longer counted" in html


def test_opening_a_dispute_from_the_form(client_for, buyer, staff, contract, credit, clock):
    c = client_for(buyer)
    create = reverse("disputes:dispute_create")
    form = c.get(create + f"?contract={contract.pk}&subject_type=credit&subject_id={credit.pk}").context["form"]
    assert form.initial["subject_id"] == str(credit.pk)
    response = c.post(
        create,
        {"contract": contract.pk, "subject_type": "credit", "subject_id": credit.pk, "title": "", "statement": ""},
    )
    assert response.status_code == 400
    assert "Say what is contested and why." in response.content.decode()
    response = c.post(
        create,
        {
            "contract": contract.pk,
            "subject_type": "credit",
            "subject_id": credit.pk,
            "title": "Tier",
            "statement": "10 %",
        },
    )
    dispute = Dispute.objects.get()
    assert response["Location"] == reverse("disputes:dispute", args=[dispute.pk])
    response = c.post(
        create,
        {
            "contract": contract.pk,
            "subject_type": "credit",
            "subject_id": credit.pk,
            "title": "Again",
            "statement": "x",
        },
    )
    assert response.status_code == 409 and "already under dispute" in response.content.decode()
    assert client_for(staff).get(create).status_code == 403


def test_list_pages_run_a_constant_number_of_queries(
    client_for, buyer, vendor, contract, foreign_contract, count_queries, clock
):
    def make(n: int, period: str) -> None:
        for i, target in enumerate([contract, foreign_contract] * n):
            report = make_report(target, period, revision=1) if i < 2 else reports[target.pk]
            reports[target.pk] = report
            credit = make_credit(report, ref=f"r{period}{i}")
            if i % 2:
                ledger.credit_claim(actor=buyer, credit=credit)
            if i % 3 == 0:
                _open(buyer, target, f"{report.pk}:line{period}{i}")

    reports: dict[int, object] = {}
    c = client_for(buyer)
    pages = [reverse("disputes:credits"), reverse("disputes:disputes"), "/api/credits/", "/api/disputes/"]
    make(1, "2026-01")
    for url in pages:
        c.get(url)  # warm the session
    small = [count_queries(lambda url=url: c.get(url)) for url in pages]
    reports.clear()
    make(5, "2026-02")
    assert len(c.get(reverse("disputes:credits")).context["credits"]) == 12
    large = [count_queries(lambda url=url: c.get(url)) for url in pages]
    assert small == large, (small, large)


# ==========================================================================================
# API
# ==========================================================================================


def test_api_hides_another_tenants_credits_and_disputes(client_for, outsider, buyer, contract, credit, clock):
    dispute = _open(buyer, contract, credit.report_id)
    c = client_for(outsider)
    assert c.get(f"/api/credits/{credit.pk}/").status_code == 404
    assert c.post(f"/api/credits/{credit.pk}/claim/").status_code == 404
    assert c.get(f"/api/disputes/{dispute.pk}/").status_code == 404
    assert (
        c.post(f"/api/disputes/{dispute.pk}/escalate/", {"note": "x"}, content_type="application/json").status_code
        == 404
    )
    assert c.get("/api/credits/").json()["count"] == 0
    response = c.post(
        "/api/disputes/",
        {"contract": contract.pk, "subject_type": "report_line", "subject_id": "1", "title": "x", "statement": "y"},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["errors"] == {"contract": ["Not found."]}


def test_api_ledger_walk_with_clear_errors(client_for, buyer, vendor, credit, clock):
    b, v = client_for(buyer), client_for(vendor)
    body = b.get(f"/api/credits/{credit.pk}/").json()
    assert body["status"] == "calculated" and body["allowed_actions"] == ["claim", "dispute"]
    assert body["claim_window_open"] is True and body["period"] == "2026-02"
    assert b.post(f"/api/credits/{credit.pk}/claim/").json()["status"] == "claimed"
    response = b.post(f"/api/credits/{credit.pk}/approve/")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Northwind Bank cannot approve its own claim")
    assert v.post(f"/api/credits/{credit.pk}/approve/").json()["approved_by"] == "vendor"
    response = v.post(f"/api/credits/{credit.pk}/apply/", {"invoice_reference": ""}, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"] == {
        "invoice_reference": ["This field is required."]
    }
    response = v.post(
        f"/api/credits/{credit.pk}/apply/", {"invoice_reference": "INV-7"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "applied"
    response = b.post(f"/api/credits/{credit.pk}/dispute/", {"statement": "x"}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Closed matter: the credit was applied on invoice INV-7")
    assert response.json()["state"] == "applied"


def test_api_late_claim_is_409_with_state_and_allowed(client_for, buyer, credit, clock):
    clock.set(credit.claim_deadline + timedelta(seconds=1))
    response = client_for(buyer).post(f"/api/credits/{credit.pk}/claim/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict" and body["state"] == "calculated" and body["allowed"] == []
    assert "closed on 31 Mar 2026 00:00 UTC" in body["detail"]


def test_api_credit_filters(client_for, buyer, contract, foreign_contract, clock):
    feb, jan = make_report(contract), make_report(contract, "2026-01")
    make_credit(feb)
    make_credit(jan, status=Credit.Status.CLAIMED)
    make_credit(make_report(foreign_contract))
    c = client_for(buyer)
    assert c.get("/api/credits/").json()["count"] == 3
    assert c.get(f"/api/credits/?contract={contract.pk}").json()["count"] == 2
    assert c.get("/api/credits/?status=claimed").json()["count"] == 1
    assert [r["period"] for r in c.get("/api/credits/?period=2026-01").json()["results"]] == ["2026-01"]
    assert c.get("/api/credits/?status=bogus").status_code == 400


def test_api_dispute_walk(client_for, buyer, vendor, credit, clock):
    b, v = client_for(buyer), client_for(vendor)
    response = b.post(
        f"/api/credits/{credit.pk}/dispute/", {"statement": "Should be 10 %"}, content_type="application/json"
    )
    assert response.status_code == 201
    dispute = response.json()
    assert dispute["reference"] == f"D-{dispute['id']}" and dispute["stage_name"] == "Negotiation"
    assert [s["stage"] for s in dispute["ladder"]] == [
        "Negotiation",
        "Executive escalation",
        "Mediation",
        "Arbitration",
    ]
    assert dispute["ladder"][-1]["days"] is None
    assert dispute["allowed_actions"] == ["escalate", "comment", "resolve", "withdraw"]
    assert b.get(f"/api/credits/{credit.pk}/").json()["dispute"] == dispute["id"]
    url = f"/api/disputes/{dispute['id']}/"

    response = v.post(url + "escalate/", {"note": "No agreement"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["stage_name"] == "Executive escalation"
    assert v.post(url + "comment/", {"note": "Evidence attached"}, content_type="application/json").status_code == 200
    response = v.post(url + "resolve/", {"resolution": "ok", "outcome": {"refund": 1}}, content_type="application/json")
    assert response.status_code == 400 and "outcome.refund" in response.json()["errors"]
    response = v.post(
        url + "resolve/",
        {"resolution": "Agreed: the 10 % tier applies.", "outcome": {"credit_amount": "1000"}},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "resolved" and body["allowed_actions"] == []
    assert [s["action"] for s in body["steps"]] == ["opened", "escalated", "commented", "resolved"]
    credit_body = b.get(f"/api/credits/{credit.pk}/").json()
    assert (credit_body["amount"], credit_body["status"], credit_body["dispute"]) == ("1000.00", "approved", None)
    response = b.post(url + "withdraw/", {}, content_type="application/json")
    assert response.status_code == 409 and response.json()["state"] == "resolved"
    assert b.get("/api/disputes/?status=resolved").json()["count"] == 1
    assert b.get("/api/disputes/?status=open").json()["count"] == 0


def test_api_open_dispute_on_a_report_line(client_for, buyer, vendor, contract, clock):
    report = make_report(contract)
    c = client_for(vendor)
    body = {
        "contract": contract.pk,
        "subject_type": "report_line",
        "subject_id": f"{report.pk}:availability",
        "title": "Maintenance counted as downtime",
        "statement": "The 4 Feb window was announced 7 days ahead.",
    }
    response = c.post("/api/disputes/", body, content_type="application/json")
    assert response.status_code == 201
    created = response.json()
    assert created["raised_by_side"] == "vendor" and created["report"] == report.pk
    assert created["stage_deadline"].startswith((clock.now + timedelta(days=10)).date().isoformat())
    response = c.post("/api/disputes/", body, content_type="application/json")
    assert response.status_code == 409 and "already under dispute" in response.json()["detail"]
    response = client_for(buyer).post(
        "/api/disputes/", {**body, "subject_id": "", "title": ""}, content_type="application/json"
    )
    assert response.status_code == 400
