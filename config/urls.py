from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from accounts.api import MeViewSet, NotificationViewSet, OrganizationViewSet
from audit.api import AuditEntryViewSet
from availability import urls as availability_urls
from contracts import urls as contracts_urls
from disputes import urls as disputes_urls
from incidents import urls as incidents_urls
from portal import views as portal_views
from reports import urls as reports_urls
from reviews import urls as reviews_urls
from simulator import urls as simulator_urls

router = DefaultRouter()
router.register("me", MeViewSet, basename="me")
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("audit", AuditEntryViewSet, basename="audit")

urlpatterns = [
    path("", portal_views.dashboard, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("accounts/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("contracts/", include("contracts.urls")),
    path("incidents/", include("incidents.urls")),
    path("availability/", include("availability.urls")),
    path("reports/", include("reports.urls")),
    path("ledger/", include("disputes.urls")),
    path("reviews/", include("reviews.urls")),
    path("simulator/", include("simulator.urls")),
    path("admin/", admin.site.urls),
    path("api/", include(router.urls)),
    path("api/", include((contracts_urls.api_urlpatterns, "contracts-api"))),
    path("api/", include((incidents_urls.api_urlpatterns, "incidents-api"))),
    path("api/", include((availability_urls.api_urlpatterns, "availability-api"))),
    path("api/", include((reports_urls.api_urlpatterns, "reports-api"))),
    path("api/", include((disputes_urls.api_urlpatterns, "disputes-api"))),
    path("api/", include((reviews_urls.api_urlpatterns, "reviews-api"))),
    path("api/", include((simulator_urls.api_urlpatterns, "simulator-api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
handler400 = "config.views.bad_request"
handler404 = "config.views.not_found"

# Uploaded files are never served from MEDIA_URL: every download goes through a
# view that applies the visibility rule first.
