"""Legal-hold pages, mounted at ``contracts/`` by config.urls (the panel is on the contract page).

``api_urlpatterns``: ``contracts/<contract_pk>/holds/`` (list, place) and
``contracts/<contract_pk>/holds/<pk>/release/``, mounted under ``api/`` as the ``holds-api``
namespace by config.urls."""

from django.urls import path

from holds import api, views

app_name = "holds"

urlpatterns = [
    path("<int:pk>/holds/", views.hold_place, name="place"),
    path("<int:pk>/holds/<int:hold_id>/release/", views.hold_release, name="release"),
]

holds = api.HoldViewSet

api_urlpatterns = [
    path("contracts/<int:contract_pk>/holds/", holds.as_view({"get": "list", "post": "create"}), name="hold-list"),
    path(
        "contracts/<int:contract_pk>/holds/<int:pk>/release/",
        holds.as_view({"post": "release"}),
        name="hold-release",
    ),
]
