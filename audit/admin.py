from django.contrib import admin

from audit.models import AuditEntry
from core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The trail can be searched here, never changed (database triggers refuse it too)."""

    list_display = ["seq", "at", "actor_label", "verb", "object_repr", "contract_id"]
    list_filter = ["verb"]
    search_fields = ["object_repr", "actor_label", "verb"]
