from allauth.account import views as allauth_views
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts import views as accounts_views
from accounts.api import MeViewSet, NotificationViewSet, OrganizationViewSet, TokenViewSet
from accounts.jobs import JobViewSet
from accounts.people import urls as people_urls
from audit.api import AuditEntryViewSet
from availability import urls as availability_urls
from contracts import urls as contracts_urls
from corrective import urls as corrective_urls
from disputes import urls as disputes_urls
from holds import urls as holds_urls
from incidents import urls as incidents_urls
from portal import views as portal_views
from portal.verify import verify as verify_document
from reports import urls as reports_urls
from reviews import urls as reviews_urls
from simulator import urls as simulator_urls
from webhooks import urls as webhooks_urls

router = DefaultRouter()
router.register("me", MeViewSet, basename="me")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("tokens", TokenViewSet, basename="token")
router.register("audit", AuditEntryViewSet, basename="audit")
router.register("jobs", JobViewSet, basename="job")

urlpatterns = [
    path("", portal_views.dashboard, name="home"),
    # Sign-in is django-allauth's (username or email, then a second factor); the URL and its name stay.
    path("accounts/login/", allauth_views.LoginView.as_view(), name="login"),
    # Ahead of Django's own: password writes go through accounts.services, reset mail is rate-limited.
    path("accounts/password_change/", accounts_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_reset/", accounts_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/security/", include("accounts.identity.urls")),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("accounts.people.urls")),  # settings/people/, settings/organizations/new/, invitations/<token>/
    path("", include("accounts.sso.urls")),  # accounts/sso/ (sign-in), settings/sso/, api/organizations/<id>/sso/
    path("audit/", include("audit.urls")),
    # Public: anyone may check that a PDF was issued here and is unchanged (portal/verify.py).
    path("verify/", verify_document, name="verify-document"),
    path("contracts/", include("contracts.urls")),
    path("contracts/", include("holds.urls")),  # contracts/<pk>/holds/: the contract page's legal-hold panel
    path("incidents/", include("incidents.urls")),
    path("availability/", include("availability.urls")),
    path("corrective/", include("corrective.urls")),
    path("reports/", include("reports.urls")),
    path("ledger/", include("disputes.urls")),
    path("reviews/", include("reviews.urls")),
    path("simulator/", include("simulator.urls")),
    path("settings/webhooks/", include("webhooks.urls")),
    path("admin/", admin.site.urls),
    path("api/", include(router.urls)),
    path("api/", include((contracts_urls.api_urlpatterns, "contracts-api"))),
    path("api/", include((people_urls.api_urlpatterns, "people-api"))),
    path("api/", include((incidents_urls.api_urlpatterns, "incidents-api"))),
    path("api/", include((availability_urls.api_urlpatterns, "availability-api"))),
    path("api/", include((corrective_urls.api_urlpatterns, "corrective-api"))),
    path("api/", include((reports_urls.api_urlpatterns, "reports-api"))),
    path("api/", include((disputes_urls.api_urlpatterns, "disputes-api"))),
    path("api/", include((holds_urls.api_urlpatterns, "holds-api"))),
    path("api/", include((reviews_urls.api_urlpatterns, "reviews-api"))),
    path("api/", include((simulator_urls.api_urlpatterns, "simulator-api"))),
    path("api/", include((webhooks_urls.api_urlpatterns, "webhooks-api"))),
    # The schema answers 401 without a session or token (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]);
    # the docs pages send a browser to sign in. The split Swagger view loads its
    # start-up script from a URL, so the page needs no inline script under the CSP.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
    path("api/redoc/", login_required(SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"),
]
handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.not_found"
handler500 = "portal.errors.server_error"

# Uploaded files are never served from MEDIA_URL: every download goes through a
# view that applies the visibility rule first.
