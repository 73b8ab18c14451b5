"""The contract page's "Legal holds" panel: automatic and manual holds, place and release forms."""

from holds import services
from holds.models import LegalHold
from holds.tests.factories import dispute_outage, feb, outage


def _page(client, contract):
    return client.get(f"/contracts/{contract.pk}/")


def test_the_panel_lists_holds_and_places_and_releases_one(client_for, buyer, vendor, contract, clock):
    dispute = dispute_outage(vendor, contract, outage(contract, feb(3, 10)))
    browser = client_for(buyer)
    page = _page(browser, contract).content.decode()
    assert 'id="legal-holds"' in page and f"Dispute D-{dispute.pk} (stage 1:" in page
    assert "Place the legal hold" in page

    placed = browser.post(
        f"/contracts/{contract.pk}/holds/",
        {
            "reason": "Litigation notice",
            "scope": "period",
            "starts_at": "2026-01-01T00:00",
            "ends_at": "2026-02-01T00:00",
        },
    )
    assert placed.status_code == 302 and placed["Location"].endswith("#legal-holds")
    hold = LegalHold.objects.get()
    assert (hold.starts_at.isoformat(), hold.placed_by) == ("2026-01-01T00:00:00+00:00", buyer)
    page = _page(browser, contract).content.decode()
    assert f"Legal hold {hold.reference}: Litigation notice" in page and f"Release {hold.reference}" in page

    refused = browser.post(f"/contracts/{contract.pk}/holds/{hold.pk}/release/", {"reason": ""}, follow=True)
    assert "not released" in refused.content.decode() and LegalHold.objects.get().is_active
    browser.post(f"/contracts/{contract.pk}/holds/{hold.pk}/release/", {"reason": "Settled"})
    assert not LegalHold.objects.get().is_active
    assert "Recently released" in _page(browser, contract).content.decode()


def test_other_roles_see_the_holds_but_no_forms_and_outsiders_nothing(
    client_for, buyer, buyer_ops, outsider, contract, clock
):
    hold = services.place_hold(actor=buyer, contract=contract, reason="Litigation notice", scope="contract")
    page = _page(client_for(buyer_ops), contract).content.decode()
    assert f"Legal hold {hold.reference}" in page and "Place the legal hold" not in page and "Release LH" not in page
    assert (
        client_for(buyer_ops).post(f"/contracts/{contract.pk}/holds/", {"reason": "x", "scope": "contract"}).status_code
        == 403
    )
    release = f"/contracts/{contract.pk}/holds/{hold.pk}/release/"
    assert client_for(buyer_ops).post(release, {"reason": "x"}).status_code == 403
    assert client_for(outsider).post(release, {"reason": "x"}).status_code == 404
    assert (
        client_for(outsider).post(f"/contracts/{contract.pk}/holds/", {"reason": "x", "scope": "contract"}).status_code
        == 404
    )
    assert LegalHold.objects.get().is_active and LegalHold.objects.count() == 1


def test_the_panel_runs_a_constant_number_of_queries(client_for, buyer, vendor, staff, contract, clock, count_queries):
    """Compared at two sizes, not pinned: the contract page's other panels are not this app's to count."""
    browser = client_for(buyer)

    def add(n):
        for _ in range(n):
            i = LegalHold.objects.count()
            services.place_hold(actor=staff, contract=contract, reason=f"Hold {i}", scope="contract")
            dispute_outage(vendor, contract, outage(contract, feb(3 + i, 10)))
        _page(browser, contract)  # warm the session
        return count_queries(lambda: _page(browser, contract))

    assert add(1) == add(3)
