"""Each role's journey, in a real browser, as the people would see it: a
buyer's Sev-1 reaches the vendor's on-call engineer (bell, notifications page
and mail); the vendor acknowledges and proposes a workaround that the buyer
accepts; a credit dispute climbs to the ladder's second stage; the board
signs the annual review; an organization admin invites a colleague who signs
up from the mail and sees only their organization's contracts.

Each test builds only what its journey needs, with the apps' services and
factories: the live server sees committed rows only, so its database is
emptied after every test and no world can be shared between them. Set
COVENANT_SCREENSHOTS to a folder to keep every page visited at 1280 and 390 px."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from accounts.models import Notification
from incidents import services as incidents
from tests.browser.conftest import PHONE, shoot_widths

REFERENCE = re.compile(r"^(\S+) · ")


def main_nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def bell(page: Page) -> Locator:
    return page.locator("header.topbar a.notif")


# -- 1. a Sev-1 reaches the vendor's on-call engineer -------------------------------------------


def test_a_sev1_reaches_the_vendors_on_call_engineer_in_the_app_and_by_mail(
    sign_in, buyer, vendor_engineer, contract, eager, mailoutbox
):
    page = sign_in(buyer)
    main_nav(page, "Incidents")
    page.get_by_role("button", name="Report incident").click()
    page.get_by_label("Severity").select_option(label="Critical")
    page.get_by_label("Component", exact=True).select_option("api")
    page.get_by_label("Title").fill("Ledger sync stalled")
    page.get_by_label("Description").fill("No ledger entries have synced since 08:40.")
    shoot_widths(page, "j1-report-incident")
    page.get_by_role("button", name="Open incident").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Ledger sync stalled")
    reference = heading.inner_text().split(" · ")[0]
    shoot_widths(page, "j1-incident-opened-buyer")

    # The vendor's engineer signs in to a lit bell.
    vendor_page = sign_in(vendor_engineer, viewport=PHONE)
    expect(bell(vendor_page).locator("mark")).to_have_text("1")
    shoot_widths(vendor_page, "j1-dashboard-vendor-bell")
    bell(vendor_page).click()
    expect(vendor_page.get_by_role("heading", level=1)).to_have_text("Notifications")
    row = vendor_page.locator("table tbody tr", has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ledger sync stalled")
    expect(row).to_contain_text("new")
    expect(row).to_contain_text(contract.reference)
    shoot_widths(vendor_page, "j1-notifications-vendor")
    row.get_by_role("link").click()
    expect(vendor_page.get_by_role("heading", level=1)).to_contain_text(f"{reference} · Ledger sync stalled")
    expect(vendor_page.locator(".inc-badges")).to_contain_text("Critical")

    # And a mail, at once (a critical incident in production).
    mails = [m for m in mailoutbox if vendor_engineer.email in m.to]
    assert len(mails) == 1, [m.subject for m in mailoutbox]
    assert reference in mails[0].subject and "Ledger sync stalled" in mails[0].subject
    assert Notification.objects.filter(user=vendor_engineer, event="incident.opened").count() == 1
    # The buyer who opened it is told nothing about their own act.
    assert not Notification.objects.filter(user=buyer).exists()


# -- 2. acknowledge, workaround, acceptance --------------------------------------------------------


def test_the_vendor_acknowledges_and_offers_a_workaround_that_the_buyer_accepts(
    sign_in, buyer, vendor_engineer, contract
):
    incident = incidents.open_incident(
        actor=buyer, contract=contract, title="Exports time out", severity="critical",
        environment="production", component="api", description="Every CSV export stops after 30 s.",
    )  # fmt: skip
    page_url = f"/incidents/{incident.pk}/"

    vendor_page = sign_in(vendor_engineer)
    vendor_page.goto(page_url)
    vendor_page.get_by_role("button", name="Acknowledge", exact=True).click()
    expect(vendor_page.locator(".flash").first).to_contain_text(f"{incident.reference} acknowledged")
    vendor_page.locator("details.action-propose_workaround > summary").click()
    vendor_page.get_by_label("Workaround").fill("Export by month: each month finishes in under 10 s.")
    vendor_page.get_by_role("button", name="Propose workaround").click()
    expect(vendor_page.locator(".flash").first).to_contain_text(f"Workaround proposed on {incident.reference}")
    workaround = vendor_page.locator("#workaround")
    expect(workaround).to_contain_text("Proposed")
    expect(workaround).to_contain_text("Export by month")
    shoot_widths(vendor_page, "j2-workaround-proposed-vendor")

    # The buyer sees both of the vendor's acts, and is asked for an answer.
    buyer_page = sign_in(buyer, viewport=PHONE)
    buyer_page.goto(page_url)
    expect(buyer_page.locator(".inc-badges")).to_contain_text("Acknowledged")
    expect(buyer_page.locator(".attention")).to_contain_text("Your answer is needed")
    timeline = buyer_page.locator("#timeline")
    expect(timeline).to_contain_text("Acknowledged")
    expect(timeline).to_contain_text("Export by month")
    shoot_widths(buyer_page, "j2-workaround-awaits-buyer")
    buyer_page.get_by_role("button", name="Accept workaround").click()
    expect(buyer_page.locator(".flash").first).to_contain_text(f"Workaround accepted: {incident.reference} is restored")
    expect(buyer_page.locator(".inc-badges")).to_contain_text("Restored")
    expect(buyer_page.get_by_role("button", name="Accept workaround")).to_have_count(0)
    shoot_widths(buyer_page, "j2-workaround-accepted-buyer")

    # The vendor sees the buyer's acceptance on the same page.
    vendor_page.reload()
    expect(vendor_page.locator(".inc-badges")).to_contain_text("Restored")
    expect(vendor_page.locator("#workaround")).to_contain_text("Accepted")
    expect(vendor_page.locator("#timeline")).to_contain_text("Workaround accepted")
    shoot_widths(vendor_page, "j2-workaround-accepted-vendor")


# -- 3. a credit dispute climbs to the second stage -------------------------------------------------


def test_a_credit_dispute_answered_by_the_vendor_goes_to_the_second_stage(
    sign_in, buyer, vendor, contract, monkeypatch
):
    from reports.tests.ledger_factories import freeze, make_credit, make_report

    clock = freeze(monkeypatch)  # two days after February closed: its credit is inside the claim window
    credit = make_credit(make_report(contract))

    page = sign_in(buyer)
    page.clock.set_fixed_time(clock.now)  # the countdowns' script counts from the server's instant
    main_nav(page, "Credits & disputes")
    row = page.locator(f"#credit-{credit.pk}")
    expect(row).to_contain_text("Calculated")
    shoot_widths(page, "j3-ledger-buyer")
    row.locator("details.credit-more > summary").click()
    row.get_by_label("What is wrong with this credit?").fill("Availability was 98.9 %, not 99.2 %: the tier is 10 %.")
    row.get_by_role("button", name="Open dispute").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Credit disputed")
    ref = REFERENCE.match(heading.inner_text()).group(1)
    expect(page.locator(".flash").first).to_contain_text(f"{ref} opened on the credit; it is at Negotiation")
    expect(page.locator(".ladder [aria-current=step]")).to_contain_text("Negotiation")
    shoot_widths(page, "j3-dispute-opened-buyer")

    # The vendor's account manager is told, and answers on the dispute.
    vendor_page = sign_in(vendor)
    vendor_page.clock.set_fixed_time(clock.now)
    expect(bell(vendor_page).locator("mark")).to_have_text("1")
    main_nav(vendor_page, "Credits & disputes")
    vendor_page.get_by_role("navigation", name="Ledger sections").get_by_role("link", name="Dispute board").click()
    shoot_widths(vendor_page, "j3-dispute-board-vendor")
    vendor_page.get_by_role("link", name=re.compile(ref)).first.click()
    expect(vendor_page.get_by_role("heading", level=1)).to_contain_text(ref)
    expect(vendor_page.locator(".statement")).to_contain_text("Availability was 98.9 %")
    vendor_page.get_by_label("Comment").fill(
        "Our probes show 99.2 %: the 40 minutes on the 12th were planned maintenance."
    )
    vendor_page.get_by_role("button", name="Comment").click()
    expect(vendor_page.locator(".flash").first).to_contain_text(f"Comment added to {ref}")
    shoot_widths(vendor_page, "j3-dispute-answered-vendor")

    # The buyer reads the answer and takes the dispute to the next rung.
    page.reload()
    expect(page.locator("#steps")).to_contain_text("the 40 minutes on the 12th were planned maintenance")
    page.locator("details.action-escalate > summary").click()
    page.get_by_label("Why does it go to the next stage?").fill("The maintenance was not announced 5 days ahead.")
    page.locator("form.action-escalate").get_by_role("button", name="Escalate").click()
    expect(page.locator(".flash").first).to_contain_text(f"{ref} escalated: it is now at Executive escalation")
    expect(page.locator(".ladder [aria-current=step]")).to_contain_text("Executive escalation")
    shoot_widths(page, "j3-dispute-escalated-buyer")

    # The vendor sees the second stage, the buyer's reason, and a new notification.
    vendor_page.reload()
    expect(vendor_page.locator(".inc-badges")).to_contain_text("Executive escalation")
    expect(vendor_page.locator("#steps")).to_contain_text("Escalated to Executive escalation")
    expect(vendor_page.locator("#steps")).to_contain_text("not announced 5 days ahead")
    expect(bell(vendor_page).locator("mark")).to_have_text("2")
    shoot_widths(vendor_page, "j3-dispute-escalated-vendor")

    # On the ledger the credit is held by the dispute, at its new stage.
    main_nav(vendor_page, "Credits & disputes")
    row = vendor_page.locator(f"#credit-{credit.pk}")
    expect(row).to_contain_text("Disputed")
    expect(row).to_contain_text(f"{ref} · Executive escalation")
    shoot_widths(vendor_page, "j3-ledger-disputed-vendor")


# -- 4. the board signs the annual review -----------------------------------------------------------


def _freeze_for_signature(chair, review) -> None:
    """Freezing signs the packet PDF, whose signer runs an event loop of its
    own: not beside Playwright's, so in a thread of its own (as in test_mfa_journey)."""
    from django.db import connection

    from reviews.services import lifecycle

    try:
        lifecycle.review_freeze(actor=chair, review=review)
    finally:
        connection.close()


def test_the_board_signs_the_annual_review_from_the_dashboard(
    sign_in, contract, staff, buyer, vendor, live_server, pdf_once_per_kind
):
    from reviews.tests.factories import open_review, seat_board

    chair = seat_board(contract, staff=staff, buyer=buyer, vendor=vendor)
    review = open_review(contract)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_freeze_for_signature, chair, review).result()

    pages = {}
    for person in (chair, buyer, vendor):
        page = pages[person.pk] = sign_in(person)
        expect(page.get_by_text("Awaiting your signature")).to_be_visible()
        link = page.get_by_role("link", name=f"{contract.reference} · {review.label}").first
        if person == chair:
            shoot_widths(page, "j4-dashboard-awaiting-signature")
        link.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(contract.reference)
        mine = page.locator(".signatures tr", has_text="(you)")
        expect(mine).to_contain_text("Not signed yet")
        if person == chair:
            shoot_widths(page, "j4-review-to-sign-chair")
        page.get_by_role("button", name=re.compile(r"^Approve packet v\d+$")).click()
        expect(page.locator(".flash").first).to_contain_text("Your approval is recorded")
        expect(mine).to_contain_text("Approved")

    # The last signature signs the review: every member sees it signed, and every signature.
    page = pages[chair.pk]
    page.reload()
    expect(page.locator(".flash", has_text="Signed by the board")).to_be_visible()
    expect(page.locator(".signatures tbody .sig-state", has_text="Approved")).to_have_count(3)
    signed_packet = page.get_by_role("button", name="Signed packet (PDF)")  # a link drawn as a button
    expect(signed_packet).to_be_visible()
    pdf = page.request.get(signed_packet.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert contract.reference in "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.body())).pages)
    expect(page.get_by_role("button", name=re.compile("Approve packet"))).to_have_count(0)
    shoot_widths(page, "j4-review-signed-chair")
    pages[buyer.pk].goto("/")
    expect(pages[buyer.pk].get_by_text("No review is waiting for your signature.")).to_be_visible()


# -- 5. an organization admin invites a colleague ---------------------------------------------------

INVITATION_LINK = re.compile(r"https?://[^/\s]+(/invitations/[A-Za-z0-9_-]+/)")


def test_an_admin_invites_a_colleague_who_signs_up_and_sees_only_their_contracts(
    sign_in, visitor, buyer, buyer_org, vendor_org, contract, eager, mailoutbox
):
    from accounts.models import Membership, Organization
    from accounts.tests.factories import OrganizationFactory
    from contracts.tests.factories import make_contract

    Membership.objects.filter(user=buyer).update(is_admin=True)
    contoso = OrganizationFactory(name="Contoso Retail", slug="contoso", kind=Organization.Kind.BUYER)
    elsewhere = make_contract(buyer=contoso, vendor=vendor_org, reference="C-ELSEWHERE")

    admin_page = sign_in(buyer)
    admin_page.locator("header .who summary").click()
    admin_page.get_by_role("link", name="People", exact=True).click()
    expect(admin_page.get_by_role("heading", level=1)).to_have_text("People of Northwind Bank")
    invite = admin_page.locator("#invite")
    invite.get_by_label("Email address").fill("Nina.New@Northwind.test")
    invite.get_by_label("Role").select_option(label="Operations")
    invite.get_by_role("button", name="Send the invitation").click()
    expect(admin_page.locator(".flash").first).to_have_text("Invitation sent to nina.new@northwind.test.")
    expect(admin_page.locator("#invitations tbody tr", has_text="nina.new@northwind.test")).to_contain_text(
        "Operations"
    )
    shoot_widths(admin_page, "j5-people-invited")

    # The colleague opens the link from the mail in a browser of their own.
    (mail,) = [m for m in mailoutbox if m.to == ["nina.new@northwind.test"]]
    assert "Northwind Bank" in mail.subject
    link = INVITATION_LINK.search(mail.body)
    assert link, mail.body
    page = visitor(viewport=PHONE)
    page.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Northwind Bank")
    expect(page.locator("main")).to_contain_text("nina.new@northwind.test")
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Last name").fill("New")
    page.get_by_label("Username").fill("nina")
    page.get_by_label(re.compile(r"^Password\W*$")).fill("a long and unusual passphrase")
    page.get_by_label("Password (again)").fill("a long and unusual passphrase")
    shoot_widths(page, "j5-invitation-signup")
    page.get_by_role("button", name="Create my account and join").click()
    expect(page.locator(".flash").first).to_contain_text("Welcome to Covenant: you joined Northwind Bank")
    menu = page.locator("header .who summary")
    menu.click()
    expect(page.locator("header .who-role")).to_have_text("Northwind Bank · Operations")
    menu.click()  # an open menu takes the next click anywhere to close itself

    # Their organization's contract is there; another buyer's is not, and its address is a 404.
    main_nav(page, "Contracts")
    listing = page.locator("main")
    expect(listing.get_by_role("link", name=contract.reference).first).to_be_visible()
    expect(listing).not_to_contain_text("C-ELSEWHERE")
    shoot_widths(page, "j5-contracts-new-colleague")
    response = page.goto(f"/contracts/{elsewhere.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("main")).not_to_contain_text("C-ELSEWHERE")
    expect(page.locator("main")).not_to_contain_text("Contoso")

    # The admin sees the colleague among the members, no longer among the invitations.
    admin_page.reload()
    expect(admin_page.locator("#members tbody tr", has_text="nina.new@northwind.test")).to_contain_text("Active")
    expect(admin_page.locator("#invitations")).not_to_contain_text("nina.new@northwind.test")
