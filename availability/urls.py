"""Availability pages, mounted at ``availability/`` by config.urls."""

from django.urls import path

from availability import views

app_name = "availability"

urlpatterns = [
    path("contracts/<int:pk>/", views.contract_availability, name="contract"),
    path("contracts/<int:pk>/maintenance/new/", views.maintenance_create, name="maintenance-create"),
    path("contracts/<int:pk>/changes/new/", views.change_create, name="change-create"),
    path("contracts/<int:pk>/changes/<int:notice_pk>/<slug:action>/", views.change_action, name="change-action"),
    path("contracts/<int:pk>/outages/<int:outage_pk>/<slug:action>/", views.outage_action, name="outage-action"),
    path("contracts/<int:pk>/calendar/", views.calendar_feed, name="calendar"),
    path("contracts/<int:pk>/calendar/<str:token>.ics", views.calendar_ics, name="calendar-feed"),
]
