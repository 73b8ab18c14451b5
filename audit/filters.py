import django_filters

from audit.models import AuditEntry
from core.filters import IsoDateTimeFilter


class AuditEntryFilter(django_filters.FilterSet):
    verb = django_filters.CharFilter(lookup_expr="startswith", help_text="Verb or verb prefix, e.g. 'incident.'")
    actor = django_filters.CharFilter(field_name="actor_label", lookup_expr="iexact")
    object_type = django_filters.CharFilter()
    since = IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["verb", "actor", "object_type", "since", "until"]
