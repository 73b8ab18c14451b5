"""The app split keeps data: reports, disputes and scenarios moved out of
reviews, availability out of incidents, by state-only migrations that keep the
tables and relabel content types and queued task names.

The test migrates the test database back to the layout before the move, fills
it through the historical models (old app labels, old task names, a valid
audit chain and report checksums), migrates forward and checks that nothing
was lost or changed, then goes back and forward once more. It always leaves
the database at the latest migrations."""

from __future__ import annotations

import importlib
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from tests.layout_fixture import (
    LATER_APPS,
    MOVED,
    NEW_APPS,
    PRE_MOVE,
    TASKS,
    Filled,
    fill_old_layout,
    pre_move_targets,
    rows,
    table_counts,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate_to_pre_move() -> Any:
    """Unapply the new apps (their migrations depend on the moves, so they come
    first in the plan), then every app to its pre-move leaf; one backwards plan.
    Returns the historical apps of that state."""
    executor = MigrationExecutor(connection)
    targets = pre_move_targets(executor.loader.graph.leaf_nodes())
    zero: list[tuple[str, str | None]] = [(app, None) for app in (*LATER_APPS, *NEW_APPS)]
    executor.migrate([*zero, *targets])
    executor = MigrationExecutor(connection)
    applied = set(executor.loader.applied_migrations)
    assert not {app for app, _ in applied} & {*NEW_APPS, *LATER_APPS}
    assert set(PRE_MOVE.items()) <= applied
    assert ("incidents", "0005_move_availability_out") not in applied
    assert ("reviews", "0004_move_reports_disputes_scenarios_out") not in applied
    return executor.loader.project_state(targets).apps


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    executor = MigrationExecutor(connection)
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _moved_rows(get_model: Any, labels: dict[str, str]) -> dict[str, dict[int, dict[str, Any]]]:
    return {old: rows(get_model(label)) for old, label in labels.items()}


def _queued(apps: Any, filled: Filled) -> tuple[dict[int, str], dict[int, str]]:
    outbox = dict(apps.get_model("outbox", "OutboxMessage").objects.values_list("pk", "task"))
    beat = dict(apps.get_model("django_celery_beat", "PeriodicTask").objects.values_list("pk", "task"))
    return {pk: outbox[pk] for pk in filled.outbox}, {pk: beat[pk] for pk in filled.beat}


def _assert_old_layout(apps: Any, filled: Filled, values: dict[str, dict[int, dict[str, Any]]]) -> None:
    assert _moved_rows(apps.get_model, {old: old for old in MOVED}) == values
    content_type = apps.get_model("contenttypes", "ContentType")
    labels = {pk: f"{a}.{m}" for pk, a, m in content_type.objects.values_list("pk", "app_label", "model")}
    assert {old: labels[pk] for old, pk in filled.content_types.items()} == {old: old for old in MOVED}
    assert _queued(apps, filled) == (filled.outbox, filled.beat)


def _assert_new_layout(filled: Filled, values: dict[str, dict[int, dict[str, Any]]]) -> None:
    from availability.models import Outage
    from disputes.models import Dispute
    from reports.models import Credit, PeriodClose, ServiceReport
    from simulator.models import Scenario

    # Every moved row reads back through the new models, every column equal.
    # Columns added by later migrations are not the move's: compare the columns the old layout had.
    moved = _moved_rows(global_apps.get_model, MOVED)
    assert {
        table: {pk: {col: row[col] for col in values[table].get(pk, row)} for pk, row in table_rows.items()}
        for table, table_rows in moved.items()
    } == values

    # Relations across the moved models and to the ones that stayed.
    first, second = ServiceReport.objects.filter(pk__in=filled.report_ids).order_by("revision")
    assert [first.pk, second.pk] == filled.report_ids
    assert first.superseded_by == second and second.supersedes == first
    assert first.contract.reference == "C-LAYOUT" and first.snapshot["period"]["zone"] == "Europe/Zürich"
    with first.pdf.open("rb") as pdf:
        assert pdf.read().startswith(b"%PDF")
    assert list(first.credits.all()) == [Credit.objects.get(pk=filled.credit_id)]
    assert PeriodClose.objects.get(contract_id=filled.contract_id).state == PeriodClose.State.STORED
    dispute = Dispute.objects.get(pk=filled.dispute_id)
    assert (dispute.report, dispute.reissued_report) == (first, second)
    assert [step.action for step in dispute.steps.all()] == ["raised", "resolved"]
    assert list(first.disputes.all()) == [dispute] and list(second.resolving_disputes.all()) == [dispute]
    outage = Outage.objects.select_related("monitoring_source", "incident").get(pk=filled.outage_id)
    assert outage.incident is not None and outage.monitoring_source is not None
    assert outage.incident.outages.get() == outage
    assert outage.monitoring_source.payloads.count() == 1
    assert outage.monitoring_source.probe_states.get().open_outage == outage
    assert Scenario.objects.get(contract_id=filled.contract_id).buyer.slug == "layout-buyer"

    # Content types: the same rows, relabelled, and what hangs off them follows.
    ContentType.objects.clear_cache()
    for old, pk in filled.content_types.items():
        content_type = ContentType.objects.get(pk=pk)
        assert f"{content_type.app_label}.{content_type.model}" == MOVED[old]
        assert content_type.model_class() is global_apps.get_model(MOVED[old])
    assert ContentType.objects.get_for_model(ServiceReport).pk == filled.content_types["reviews.servicereport"]
    assert ContentType.objects.get_for_model(Outage).pk == filled.content_types["incidents.outage"]
    old_labels = [label.split(".") for label in MOVED]
    assert not [label for label in old_labels if ContentType.objects.filter(app_label=label[0], model=label[1])]
    user = global_apps.get_model("accounts", "User").objects.get(pk=filled.user_id)
    assert user.has_perm("reports.view_servicereport")

    # Queued work under the new task names; names that did not move are untouched.
    outbox, beat = _queued(global_apps, filled)
    assert outbox == {pk: TASKS[task] for pk, task in filled.outbox.items()}
    assert beat == {pk: TASKS[task] for pk, task in filled.beat.items()}
    assert "reports.tasks.close_contract_period" in outbox.values()
    assert "reviews.tasks.open_due_reviews" in outbox.values()
    assert "availability.tasks.purge_expired_payloads" in beat.values()
    for name in {*outbox.values(), *beat.values()}:
        module, function = name.rsplit(".", 1)
        assert getattr(importlib.import_module(module), function).name == name, name

    # The integrity checks pass on the moved data.
    out, err = StringIO(), StringIO()
    call_command("verify_audit", stdout=out, stderr=err)
    assert f"Audit chain intact: {filled.audit_entries} entries verified." in out.getvalue()
    call_command("verify_reports", stdout=out, stderr=err)
    assert f"{ServiceReport.objects.count()} report(s) verified: every checksum matches." in out.getvalue()
    assert err.getvalue() == ""


# Tables that later migrations add after the move; they start empty for the moved data.
def _at_latest(counts: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    """The tables that existed before the move, at the latest migration.
    Tables added by later features hold no moved data: they are left out
    (a data migration may fill them from moved rows, e.g. hashed API tokens)."""
    return {table: n for table, n in counts.items() if table in before}


def test_move_keeps_data_forwards_and_back(settings):
    try:
        old_apps = _migrate_to_pre_move()
        with transaction.atomic():
            filled = fill_old_layout(old_apps, Path(settings.MEDIA_ROOT))
        counts = table_counts(connection)
        for old in MOVED:
            assert counts[old_apps.get_model(old)._meta.db_table] > 0, old
        values = _moved_rows(old_apps.get_model, {old: old for old in MOVED})
        _assert_old_layout(old_apps, filled, values)

        _migrate_to_latest()
        assert _at_latest(table_counts(connection), counts) == counts
        _assert_new_layout(filled, values)

        # Back to the old layout (content types and task names return) and forward again.
        old_apps = _migrate_to_pre_move()
        assert table_counts(connection) == counts
        _assert_old_layout(old_apps, filled, values)
        _migrate_to_latest()
        assert _at_latest(table_counts(connection), counts) == counts
        _assert_new_layout(filled, values)
    finally:
        _migrate_to_latest()
