"""The credit ledger and the dispute board, mounted at ``ledger/`` by config.urls."""

from django.urls import path

from disputes import views

app_name = "disputes"

urlpatterns = [
    path("", views.credit_ledger, name="credits"),
    path("contracts/<int:contract_pk>/", views.contract_ledger, name="contract"),
    path("credits/<int:pk>/<slug:action>/", views.credit_action, name="credit_action"),
    path("disputes/", views.dispute_board, name="disputes"),
    path("disputes/new/", views.dispute_create, name="dispute_create"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute"),
    path("disputes/<int:pk>/<slug:action>/", views.dispute_action, name="dispute_action"),
]
