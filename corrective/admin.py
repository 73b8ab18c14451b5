"""Plans are written by ``corrective.services`` only: the admin reads them."""

from django.contrib import admin

from corrective.models import CorrectiveAction, CorrectivePlan


class ActionInline(admin.TabularInline):
    model = CorrectiveAction
    extra = 0
    can_delete = False
    readonly_fields = ["position", "description", "owner", "due_date", "done_at", "evidence", "escalation_level"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(CorrectivePlan)
class CorrectivePlanAdmin(admin.ModelAdmin):
    list_display = ["__str__", "contract", "responsible_side", "status", "requested_at"]
    list_filter = ["status"]
    inlines = [ActionInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
