"""Routes of the annual reviews API, included under ``api/`` by config.urls:
``reviews/`` (list, open, one, record, circulate, freeze, return, close,
regenerate-packet, sign, reject, signatures), ``review-packets/`` (and their
PDFs), ``review-amendments/``, ``review-comments/`` and
``renewal-reminders/`` (and their PDFs)."""

from rest_framework.routers import DefaultRouter

from reviews import api_annual

app_name = "annual-api"

router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("reviews", api_annual.ReviewViewSet, basename="annual-review")
router.register("review-packets", api_annual.PacketViewSet, basename="review-packet")
router.register("review-amendments", api_annual.AmendmentViewSet, basename="review-amendment")
router.register("review-comments", api_annual.CommentViewSet, basename="review-comment")
router.register("renewal-reminders", api_annual.ReminderViewSet, basename="renewal-reminder")

urlpatterns = [*router.urls]
