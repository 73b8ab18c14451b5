"""Plans are written by ``corrective.services`` only: the admin reads them."""

from django.contrib import admin

from core.admin import ReadOnlyMixin, ReadOnlyTabularInline
from corrective.models import CorrectiveAction, CorrectivePlan


class ActionInline(ReadOnlyTabularInline):
    model = CorrectiveAction
    readonly_fields = ["position", "description", "owner", "due_date", "done_at", "evidence", "escalation_level"]


@admin.register(CorrectivePlan)
class CorrectivePlanAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "contract", "responsible_side", "status", "requested_at"]
    list_filter = ["status"]
    inlines = [ActionInline]
