# API tokens scoped to an organization, sign-in history, per-organization single sign-on.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_invitation"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrganizationSSO",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("provider_id", models.CharField(max_length=100, unique=True)),
                ("issuer", models.URLField(max_length=300, verbose_name="issuer URL")),
                ("client_id", models.CharField(max_length=191)),
                ("client_secret_encrypted", models.TextField(blank=True)),
                (
                    "default_role",
                    models.CharField(
                        choices=[
                            ("contract_manager", "Contract manager"),
                            ("operations", "Operations"),
                            ("account_manager", "Account manager"),
                            ("support_engineer", "Support engineer"),
                            ("viewer", "Viewer"),
                        ],
                        max_length=30,
                    ),
                ),
                ("passwords_disabled", models.BooleanField(default=False, verbose_name="local passwords disabled")),
                ("enabled", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "organization",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="sso", to="accounts.organization"
                    ),
                ),
            ],
            options={
                "verbose_name": "organization single sign-on",
            },
        ),
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key_hash", models.CharField(max_length=64, unique=True)),
                ("prefix", models.CharField(db_index=True, max_length=8)),
                (
                    "role",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("contract_manager", "Contract manager"),
                            ("operations", "Operations"),
                            ("account_manager", "Account manager"),
                            ("support_engineer", "Support engineer"),
                            ("viewer", "Viewer"),
                        ],
                        max_length=30,
                    ),
                ),
                ("scopes", models.JSONField(default=list)),
                ("created_at", models.DateTimeField()),
                ("expires_at", models.DateTimeField()),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                (
                    "organization",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to="accounts.organization",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["user", "revoked_at"], name="apitoken_user_revoked")],
            },
        ),
        migrations.CreateModel(
            name="SignInEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(db_index=True)),
                ("ip", models.CharField(blank=True, max_length=45)),
                ("user_agent", models.CharField(blank=True, max_length=200)),
                ("method", models.CharField(blank=True, max_length=60)),
                ("succeeded", models.BooleanField()),
                ("reason", models.CharField(blank=True, max_length=80)),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sign_in_events",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-id"],
                "indexes": [models.Index(fields=["user", "-at"], name="signin_user_at")],
            },
        ),
        migrations.CreateModel(
            name="SSODomain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("domain", models.CharField(max_length=253)),
                (
                    "config",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="domains",
                        to="accounts.organizationsso",
                    ),
                ),
            ],
            options={
                "ordering": ["domain"],
                "constraints": [models.UniqueConstraint(fields=("domain",), name="sso_domain_unique")],
            },
        ),
    ]
