"""Onboarding templates can be looked at here. Staff edit them on the staff
page (contracts:onboarding_templates), which goes through
``contracts.onboarding.onboarding_template_save`` and its audit entry.
Contract records themselves change only through the services, so they are
not registered."""

from django.contrib import admin

from contracts.models import OnboardingTemplate, OnboardingTemplateItem
from core.admin import ReadOnlyAdmin, ReadOnlyTabularInline


class OnboardingTemplateItemInline(ReadOnlyTabularInline):
    model = OnboardingTemplateItem
    fields = ["order", "title", "owner_party", "due_offset_days", "requires_resource", "guidance"]


@admin.register(OnboardingTemplate)
class OnboardingTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "is_default", "updated_at"]
    inlines = [OnboardingTemplateItemInline]
