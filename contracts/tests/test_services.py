"""contracts.services called directly: versions in force, audit, atomicity, uploads."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from audit import services as audit_services
from audit.models import AuditEntry
from contracts import services
from contracts.models import Contract, ContractDocument, SLAVersion
from contracts.tests.factories import make_contract
from core.errors import Conflict, InvalidInput, NotPermitted

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"


def verbs(contract: Contract) -> list[str]:
    return list(AuditEntry.objects.filter(contract_id=contract.pk).order_by("seq").values_list("verb", flat=True))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------
# Activation and amendment
# --------------------------------------------------------------------------


def test_first_activation_starts_at_midnight_in_the_calendar_zone(buyer, buyer_org, vendor_org):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, preset="business-hours", activate=False)
    assert contract.status == Contract.Status.DRAFT

    version = services.sla_version_activate(actor=buyer, version=contract.sla_versions.get(number=1))

    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE
    assert version.status == SLAVersion.Status.ACTIVE
    berlin_midnight = datetime(2025, 1, 1, tzinfo=ZoneInfo("Europe/Berlin"))
    assert version.effective_from == berlin_midnight
    assert version.effective_from == utc(2024, 12, 31, 23)
    assert version.effective_to is None
    assert version.activated_by == buyer and version.activated_at is not None
    # ... and the working routine starts: the onboarding plan and its first resource (issue 9).
    assert verbs(contract)[-4:] == [
        "sla_version.activated",
        "contract.activated",
        "resource.added",
        "onboarding.plan_created",
    ]


def test_first_activation_of_a_24x7_contract_starts_at_utc_midnight(contract):
    assert contract.sla_versions.get(number=1).effective_from == utc(2025, 1, 1)


def test_amendment_copies_the_active_terms(buyer, contract):
    v1 = contract.sla_versions.get(number=1)

    v2 = services.sla_version_amend(actor=buyer, contract=contract, change_summary="Renegotiated credits")

    assert (v2.number, v2.status, v2.based_on, v2.preset) == (2, SLAVersion.Status.DRAFT, v1, v1.preset)
    assert v2.terms == v1.terms
    assert v2.change_summary == "Renegotiated credits"
    assert v2.created_by == buyer
    # Editing the draft leaves the frozen version alone.
    terms = v2.terms
    terms["credit_cap_percent"] = "20"
    services.sla_version_update(actor=buyer, version=v2, terms=terms)
    v1.refresh_from_db()
    assert v1.terms["credit_cap_percent"] == "30"


def test_amend_needs_an_active_version(buyer, buyer_org, vendor_org):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, activate=False)
    with pytest.raises(Conflict) as exc:
        services.sla_version_amend(actor=buyer, contract=contract)
    assert exc.value.allowed == ["edit", "activate"]


def test_frozen_version_cannot_be_edited(buyer, contract):
    with pytest.raises(Conflict) as exc:
        services.sla_version_update(actor=buyer, version=contract.sla_versions.get(number=1), change_summary="x")
    assert (exc.value.state, exc.value.allowed) == ("active", ["amend"])


def test_activation_refuses_a_naive_instant(buyer, contract):
    v2 = services.sla_version_amend(actor=buyer, contract=contract)
    with pytest.raises(InvalidInput) as exc:
        services.sla_version_activate(actor=buyer, version=v2, effective_from=datetime(2026, 1, 1))
    assert "effective_from" in exc.value.errors


def _two_amendments(buyer, contract) -> tuple[datetime, datetime]:
    t2, t3 = utc(2026, 1, 1), utc(2026, 7, 1, 12, 30)
    for at in (t2, t3):
        version = services.sla_version_amend(actor=buyer, contract=contract)
        services.sla_version_activate(actor=buyer, version=version, effective_from=at)
    return t2, t3


def test_version_in_force_at_several_instants(buyer, contract):
    t2, t3 = _two_amendments(buyer, contract)
    tick = timedelta(microseconds=1)

    def number(at: datetime) -> int | None:
        version = services.version_in_force(contract, at)
        return version.number if version else None

    assert number(utc(2024, 12, 31, 23, 59, 59)) is None  # before the contract starts
    assert number(utc(2025, 1, 1)) == 1
    assert number(t2 - tick) == 1
    assert number(t2) == 2
    assert number(t3 - tick) == 2
    assert number(t3) == 3
    assert number(utc(2031, 1, 1)) == 3
    assert number(t2.astimezone(ZoneInfo("America/New_York"))) == 2  # the zone of the question does not matter


def test_exactly_one_version_in_force_after_two_amendments(buyer, contract):
    t2, t3 = _two_amendments(buyer, contract)
    start = utc(2025, 1, 1)
    v1, v2, v3 = contract.sla_versions.order_by("number")
    assert (v1.effective_to, v2.effective_from, v2.effective_to, v3.effective_from, v3.effective_to) == (
        t2,
        t2,
        t3,
        t3,
        None,
    )

    tick = timedelta(microseconds=1)
    instants = [start + timedelta(days=d, hours=d % 24) for d in range(0, 2500, 7)]
    instants += [b + delta for b in (start, t2, t3) for delta in (-tick, timedelta(0), tick)]
    for at in instants:
        in_force = list(SLAVersion.objects.filter(contract=contract).governing(at).values_list("number", flat=True))
        assert len(in_force) == (0 if at < start else 1), (at, in_force)


def test_versions_never_overlap(buyer, contract):
    t2, _ = _two_amendments(buyer, contract)
    v4 = services.sla_version_amend(actor=buyer, contract=contract)
    before = verbs(contract)

    with pytest.raises(InvalidInput) as exc:
        services.sla_version_activate(actor=buyer, version=v4, effective_from=t2 + timedelta(days=1))

    assert "effective_from" in exc.value.errors
    assert verbs(contract) == before
    v4.refresh_from_db()
    assert v4.is_draft


# --------------------------------------------------------------------------
# Audit: one entry per change, none when a service raises
# --------------------------------------------------------------------------


def test_every_change_writes_its_audit_entry(buyer, vendor, buyer_org, vendor_org, settings):
    contract = make_contract(buyer=buyer_org, vendor=vendor_org, activate=False)
    services.contract_update(actor=buyer, contract=contract, product="Ledger Cloud 2", notice_period_days=30)
    v1 = contract.sla_versions.get(number=1)
    services.sla_version_update(actor=buyer, version=v1, change_summary="Initial terms")
    services.sla_version_activate(actor=buyer, version=v1)
    v2 = services.sla_version_amend(actor=buyer, contract=contract)
    services.sla_version_activate(actor=buyer, version=v2, effective_from=utc(2026, 1, 1))
    seat = services.board_seat_add(actor=buyer, contract=contract, user=UserFactory(username="chair"), is_chair=True)
    services.board_seat_add(actor=buyer, contract=contract, user=seat.user, is_chair=False)
    services.board_seat_remove(actor=buyer, seat=seat)
    services.contact_add(
        actor=vendor, contract=contract, side="vendor", role="billing", name="Bea", email="bea@acme.test"
    )
    services.document_upload(actor=buyer, contract=contract, title="Annex", file=SimpleUploadedFile("a.pdf", PDF))

    assert verbs(contract) == [
        "contract.created",
        "sla_version.created",
        "contract.vendor_accepted",
        "contract.updated",
        "sla_version.updated",
        "sla_version.activated",
        "contract.activated",
        "resource.added",
        "onboarding.plan_created",
        "sla_version.amended",
        "sla_version.activated",
        "board.seat_added",
        "board.seat_updated",
        "board.seat_removed",
        "contact.created",
        "document.uploaded",
    ]
    updated = AuditEntry.objects.get(contract_id=contract.pk, verb="contract.updated")
    assert updated.changes["product"] == ["Ledger Cloud", "Ledger Cloud 2"]
    assert updated.actor_label == "buyer"
    assert audit_services.verify_chain().ok


def test_a_change_that_changes_nothing_writes_nothing(buyer, contract):
    before = verbs(contract)
    services.contract_update(actor=buyer, contract=contract, product=contract.product)
    assert verbs(contract) == before


@pytest.mark.parametrize(
    ("actor_name", "call", "error"),
    [
        ("vendor", lambda a, c: services.contract_update(actor=a, contract=c, product="x"), NotPermitted),
        ("buyer_ops", lambda a, c: services.sla_version_amend(actor=a, contract=c), NotPermitted),
        ("buyer", lambda a, c: services.contract_update(actor=a, contract=c, term_end=date(2020, 1, 1)), InvalidInput),
        ("buyer", lambda a, c: services.contract_update(actor=a, contract=c, status="terminated"), InvalidInput),
        (
            "buyer",
            lambda a, c: services.sla_version_update(actor=a, version=c.sla_versions.get(number=1), change_summary="x"),
            Conflict,
        ),
        (
            "buyer",
            lambda a, c: services.sla_version_activate(
                actor=a, version=services.sla_version_amend(actor=a, contract=c), effective_from=utc(2024, 1, 1)
            ),
            InvalidInput,
        ),
        (
            "vendor_engineer",
            lambda a, c: services.contact_add(
                actor=a, contract=c, side="vendor", role="billing", name="x", email="x@x.test"
            ),
            NotPermitted,
        ),
    ],
)
def test_a_refused_change_writes_nothing(request, contract, actor_name, call, error):
    actor = request.getfixturevalue(actor_name)
    before = list(AuditEntry.objects.exclude(verb="sla_version.amended").values_list("seq", flat=True))
    snapshot = Contract.objects.filter(pk=contract.pk).values().get()

    with pytest.raises(error):
        call(actor, contract)

    after = list(AuditEntry.objects.exclude(verb="sla_version.amended").values_list("seq", flat=True))
    assert after == before
    assert Contract.objects.filter(pk=contract.pk).values().get() == snapshot


def test_create_is_atomic(buyer, buyer_org, vendor_org, monkeypatch):
    """A failure after the contract row and its audit entry are written rolls back both."""

    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(SLAVersion.objects, "create", explode)
    entries = AuditEntry.objects.count()

    with pytest.raises(RuntimeError):
        services.contract_create(
            actor=buyer,
            buyer=buyer_org,
            vendor=vendor_org,
            reference="C-ATOMIC",
            product="x",
            start_date=date(2026, 1, 1),
            term_end=date(2027, 1, 1),
            monthly_fee=Decimal("1"),
        )

    assert not Contract.objects.filter(reference="C-ATOMIC").exists()
    assert AuditEntry.objects.count() == entries
    assert audit_services.verify_chain().ok


def test_activation_is_atomic(buyer, contract, monkeypatch):
    """If the last audit entry of an activation fails, the earlier writes roll back too."""
    v2 = services.sla_version_amend(actor=buyer, contract=contract)
    real_record = audit_services.record

    def record(**kwargs):
        if kwargs["verb"] == "sla_version.activated":
            raise RuntimeError("audit store unavailable")
        return real_record(**kwargs)

    monkeypatch.setattr("contracts.services.audit.record", record)
    entries = AuditEntry.objects.count()

    with pytest.raises(RuntimeError):
        services.sla_version_activate(actor=buyer, version=v2, effective_from=utc(2026, 1, 1))

    v1 = contract.sla_versions.get(number=1)
    v2.refresh_from_db()
    assert v1.effective_to is None  # the previous version was not cut short
    assert v2.is_draft and v2.effective_from is None
    assert AuditEntry.objects.count() == entries


# --------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content"), [("a.pdf", PDF), ("scan.PNG", PNG), ("photo.jpeg", JPEG)])
def test_document_upload_accepts_the_allowed_types(buyer, contract, name, content):
    doc = services.document_upload(actor=buyer, contract=contract, title="", file=SimpleUploadedFile(name, content))

    assert doc.title == name
    assert doc.size == len(content)
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    assert doc.uploaded_by == buyer
    assert doc.file.name.startswith(f"contracts/{contract.pk}/documents/")
    with doc.file.open("rb") as stored:
        assert stored.read() == content


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("macro.docm", PDF, "Unsupported file type."),
        ("noextension", PDF, "Unsupported file type."),
        ("fake.pdf", PNG, "File content does not match its type."),
        ("fake.png", JPEG, "File content does not match its type."),
        ("fake.jpg", b"GIF89a", "File content does not match its type."),
        ("empty.pdf", b"", "File content does not match its type."),
    ],
)
def test_document_upload_checks_type_and_magic(buyer, contract, name, content, message):
    entries = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.document_upload(actor=buyer, contract=contract, title="x", file=SimpleUploadedFile(name, content))
    assert exc.value.message == message
    assert "file" in exc.value.errors
    assert not ContractDocument.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_document_upload_checks_size(buyer, contract, settings):
    settings.COVENANT_MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
    big = SimpleUploadedFile("big.pdf", PDF + b"\0" * (2 * 1024 * 1024))
    with pytest.raises(InvalidInput) as exc:
        services.document_upload(actor=buyer, contract=contract, title="x", file=big)
    assert exc.value.errors == {"file": ["At most 2 MB."]}
    assert not ContractDocument.objects.exists()


def test_document_upload_needs_a_manager_of_either_party(vendor, vendor_engineer, buyer_viewer, contract):
    doc = services.document_upload(
        actor=vendor, contract=contract, title="SOC 2", file=SimpleUploadedFile("s.pdf", PDF)
    )
    assert doc.pk
    for actor in (vendor_engineer, buyer_viewer):
        with pytest.raises(NotPermitted):
            services.document_upload(actor=actor, contract=contract, title="x", file=SimpleUploadedFile("s.pdf", PDF))


def test_a_board_member_may_draft_an_amendment_but_not_put_it_in_force(board_member, contract):
    from core.errors import NotPermitted

    draft = services.sla_version_amend(actor=board_member, contract=contract, change_summary="Tighter P1")
    with pytest.raises(NotPermitted, match="contract managers"):
        services.sla_version_activate(actor=board_member, version=draft)
    draft.refresh_from_db()
    assert draft.is_draft


# -- the termination right, recorded from the period close --------------------------------------------


def test_the_termination_right_is_raised_once_kept_and_audited(contract, buyer, staff):
    from core.actor import SystemActor

    closer = SystemActor("system:period_close")
    with pytest.raises(NotPermitted):  # it follows from the reports, not from a party's say-so
        services.contract_termination_right_record(
            actor=buyer, contract=contract, triggered=True, on=date(2026, 11, 3), report_label="2026-10 r1"
        )
    assert services.contract_termination_right_record(
        actor=closer, contract=contract, triggered=True, on=date(2026, 11, 3), report_label="2026-10 r1"
    )
    assert not services.contract_termination_right_record(  # already raised: the first day stays
        actor=closer, contract=contract, triggered=True, on=date(2026, 12, 2), report_label="2026-11 r1"
    )
    contract.refresh_from_db()
    assert (contract.termination_right, contract.termination_right_since) == (True, date(2026, 11, 3))
    raised = AuditEntry.objects.get(verb="contract.termination_right_raised")
    assert raised.actor_label == "system:period_close"
    assert raised.changes["report"] == [None, "2026-10 r1"]
    # A good period does not clear it: only exercise, waiver or lapse end it.
    assert not services.contract_termination_right_record(
        actor=staff, contract=contract, triggered=False, on=date(2027, 1, 4), report_label="2026-12 r1"
    )
    contract.refresh_from_db()
    assert (contract.termination_right, contract.termination_right_since) == (True, date(2026, 11, 3))
    assert not AuditEntry.objects.filter(verb__in=["contract.termination_right_cleared"]).exists()


def test_contract_managers_are_each_sides_managers_but_not_the_person_acting(
    contract, buyer, buyer_ops, vendor, vendor_engineer
):
    from contracts.access import contract_managers

    assert {u.pk for u in contract_managers(contract)} == {buyer.pk, vendor.pk}
    assert [u.pk for u in contract_managers(contract, side="vendor")] == [vendor.pk]
    assert [u.pk for u in contract_managers(contract, exclude=buyer)] == [vendor.pk]
