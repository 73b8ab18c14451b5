"""The credit ledger and the dispute board, mounted at ``ledger/`` by config.urls.

``api_urlpatterns``: Routes of the credit ledger and disputes API, included under ``api/`` by
config.urls: ``credits/`` (list, one, and a POST per transition: claim,
approve, apply, dispute) and ``disputes/`` (list, open, one with its steps, and
escalate, comment, resolve, withdraw). Every detail route resolves its object
through the visibility rule first.
(mounted under ``api/`` as the ``disputes-api`` namespace by config.urls)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from disputes import api as api_ledger
from disputes import views
from disputes.views import discrepancies

app_name = "disputes"

urlpatterns = [
    path("", views.credit_ledger, name="credits"),
    path("contracts/<int:contract_pk>/", views.contract_ledger, name="contract"),
    path("credits/<int:pk>/<slug:action>/", views.credit_action, name="credit_action"),
    path("disputes/", views.dispute_board, name="disputes"),
    path("disputes/new/", views.dispute_create, name="dispute_create"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute"),
    path("disputes/<int:pk>/<slug:action>/", views.dispute_action, name="dispute_action"),
    path("discrepancies/<int:pk>/dispute/", discrepancies.discrepancy_dispute, name="discrepancy_dispute"),
]


# The API
router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("credits", api_ledger.CreditViewSet, basename="credit")
router.register("disputes", api_ledger.DisputeViewSet, basename="dispute")

api_urlpatterns = [*router.urls]
