"""``contracts/{pk}/holds/``: list, place, release; who may; another tenant's contract is 404."""

import pytest

from audit.models import AuditEntry
from holds.models import LegalHold
from holds.tests.factories import dispute_outage, feb, outage


def _url(contract, hold=None):
    base = f"/api/contracts/{contract.pk}/holds/"
    return f"{base}{hold.pk}/release/" if hold else base


def _place(client, contract, **body):
    return client.post(_url(contract), {"reason": "Litigation notice", "scope": "contract", **body}, "application/json")


def test_it_works(client_for, buyer, vendor, contract, clock):
    down = outage(contract, feb(3, 10))
    dispute = dispute_outage(vendor, contract, down)
    period = {"scope": "period", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-02-01T00:00:00Z"}
    placed = _place(client_for(buyer), contract, **period)
    assert placed.status_code == 201, placed.json()
    hold = LegalHold.objects.get()
    assert placed.json()["reference"] == f"LH-{hold.pk}" and placed.json()["placed_by"] == "buyer"

    listed = client_for(vendor).get(_url(contract)).json()
    assert [(h["kind"], h["whole_contract"]) for h in listed] == [("legal_hold", False), ("dispute", False)]
    assert listed[0]["label"] == f"Legal hold LH-{hold.pk}: Litigation notice"
    assert listed[0]["start"] == "2026-01-01T00:00:00Z" and listed[0]["legal_hold"]["id"] == hold.pk
    assert listed[1]["label"].startswith(f"Dispute D-{dispute.pk} (stage 1: ")

    released = client_for(vendor).post(_url(contract, hold), {"reason": "Settled"}, "application/json")
    assert released.status_code == 200 and released.json()["active"] is False
    assert released.json()["released_by"] == "vendor" and released.json()["release_reason"] == "Settled"
    assert [h["kind"] for h in client_for(buyer).get(_url(contract)).json()] == ["dispute"]
    again = client_for(buyer).post(_url(contract, hold), {"reason": "Twice"}, "application/json")
    assert again.status_code == 409 and "already released" in again.json()["detail"]
    verbs = list(
        AuditEntry.objects.filter(object_type="holds.legalhold").order_by("seq").values_list("verb", flat=True)
    )
    assert verbs == ["legal_hold.placed", "legal_hold.released"]


def test_releasing_needs_a_reason_and_placing_a_valid_scope(client_for, buyer, contract, clock):
    assert _place(client_for(buyer), contract, reason=" ").json()["errors"] == {"reason": ["This field is required."]}
    bad = _place(client_for(buyer), contract, scope="period", starts_at="2026-02-01T00:00:00Z")
    assert bad.status_code == 400 and bad.json()["errors"] == {"ends_at": ["This field is required for a period."]}
    backwards = {"scope": "period", "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"}
    assert _place(client_for(buyer), contract, **backwards).json()["errors"] == {
        "ends_at": ["Must be after the start."]
    }
    hold = LegalHold.objects.get(pk=_place(client_for(buyer), contract).json()["id"])
    response = client_for(buyer).post(_url(contract, hold), {"reason": ""}, "application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"release_reason": ["This field is required."]}
    hold.refresh_from_db()
    assert hold.is_active and not AuditEntry.objects.filter(verb="legal_hold.released").exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("buyer", 201),
        ("vendor", 201),
        ("staff", 201),
        ("buyer_ops", 403),
        ("buyer_viewer", 403),
        ("vendor_engineer", 403),
    ],
)
def test_who_may_place_and_release(request, client_for, contract, buyer, clock, who, status):
    user = request.getfixturevalue(who)
    response = _place(client_for(user), contract)
    assert response.status_code == status, response.json()
    hold = LegalHold.objects.get(pk=_place(client_for(buyer), contract).json()["id"])
    released = client_for(user).post(_url(contract, hold), {"reason": "Done"}, "application/json")
    assert released.status_code == (200 if status == 201 else 403)
    if status == 403:
        assert "may place a legal hold" in response.json()["detail"]
    assert client_for(user).get(_url(contract)).status_code == 200


def test_it_validates_ownership(client_for, outsider, buyer, contract, foreign_contract, clock):
    hold = LegalHold.objects.get(pk=_place(client_for(buyer), contract).json()["id"])
    for method, url, body in (
        ("get", _url(contract), None),
        ("post", _url(contract), {"reason": "x", "scope": "contract"}),
        ("post", _url(contract, hold), {"reason": "x"}),
    ):
        response = (
            getattr(client_for(outsider), method)(url, body, "application/json")
            if body
            else client_for(outsider).get(url)
        )
        assert response.status_code == 404, (method, url)
    # A hold is found only through its own contract.
    assert client_for(buyer).post(_url(foreign_contract, hold), {"reason": "x"}, "application/json").status_code == 404
    assert LegalHold.objects.get().is_active


# Session, person, memberships, the contract; then the manual holds, the automatic sources (open
# disputes and their subjects, pending claims, claimed outages, open credits: one UNION ALL) and the
# open reviews.
QUERIES = 7


@pytest.mark.parametrize("n", [1, 4])
def test_the_list_runs_a_constant_number_of_queries(
    client_for, buyer, vendor, staff, contract, clock, n, django_assert_num_queries
):
    from holds import services
    from reports.tests.ledger_factories import make_credit, make_report

    report = make_report(contract, "2026-02")
    for i in range(n):
        services.place_hold(actor=staff, contract=contract, reason=f"Hold {i}", scope="contract")
        dispute_outage(vendor, contract, outage(contract, feb(3 + i, 10)))
        make_credit(report)
    client = client_for(buyer)
    with django_assert_num_queries(QUERIES):
        assert len(client.get(_url(contract)).json()) == 3 * n
