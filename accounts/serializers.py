from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.models import Membership, Notification, Organization, User
from accounts.services import TOKEN_PREFIX


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
        fields = ["id", "verb", "title", "body", "url", "created_at", "read_at"]


class TokenSerializer(serializers.Serializer):
    """An API token as its holder sees it: never the key, only its first characters."""

    prefix = serializers.SerializerMethodField()
    created = serializers.DateTimeField()

    def get_prefix(self, token: Any) -> str:
        return str(token.key[:TOKEN_PREFIX])
