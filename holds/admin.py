from django.contrib import admin

from core.admin import ReadOnlyAdmin
from holds.models import LegalHold


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyAdmin):
    """Audited: placed and released through holds.services (the contract page or the API)."""

    list_display = ["__str__", "contract", "scope", "placed_by_label", "placed_at", "released_at"]
    list_filter = ["scope"]
    search_fields = ["reason", "contract__reference"]
