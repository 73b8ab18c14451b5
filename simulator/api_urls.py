"""Routes of the simulator API, included under ``api/`` by config.urls:
``simulations/`` (run, nothing stored), ``simulations/portfolio/``,
``scenarios/``, ``scenarios/{id}/``, ``scenarios/{id}/pdf/`` and
``scenarios/{id}/attach/``."""

from rest_framework.routers import DefaultRouter

from simulator import api as api_simulator

app_name = "simulator-api"

router = DefaultRouter()
router.include_root_view = False  # config.urls owns the API root at api/
router.register("simulations", api_simulator.SimulationViewSet, basename="simulation")
router.register("scenarios", api_simulator.ScenarioViewSet, basename="scenario")

urlpatterns = [*router.urls]
