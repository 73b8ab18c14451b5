"""The draft SLA versions of amendments proposed in open reviews are held by
their review from now on (``contracts.services.sla_version_hold``): the
contract's terms editor refuses them and links to the review. Until this
release a signal voided the signatures after such an edit instead."""

from django.db import migrations
from django.urls import reverse

OPEN = ("preparing", "in_review", "awaiting_signatures")


def hold(apps, schema_editor):
    Amendment = apps.get_model("reviews", "Amendment")
    SLAVersion = apps.get_model("contracts", "SLAVersion")
    proposed = Amendment.objects.filter(status="proposed", review__status__in=OPEN, sla_version__status="draft")
    for amendment in proposed.select_related("review").order_by("pk"):
        SLAVersion.objects.filter(pk=amendment.sla_version_id, held_by="").update(
            held_by=f"Annual review {amendment.review.year}",
            held_by_url=reverse("reviews:detail", args=[amendment.review_id]),
        )


def release(apps, schema_editor):
    SLAVersion = apps.get_model("contracts", "SLAVersion")
    SLAVersion.objects.filter(held_by_url__startswith="/reviews/").update(held_by="", held_by_url="")


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_slaversion_held_by"),
        ("reviews", "0004_move_reports_disputes_scenarios_out"),
    ]

    operations = [migrations.RunPython(hold, release)]
