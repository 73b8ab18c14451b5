"""The dashboards' per-contract incident counters (``incidents.counters``):
after every service call of a random life of several incidents on two
contracts (open, acknowledge, pause, resume, workarounds, breaches by time
passing through the watcher, resolve, confirm, reopen, severity changes,
exclusions, cancellation, a move to another contract) the maintained
counters equal a fresh recount, and the dashboard's figures equal the
list's own filters."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from core.errors import DomainError
from incidents import counters, services
from incidents.models import ExclusionClaim, Incident, IncidentCounts
from portal.dashboards import dashboard_for


def assert_counters_agree(buyer, now) -> None:
    assert counters.stored() == counters.fresh()
    head = dashboard_for(buyer, now=now).headline
    visible = Incident.objects.visible_to(buyer).unfinished()
    assert head.open_incidents.value == visible.count()
    assert head.breached_open.value == visible.breached(now=now).count()
    # The dashboards count ``breached()`` in its two indexed parts: disjoint, and together the whole.
    everyone = Incident.objects.all()
    whole = set(everyone.breached(now=now).values_list("pk", flat=True))
    recorded = set(everyone.breached_recorded().values_list("pk", flat=True))
    unrecorded = set(everyone.breached_unrecorded(now).values_list("pk", flat=True))
    assert not recorded & unrecorded
    assert recorded | unrecorded == whole
    assert head.at_risk.value == visible.at_risk(now=now).count()


class Life:
    """Random steps on the incidents of two contracts of one buyer."""

    SEVERITIES = ("critical", "high", "medium", "low")

    def __init__(self, rng, clock, contracts, buyer, vendor_for, staff) -> None:
        self.rng, self.clock, self.contracts = rng, clock, contracts
        self.buyer, self.vendor_for, self.staff = buyer, vendor_for, staff
        self.incidents: list[Incident] = []

    def pick(self) -> Incident | None:
        """Mostly an unfinished incident (the finished ones refuse most steps)."""
        pks = [i.pk for i in self.incidents]
        running = list(Incident.objects.filter(pk__in=pks).unfinished().values_list("pk", flat=True))
        pool = running if running and self.rng.random() < 0.8 else pks
        return Incident.objects.get(pk=self.rng.choice(pool)) if pool else None

    def step(self) -> str:
        name = self.rng.choice(
            [
                "open",
                "open",
                "acknowledge",
                "pause",
                "resume",
                "workaround",
                "time",
                "time",
                "resolve",
                "confirm",
                "reopen",
                "severity",
                "exclusion",
                "cancel",
                "move",
            ]
        )
        incident = self.pick()
        if name == "open" or incident is None:
            contract = self.rng.choice(self.contracts)
            self.incidents.append(
                services.open_incident(
                    actor=self.buyer,
                    contract=contract,
                    title="Payments API returns 500",
                    severity=self.rng.choice(self.SEVERITIES),
                    environment=self.rng.choice(("production", "non_production")),
                    component="api",
                )
            )
            return "open"
        vendor = self.vendor_for[incident.contract_id]
        if name == "acknowledge":
            services.acknowledge_incident(actor=vendor, incident=incident)
        elif name == "pause":
            services.pause_incident(actor=vendor, incident=incident, reason="Waiting for logs")
        elif name == "resume":
            services.resume_incident(actor=self.buyer, incident=incident)
        elif name == "workaround":
            services.propose_workaround(actor=vendor, incident=incident, text="Fail over", temporary=True)
            services.accept_workaround(actor=self.buyer, incident=incident)
        elif name == "time":
            self.clock.advance(minutes=self.rng.choice((10, 45, 200, 600, 3000)))
            services.run_watcher(now=self.clock.now)
        elif name == "resolve":
            services.resolve_incident(actor=vendor, incident=incident)
        elif name == "confirm":
            services.confirm_resolution(actor=self.buyer, incident=incident)
        elif name == "reopen":
            services.reopen_incident(actor=self.buyer, incident=incident, reason="Still failing")
        elif name == "severity":
            services.change_severity(
                actor=self.buyer, incident=incident, severity=self.rng.choice(self.SEVERITIES), reason="Re-assessed"
            )
        elif name == "exclusion":
            claim = services.claim_exclusion(
                actor=vendor, incident=incident, kind=ExclusionClaim.Kind.THIRD_PARTY, reason="Upstream DNS"
            )
            services.decide_claim(actor=self.buyer, claim=claim, accept=self.rng.random() < 0.7, reason="Checked")
        elif name == "cancel":
            services.cancel_incident(actor=self.buyer, incident=incident, reason="Opened by mistake")
        elif name == "move":
            other = next(c for c in self.contracts if c.pk != incident.contract_id)
            moved = services.attribute_incident(actor=self.buyer, incident=incident, to_contract=other, reason="DNS")
            self.incidents.append(moved)
        return name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_a_recount_after_every_service(
    seed, clock, contract, foreign_contract, buyer, vendor_engineer, staff
):
    life = Life(
        random.Random(seed),
        clock,
        [contract, foreign_contract],
        buyer,
        {contract.pk: vendor_engineer, foreign_contract.pk: staff},
        staff,
    )
    done: list[str] = []
    for _ in range(60):
        # A step the state does not allow raises and rolls back: nothing may have moved.
        with contextlib.suppress(DomainError):
            done.append(life.step())
        assert_counters_agree(buyer, clock.now)
    # The life went through the lifecycle, not just its first steps.
    assert {"open", "time"} <= set(done) and len(set(done)) >= 6, done
    assert Incident.objects.filter(breached=True).exists()


def test_counters_follow_a_scripted_life(clock, contract, foreign_contract, buyer, vendor_engineer):
    """Each use case the counters must follow, once, in order."""

    def agree(expected: dict[int, tuple[int, int]]) -> None:
        assert counters.stored() == counters.fresh() == expected
        assert_counters_agree(buyer, clock.now)

    c1, c2 = contract.pk, foreign_contract.pk
    incident = services.open_incident(
        actor=buyer, contract=contract, title="Down", severity="low", environment="production", component="api"
    )
    agree({c1: (1, 0)})
    incident = services.acknowledge_incident(actor=vendor_engineer, incident=incident)
    incident = services.pause_incident(actor=vendor_engineer, incident=incident, reason="Waiting for logs")
    clock.advance(days=30)
    services.run_watcher(now=clock.now)
    agree({c1: (1, 0)})  # paused: no clock ran out
    incident = services.resume_incident(actor=buyer, incident=incident)
    clock.advance(days=30)
    services.run_watcher(now=clock.now)  # the breach, recorded by the watcher
    agree({c1: (1, 1)})
    incident = services.resolve_incident(actor=vendor_engineer, incident=Incident.objects.get(pk=incident.pk))
    agree({})
    incident = services.reopen_incident(actor=buyer, incident=incident, reason="Still failing")
    agree({c1: (1, 1)})
    outcome = services.change_severity(actor=buyer, incident=incident, severity="critical", reason="Re-assessed")
    agree({c1: (1, 1)})
    moved = services.attribute_incident(
        actor=buyer, incident=outcome.incident, to_contract=foreign_contract, reason="DNS"
    )
    agree({c2: (1, 0)})  # the first stops counting; the new vendor's clocks run from now
    clock.advance(hours=1)
    services.run_watcher(now=clock.now)
    agree({c2: (1, 1)})
    services.cancel_incident(actor=buyer, incident=moved, reason="Opened by mistake")
    agree({})


def test_a_breach_by_time_counts_once_the_watcher_records_it(clock, contract, buyer):
    incident = services.open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )
    assert counters.stored() == {contract.pk: (1, 0)}
    clock.advance(minutes=20)  # acknowledge target (15 minutes) passed, the watcher has not run
    head = dashboard_for(buyer, now=clock.now).headline
    assert counters.stored() == {contract.pk: (1, 0)} and head.breached_open.value == 1  # counted at read time
    services.run_watcher(now=clock.now)
    assert Incident.objects.get(pk=incident.pk).breached
    assert counters.stored() == {contract.pk: (1, 1)} == counters.fresh()
    assert dashboard_for(buyer, now=clock.now).headline.breached_open.value == 1  # not twice


def test_the_repair_command_rebuilds_drifted_counters(clock, contract, foreign_contract, buyer):
    services.open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )
    IncidentCounts.objects.filter(contract=contract).update(open=7)
    IncidentCounts.objects.filter(contract=foreign_contract).delete()
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("recount_incident_counters", "--check", stdout=out)
    assert f"1 found drifted: [{contract.pk}]" in out.getvalue()
    assert counters.stored()[contract.pk] == (7, 0)  # --check changes nothing
    call_command("recount_incident_counters", stdout=out)
    assert counters.stored() == counters.fresh() == {contract.pk: (1, 0)}
    assert IncidentCounts.objects.filter(contract=foreign_contract, open=0).exists()


def test_a_contract_without_a_counter_row_is_counted_whole_on_its_next_change(clock, contract, buyer):
    from reports.tests.factories import add_incident

    add_incident(contract, opened_at=clock.now - timedelta(hours=1), resolve_after=None, now=clock.now)  # no service
    IncidentCounts.objects.all().delete()
    services.open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )
    assert counters.stored() == counters.fresh() == {contract.pk: (2, 0)}


def test_the_migration_fills_the_counters_of_existing_incidents(clock, contract, foreign_contract, buyer):
    import importlib

    from django.apps import apps

    from reports.tests.factories import add_incident

    migration = importlib.import_module("incidents.migrations.0010_incident_counters")
    for hours in (1, 6, 30):  # written directly, as rows before the counters were
        add_incident(contract, opened_at=clock.now - timedelta(hours=hours), resolve_after=None, now=clock.now)
    add_incident(foreign_contract, opened_at=clock.now - timedelta(days=3), resolve_after=30, now=clock.now)
    IncidentCounts.objects.all().delete()
    migration.fill_counters(apps, None)
    assert counters.stored() == counters.fresh() == {contract.pk: (3, 2)}
    assert IncidentCounts.objects.filter(contract=foreign_contract, open=0, breached_open=0).exists()
