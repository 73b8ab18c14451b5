from reports.tests.conftest import clock, eager  # noqa: F401  (shared fixtures)
