"""Each party reads only the audit entries meant for it: an entry about one
side's private objects (a negotiation scenario, the buyer's renewal
reminders) stays off the other side's trail on the page, the API and the
CSV. Visibility is part of the hashed content of new entries; entries
written before it existed verify as they always did."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.apps import apps as django_apps
from django.db import connection, transaction

from audit import services as audit
from audit.chain import GENESIS, digest
from audit.models import AuditEntry, ChainHead
from audit.services import verify_chain
from reviews.models import RenewalReminder
from reviews.services import renewals
from simulator import services as simulator

SECRET = "Walk-away at 99.5 percent"


def _scenario(actor, contract):
    results = {"window": {"first": "2026-01", "last": "2026-06"}, "term_sets": [{"label": "now"}, {"label": "Tight"}]}
    return simulator.scenario_save(actor=actor, name=SECRET, inputs={}, results=results, contract=contract)


def _trail(client, contract) -> tuple[str, str, str]:
    page = client.get(f"/contracts/{contract.pk}/audit/").content.decode()
    api = json.dumps(client.get(f"/api/contracts/{contract.pk}/audit/?page_size=200").json())
    csv = b"".join(client.get(f"/api/contracts/{contract.pk}/audit/export/").streaming_content).decode()
    return page, api, csv


def test_it_keeps_a_buyer_scenario_off_the_vendor_trail(contract, buyer, vendor, staff, client_for):
    scenario = _scenario(buyer, contract)
    entry = AuditEntry.objects.get(verb="scenario.saved", object_id=str(scenario.pk))
    assert entry.visibility == AuditEntry.Visibility.BUYER
    for text in _trail(client_for(vendor), contract):
        assert "contract.created" in text  # the shared entries are there
        assert SECRET not in text and "Tight" not in text
    for person in (buyer, staff):
        for text in _trail(client_for(person), contract):
            assert SECRET in text


def test_it_keeps_a_vendor_scenario_off_the_buyer_trail(contract, buyer, vendor, client_for):
    _scenario(vendor, contract)
    assert all(SECRET not in text for text in _trail(client_for(buyer), contract))
    assert all(SECRET in text for text in _trail(client_for(vendor), contract))


def test_it_keeps_renewal_reminders_off_the_vendor_trail(contract, buyer, vendor, client_for):
    row = RenewalReminder.objects.create(
        contract=contract,
        term_end=contract.term_end,
        notice_deadline=contract.notice_deadline,
        milestone=30,
        days_left=30,
        claimed_at=datetime(2027, 8, 1, tzinfo=UTC),
    )
    renewals.send(row, now=datetime(2027, 8, 3, 5, 0, tzinfo=UTC))
    entry = AuditEntry.objects.get(verb="renewal.reminder_sent")
    assert entry.visibility == AuditEntry.Visibility.BUYER
    assert buyer.email in json.dumps(entry.changes)
    for text in _trail(client_for(vendor), contract):
        assert "renewal.reminder_sent" not in text and buyer.email not in text
    assert all("renewal.reminder_sent" in text for text in _trail(client_for(buyer), contract))


def test_new_entries_hash_their_visibility(contract):
    with transaction.atomic():
        entry = audit.record(actor="system:test", verb="x.noted", contract_id=contract.pk, visibility="buyer")
    assert (entry.hash_version, entry.visibility) == (3, "buyer")
    assert verify_chain().ok
    with connection.cursor() as cur:  # past the append-only trigger, as an attacker with database access
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        cur.execute("UPDATE audit_auditentry SET visibility = 'both' WHERE seq = %s", [entry.seq])
    result = verify_chain()
    assert (result.ok, result.first_bad_seq) == (False, entry.seq)
    with connection.cursor() as cur:  # nor by passing it off as an entry from before visibility existed
        cur.execute("UPDATE audit_auditentry SET hash_version = 1 WHERE seq = %s", [entry.seq])
    assert verify_chain().first_bad_seq == entry.seq


def test_it_refuses_an_unknown_visibility(db):
    with pytest.raises(ValueError, match="visibility"), transaction.atomic():
        audit.record(actor="system:test", verb="x.noted", visibility="everyone")


def _append_v1(verb: str, *, contract_id: int | None = None, organization_id: int | None = None) -> AuditEntry:
    """An entry as written before visibility existed (hash version 1)."""
    head, _ = ChainHead.objects.get_or_create(pk=1)
    content = {
        "seq": head.seq + 1,
        "at": datetime(2026, 1, 5, tzinfo=UTC).isoformat(),
        "actor_id": None,
        "actor_label": "system:old",
        "organization_id": organization_id,
        "contract_id": contract_id,
        "verb": verb,
        "object_type": "x.y",
        "object_id": "1",
        "object_repr": "old",
        "changes": {"milestone": [None, 30]},
        "prev_hash": head.hash or GENESIS,
    }
    content["hash"] = digest(content)
    entry = AuditEntry.objects.create(**content)  # hash_version and visibility: the column defaults
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


class _Editor:
    """What the migration's functions use of a schema editor, inside the test's transaction."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cur:
            cur.execute(sql)


def _empty_chain() -> None:
    """The trail as it was before any keyed entry: the fixtures' entries go (past the trigger)."""
    from audit import triggers

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
            cur.execute("DELETE FROM audit_auditentry")
            cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
        else:
            for sql in triggers.SQLITE_REVERSE:
                cur.execute(sql)
            cur.execute("DELETE FROM audit_auditentry")
            for sql in triggers.SQLITE:
                cur.execute(sql)
    ChainHead.objects.filter(pk=1).update(seq=0, hash=GENESIS)


def test_old_entries_verify_and_the_migration_narrows_only_known_verbs(contract, buyer_org, vendor_org):
    import importlib

    _empty_chain()  # old entries come first: after a keyed entry an older version is refused
    old = [
        _append_v1("renewal.reminder_sent", contract_id=contract.pk),
        _append_v1("scenario.saved", contract_id=contract.pk, organization_id=buyer_org.pk),
        _append_v1("scenario.saved", contract_id=contract.pk, organization_id=vendor_org.pk),
        _append_v1("scenario.deleted", contract_id=contract.pk),
        _append_v1("incident.opened", contract_id=contract.pk),
    ]
    with transaction.atomic():
        audit.record(actor="system:test", verb="x.after", contract_id=contract.pk)
    assert {e.hash_version for e in old} == {1}
    assert verify_chain().ok

    migration = importlib.import_module("audit.migrations.0003_entry_visibility")
    migration.narrow(django_apps, _Editor())
    got = [AuditEntry.objects.get(pk=e.pk).visibility for e in old]
    assert got == ["buyer", "buyer", "vendor", "staff", "both"]
    assert verify_chain().ok  # visibility is outside the old entries' hash: nothing broke
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - the trigger is back
        AuditEntry.objects.filter(pk=old[0].pk).update(verb="tampered")
