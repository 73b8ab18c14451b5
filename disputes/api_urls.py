"""Routes of the credit ledger and disputes API, included under ``api/`` by
config.urls: ``credits/`` (list, one, and a POST per transition: claim,
approve, apply, dispute) and ``disputes/`` (list, open, one with its steps, and
escalate, comment, resolve, withdraw). Every detail route resolves its object
through the visibility rule first."""

from rest_framework.routers import DefaultRouter

from disputes import api as api_ledger

app_name = "disputes-api"

router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("credits", api_ledger.CreditViewSet, basename="credit")
router.register("disputes", api_ledger.DisputeViewSet, basename="dispute")

urlpatterns = [*router.urls]
