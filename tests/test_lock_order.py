"""Many writers on one contract: no deadlock, no lost write, the audit chain
intact afterwards. Every service takes its locks in the order written down
in ``core.locks`` (the contract, then its objects, the audit chain's head
last), so writers queue instead of waiting on each other in a circle.

Runs against the configured database: on PostgreSQL (DATABASE_URL) eight
threads, each with its own connection; on SQLite four (one writer at a time,
IMMEDIATE transactions and a busy timeout: a writer waits, never fails)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections

from accounts.models import Membership, Organization
from accounts.tests.factories import OrganizationFactory, member
from audit.models import AuditEntry
from audit.services import verify_chain
from contracts import services as contracts
from contracts.models import ContractContact, SLAVersion
from contracts.tests.factories import make_contract
from incidents import services as incidents
from incidents.models import Incident, IncidentEvent

CALLS = 25


def _world() -> dict[str, Any]:
    buyer_org: Any = OrganizationFactory(name="Northwind Bank", slug="northwind", kind=Organization.Kind.BUYER)
    vendor_org: Any = OrganizationFactory(name="Acme Cloud", slug="acme", kind=Organization.Kind.VENDOR)
    buyer = member("buyer", buyer_org, Membership.Role.CONTRACT_MANAGER)
    vendor = member("vendor", vendor_org, Membership.Role.ACCOUNT_MANAGER)
    contract = make_contract(buyer=buyer_org, vendor=vendor_org)
    draft = contracts.sla_version_amend(actor=buyer, contract=contract, change_summary="v2")
    return {"buyer": buyer, "vendor": vendor, "contract": contract, "draft": draft}


def _writer(n: int, w: dict[str, Any], errors: list[str], done: Counter) -> None:
    buyer, vendor, contract, draft = w["buyer"], w["vendor"], w["contract"], w["draft"]
    try:
        shared = Incident.objects.order_by("pk")[0]
        mine: list[Incident] = []
        for j in range(CALLS):
            op = (n + j) % 6
            try:
                kind = op
                if op == 0:
                    mine.append(
                        incidents.open_incident(
                            actor=buyer,
                            contract=contract,
                            title=f"t{n}-{j}",
                            severity="high",
                            environment="production",
                            component="api",
                        )
                    )
                elif op == 1 and mine:
                    incidents.acknowledge_incident(actor=vendor, incident=mine.pop())
                elif op == 1 or op == 2:
                    kind = 2
                    incidents.comment_incident(actor=vendor, incident=shared, text=f"c{n}-{j}")
                elif op == 3:
                    contracts.contract_update(actor=buyer, contract=contract, out_of_scope=f"w{n}-{j}")
                elif op == 4:
                    contracts.sla_version_update(actor=buyer, version=draft, change_summary=f"s{n}-{j}")
                else:
                    contracts.contact_add(
                        actor=buyer,
                        contract=contract,
                        side="buyer",
                        role="escalation_contact",
                        name=f"P {n}-{j}",
                        email=f"p{n}-{j}@example.com",
                    )
                done[kind] += 1
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_many_writers_on_one_contract_neither_deadlock_nor_lose_writes():
    w = _world()
    incidents.open_incident(
        actor=w["buyer"],
        contract=w["contract"],
        title="shared",
        severity="low",
        environment="production",
        component="api",
    )
    threads_n = 8 if connection.vendor == "postgresql" else 4
    entries_before = AuditEntry.objects.count()
    errors: list[str] = []
    done: Counter = Counter()
    threads = [threading.Thread(target=_writer, args=(n, w, errors, done)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    total = threads_n * CALLS
    assert sum(done.values()) == total
    # No lost write: every call left its row and exactly one audit entry.
    assert AuditEntry.objects.count() - entries_before == total
    assert Incident.objects.count() == 1 + done[0]
    assert IncidentEvent.objects.filter(kind=IncidentEvent.Kind.COMMENT).count() == done[2]
    assert ContractContact.objects.filter(email__endswith="@example.com").count() == done[5]
    assert SLAVersion.objects.get(pk=w["draft"].pk).change_summary.startswith("s")
    result = verify_chain()
    assert result.ok, result.reason
