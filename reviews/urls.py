"""Annual review and renewal pages, mounted at ``reviews/`` by config.urls.

``api_urlpatterns``: Routes of the annual reviews API, included under ``api/`` by config.urls:
``reviews/`` (list, open, one, record, circulate, freeze, return, close,
regenerate-packet, sign, reject, signatures), ``review-packets/`` (and their
PDFs), ``review-amendments/``, ``review-comments/`` and
``renewal-reminders/`` (and their PDFs).
(mounted under ``api/`` as the ``reviews-api`` namespace by config.urls)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from reviews import api, views

app_name = "reviews"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("open/", views.review_open, name="open"),
    path("renewals/", views.renewals, name="renewals"),
    path("renewals/<int:pk>/pdf/", views.reminder_pdf, name="reminder-pdf"),
    path("contracts/<int:pk>/calendar/<str:token>.ics", views.calendar_ics, name="calendar-feed"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/record/", views.record_update, name="record"),
    path("<int:pk>/packet/", views.packet_regenerate, name="regenerate"),
    path("<int:pk>/packets/<int:version>/pdf/", views.packet_pdf, name="packet-pdf"),
    path("<int:pk>/packets/<int:version>/signed.pdf", views.signed_packet_pdf, name="packet-signed-pdf"),
    path("<int:pk>/amendments/", views.amendment_propose, name="propose"),
    path("<int:pk>/amendments/<int:amendment_pk>/", views.amendment_update, name="amendment"),
    path("<int:pk>/amendments/<int:amendment_pk>/terms/", views.amendment_terms, name="amendment-terms"),
    path("<int:pk>/amendments/<int:amendment_pk>/withdraw/", views.amendment_withdraw, name="withdraw"),
    path("<int:pk>/comments/", views.comment_add, name="comment"),
    path("<int:pk>/sign/", views.review_sign, name="sign"),
    path("<int:pk>/jobs/<int:job_pk>/retry/", views.job_retry, name="job-retry"),
    path("<int:pk>/<slug:action>/", views.review_transition, name="transition"),
]


# The API
router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("reviews", api.ReviewViewSet, basename="annual-review")
router.register("review-packets", api.PacketViewSet, basename="review-packet")
router.register("review-amendments", api.AmendmentViewSet, basename="review-amendment")
router.register("review-comments", api.CommentViewSet, basename="review-comment")
router.register("renewal-reminders", api.ReminderViewSet, basename="renewal-reminder")

api_urlpatterns = [*router.urls]
