"""The review pages and API: the whole flow in the browser (propose, freeze,
three signatures, the contract then shows the new version), the visibility
rule (an outsider gets 404 everywhere), constant query counts, and the
calendar and dashboard."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.tests.factories import member
from contracts import services as contract_services
from contracts.tests.test_views import form_data
from reviews.models import AnnualReview, RenewalReminder, Signature
from reviews.services import comments, lifecycle, opening, packets, renewals, signatures
from reviews.tests.factories import ANNIVERSARY, open_review, raised_target, seat_board

S = AnnualReview.Status


@pytest.fixture
def chair(contract, staff, buyer, vendor):
    return seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)


@pytest.fixture
def review(contract, chair, clock):
    return open_review(contract)


def detail(review):
    return reverse("reviews:detail", args=[review.pk])


# -- the flow in the browser ---------------------------------------------------------------------


def test_propose_freeze_and_sign_in_the_browser(
    client_for, contract, review, chair, buyer, vendor, clock, eager, django_capture_on_commit_callbacks
):
    page = client_for(vendor).get(detail(review))
    assert page.status_code == 200
    assert b"Propose an amendment" in page.content
    assert b"Approve packet" not in page.content  # nothing to sign yet

    response = client_for(vendor).post(
        reverse("reviews:propose", args=[review.pk]),
        {
            "title": "Raise the availability target",
            "rationale": "Availability missed 99.95 % in October.",
            "evidence": "Service report 2026-10\nIncident INC-1",
            "effective_from": "2027-01-01",
        },
    )
    amendment = review.amendments.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#amendment-{amendment.pk}")
    assert amendment.evidence == ["Service report 2026-10", "Incident INC-1"]
    assert amendment.effective_from == datetime(2027, 1, 1, tzinfo=UTC)
    # The review holds the draft: the contract's editor sends people to the review, whose terms page saves it.
    held = client_for(vendor).get(reverse("contracts:version_edit", args=[contract.pk, amendment.sla_version.number]))
    assert held.status_code == 409 and f'href="{detail(review)}"'.encode() in held.content
    terms_page = reverse("reviews:amendment-terms", args=[review.pk, amendment.pk])
    data = {**form_data(client_for(vendor).get(terms_page).context["form"]), "up_target": "99.99"}
    assert client_for(vendor).post(terms_page, data).status_code == 302
    amendment.sla_version.refresh_from_db()
    assert amendment.sla_version.terms["uptime"] == raised_target(contract)["uptime"]

    page = client_for(buyer).get(detail(review))
    assert b"Uptime \xe2\x80\xba Target %" in page.content and b"99.99" in page.content  # before / after
    assert b"The amendments changed after packet v1" in page.content

    with django_capture_on_commit_callbacks(execute=True):  # frozen on the worker
        assert client_for(chair).post(reverse("reviews:transition", args=[review.pk, "freeze"])).status_code == 302
    review.refresh_from_db()
    assert review.status == S.AWAITING_SIGNATURES
    packet = packets.signing_packet(review)

    for person, ip in ((buyer, "198.51.100.1"), (vendor, "198.51.100.2"), (chair, "198.51.100.3")):
        page = client_for(person).get(detail(review))
        assert f"Approve packet v{packet.version}".encode() in page.content
        response = client_for(person).post(
            reverse("reviews:sign", args=[review.pk]),
            {"decision": "approve", "packet_checksum": packet.checksum},
            REMOTE_ADDR=ip,
        )
        assert response.status_code == 302
        assert Signature.objects.get(user=person).ip_address == ip
    review.refresh_from_db()
    assert review.status == S.SIGNED

    page = client_for(buyer).get(reverse("contracts:detail", args=[contract.pk]))
    assert b"SLA v2 is activated and takes effect on 1 Jan 2027" in page.content
    assert b"Annual review 2027" in page.content  # the review on the contract page


def test_a_double_submission_in_the_browser_is_refused_with_a_reason(client_for, review, chair, buyer, clock):
    lifecycle.review_freeze(actor=chair, review=review)
    review.refresh_from_db()
    data = {"decision": "approve", "packet_checksum": packets.signing_packet(review).checksum}
    client_for(buyer).post(reverse("reviews:sign", args=[review.pk]), data)
    page = client_for(buyer).post(reverse("reviews:sign", args=[review.pk]), data, follow=True)
    assert b"You already approved packet v" in page.content
    assert Signature.objects.filter(user=buyer).count() == 1


def test_a_proposal_without_rationale_is_shown_back_with_the_error(client_for, review, buyer):
    response = client_for(buyer).post(
        reverse("reviews:propose", args=[review.pk]),
        {"title": "Raise the target", "rationale": " ", "effective_from": "2027-01-01"},
    )
    assert response.status_code == 400
    assert b"field-error" in response.content
    assert not review.amendments.exists()


def test_the_recommendation_is_recorded_and_shown_on_the_contract_page(client_for, contract, review, chair, buyer):
    response = client_for(chair).post(
        reverse("reviews:record", args=[review.pk]),
        {
            "agenda": "1. The year",
            "meeting_date": "2026-12-15T14:00",
            "minutes": "",
            "decisions": "Renegotiate the availability target.",
            "recommendation": "renegotiate",
            "recommendation_reasons": "Three months below target.",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.meeting_date == datetime(2026, 12, 15, 14, 0, tzinfo=UTC)
    page = client_for(buyer).get(reverse("contracts:detail", args=[contract.pk]))
    assert b"Renewal recommendation: <strong>Renegotiate</strong>" in page.content


def test_people_without_the_role_get_403_not_a_change(client_for, review, vendor_engineer, vendor):
    response = client_for(vendor).post(reverse("reviews:transition", args=[review.pk, "freeze"]))
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.status == S.PREPARING


# -- visibility ---------------------------------------------------------------------------------------


def test_an_outsider_gets_404_everywhere(client_for, review, outsider, chair, buyer):
    packet = lifecycle.review_freeze(actor=chair, review=review)
    c = client_for(outsider)
    for url in (
        detail(review),
        reverse("reviews:packet-pdf", args=[review.pk, packet.version]),
        f"/api/reviews/{review.pk}/",
        f"/api/review-packets/{packet.pk}/pdf/",
    ):
        assert c.get(url).status_code == 404, url
    assert (
        c.post(
            reverse("reviews:sign", args=[review.pk]), {"decision": "approve", "packet_checksum": packet.checksum}
        ).status_code
        == 404
    )
    assert (
        c.post(
            f"/api/reviews/{review.pk}/sign/", {"packet_checksum": packet.checksum}, content_type="application/json"
        ).status_code
        == 404
    )
    assert c.get("/api/reviews/").json()["count"] == 0
    assert outsider.username.encode() not in client_for(buyer).get(detail(review)).content


def test_members_see_the_packet(client_for, review, buyer_viewer):
    response = client_for(buyer_viewer).get(reverse("reviews:packet-pdf", args=[review.pk, 1]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


# -- lists -----------------------------------------------------------------------------------------------


def _more(buyer_org, vendor_org, staff, buyer, n, start, now):
    """``n`` more contracts, each with an open review (signatories, a
    comment) and two reminders sent."""
    from contracts.tests.factories import make_contract

    for i in range(start, start + n):
        c = make_contract(buyer=buyer_org, vendor=vendor_org, reference=f"C-L{i}")
        contract_services.board_seat_add(actor=staff, contract=c, user=buyer, is_chair=True)
        review = opening.review_open(actor=opening.SYSTEM, contract=c, anniversary=ANNIVERSARY, generate_packet=False)
        comments.comment_add(actor=buyer, review=review, body="Noted.")
        RenewalReminder.objects.bulk_create(
            RenewalReminder(
                contract=c,
                term_end=c.term_end,
                notice_deadline=c.notice_deadline,
                milestone=m,
                days_left=m,
                sent_at=now,
            )
            for m in (120, 90)
        )


def test_lists_run_a_constant_number_of_queries(
    client_for, count_queries, buyer_org, vendor_org, staff, buyer, review, clock
):
    c = client_for(buyer)
    pages = [reverse("reviews:list"), reverse("reviews:renewals"), "/api/reviews/", "/api/renewal-reminders/", "/"]
    _more(buyer_org, vendor_org, staff, buyer, 2, 0, clock.now)
    small = [count_queries(lambda url=url: c.get(url)) for url in pages]
    _more(buyer_org, vendor_org, staff, buyer, 6, 10, clock.now)
    large = [count_queries(lambda url=url: c.get(url)) for url in pages]
    assert small == large
    assert c.get(reverse("reviews:list")).content.count(b"Annual review 2027") >= 8


def test_renewal_leverage_is_the_buyers(client_for, contract, buyer, vendor, clock):
    clock.set(datetime(2027, 9, 2, 5, 30, tzinfo=UTC))  # 30 days before the notice deadline (2 Oct 2027)
    renewals.send_renewal_reminders()
    row = RenewalReminder.objects.get(superseded=False)
    assert client_for(buyer).get(reverse("reviews:reminder-pdf", args=[row.pk])).status_code == 200
    assert client_for(vendor).get(reverse("reviews:reminder-pdf", args=[row.pk])).status_code == 404
    assert client_for(vendor).get("/api/renewal-reminders/").json()["count"] == 0
    assert client_for(buyer).get("/api/renewal-reminders/").json()["count"] == 4  # 120/90/60 superseded + 30
    link = reverse("reviews:reminder-pdf", args=[row.pk]).encode()
    assert link in client_for(buyer).get(reverse("reviews:renewals")).content
    page = client_for(vendor).get(reverse("reviews:renewals"))
    assert b"C-1" in page.content and link not in page.content  # the deadline, not the buyer's leverage


# -- API ------------------------------------------------------------------------------------------------------


def test_the_api_flow_and_its_errors(
    client_for, contract, chair, buyer, vendor, clock, eager, django_capture_on_commit_callbacks
):
    api = client_for(buyer)
    with django_capture_on_commit_callbacks(execute=True):  # packet v1 is made on the worker
        created = api.post("/api/reviews/", {"contract": contract.pk}, content_type="application/json")
    assert created.status_code == 202, created.json()
    rid = created.json()["subject_id"]
    assert [s["role"] for s in api.get(f"/api/reviews/{rid}/").json()["signatories"]] == [
        "Chair",
        "Buyer representative",
        "Vendor representative",
    ]

    bad = client_for(vendor).post(
        "/api/review-amendments/",
        {"review": rid, "title": "Raise", "rationale": "", "effective_from": "2027-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "rationale" in bad.json()["errors"]
    made = client_for(vendor).post(
        "/api/review-amendments/",
        {
            "review": rid,
            "title": "Raise the availability target",
            "rationale": "October missed the target.",
            "evidence": ["Service report 2026-10"],
            "effective_from": "2027-01-01T00:00:00Z",
            "terms": raised_target(contract),
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["changes"][0]["before"] == "99.95" and made.json()["changes"][0]["after"] == "99.99"

    assert api.patch(f"/api/reviews/{rid}/", {"status": "signed"}, content_type="application/json").status_code == 400
    record = api.patch(
        f"/api/reviews/{rid}/",
        {"recommendation": "renew", "recommendation_reasons": "Service was good overall."},
        content_type="application/json",
    )
    assert record.status_code == 200 and record.json()["recommendation"] == "renew"

    assert client_for(vendor).post(f"/api/reviews/{rid}/freeze/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):  # frozen on the worker
        queued = client_for(chair).post(f"/api/reviews/{rid}/freeze/")
    assert queued.status_code == 202 and client_for(chair).get(queued["Location"]).json()["state"] == "done"
    frozen = client_for(chair).get(f"/api/reviews/{rid}/")
    assert frozen.json()["status"] == "awaiting_signatures"
    checksum = frozen.json()["signing_packet"]["checksum"]

    wrong = api.post(f"/api/reviews/{rid}/sign/", {"packet_checksum": "0" * 64}, content_type="application/json")
    assert wrong.status_code == 409 and wrong.json()["state"] == "awaiting_signatures"
    ok = api.post(
        f"/api/reviews/{rid}/sign/",
        {"packet_checksum": checksum},
        content_type="application/json",
        REMOTE_ADDR="192.0.2.50",
    )
    assert ok.status_code == 201 and ok.json()["ip_address"] == "192.0.2.50"
    again = api.post(f"/api/reviews/{rid}/sign/", {"packet_checksum": checksum}, content_type="application/json")
    assert again.status_code == 409 and "already approved" in again.json()["detail"]
    assert (
        client_for(vendor)
        .post(
            f"/api/reviews/{rid}/reject/", {"packet_checksum": checksum, "reason": ""}, content_type="application/json"
        )
        .status_code
        == 400
    )
    rejected = client_for(vendor).post(
        f"/api/reviews/{rid}/reject/",
        {"packet_checksum": checksum, "reason": "Not yet."},
        content_type="application/json",
    )
    assert rejected.status_code == 201
    state = api.get(f"/api/reviews/{rid}/").json()
    assert state["status"] == "preparing"
    signed = api.get(f"/api/reviews/{rid}/signatures/").json()
    assert [(s["user"], s["decision"], s["void"]) for s in signed] == [
        ("buyer", "approve", True),
        ("vendor", "reject", False),
    ]
    comment = client_for(chair).post(
        "/api/review-comments/", {"review": rid, "body": "Let us meet."}, content_type="application/json"
    )
    assert comment.status_code == 201
    assert api.get(f"/api/review-comments/?review={rid}").json()["count"] == 1
    pdf = api.get(state["packet"]["pdf_url"])
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")


# -- calendar and dashboard ------------------------------------------------------------------------------------


def test_the_contract_calendar_has_the_governance_dates(client, contract, review, chair, buyer):
    from availability.services import periods as av

    lifecycle.review_update(actor=chair, review=review, meeting_date=datetime(2026, 12, 15, 14, 0, tzinfo=UTC))
    _, token = av.calendar_feed(actor=buyer, contract=contract)
    body = client.get(reverse("reviews:calendar-feed", args=[contract.pk, token])).content.decode()
    assert "SUMMARY:Notice deadline: C-1" in body and "DTSTART;VALUE=DATE:20271002" in body
    assert "SUMMARY:Term ends: C-1" in body
    assert "SUMMARY:Board meeting: C-1 annual review 2027" in body and "DTSTART:20261215T140000Z" in body
    assert client.get(reverse("reviews:calendar-feed", args=[contract.pk, "nope"])).status_code == 404


def test_the_dashboard_shows_reviews_awaiting_my_signature(client_for, review, chair, buyer, vendor):
    lifecycle.review_freeze(actor=chair, review=review)
    review.refresh_from_db()
    page = client_for(buyer).get("/")
    assert b"Awaiting your signature" in page.content
    assert f'href="{detail(review)}#sign"'.encode() in page.content
    signatures.review_sign(
        actor=buyer, review=review, decision="approve", packet_checksum=packets.signing_packet(review).checksum
    )
    assert f'href="{detail(review)}#sign"'.encode() not in client_for(buyer).get("/").content
    assert f'href="{detail(review)}#sign"'.encode() in client_for(vendor).get("/").content


def test_a_chair_who_is_not_a_party_member_still_sees_the_review(client_for, review, chair, buyer_org):
    assert client_for(chair).get(detail(review)).status_code == 200
    other = member("other-buyer", buyer_org, Membership.Role.VIEWER)
    assert client_for(other).get(detail(review)).status_code == 200  # the buyer's people see it


def test_a_review_can_be_opened_by_hand_from_the_list(
    client_for, contract, chair, buyer, vendor, clock, eager, django_capture_on_commit_callbacks
):
    page = client_for(buyer).get(reverse("reviews:list"))
    assert b"Open a review now" in page.content
    assert b"Open a review now" not in client_for(vendor).get(reverse("reviews:list")).content
    with django_capture_on_commit_callbacks(execute=True):  # packet v1 is made on the worker
        response = client_for(buyer).post(reverse("reviews:open"), {"contract": contract.pk})
    review = AnnualReview.objects.get()
    assert response.status_code == 302 and response["Location"].startswith(f"{detail(review)}?job=")
    assert review.packets.count() == 1
    page = client_for(buyer).get(reverse("reviews:list"))
    assert b"Open a review now" not in page.content  # its review is open: nothing left to open


def test_the_api_is_in_the_schema(client_for, buyer):
    schema = client_for(buyer).get("/api/schema/").content.decode()
    for path in (
        "/api/reviews/{id}/sign/",
        "/api/reviews/{id}/reject/",
        "/api/reviews/{id}/freeze/",
        "/api/review-packets/{id}/pdf/",
        "/api/review-amendments/",
        "/api/review-comments/",
        "/api/renewal-reminders/{id}/pdf/",
    ):
        assert path in schema, path
