"""API tokens issued before scoped tokens keep working: each DRF token's key
is hashed into ApiToken (the person's first organization and role there,
read and write, 90 days from now) and the plaintext key is deleted.

The ApiToken and SignInEvent tables themselves were created by 0005 (made
while both changes were in progress together)."""

import hashlib
from datetime import timedelta

from django.db import migrations
from django.utils import timezone


def hash_drf_tokens(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("accounts", "ApiToken")
    Membership = apps.get_model("accounts", "Membership")
    now = timezone.now()
    for token in Token.objects.order_by("created"):
        membership = (
            Membership.objects.filter(user_id=token.user_id, is_active=True).order_by("organization_id").first()
        )
        ApiToken.objects.create(
            key_hash=hashlib.sha256(token.key.encode()).hexdigest(),
            prefix=token.key[:8],
            user_id=token.user_id,
            organization_id=membership.organization_id if membership else None,
            role=membership.role if membership else "",
            scopes=["read", "write"],
            created_at=token.created,
            expires_at=now + timedelta(days=90),
        )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_identity_sso"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    operations = [migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop)]
