import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accounts import services as account_services
from accounts.models import Organization
from audit.models import AuditEntry
from audit.services import record, verify_chain


def _entries(n: int) -> list[AuditEntry]:
    for i in range(n):
        account_services.organization_create(actor="system:test", name=f"Org {i}", kind=Organization.Kind.BUYER)
    return list(AuditEntry.objects.order_by("seq"))


def _tamper(sql: str, params: list) -> None:
    """Write past the append-only trigger, as an attacker with database access would."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
            cur.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
        cur.execute(sql, params)


def test_it_chains_each_entry_to_the_previous(db):
    entries = _entries(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == "0" * 64
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert verify_chain().ok
    assert entries[0].changes == {"name": [None, "Org 0"], "kind": [None, "buyer"]}


def test_it_refuses_updates_and_deletes_in_the_database(db):
    entry = _entries(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(verb="tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.verb == "organization.created"


def test_it_detects_an_altered_entry(db):
    entries = _entries(4)
    _tamper("UPDATE audit_auditentry SET object_repr = %s WHERE seq = %s", ["Evil Corp", 2])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 2
    assert "altered" in result.reason
    with pytest.raises(CommandError, match="#2 was altered"):
        call_command("verify_audit")
    assert entries[0].seq == 1


def test_it_detects_a_removed_entry(db):
    _entries(4)
    _tamper("DELETE FROM audit_auditentry WHERE seq = %s", [3])
    result = verify_chain()
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "missing" in result.reason


def test_it_detects_a_removed_tail(db):
    _entries(4)
    _tamper("DELETE FROM audit_auditentry WHERE seq = %s", [4])
    result = verify_chain()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "removed" in result.reason


def test_it_detects_reordered_entries(db):
    _entries(4)
    # Swap the sequence numbers of entries 2 and 3 (via a free number).
    _tamper("UPDATE audit_auditentry SET seq = 99 WHERE seq = %s", [2])
    _tamper("UPDATE audit_auditentry SET seq = 2 WHERE seq = %s", [3])
    _tamper("UPDATE audit_auditentry SET seq = 3 WHERE seq = %s", [99])
    result = verify_chain()
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "reordered" in result.reason


def test_verify_command_passes_on_an_intact_chain(db, capsys):
    _entries(2)
    call_command("verify_audit")
    assert "2 entries verified" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_it_must_run_inside_the_callers_transaction():
    with pytest.raises(RuntimeError, match="inside transaction"):
        record(actor="system:test", verb="x.y")


def test_a_failed_service_leaves_no_entry(db):
    account_services.organization_create(actor="system:test", name="Dup", kind=Organization.Kind.BUYER)
    before = AuditEntry.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - the unique name is refused by validation
        account_services.organization_create(actor="system:test", name="Dup", kind=Organization.Kind.BUYER)
    assert AuditEntry.objects.count() == before
    assert verify_chain().ok
