from django.contrib import admin

from audit.models import AuditCheckpoint, AuditEntry, IssuedDocument
from core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The trail can be searched here, never changed (database triggers refuse it too)."""

    list_display = ["seq", "at", "actor_label", "verb", "object_repr", "contract_id"]
    list_filter = ["verb"]
    search_fields = ["object_repr", "actor_label", "verb"]


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    """Signed checkpoints of the chain's head: evidence, never edited."""

    list_display = ["seq", "head_hash", "created_at", "cert_fingerprint"]


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    """The register of signed PDFs issued: evidence, never edited."""

    list_display = ["issued_at", "kind", "reference", "contract_id", "sha256"]
    list_filter = ["kind"]
    search_fields = ["reference", "sha256"]
