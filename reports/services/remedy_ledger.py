"""Remedies besides credits through their lifecycle: owed -> offered (vendor, saying how) ->
accepted (buyer) -> delivered (vendor, with evidence); disputed by either party (with a reason)
before delivery, and back to owed when the dispute is withdrawn by the party that raised it is not
modelled: a disputed remedy is settled on the dispute ladder. Each step locks the contract, then
the remedy; writes an audit entry; tells the other side."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from audit import services as audit
from contracts import lock_objects
from contracts.access import contract_standing
from core.actor import Actor
from core.errors import Conflict, InvalidInput, NotPermitted
from incidents.services.base import is_buyer_actor, is_vendor_actor
from incidents.services.notices import tell_party
from reports.models import Remedy

S = Remedy.Status
EVENT = "remedy.changed"


def remedy_url(remedy: Remedy) -> str:
    return reverse("reports:remedies", args=[remedy.contract_id]) + f"#remedy-{remedy.pk}"


def _step(
    *,
    actor: Actor,
    remedy: Remedy,
    side: str,
    allowed: tuple[str, ...],
    to: str,
    field: str = "",
    text: str = "",
    verb: str,
    tell: str,
) -> Remedy:
    with transaction.atomic():
        lock_objects.contract_of(remedy)
        remedy = Remedy.objects.select_for_update(of=("self",)).select_related("contract").get(pk=remedy.pk)
        s = contract_standing(actor, remedy.contract)
        ok = (
            is_vendor_actor(s)
            if side == "vendor"
            else is_buyer_actor(s)
            if side == "buyer"
            else (is_vendor_actor(s) or is_buyer_actor(s))
        )
        if not ok:
            who = {"vendor": "the vendor", "buyer": "the buyer", "either": "the parties"}[side]
            raise NotPermitted(f"Only {who} may do this to a remedy.")
        if remedy.status not in allowed:
            raise Conflict(
                f"The remedy is {remedy.get_status_display().lower()}.", state=remedy.status, allowed=list(allowed)
            )
        before = remedy.status
        remedy.status = to
        fields = ["status", "updated_at"]
        if field:
            setattr(remedy, field, text)
            fields.append(field)
        remedy.save(update_fields=fields)
        audit.record(
            actor=actor,
            verb=verb,
            obj=remedy,
            contract_id=remedy.contract_id,
            changes={"status": [before, to], **({field: [None, text]} if field else {})},
        )
        tell_party(
            remedy.contract,
            sides=(tell,) if tell != "both" else ("buyer", "vendor"),
            event=EVENT,
            actor=actor,
            title=f"{remedy.contract.reference}: {remedy.get_kind_display()} {remedy.get_status_display().lower()}"[
                :200
            ],
            body=remedy.description + (f"\n{text}" if text else ""),
            url=remedy_url(remedy),
        )
    return remedy


def _required(text: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"{field.capitalize()} is required.", errors={field: ["Required."]})
    return text


def remedy_offer(*, actor: Actor, remedy: Remedy, offer: str) -> Remedy:
    return _step(
        actor=actor, remedy=remedy, side="vendor", allowed=(S.OWED,), to=S.OFFERED, field="offer",
        text=_required(offer, "offer"), verb="remedy.offered", tell="buyer",
    )  # fmt: skip


def remedy_accept(*, actor: Actor, remedy: Remedy) -> Remedy:
    return _step(
        actor=actor, remedy=remedy, side="buyer", allowed=(S.OFFERED,), to=S.ACCEPTED, verb="remedy.accepted",
        tell="vendor",
    )  # fmt: skip


def remedy_deliver(*, actor: Actor, remedy: Remedy, evidence: str) -> Remedy:
    return _step(
        actor=actor, remedy=remedy, side="vendor", allowed=(S.ACCEPTED,), to=S.DELIVERED, field="evidence",
        text=_required(evidence, "evidence"), verb="remedy.delivered", tell="buyer",
    )  # fmt: skip


def remedy_dispute(*, actor: Actor, remedy: Remedy, reason: str) -> Remedy:
    return _step(
        actor=actor, remedy=remedy, side="either", allowed=(S.OWED, S.OFFERED, S.ACCEPTED), to=S.DISPUTED,
        field="dispute_reason", text=_required(reason, "reason"), verb="remedy.disputed", tell="both",
    )  # fmt: skip
