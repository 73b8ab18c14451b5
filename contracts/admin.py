"""Staff edit onboarding templates here (and on the staff page
contracts:onboarding_templates). Contract records themselves change only
through the services, so they are not registered."""

from django.contrib import admin

from contracts.models import OnboardingTemplate, OnboardingTemplateItem


class OnboardingTemplateItemInline(admin.TabularInline):
    model = OnboardingTemplateItem
    extra = 1
    fields = ["order", "title", "owner_party", "due_offset_days", "requires_resource", "guidance"]


@admin.register(OnboardingTemplate)
class OnboardingTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "updated_at"]
    inlines = [OnboardingTemplateItemInline]
