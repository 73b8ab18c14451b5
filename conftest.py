"""Personas shared by every app's tests: a buyer and two vendors, with each
role on each side, a board member, an outsider and staff."""

import pytest
from django.test import Client

from accounts.models import Membership, Organization
from accounts.tests.factories import OrganizationFactory, UserFactory, member

Role = Membership.Role


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session", autouse=True)
def _signing_key(tmp_path_factory):
    """One document-signing key per test session (every app's tests issue signed PDFs); in the
    environment too, so a worker process started by a test signs with it."""
    import os

    from django.test import override_settings

    from core.signing import make_key

    folder = tmp_path_factory.mktemp("signing")
    key, cert = folder / "signing-key.pem", folder / "signing-cert.pem"
    make_key(key, cert)
    os.environ["COVENANT_SIGNING_KEY_FILE"], os.environ["COVENANT_SIGNING_CERT_FILE"] = str(key), str(cert)
    with override_settings(COVENANT_SIGNING_KEY_FILE=str(key), COVENANT_SIGNING_CERT_FILE=str(cert)):
        yield key, cert


@pytest.fixture
def buyer_org(db):
    return OrganizationFactory(name="Northwind Bank", slug="northwind", kind=Organization.Kind.BUYER)


@pytest.fixture
def vendor_org(db):
    return OrganizationFactory(name="Acme Cloud", slug="acme", kind=Organization.Kind.VENDOR)


@pytest.fixture
def other_vendor_org(db):
    return OrganizationFactory(name="Globex Software", slug="globex", kind=Organization.Kind.VENDOR)


@pytest.fixture
def buyer(buyer_org):
    return member("buyer", buyer_org, Role.CONTRACT_MANAGER)


@pytest.fixture
def buyer_ops(buyer_org):
    return member("buyer-ops", buyer_org, Role.OPERATIONS)


@pytest.fixture
def buyer_viewer(buyer_org):
    return member("buyer-viewer", buyer_org, Role.VIEWER)


@pytest.fixture
def vendor(vendor_org):
    return member("vendor", vendor_org, Role.ACCOUNT_MANAGER)


@pytest.fixture
def vendor_engineer(vendor_org):
    return member("vendor-eng", vendor_org, Role.SUPPORT_ENGINEER)


@pytest.fixture
def outsider(other_vendor_org):
    return member("outsider", other_vendor_org, Role.ACCOUNT_MANAGER)


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def contract(buyer_org, vendor_org):
    from contracts.tests.factories import make_contract

    return make_contract(buyer=buyer_org, vendor=vendor_org)


@pytest.fixture
def foreign_contract(buyer_org, other_vendor_org):
    from contracts.tests.factories import make_contract

    return make_contract(buyer=buyer_org, vendor=other_vendor_org, reference="C-FOREIGN")


@pytest.fixture
def board_member(contract, staff):
    """Sits on the contract's board without belonging to either party."""
    from contracts import services

    user = UserFactory(username="board")
    services.board_seat_add(actor=staff, contract=contract, user=user, is_chair=True)
    return user


def login(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def client_for():
    return login


@pytest.fixture
def count_queries():
    """count_queries(fn) -> number of queries fn() ran. Lists prove they do not
    grow with rows by comparing the count at two sizes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(fn) -> int:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    return run


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_trigger():
    """Transactional tests end with a database flush. SQLite flushes with
    DELETE, which the audit table's append-only trigger refuses (PostgreSQL
    flushes with TRUNCATE, which it allows): lift the trigger for the flush
    statement only and put it straight back."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    from django.db.backends.sqlite3.base import DatabaseWrapper  # noqa: F401  (loads the backend in order)
    from django.db.backends.sqlite3.operations import DatabaseOperations

    from audit import triggers

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if "audit_auditentry" not in tables:
            return statements
        return [*triggers.SQLITE_REVERSE, *statements, *triggers.SQLITE]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original
