"""The contract page: a constant number of queries (at most ten, the per-request overhead
included), whatever the rows behind its panels, and the same lists its models' own queries give."""

from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import UserFactory
from contracts import detail
from contracts.models import BoardSeat, ContractContact, ContractDocument, OnboardingItem, TerminationRight
from contracts.onboarding.selectors import onboarding_progress
from holds import services as holds

BUDGET = 10


def _add(contract, staff, n):
    today = timezone.localdate()
    for i in range(n):
        seat = UserFactory(username=f"seat-{contract.board.count()}", first_name="Ana" if i % 2 else "")
        BoardSeat.objects.create(contract=contract, user=seat, is_chair=False)
        ContractContact.objects.create(
            contract=contract,
            side="vendor" if i % 2 else "buyer",
            role="billing",
            name=f"Zed {i}",
            email=f"z{i}@x.test",
        )
        ContractDocument.objects.create(
            contract=contract, title=f"Annex {i}", file=f"contracts/annex-{i}.pdf", size=1000 + i, sha256="0" * 64
        )
        for status in OnboardingItem.Status.values:
            OnboardingItem.objects.create(
                contract=contract,
                title=f"Item {i}",
                owner_party="buyer",
                due_date=today - timedelta(days=i),
                status=status,
            )
        TerminationRight.objects.create(
            contract=contract,
            status=_status(i, n),
            period=f"2026-0{i + 1}",
            report_label=f"2026-0{i + 1} r1",
            raised_on=date(2026, i + 1, 3),
            raised_at=timezone.now() - timedelta(days=30 - i),
            expires_at=timezone.now() + timedelta(days=30),
            reason="" if i % 2 == 0 else "Settled",
        )
        hold = holds.place_hold(actor=staff, contract=contract, reason=f"Hold {i}", scope="contract")
        if i % 2:
            holds.release_hold(actor=staff, hold=hold, reason="Settled")


def _status(i, n):
    """The latest right is open (one at most may be); the others ended."""
    S = TerminationRight.Status
    return S.OPEN if i == n - 1 else (S.WAIVED if i % 2 else S.LAPSED)


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_the_page_runs_at_most_ten_queries_whatever_the_rows(
    client_for, buyer, vendor, board_member, staff, contract, count_queries
):
    url = f"/contracts/{contract.pk}/"
    clients = {
        who: client_for(user)
        for who, user in (("buyer", buyer), ("vendor", vendor), ("board", board_member), ("staff", staff))
    }

    def counts():
        for client in clients.values():
            assert client.get(url).status_code == 200  # the session, cached
        return {who: count_queries(lambda c=client: c.get(url)) for who, client in clients.items()}

    small = counts()
    _add(contract, staff, 4)
    big = counts()
    assert small == big, (small, big)
    assert max(big.values()) <= BUDGET, big


def test_the_page_lists_what_the_models_hold(staff, contract, board_member):
    _add(contract, staff, 5)
    page = detail.page_contract(staff, contract.pk)
    board, contacts, documents = detail.people(page)
    assert [(s.pk, s.user_id, str(s.user), s.is_chair) for s in board] == [
        (s.pk, s.user_id, str(s.user), s.is_chair) for s in contract.board.select_related("user")
    ]
    assert [(c.pk, c.get_side_display(), c.get_role_display(), c.name, c.email, c.phone) for c in contacts] == [
        (c.pk, c.get_side_display(), c.get_role_display(), c.name, c.email, c.phone) for c in contract.contacts.all()
    ]
    assert [(d.pk, d.title, d.size, d.uploaded_at) for d in documents] == [
        (d.pk, d.title, d.size, d.uploaded_at) for d in contract.documents.all()
    ]
    assert detail.onboarding_progress(page) == onboarding_progress(contract)
    _same_termination_state(page, contract)
    # Once the open right ends, the page shows it as the last one.
    TerminationRight.objects.filter(status=TerminationRight.Status.OPEN).update(
        status=TerminationRight.Status.EXERCISED, ended_at=timezone.now(), reason="Decided"
    )
    _same_termination_state(detail.page_contract(staff, contract.pk), contract)


def _termination_state(contract):
    """What the page shows, by the model's own query: the latest right not withdrawn, as ``open``
    while it is open, else as ``last``."""
    latest = contract.termination_rights.exclude(status=TerminationRight.Status.WITHDRAWN).first()
    is_open = latest is not None and latest.status == TerminationRight.Status.OPEN
    return {"open": latest if is_open else None, "last": None if is_open else latest}


def _same_termination_state(page, contract):
    fields = ("pk", "status", "raised_on", "report_label", "expires_at", "ended_at", "reason")
    ours, theirs = detail.termination_state(page), _termination_state(contract)
    assert ours["open"] or ours["last"]
    for key in ("open", "last"):
        assert (ours[key] is None) == (theirs[key] is None)
        if ours[key] is not None:
            assert [getattr(ours[key], f) for f in fields] == [getattr(theirs[key], f) for f in fields]
            assert ours[key].get_status_display() == theirs[key].get_status_display()


def test_an_empty_contract_shows_no_termination_right_and_no_plan(staff, contract):
    page = detail.page_contract(staff, contract.pk)
    assert detail.termination_state(page) == {"open": None, "last": None} == _termination_state(contract)
    assert detail.onboarding_progress(page) == onboarding_progress(contract)
    assert detail.people(page) == ([], [], [])


def test_another_tenants_contract_is_a_404(client_for, outsider, contract):
    assert client_for(outsider).get(f"/contracts/{contract.pk}/").status_code == 404
    assert client_for(outsider).get("/contracts/999999/").status_code == 404


@pytest.mark.parametrize("who", ["buyer", "board_member"])
def test_the_page_still_shows_each_panel(request, who, client_for, staff, contract):
    user = request.getfixturevalue(who)
    _add(contract, staff, 2)
    html = client_for(user).get(f"/contracts/{contract.pk}/").content.decode()
    for text in (
        "Zed 0",
        "Annex 1",
        "Legal holds",
        "LH-",
        "Recently released",
        "Onboarding",
        "(2026-02 r1)",
    ):
        assert text in html, text
    for seat in contract.board.select_related("user"):
        assert str(seat.user) in html
