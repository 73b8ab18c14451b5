from datetime import timedelta

import pytest

from accounts.models import Notification
from contracts import services as contract_services
from incidents import services
from incidents.models import EscalationFired, IncidentEvent
from incidents.tasks import escalation_watch


@pytest.fixture
def incident(buyer, buyer_ops, vendor, staff, contract, clock):
    # Ladder (Enterprise preset): L1 incident manager at 50 %, L2 escalation
    # contact at 90 %, L3 executive sponsor 120 min past breach.
    contract_services.contact_add(
        actor=staff,
        contract=contract,
        side="buyer",
        role="incident_manager",
        name="Ops",
        email="ops@x.test",
        user=buyer_ops,
    )
    contract_services.contact_add(
        actor=staff,
        contract=contract,
        side="vendor",
        role="escalation_contact",
        name="Vee",
        email="v@x.test",
        user=vendor,
    )
    return services.open_incident(
        actor=buyer, contract=contract, title="Down", severity="critical", environment="production", component="api"
    )


def test_it_fires_each_threshold_exactly_once_even_when_run_twice(incident, buyer_ops, clock):
    t0 = clock.now
    assert incident.next_escalation_at == t0 + timedelta(minutes=7.5)  # 50 % of the 15 min acknowledge target
    clock.advance(minutes=8)
    first = services.run_watcher(now=clock.now)
    second = services.run_watcher(now=clock.now)
    assert (first.fired, second.fired) == (1, 0)
    fired = EscalationFired.objects.get()
    assert (fired.target, fired.level, fired.trigger) == ("acknowledge", 1, "share_elapsed")
    assert Notification.objects.filter(user=buyer_ops, event="incident.escalated").count() == 1
    assert IncidentEvent.objects.filter(kind=IncidentEvent.Kind.ESCALATED).count() == 1


def test_breach_by_the_passage_of_time_is_recorded_and_later_levels_fire(incident, vendor, clock):
    clock.advance(minutes=16)
    result = services.run_watcher(now=clock.now)
    incident.refresh_from_db()
    assert incident.acknowledge_breached and incident.breached
    assert result.breaches == 1
    assert set(EscalationFired.objects.values_list("target", "level")) == {("acknowledge", 1), ("acknowledge", 2)}
    assert Notification.objects.filter(user=vendor, event="incident.escalated").count() == 1
    # L3 is 120 minutes past the breach.
    clock.advance(minutes=120)
    services.run_watcher(now=clock.now)
    assert EscalationFired.objects.filter(level=3, target="acknowledge").count() == 1


def test_a_worker_dying_mid_pass_loses_nothing_and_repeats_nothing(incident, clock, monkeypatch):
    clock.advance(minutes=8)

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr("incidents.services.escalation._notify_level", die)
    with pytest.raises(SystemExit):
        services.run_watcher(now=clock.now)
    assert not EscalationFired.objects.exists()  # the transaction rolled back
    monkeypatch.undo()
    assert services.run_watcher(now=clock.now).fired == 1
    assert services.run_watcher(now=clock.now).fired == 0


def test_acknowledged_in_time_stops_acknowledge_escalation(incident, vendor, clock):
    clock.advance(minutes=5)
    services.acknowledge_incident(actor=vendor, incident=incident)
    clock.advance(minutes=20)
    services.run_watcher(now=clock.now)
    assert not EscalationFired.objects.filter(target="acknowledge").exists()


def test_the_beat_task_runs_the_watcher(incident, clock):
    clock.advance(minutes=8)
    assert escalation_watch.apply().get() == {"examined": 1, "fired": 1, "breaches": 0}


def test_queries_breached_due_within_and_at_risk_are_plain_filters(incident, clock):
    from incidents.models import Incident

    assert Incident.objects.due_within(timedelta(minutes=20), now=clock.now).count() == 1
    assert Incident.objects.at_risk(now=clock.now).count() == 0
    assert Incident.objects.at_risk(now=clock.now + timedelta(minutes=12)).count() == 1
    assert Incident.objects.breached(now=clock.now + timedelta(minutes=16)).count() == 1
    assert Incident.objects.breached(now=clock.now).count() == 0
