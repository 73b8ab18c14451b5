from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.models import Membership, Notification, NotificationPreference, Organization, User


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "kind"]


class MembershipSerializer(serializers.ModelSerializer):
    organization = OrganizationSerializer()

    class Meta:
        model = Membership
        fields = ["organization", "role"]


@extend_schema_serializer(many=False)  # GET /api/me/ is the "list" of a ViewSet, but one object
class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "is_staff", "memberships"]


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "event", "title", "body", "url", "created_at", "read_at"]


class NotificationPreferenceSerializer(serializers.Serializer):
    """One catalogue event and how the person is mailed it. ``locked``: a
    critical event for a person in a vendor's on-call role, always immediately."""

    event = serializers.CharField()
    name = serializers.CharField(read_only=True)
    group = serializers.CharField(read_only=True)
    critical = serializers.BooleanField(read_only=True)
    locked = serializers.BooleanField(read_only=True)
    delivery = serializers.ChoiceField(choices=NotificationPreference.Delivery.choices)


class NotificationPreferencesSerializer(serializers.Serializer):
    preferences = NotificationPreferenceSerializer(many=True)


class TokenSerializer(serializers.Serializer):
    """An API token as its holder sees it: never the key, only its first characters."""

    prefix = serializers.CharField()
    organization = serializers.CharField(source="organization.name", allow_null=True, default=None)
    role = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    created = serializers.DateTimeField(source="created_at")
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
