"""A small but complete world for the fuzzer and the permission matrix.

Two contracts that share nobody: ``own`` (Northwind Bank buys from Acme Cloud)
and ``foreign`` (Contoso Retail buys from Globex Software). Each has one of
everything a URL can point at: SLA versions, a document, a board seat,
contacts, an incident with an attachment and an exclusion claim, an outage, a
maintenance window, a change notice, a monitoring source, onboarding items,
a training resource with a file, a feedback item, a closed period with its
report (PDF stored) and credits, a dispute, an annual review with a packet
and an amendment, a renewal reminder with its PDF and a calendar feed.

The people are every role of the own contract's parties, its board chair
(who belongs to neither party), staff, and the foreign parties' managers.
Everything is created through the services (as in each app's tests) at the
frozen instant ``NOW``: build it once per test module inside a transaction
that is rolled back afterwards (see ``world_fixture``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # October 2026 is closed and its credits claimable
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The roles of the matrix and the fuzzer, in table order.
ROLES = (
    "buyer_cm",
    "buyer_ops",
    "buyer_viewer",
    "vendor_am",
    "vendor_eng",
    "vendor_viewer",
    "board",
    "staff",
    "anon",
)


@dataclass
class Side:
    """The objects of one contract, by the URL kwarg they answer."""

    contract: Any
    draft_number: int = 0
    incident: Any = None
    attachment: Any = None
    claim: Any = None
    severity_proposal: Any = None
    document: Any = None
    seat: Any = None
    outage: Any = None
    window: Any = None
    notice: Any = None
    source: Any = None
    discrepancy: Any = None  # an open discrepancy between sources in November 2026
    item: Any = None
    evidence_item: Any = None
    resource: Any = None
    feedback: Any = None
    report: Any = None
    credit: Any = None
    dispute: Any = None
    review: Any = None
    packet: Any = None
    amendment: Any = None
    comment: Any = None
    plan: Any = None  # a corrective-action plan the buyer asked the vendor for
    remedy: Any = None  # an owed remedy besides credits on the October report
    job: Any = None  # a failed background job on the review, asked for by the buyer's contract manager
    scenario: Any = None
    legal_hold: Any = None  # a manual legal hold on October 2026 (period scope: documents stay removable)
    reminder: Any = None
    feed_token: str = ""
    contact: Any = None
    membership: Any = None  # the buyer organization's operations member
    invitation: Any = None  # a pending invitation to the buyer organization
    webhook: Any = None  # the buyer organization's webhook endpoint
    delivery: Any = None  # one failed delivery to it
    source_token: str = ""
    notification: Any = None  # one unread notification of the buyer's contract manager


@dataclass
class World:
    people: dict[str, Any]
    own: Side
    foreign: Side
    template: Any
    tokens: dict[str, str]
    source_tokens: dict[str, str]
    audit_seq: int
    emails: list[Any] = field(default_factory=list)

    def user(self, role: str) -> Any:
        return self.people.get(role)


def _member(username: str, org: Any, role: str) -> Any:
    from accounts.tests.factories import member

    return member(username, org, role)


def _side(contract: Any, *, buyer: Any, vendor: Any, vendor_eng: Any, chair: Any, staff: Any) -> Side:
    """One of everything on ``contract``: ``buyer`` is a buyer contract manager,
    ``vendor`` a vendor account manager, ``chair`` the board's chair."""
    from availability.services import monitoring
    from availability.services import periods as av
    from contracts import onboarding
    from contracts import services as contracts
    from contracts.models import OnboardingItem
    from disputes import services as dispute_services
    from incidents import services as incidents
    from incidents.models import Incident
    from reports.models import Credit
    from reports.services import close_period
    from reports.services.publish import store_pdf
    from reports.tests.factories import add_outage, at, downtime_for
    from reviews.services import amendments, comments, opening, packets
    from simulator import services as simulations

    side = Side(contract=contract)
    side.seat = contracts.board_seat_add(actor=staff, contract=contract, user=chair, is_chair=True)
    side.contact = contracts.contact_add(
        actor=staff, contract=contract, side="vendor", role="incident_manager", name="Ina Cident", email="ina@x.test"
    )
    side.document = contracts.document_upload(
        actor=buyer, contract=contract, title="Signed agreement", file=SimpleUploadedFile("signed.pdf", PDF)
    )
    draft = contracts.sla_version_amend(actor=buyer, contract=contract, change_summary="Next year's terms")
    side.draft_number = draft.number

    # October 2026: an outage below the target, closed into a report with credits.
    side.outage = add_outage(contract, start=at(10), minutes=downtime_for("99.5"))
    side.report = store_pdf(close_period(contract=contract, period="2026-10", now=NOW))
    credits = list(Credit.objects.filter(report=side.report).order_by("pk"))
    side.credit = credits[0]

    # A live incident, acknowledged, with an attachment and a pending exclusion claim.
    side.incident = incidents.open_incident(
        actor=buyer,
        contract=contract,
        title="Payments API returns 502",
        severity="high",
        environment="production",
        component=contract.covered_components[0],
    )
    side.incident = incidents.acknowledge_incident(actor=vendor_eng, incident=side.incident)
    side.attachment = incidents.attach_file(
        actor=buyer, incident=side.incident, file=SimpleUploadedFile("trace.txt", b"GET /pay 502\n")
    )
    side.claim = incidents.claim_exclusion(
        actor=vendor_eng, incident=side.incident, kind="third_party", reason="The card network was down."
    )
    # ... and the vendor's pending proposal to lower its severity (the buyer decides it).
    side.severity_proposal = incidents.change_severity(
        actor=vendor_eng, incident=side.incident, severity="medium", reason="Only some merchants."
    ).change
    side.incident = Incident.objects.get(pk=side.incident.pk)

    side.window = av.schedule_maintenance(
        actor=vendor, contract=contract, title="Database upgrade", start=NOW + timedelta(days=20),
        end=NOW + timedelta(days=20, hours=2), components=[contract.covered_components[0]],
    )  # fmt: skip
    side.notice = av.announce_change(
        actor=vendor, contract=contract, kind="minor_release", title="Release 7.1",
        planned_at=NOW + timedelta(days=40), impact="New export screen",
    )  # fmt: skip
    side.source, side.source_token = monitoring.create_source(
        actor=buyer, contract=contract, name="Probes", kind="probe"
    )
    _, side.feed_token = av.calendar_feed(actor=buyer, contract=contract)
    from availability.models import Discrepancy

    side.discrepancy = Discrepancy.objects.create(
        contract=contract, component=contract.covered_components[0], period="2026-11",
        period_start=datetime(2026, 11, 1, tzinfo=UTC), period_end=datetime(2026, 12, 1, tzinfo=UTC),
        start=NOW - timedelta(hours=3), end=NOW - timedelta(hours=2), down_sources=[side.source.pk],
        up_sources=[], detected_at=NOW,
    )  # fmt: skip

    # The working routine: the plan created at activation, evidence, a resource, feedback.
    items = list(OnboardingItem.objects.filter(contract=contract).order_by("due_date", "order", "id"))
    side.item = items[0]
    owner = next(i for i in items if i.owner_party == "vendor")
    side.evidence_item = onboarding.onboarding_item_evidence(
        actor=vendor, item=owner, note="Connected.", file=SimpleUploadedFile("evidence.pdf", PDF)
    )
    side.resource = onboarding.resource_add(
        actor=buyer, contract=contract, title="Runbook", file=SimpleUploadedFile("runbook.pdf", PDF)
    )
    side.feedback = onboarding.feedback_log(
        actor=buyer, contract=contract, category="process", text="The escalation call came late."
    )

    side.dispute = dispute_services.dispute_open(
        actor=buyer, contract=contract, subject_type="outage", subject_id=str(side.outage.pk),
        title="The outage was shorter", statement="Our logs show 40 minutes, not 220.",
    )  # fmt: skip
    from holds.models import LegalHold

    side.legal_hold = LegalHold.objects.create(  # made directly: nobody is notified, the trail is unchanged
        contract=contract, reason="Litigation notice", scope=LegalHold.Scope.PERIOD, starts_at=datetime(2026, 10, 1, tzinfo=UTC),
        ends_at=datetime(2026, 11, 1, tzinfo=UTC), placed_by=buyer, placed_by_label=buyer.username, placed_at=NOW,
    )  # fmt: skip

    from corrective import services as corrective
    from reports.models import Remedy

    side.plan = corrective.request_plan(actor=buyer, contract=contract, subject="Resolve target missed")
    side.remedy = Remedy.objects.create(  # as the close owes it under a remedies term
        contract=contract, report=side.report, period="2026-10", kind=Remedy.Kind.EXECUTIVE_ESCALATION,
        trigger="availability_breach", ref="availability/executive_escalation", description="A call with the CTO",
    )  # fmt: skip

    side.review = opening.review_open(actor=chair, contract=contract, anniversary=date(2027, 1, 1), now=NOW)
    side.packet = packets.current_packet(side.review)
    terms = dict(contract.sla_versions.get(number=1).terms)
    side.amendment = amendments.amendment_propose(
        actor=chair, review=side.review, title="Raise the target", rationale="October fell short.",
        effective_from=datetime(2027, 1, 1, tzinfo=UTC), evidence=["Report 2026-10"], terms=terms,
    )  # fmt: skip
    side.comment = comments.comment_add(actor=chair, review=side.review, body="Agenda agreed.")
    from outbox.models import Job  # written directly: a job started here would publish its task

    side.job = Job.objects.create(
        kind="review.open", title="Opening review", task="reviews.tasks.run_review_job",
        subject_type="reviews.annualreview", subject_id=side.review.pk, requested_by=buyer,
        organization_id=contract.buyer_id, state=Job.State.FAILED, total=4, done=1, error="Boom.", created_at=NOW,
    )  # fmt: skip

    # A negotiating position: a simulation the buyer saved (its side sees it, the vendor does not).
    results = simulations.run(contract=contract, inputs={}, now=NOW)
    side.scenario = simulations.scenario_save(
        actor=buyer, name="Terms in force", inputs={}, results=results, contract=contract
    )
    return side


def _reminders(*sides: Side) -> None:
    """The renewal reminder 30 days before the (shared) notice deadline, PDF stored and emailed."""
    from outbox.models import OutboxMessage
    from reviews.models import RenewalReminder
    from reviews.services import renewals
    from reviews.tasks import email_renewal_reminder

    deadline = sides[0].contract.notice_deadline
    then = datetime.combine(deadline - timedelta(days=30), datetime.min.time(), tzinfo=UTC)
    for row in renewals.claim_due(today=deadline - timedelta(days=30), now=then):
        renewals.send(row, now=then)
    # The emails leave after commit through the outbox; the world's transaction never commits.
    for message in OutboxMessage.objects.filter(task="reviews.tasks.email_renewal_reminder").order_by("pk"):
        email_renewal_reminder(*message.args)
    for side in sides:
        side.reminder = RenewalReminder.objects.get(contract=side.contract, superseded=False)


def build() -> World:
    from django.core import mail

    from accounts.models import Invitation, Membership, Organization
    from accounts.services import token_issue
    from accounts.tests.factories import OrganizationFactory, UserFactory
    from audit.models import AuditEntry
    from availability.models import MonitoringSource
    from availability.services import monitoring
    from contracts.models import OnboardingTemplate
    from contracts.tests.factories import make_contract

    Role = Membership.Role
    first_email = len(getattr(mail, "outbox", []))
    northwind = OrganizationFactory(name="Northwind Bank", slug="northwind", kind=Organization.Kind.BUYER)
    acme = OrganizationFactory(name="Acme Cloud", slug="acme", kind=Organization.Kind.VENDOR)
    contoso = OrganizationFactory(name="Contoso Retail", slug="contoso", kind=Organization.Kind.BUYER)
    globex = OrganizationFactory(name="Globex Software", slug="globex", kind=Organization.Kind.VENDOR)
    people = {
        "buyer_cm": _member("buyer-cm", northwind, Role.CONTRACT_MANAGER),
        "buyer_ops": _member("buyer-ops", northwind, Role.OPERATIONS),
        "buyer_viewer": _member("buyer-viewer", northwind, Role.VIEWER),
        "vendor_am": _member("vendor-am", acme, Role.ACCOUNT_MANAGER),
        "vendor_eng": _member("vendor-eng", acme, Role.SUPPORT_ENGINEER),
        "vendor_viewer": _member("vendor-viewer", acme, Role.VIEWER),
        "board": UserFactory(username="board-chair"),
        "staff": UserFactory(username="staff", is_staff=True, is_superuser=True),
    }
    foreign_cm = _member("foreign-cm", contoso, Role.CONTRACT_MANAGER)
    foreign_am = _member("foreign-am", globex, Role.ACCOUNT_MANAGER)
    foreign_eng = _member("foreign-eng", globex, Role.SUPPORT_ENGINEER)
    foreign_chair = UserFactory(username="foreign-chair")
    staff = people["staff"]

    # 120 days' notice before the end of 2027: a renewal reminder is due in August 2027 (sent then, below).
    own_contract = make_contract(
        buyer=northwind, vendor=acme, reference="C-OWN", term_end=date(2027, 12, 31), notice_period_days=120
    )
    foreign_contract = make_contract(
        buyer=contoso, vendor=globex, reference="C-FOREIGN", term_end=date(2027, 12, 31), notice_period_days=120
    )
    own = _side(
        own_contract, buyer=people["buyer_cm"], vendor=people["vendor_am"], vendor_eng=people["vendor_eng"],
        chair=people["board"], staff=staff,
    )  # fmt: skip
    foreign = _side(
        foreign_contract, buyer=foreign_cm, vendor=foreign_am, vendor_eng=foreign_eng, chair=foreign_chair,
        staff=staff,
    )  # fmt: skip
    _reminders(own, foreign)
    # The buyers' people: a member and a pending invitation each (rows, not the service: no mail).
    for side, ops in ((own, people["buyer_ops"]), (foreign, foreign_cm)):
        side.membership = Membership.objects.get(user=ops, organization_id=side.contract.buyer_id)
        side.invitation = Invitation.objects.create(
            organization_id=side.contract.buyer_id, email=f"invitee-{side.contract.pk}@x.test", role=Role.VIEWER,
            expires_at=NOW + timedelta(days=7),
        )  # fmt: skip
    # The buyers' webhook endpoints, each with a failed delivery (rows: nothing is sent).
    from webhooks.models import WebhookDelivery
    from webhooks.services import endpoint_create

    for side in (own, foreign):
        side.webhook, _ = endpoint_create(
            actor=staff, organization=side.contract.buyer, name="Ops channel",
            url="https://hooks.example.test/covenant", format="covenant", events=[],
        )  # fmt: skip
        side.delivery = WebhookDelivery.objects.create(
            endpoint=side.webhook, event_id=f"evt_world_{side.contract.pk}", event="incident.opened",
            payload={"title": "world"}, status=WebhookDelivery.Status.FAILED, attempts=6,
        )  # fmt: skip
    # An unread notification each for the buyers' contract managers (a row: notify() would mail).
    from accounts.models import Notification

    for side, cm in ((own, people["buyer_cm"]), (foreign, foreign_cm)):
        side.notification = Notification.objects.create(
            user=cm, event="incident.opened", title="Incident opened", url=f"/contracts/{side.contract.pk}/",
        )  # fmt: skip
    # An alertmanager source too, so both ingestion endpoints have a real token.
    _, alert_token = monitoring.create_source(
        actor=people["buyer_cm"], contract=own_contract, name="Alertmanager", kind=MonitoringSource.Kind.ALERTMANAGER
    )
    tokens = {role: token_issue(actor=user, user=user)[1] for role, user in people.items()}
    return World(
        people=people,
        own=own,
        foreign=foreign,
        template=OnboardingTemplate.objects.order_by("pk").first(),
        tokens=tokens,
        source_tokens={"alertmanager": alert_token, "probe": own.source_token},
        audit_seq=AuditEntry.objects.order_by("seq").values_list("seq", flat=True).last(),
        emails=list(getattr(mail, "outbox", []))[first_email:],
    )


@pytest.fixture(scope="module", name="frozen_now")
def frozen_now_fixture() -> Iterator[datetime]:
    """Server time stands at NOW for the whole module (services read django.utils.timezone.now)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.now", lambda: NOW)
        yield NOW


@pytest.fixture(scope="module", name="media_root")
def media_root_fixture(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module", name="world")
def world_fixture(
    django_db_setup: Any, django_db_blocker: Any, frozen_now: datetime, media_root: Any
) -> Iterator[World]:
    """The world, built once for the module in a transaction rolled back at its end.
    Each test runs in a savepoint inside it (pytest-django's ``db``). Import
    ``world_fixture`` (and ``frozen_now_fixture``, ``media_root_fixture``)
    into a test module to use it there."""
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root), transaction.atomic():
        built = build()
        yield built
        transaction.set_rollback(True)
