"""People, organizations and memberships are managed here: the admin is
where staff onboard someone. Every save goes through ``accounts.services``
(HackSoft's ``save_model`` -> ``user_create`` pattern), so each change writes
its audit entry like any other use case. Nothing is deleted: people and
memberships are deactivated, so the audit trail keeps pointing at them.
Notifications are read-only (``notify`` is their only writer)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from rest_framework.authtoken.admin import TokenAdmin as BaseTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from accounts import services
from accounts.identity.admin import make_allauth_admins_read_only
from accounts.models import Membership, Notification, Organization, User
from core.actor import Actor
from core.admin import ReadOnlyAdmin, ReadOnlyMixin
from core.errors import InvalidInput

# The stock password view builds its form as ``change_password_form(user, data)``,
# with no request; the acting staff member reaches the form's save() through this.
_acting: ContextVar[Actor] = ContextVar("accounts_admin_actor")


def _actor(request: HttpRequest) -> Actor:
    """The admin lets only signed-in staff in."""
    assert isinstance(request.user, User)
    # A User is a core.actor.Person; the cast only stands in for mypy, which reads the
    # protocol's plain ``is_authenticated: bool`` as settable and Django's as read-only.
    return cast(Actor, request.user)


@contextmanager
def _acting_as(actor: Actor) -> Iterator[None]:
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)


class PasswordForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> User:
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        return services.user_set_password(actor=_acting.get(), user=self.user, password=password)


class MembershipForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Membership
        fields = ["organization", "role", "is_active"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.instance.pk and "organization" in self.changed_data:
            raise ValidationError(
                "A membership cannot move: deactivate it and add one in the other organization.",
            )
        organization, role = data.get("organization"), data.get("role")
        if organization and role:
            try:
                services.membership_check_role(organization=organization, role=role)
            except InvalidInput as exc:
                self.add_error("role", exc.errors["role"])
        return data


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["organization"]
    can_delete = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class CovenantUserAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = [MembershipInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    change_password_form = PasswordForm
    # What a person may see follows from their memberships; Django groups and
    # permissions are not used, so they are not offered.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "first_name", "last_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:  # type: ignore[type-arg]
        data = form.cleaned_data
        if not change:
            created = services.user_create(
                actor=_actor(request),
                username=data["username"],
                email=data.get("email") or "",
                password=data["password1"] if data.get("set_usable_password", True) else None,
                first_name=data.get("first_name") or "",
                last_name=data.get("last_name") or "",
            )
            obj.pk, obj.password = created.pk, created.password  # the admin goes on with the form's instance
            obj._state.adding, obj._state.db = False, created._state.db
            return
        fields = [name for name in form.changed_data if name in services.USER_FIELDS]
        services.user_update(actor=_actor(request), user=obj, data={name: data[name] for name in fields})

    def save_formset(self, request: HttpRequest, form: Any, formset: BaseInlineFormSet, change: bool) -> None:  # type: ignore[type-arg]
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # fills new_objects / changed_objects without writing
        actor = _actor(request)
        for membership, _fields in formset.changed_objects:
            services.membership_update(
                actor=actor, membership=membership, role=membership.role, is_active=membership.is_active
            )
        for membership in formset.new_objects:
            added = services.membership_add(
                actor=actor, organization=membership.organization, user=form.instance, role=membership.role
            )
            if not membership.is_active:
                services.membership_update(actor=actor, membership=added, role=added.role, is_active=False)
            membership.pk = added.pk

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        with _acting_as(_actor(request)):
            return super().user_change_password(request, id, form_url)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request: HttpRequest, obj: Organization | None = None) -> list[str]:
        return ["kind"] if obj is not None else []  # roles and contracts depend on the kind

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        actor = _actor(request)
        if change:
            services.organization_update(actor=actor, organization=obj, name=obj.name, slug=obj.slug)
            return
        created = services.organization_create(actor=actor, name=obj.name, kind=obj.kind, slug=obj.slug)
        obj.pk, obj.created_at = created.pk, created.created_at
        obj._state.adding, obj._state.db = False, created._state.db


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "user", "event", "mail", "created_at", "read_at"]
    list_select_related = ["user"]


# -- third-party admins ---------------------------------------------------------------------------
# Django groups and permissions are not used (access follows memberships): no door to them.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)


make_allauth_admins_read_only()

# API tokens are issued and rotated with `manage.py drf_create_token`; here staff only see who
# holds one, never the key.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(ReadOnlyMixin, BaseTokenAdmin):
    list_display = ["user", "created"]
    fields = ["user", "created"]


# Beat's schedule is written from config/schedules.py by `manage.py setup_schedules`, which
# overwrites or removes anything edited by hand, so the admin only shows it.
for _model, _admin in [
    (PeriodicTask, beat_admin.PeriodicTaskAdmin),
    (ClockedSchedule, beat_admin.ClockedScheduleAdmin),
    (CrontabSchedule, beat_admin.CrontabScheduleAdmin),
    (SolarSchedule, beat_admin.SolarScheduleAdmin),
    (IntervalSchedule, beat_admin.IntervalScheduleAdmin),
]:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, type(f"ReadOnly{_admin.__name__}", (ReadOnlyMixin, _admin), {}))


# Single sign-on: an organization's provider is configured on /settings/sso/ through
# accounts.sso.services, which keeps allauth's app in step (its secret sealed elsewhere); people
# are linked by the sign-in rules. The admin only shows them.
from allauth.socialaccount import admin as social_admin  # noqa: E402
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken  # noqa: E402

for _model, _admin in [
    (SocialApp, social_admin.SocialAppAdmin),
    (SocialAccount, social_admin.SocialAccountAdmin),
    (SocialToken, social_admin.SocialTokenAdmin),
]:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, type(f"ReadOnly{_admin.__name__}", (ReadOnlyMixin, _admin), {}))
