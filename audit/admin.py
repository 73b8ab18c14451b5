from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail can be searched here, never changed."""

    list_display = ["seq", "at", "actor_label", "verb", "object_repr", "contract_id"]
    list_filter = ["verb"]
    search_fields = ["object_repr", "actor_label", "verb"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
