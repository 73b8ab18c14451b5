"""Keeps signatures honest when a review's draft SLA terms are edited outside
the review (the contract's own terms editor): after that edit commits, a
frozen packet that no longer shows the draft is replaced and every signature
voided (``annual.sync_amendment_change``). Connected in ``ReviewsConfig.ready``.

After commit, in its own transaction: the edit's transaction holds the SLA
version's lock, and taking the review's lock inside it would reverse the
services' lock order (review before version)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from contracts.models import SLAVersion


@receiver(post_save, sender=SLAVersion, dispatch_uid="annual_review_draft_saved")
def draft_saved(
    sender: type[SLAVersion], instance: SLAVersion, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw or created or instance.status != SLAVersion.Status.DRAFT:
        return
    from reviews.models import Amendment

    if not Amendment.objects.filter(sla_version_id=instance.pk, status=Amendment.Status.PROPOSED).exists():
        return
    version_id = instance.pk

    def sync() -> None:
        from reviews.services.annual import sync_amendment_change

        sync_amendment_change(version_id)

    transaction.on_commit(sync)
