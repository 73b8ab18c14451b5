"""The layout before the app split (reviews and incidents holding reports,
disputes, scenarios and availability), filled through historical models, for
tests/test_layout_migration.py.

Everything here writes through ``apps`` from a migration state, never through
the real models, so it describes the database exactly as the pre-move code
left it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from audit.chain import GENESIS, digest
from core.checksum import checksum

# The apps the move created: unapplied (zero) in the pre-move layout.
NEW_APPS = ("availability", "reports", "disputes", "simulator")
# Apps born after the move: they did not exist in the old layout, so they are unapplied with the new ones.
LATER_APPS = ("webhooks", "corrective", "holds")

# The project's leaf migrations before the move (commit 56fc96a).
PRE_MOVE = {
    "accounts": "0001_initial",
    "audit": "0002_append_only",
    "outbox": "0001_initial",
    "contracts": "0002_onboarding",
    "incidents": "0004_playbook",
    "reviews": "0003_scenarios",
}

# old "app.model" -> new "app.model"; the table keeps the old name.
MOVED = {
    "reviews.periodclose": "reports.periodclose",
    "reviews.servicereport": "reports.servicereport",
    "reviews.credit": "reports.credit",
    "reviews.dispute": "disputes.dispute",
    "reviews.disputestep": "disputes.disputestep",
    "reviews.scenario": "simulator.scenario",
    "incidents.monitoringsource": "availability.monitoringsource",
    "incidents.rawpayload": "availability.rawpayload",
    "incidents.probestate": "availability.probestate",
    "incidents.outage": "availability.outage",
    "incidents.nodataspan": "availability.nodataspan",
    "incidents.maintenancewindow": "availability.maintenancewindow",
    "incidents.changenotice": "availability.changenotice",
    "incidents.calendarfeed": "availability.calendarfeed",
}

# Queued task names before -> after. The last ones did not move: they must stay as they are.
TASKS = {
    "reviews.tasks.close_contract_period": "reports.tasks.close_contract_period",
    "reviews.tasks.publish_report": "reports.tasks.publish_report",
    "reviews.tasks.close_due_periods": "reports.tasks.close_due_periods",
    "reviews.tasks_annual.open_due_reviews": "reviews.tasks.open_due_reviews",
    "reviews.tasks_disputes.remind_dispute_deadlines": "disputes.tasks.remind_dispute_deadlines",
    "incidents.tasks_availability.purge_expired_payloads": "availability.tasks.purge_expired_payloads",
    "incidents.tasks.escalation_watch": "incidents.tasks.escalation_watch",
    "outbox.tasks.flush_outbox": "outbox.tasks.flush_outbox",
}
OUTBOX_TASKS = [
    "reviews.tasks.close_contract_period",
    "reviews.tasks.publish_report",
    "reviews.tasks_annual.open_due_reviews",
    "reviews.tasks_disputes.remind_dispute_deadlines",
    "incidents.tasks.escalation_watch",
]
BEAT_TASKS = [
    "incidents.tasks_availability.purge_expired_payloads",
    "reviews.tasks_annual.open_due_reviews",
    "reviews.tasks.close_due_periods",
    "outbox.tasks.flush_outbox",
]

T0 = datetime(2026, 11, 3, 9, 30, 15, 123456, tzinfo=UTC)


def pre_move_targets(leaf_nodes: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every app at its pre-move leaf: the project's from PRE_MOVE, Django's
    and third parties' where they are now (the move did not touch them)."""
    own = set(PRE_MOVE) | set(NEW_APPS) | set(LATER_APPS)
    return sorted([(app, name) for app, name in leaf_nodes if app not in own] + list(PRE_MOVE.items()))


def table_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Rows per table, by table name (django_migrations aside: the move adds to it)."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table == "django_migrations":
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            counts[table] = cursor.fetchone()[0]
    return counts


def rows(model: Any) -> dict[int, dict[str, Any]]:
    """Every row of a model as {pk: {column attname: value}}."""
    return {row["id"]: row for row in model.objects.order_by("pk").values()}


@dataclass
class Filled:
    """What fill_old_layout wrote, to compare with after the move."""

    user_id: int
    contract_id: int
    report_ids: list[int]
    credit_id: int
    dispute_id: int
    outage_id: int
    audit_entries: int
    content_types: dict[str, int] = field(default_factory=dict)  # old "app.model" -> pk
    outbox: dict[int, str] = field(default_factory=dict)  # pk -> old task name
    beat: dict[int, str] = field(default_factory=dict)


def report_snapshot(*, revision: int, supersedes: int | None, availability: str, total: str) -> dict[str, Any]:
    """A snapshot shaped like reports.snapshot.gather's, with keys out of
    order and non-ASCII text, so the checksum's canonical form is exercised."""
    return {
        "termination": {"triggered": False, "rule": ""},
        "period": {"label": "2026-10", "title": "October 2026", "zone": "Europe/Zürich"},
        "contract": {"reference": "C-LAYOUT", "currency": "EUR", "product": "Ledger — hosted"},
        "availability": {"value": availability, "met": Decimal(availability) >= Decimal("99.900"), "target": "99.900"},
        "breaches": [{"incident": "INC-1", "clock": "restore", "late_by": "1 h 12 min"}],
        "excluded_incidents": [],
        "excluded_outages": [],
        "credits": {
            "total": total,
            "claim_window_days": 60,
            "lines": [
                {"kind": "availability", "ref": "", "description": "Availability below 99.9 %", "payable": total}
            ],
        },
        "report": {"revision": revision, "supersedes_revision": supersedes, "what_changed": []},
    }


def append_audit(
    apps: Any, *, verb: str, obj: Any, contract_id: int | None, changes: dict[str, Any], at: datetime
) -> Any:
    """audit.services.record, against historical models: lock-free (one
    writer here) but otherwise the same content, digest and head update."""
    entry_model, head_model = apps.get_model("audit", "AuditEntry"), apps.get_model("audit", "ChainHead")
    # As after a flush (which empties the head's table), a missing head means an empty chain.
    head, _ = head_model.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
    assert head.seq or head.hash == GENESIS
    content = {
        "seq": head.seq + 1,
        "at": at.astimezone(UTC).isoformat(),
        "actor_id": None,
        "actor_label": "system:layout-test",
        "organization_id": None,
        "contract_id": contract_id,
        "verb": verb,
        "object_type": obj._meta.label_lower,
        "object_id": str(obj.pk),
        "object_repr": f"{obj._meta.model_name} #{obj.pk}",
        "changes": changes,
        "prev_hash": head.hash,
    }
    content["hash"] = digest(content)
    entry = entry_model.objects.create(**content)
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


def fill_old_layout(apps: Any, media_root: Path) -> Filled:
    """One contract's worth of everything that moved, under the old app labels
    (the first report with its PDF stored under ``media_root``)."""

    def model(label: str) -> Any:
        return apps.get_model(label)

    org = model("accounts.Organization")
    buyer = org.objects.create(name="Layout Buyer", slug="layout-buyer", kind="buyer")
    vendor = org.objects.create(name="Layout Vendor", slug="layout-vendor", kind="vendor")
    user_model = model("accounts.User")
    manager = user_model.objects.create(username="layout-manager", email="m@layout.test", password="!")
    engineer = user_model.objects.create(username="layout-engineer", email="e@layout.test", password="!")
    membership = model("accounts.Membership")
    membership.objects.create(user=manager, organization=buyer, role="contract_manager")
    membership.objects.create(user=engineer, organization=vendor, role="support_engineer")

    contract = model("contracts.Contract").objects.create(
        reference="C-LAYOUT",
        product="Ledger — hosted",
        status="active",
        start_date=date(2026, 1, 1),
        term_end=date(2028, 12, 31),
        notice_deadline=date(2028, 9, 30),
        monthly_fee=Decimal("2500.00"),
        currency="EUR",
        covered_components=["api", "web"],
        buyer=buyer,
        vendor=vendor,
    )
    sla = model("contracts.SLAVersion").objects.create(
        contract=contract,
        number=1,
        status="active",
        effective_from=datetime(2026, 1, 1, tzinfo=UTC),
        terms={"availability": {"target": "99.900"}, "severities": {"critical": {"restore_hours": 4}}},
        activated_at=datetime(2026, 1, 1, tzinfo=UTC),
        activated_by=manager,
    )
    incident = model("incidents.Incident").objects.create(
        contract=contract,
        sla_version=sla,
        title="API down",
        severity="critical",
        environment="production",
        component="api",
        opened_at=T0 - timedelta(days=20),
        opened_by=manager,
    )

    # incidents -> availability
    source = model("incidents.MonitoringSource").objects.create(
        contract=contract, name="Blackbox", kind="probe", token_hash="a" * 64, token_prefix="abcd1234"
    )
    model("incidents.RawPayload").objects.create(
        source=source,
        sha256="b" * 64,
        content_type="application/json",
        body='{"results": [{"component": "api", "up": false}]}',
        received_at=T0 - timedelta(days=20),
        expires_at=T0 + timedelta(days=365),
        items=1,
    )
    outage = model("incidents.Outage").objects.create(
        contract=contract,
        component="api",
        start=T0 - timedelta(days=20),
        end=T0 - timedelta(days=20) + timedelta(minutes=72),
        cause="Load balancer",
        source="monitoring",
        fingerprint="fp-1",
        monitoring_source=source,
        incident=incident,
        created_by=engineer,
    )
    model("incidents.ProbeState").objects.create(
        source=source, component="api", last_at=T0, last_up=False, open_outage=outage
    )
    model("incidents.NoDataSpan").objects.create(
        source=source, contract=contract, component="web", start=T0 - timedelta(hours=3), end=T0 - timedelta(hours=2)
    )
    model("incidents.MaintenanceWindow").objects.create(
        contract=contract,
        title="Database upgrade",
        components=["api"],
        start=T0 + timedelta(days=3),
        end=T0 + timedelta(days=3, hours=2),
        announced_at=T0,
        created_by=engineer,
    )
    model("incidents.ChangeNotice").objects.create(
        contract=contract,
        kind="minor_release",
        title="4.2",
        planned_at=T0 + timedelta(days=10),
        components=["web"],
        impact="None expected",
        announced_at=T0,
        required_notice_days=5,
        created_by=engineer,
    )
    model("incidents.CalendarFeed").objects.create(contract=contract, user=manager, token_hash="c" * 64)

    # reviews -> reports
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    model("reviews.PeriodClose").objects.create(
        contract=contract, period="2026-10", period_start=start, period_end=end, state="stored", attempts=1
    )
    report_model = model("reviews.ServiceReport")
    reports: list[Any] = []
    for revision, availability, total in ((1, "99.833", "125.000"), (2, "99.950", "0.000")):
        snapshot = report_snapshot(
            revision=revision, supersedes=revision - 1 or None, availability=availability, total=total
        )
        reports.append(
            report_model.objects.create(
                contract=contract,
                period="2026-10",
                period_start=start,
                period_end=end,
                revision=revision,
                supersedes=reports[-1] if reports else None,
                what_changed=["Outage reclassified → maintenance"] if reports else [],
                snapshot=snapshot,
                checksum=checksum(snapshot),
                availability=Decimal(availability),
                availability_met=snapshot["availability"]["met"],
                breaches=len(snapshot["breaches"]),
                credit_total=Decimal(total),
                currency="EUR",
            )
        )
    pdf = b"%PDF-1.4 service report C-LAYOUT 2026-10 r1"
    reports[0].pdf = f"reports/{contract.pk}/2026-10/r1-C-LAYOUT-2026-10.pdf"
    reports[0].pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    reports[0].save(update_fields=["pdf", "pdf_sha256"])
    (media_root / reports[0].pdf.name).parent.mkdir(parents=True, exist_ok=True)
    (media_root / reports[0].pdf.name).write_bytes(pdf)
    credit = model("reviews.Credit").objects.create(
        contract=contract,
        report=reports[0],
        kind="availability",
        description="Availability below 99.9 %",
        percent=Decimal("5.000"),
        amount=Decimal("125.000"),
        currency="EUR",
        status="claimed",
        claim_deadline=end + timedelta(days=60),
        claimed_at=T0,
        claimed_by=manager,
    )

    # reviews -> disputes
    dispute = model("reviews.Dispute").objects.create(
        contract=contract,
        report=reports[0],
        reissued_report=reports[1],
        subject_type="credit",
        subject_id=str(credit.pk),
        subject_label="Availability credit, October 2026",
        title="The outage was planned maintenance",
        statement="Announced on the 1st.",
        raised_by=engineer,
        raised_by_side="vendor",
        raised_at=T0,
        stage_name="Service managers",
        stage_deadline=T0 + timedelta(days=10),
        status="resolved",
        resolution="Reissued as revision 2.",
        resolved_at=T0 + timedelta(days=2),
    )
    step = model("reviews.DisputeStep")
    step.objects.create(
        dispute=dispute,
        at=T0,
        actor=engineer,
        actor_label="layout-engineer",
        stage_name="Service managers",
        action="raised",
    )
    step.objects.create(
        dispute=dispute,
        at=T0 + timedelta(days=2),
        actor=manager,
        actor_label="layout-manager",
        stage_name="Service managers",
        action="resolved",
        note="Agreed.",
    )

    # reviews -> simulator
    model("reviews.Scenario").objects.create(
        name="Tighter restore clock",
        kind="contract",
        side="buyer",
        contract=contract,
        buyer=buyer,
        vendor=vendor,
        summary="2026-01..2026-10, 2 term sets",
        inputs={"window": ["2026-01", "2026-10"], "terms": [{"restore_hours": 2}]},
        results={"credits": ["125.000", "310.000"]},
        created_by=manager,
        created_at=T0,
    )

    # Queued work under the old task names.
    outbox = model("outbox.OutboxMessage")
    outbox_rows = {outbox.objects.create(task=task, args=[1]).pk: task for task in OUTBOX_TASKS}
    interval = model("django_celery_beat.IntervalSchedule").objects.create(every=1, period="days")
    periodic = model("django_celery_beat.PeriodicTask")
    beat_rows = {
        periodic.objects.create(name=f"layout: {task}", task=task, interval=interval, description="").pk: task
        for task in BEAT_TASKS
    }

    # Content types (and a permission granted on one) under the old labels.
    content_type = model("contenttypes.ContentType")
    types = {}
    for label in MOVED:
        app_label, name = label.split(".")
        types[label] = content_type.objects.get_or_create(app_label=app_label, model=name)[0].pk
    permission, _ = model("auth.Permission").objects.get_or_create(
        content_type_id=types["reviews.servicereport"],
        codename="view_servicereport",
        defaults={"name": "Can view service report"},
    )
    manager.user_permissions.add(permission)

    # Audit: a valid chain (continuing whatever chain is already there).
    audit = [
        ("contract.created", contract, {"reference": [None, "C-LAYOUT"]}),
        ("outage.recorded", outage, {"component": [None, "api"], "start": [None, outage.start.isoformat()]}),
        ("report.closed", reports[0], {"revision": [None, 1], "checksum": [None, reports[0].checksum]}),
        ("credit.claimed", credit, {"status": ["calculated", "claimed"]}),
        ("dispute.raised", dispute, {"title": [None, dispute.title], "note": [None, "Zürich → Genève"]}),
        ("report.reissued", reports[1], {"revision": [1, 2], "checksum": [reports[0].checksum, reports[1].checksum]}),
    ]
    for i, (verb, obj, changes) in enumerate(audit):
        append_audit(apps, verb=verb, obj=obj, contract_id=contract.pk, changes=changes, at=T0 + timedelta(seconds=i))
    return Filled(
        user_id=manager.pk,
        contract_id=contract.pk,
        report_ids=[r.pk for r in reports],
        credit_id=credit.pk,
        dispute_id=dispute.pk,
        outage_id=outage.pk,
        audit_entries=model("audit.ChainHead").objects.get(pk=1).seq,
        content_types=types,
        outbox=outbox_rows,
        beat=beat_rows,
    )
