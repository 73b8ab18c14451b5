"""allauth's own tables (email addresses, second factors, sessions, social
accounts) are written by allauth's flows, each with its checks: the admin
only shows them."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyMixin

ALLAUTH_APPS = {"account", "mfa", "usersessions", "socialaccount"}


def make_allauth_admins_read_only(site: admin.AdminSite = admin.site) -> None:
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label not in ALLAUTH_APPS or isinstance(model_admin, ReadOnlyMixin):
            continue
        base = type(model_admin)
        site.unregister(model)
        site.register(model, type(f"ReadOnly{base.__name__}", (ReadOnlyMixin, base), {}))
