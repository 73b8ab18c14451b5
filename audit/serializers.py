from rest_framework import serializers

from audit.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = AuditEntry
        fields = [
            "seq",
            "at",
            "actor",
            "organization_id",
            "contract_id",
            "verb",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "prev_hash",
            "hash",
            "visibility",
            "hash_version",
        ]
