from incidents.tests.conftest import clock  # noqa: F401  (shared fixture)
