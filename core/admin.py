"""The Django admin is a second door into the data. For audited records it is
a window: staff may look, search and filter, but every change goes through
the owning app's services, which write the audit entry. An admin that does
edit (accounts' people and organizations) routes its saves to those services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyMixin:
    """View only: add, change and delete are refused (a POST gets 403) and no
    bulk action is offered. Put it first, before a third-party admin class."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}  # third-party actions (run a task, enable a schedule) declare no permission to check


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    pass


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False
