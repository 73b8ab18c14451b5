"""Routes of the annual reviews API, included under ``api/`` by config.urls:
``reviews/`` (list, open, one, record, circulate, freeze, return, close,
regenerate-packet, sign, reject, signatures), ``review-packets/`` (and their
PDFs), ``review-amendments/``, ``review-comments/`` and
``renewal-reminders/`` (and their PDFs)."""

from rest_framework.routers import DefaultRouter

from reviews import api

app_name = "reviews-api"

router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("reviews", api.ReviewViewSet, basename="annual-review")
router.register("review-packets", api.PacketViewSet, basename="review-packet")
router.register("review-amendments", api.AmendmentViewSet, basename="review-amendment")
router.register("review-comments", api.CommentViewSet, basename="review-comment")
router.register("renewal-reminders", api.ReminderViewSet, basename="renewal-reminder")

urlpatterns = [*router.urls]
