from django.urls import path

from accounts.sso import api, views

app_name = "sso"

urlpatterns = [
    path("accounts/sso/", views.start, name="start"),
    path("accounts/sso/<str:provider_id>/callback/", views.callback, name="callback"),
    path("settings/sso/", views.settings_page, name="settings"),
    path("api/organizations/<int:pk>/sso/", api.OrganizationSSOView.as_view(), name="api"),
]
