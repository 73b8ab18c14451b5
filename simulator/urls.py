"""Simulator pages, included at ``simulator/`` by config.urls.

``api_urlpatterns``: Routes of the simulator API, included under ``api/`` by config.urls:
``simulations/`` (run, nothing stored), ``simulations/portfolio/``,
``scenarios/``, ``scenarios/{id}/``, ``scenarios/{id}/pdf/`` and
``scenarios/{id}/attach/``.
(mounted under ``api/`` as the ``simulator-api`` namespace by config.urls)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from simulator import api as api_simulator
from simulator import views

app_name = "simulator"

urlpatterns = [
    path("", views.index, name="index"),
    path("contract/<int:pk>/", views.contract_page, name="contract"),
    path("portfolio/", views.portfolio_page, name="portfolio"),
    path("scenarios/", views.scenario_list, name="scenarios"),
    path("scenarios/<int:pk>/", views.scenario_detail, name="scenario"),
    path("scenarios/<int:pk>/pdf/", views.scenario_pdf_view, name="scenario_pdf"),
    path("scenarios/<int:pk>/attach/", views.scenario_attach, name="scenario_attach"),
    path("scenarios/<int:pk>/delete/", views.scenario_delete, name="scenario_delete"),
]


# The API
router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("simulations", api_simulator.SimulationViewSet, basename="simulation")
router.register("scenarios", api_simulator.ScenarioViewSet, basename="scenario")

api_urlpatterns = [*router.urls]
