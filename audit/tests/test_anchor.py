"""The chain against someone who can write the database: without the audit key
they cannot re-hash an entry, and a signed checkpoint held outside the
database exposes a cut tail, a wipe and a chain rewritten end to end. Every
attack below uses the attacker's tools only: raw SQL and querysets past the
append-only trigger, and plain SHA-256."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts import services as account_services
from accounts.models import Organization
from audit import triggers
from audit.chain import GENESIS, canonical
from audit.checkpoints import ChainBroken, checkpoint_issue
from audit.models import AuditCheckpoint, AuditEntry, ChainHead
from audit.services import Anchor, entry_content, verify_chain
from core.actor import SystemActor


def _entries(n: int) -> None:
    for _ in range(n):
        start = AuditEntry.objects.count()
        account_services.organization_create(
            actor=SystemActor("test"), name=f"Org {start}", kind=Organization.Kind.BUYER
        )


def _held_anchor(n: int = 6) -> Anchor:
    """n entries, a signed checkpoint of the head (the copy a party keeps), then two more entries."""
    _entries(n)
    head = ChainHead.objects.get(pk=1)
    checkpoint = checkpoint_issue()
    assert checkpoint is not None and checkpoint.seq == head.seq
    anchor = Anchor.parse(json.dumps(Anchor.of(checkpoint).as_dict()))
    _entries(2)
    assert verify_chain(anchor=anchor).ok
    return anchor


def _lift_trigger() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            for sql in triggers.SQLITE_REVERSE:
                cur.execute(sql)


def _plain_rehash(from_seq: int, *, version: int | None = None, change: dict | None = None) -> None:
    """Rewrite entries from ``from_seq`` on: apply ``change`` to the first, re-hash each with plain
    SHA-256 (optionally passing them off as ``version``), chain them, and move the head."""
    _lift_trigger()
    prev = AuditEntry.objects.get(seq=from_seq - 1).hash if from_seq > 1 else GENESIS
    for entry in AuditEntry.objects.filter(seq__gte=from_seq).order_by("seq"):
        content = entry_content(entry)
        if entry.seq == from_seq and change:
            content.update(change)
        if version is not None:
            content["hash_version"] = version
        content["prev_hash"] = prev
        new_hash = hashlib.sha256(canonical(content)).hexdigest()
        fields = {k: content[k] for k in ("object_repr", "prev_hash", "hash_version")}
        AuditEntry.objects.filter(pk=entry.pk).update(**fields, hash=new_hash)
        prev = new_hash
    last = AuditEntry.objects.order_by("-seq").first()
    ChainHead.objects.filter(pk=1).update(seq=last.seq if last else 0, hash=prev)


def test_an_intact_chain_passes_with_and_without_the_anchor(db):
    anchor = _held_anchor()
    assert verify_chain().ok
    result = verify_chain(anchor=anchor)
    assert (result.ok, result.checked) == (True, AuditEntry.objects.count())


def test_alter_and_rehash_with_plain_sha256_is_detected(db):
    anchor = _held_anchor()
    _plain_rehash(3, change={"object_repr": "Evil Corp"})
    result = verify_chain()
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "altered" in result.reason
    assert not verify_chain(anchor=anchor).ok


def test_rehash_passed_off_as_an_older_version_is_detected(db):
    _held_anchor()
    _plain_rehash(3, version=2, change={"object_repr": "Evil Corp"})
    result = verify_chain()
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "hash version 2 after keyed entries" in result.reason


def test_a_chain_rewritten_end_to_end_fails_against_the_anchor(db):
    """Every entry downgraded and re-hashed, stored checkpoints deleted: the table alone looks intact;
    the checkpoint the party holds does not match."""
    anchor = _held_anchor()
    _plain_rehash(1, version=2, change={"object_repr": "Evil Corp"})
    AuditCheckpoint.objects.all().delete()
    assert verify_chain().ok  # what the database alone can say
    result = verify_chain(anchor=anchor)
    assert (result.ok, result.first_bad_seq) == (False, anchor.seq)
    assert "does not match the signed checkpoint" in result.reason


def test_tail_truncation_with_a_moved_head_is_detected(db):
    anchor = _held_anchor()
    _lift_trigger()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE seq > %s", [4])
    ChainHead.objects.filter(pk=1).update(seq=4, hash=AuditEntry.objects.get(seq=4).hash)
    result = verify_chain()  # the stored checkpoint at #6 still catches it
    assert not result.ok and "before the signed checkpoint at #6" in result.reason
    AuditCheckpoint.objects.all().delete()
    assert verify_chain().ok
    result = verify_chain(anchor=anchor)
    assert (result.ok, result.first_bad_seq) == (False, 5)
    assert "the chain ends at #4, before the signed checkpoint at #6" in result.reason


def test_a_wiped_trail_is_detected(db):
    anchor = _held_anchor()
    _lift_trigger()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry")
    ChainHead.objects.filter(pk=1).update(seq=0, hash=GENESIS)
    AuditCheckpoint.objects.all().delete()
    assert verify_chain().ok
    result = verify_chain(anchor=anchor)
    assert not result.ok
    assert "no entries up to the signed checkpoint at #6: the trail was wiped" in result.reason


@pytest.mark.parametrize("version", [3, 2])
def test_forged_appends_are_detected(db, version):
    anchor = _held_anchor()
    head = ChainHead.objects.get(pk=1)
    content = {**entry_content(AuditEntry.objects.get(seq=head.seq)), "seq": head.seq + 1}
    content.update(verb="credit.waived", object_repr="all credits", prev_hash=head.hash, hash_version=version)
    content["hash"] = hashlib.sha256(canonical(content)).hexdigest()
    AuditEntry.objects.create(**content)
    ChainHead.objects.filter(pk=1).update(seq=head.seq + 1, hash=content["hash"])
    for result in (verify_chain(), verify_chain(anchor=anchor)):
        assert (result.ok, result.first_bad_seq) == (False, head.seq + 1)


def test_a_forged_anchor_or_checkpoint_is_refused(db):
    anchor = _held_anchor()
    forged = Anchor(anchor.seq, "f" * 64, anchor.created_at, anchor.signature)
    result = verify_chain(anchor=forged)
    assert not result.ok and "anchor's signature is not valid" in result.reason
    AuditCheckpoint.objects.filter(seq=anchor.seq).update(head_hash="f" * 64)
    result = verify_chain()
    assert not result.ok and f"checkpoint at #{anchor.seq} is not signed" in result.reason


def test_the_command_checks_an_anchor_from_a_file_or_a_string(db, tmp_path, capsys):
    anchor = _held_anchor()
    call_command("verify_audit", "--export-anchor")
    exported = capsys.readouterr().out.strip()
    assert json.loads(exported)["seq"] == anchor.seq
    held = tmp_path / "anchor.json"
    held.write_text(exported)
    call_command("verify_audit", "--anchor", str(held))
    assert f"matching the checkpoint at #{anchor.seq}" in capsys.readouterr().out
    _lift_trigger()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE seq > %s", [2])
    ChainHead.objects.filter(pk=1).update(seq=2, hash=AuditEntry.objects.get(seq=2).hash)
    AuditCheckpoint.objects.all().delete()
    with pytest.raises(CommandError, match="before the signed checkpoint"):
        call_command("verify_audit", "--anchor", exported)
    with pytest.raises(CommandError, match="Bad --anchor: the anchor lacks signature"):
        call_command("verify_audit", "--anchor", json.dumps({"seq": 1, "head_hash": "x", "created_at": "y"}))


def test_checkpoints_are_idempotent_and_never_vouch_for_a_broken_chain(db):
    assert not AuditEntry.objects.exists() and checkpoint_issue() is None  # empty chain: nothing to sign
    _entries(3)
    first = checkpoint_issue()
    assert first is not None and checkpoint_issue().pk == first.pk  # the head has not moved
    _entries(1)
    _plain_rehash(2, change={"object_repr": "Evil Corp"})
    with pytest.raises(ChainBroken, match="no longer matches the checkpoint"):
        checkpoint_issue()
    assert AuditCheckpoint.objects.count() == 1
