"""Demo data for `make run`, and scale data for benchmarks.

`seed_demo` is idempotent: it creates what is missing and changes nothing that
exists. `seed_demo --scale N` adds N generated contracts (bulk inserts, no
audit entries: it is benchmark data, not a record of anything that happened).
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services as account_services
from accounts.models import Membership, Organization, User
from accounts.people import services as people_services
from contracts import services as contract_services
from contracts.models import Contract
from core.actor import SystemActor

DEMO_PASSWORD = "covenant-demo"  # noqa: S105 - printed on purpose: demo logins

PEOPLE = [
    # username, name, organization slug (or None), role, staff
    ("ada", "Ada Lovelace", "northwind", Membership.Role.CONTRACT_MANAGER, False),
    ("oscar", "Oscar Ops", "northwind", Membership.Role.OPERATIONS, False),
    ("victor", "Victor Vance", "acme", Membership.Role.ACCOUNT_MANAGER, False),
    ("sam", "Sam Support", "acme", Membership.Role.SUPPORT_ENGINEER, False),
    ("grace", "Grace Hopper", "globex", Membership.Role.ACCOUNT_MANAGER, False),
    ("bianca", "Bianca Board", None, None, False),
    ("admin", "Staff Admin", None, None, True),
]

# The buyer's contract manager and the vendor's account manager administer their organizations.
ORGANIZATION_ADMINS = ("ada", "victor")

ORGS = [
    ("northwind", "Northwind Bank", Organization.Kind.BUYER),
    ("acme", "Acme Cloud", Organization.Kind.VENDOR),
    ("globex", "Globex Software", Organization.Kind.VENDOR),
]


class Command(BaseCommand):
    help = "Create demo organizations, people and contracts (idempotent); --scale N adds N generated contracts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", type=int, default=0, help="Generate this many extra contracts for benchmarks.")
        parser.add_argument(
            "--incidents-per-contract", type=int, default=5, help="Generated incidents per scale contract."
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args: Any, scale: int = 0, quiet: bool = False, **options: Any) -> None:
        self.incidents_per_contract = options.get("incidents_per_contract", 5)
        actor = "system:seed_demo"
        orgs = {}
        for slug, name, kind in ORGS:
            org = Organization.objects.filter(slug=slug).first()
            if org is None:
                org = account_services.organization_create(actor=actor, name=name, kind=kind, slug=slug)
            orgs[slug] = org
        people = {}
        for username, full_name, org_slug, role, is_staff in PEOPLE:
            user = User.objects.filter(username=username).first()
            if user is None:
                first, last = full_name.split(" ", 1)
                user = User.objects.create_user(
                    username=username,
                    email=f"{username}@demo.covenant.test",
                    password=DEMO_PASSWORD,
                    first_name=first,
                    last_name=last,
                    is_staff=is_staff,
                    is_superuser=is_staff,
                )
            if org_slug and not Membership.objects.filter(user=user, organization=orgs[org_slug]).exists():
                account_services.membership_add(actor=actor, organization=orgs[org_slug], user=user, role=role)
            people[username] = user
        for username in ORGANIZATION_ADMINS:  # they run /settings/people/ (invitations, roles)
            for membership in Membership.objects.filter(user=people[username], is_admin=False):
                people_services.member_update(actor=SystemActor(actor), membership=membership, is_admin=True)
        staff = people["admin"]
        self._demo_contracts(staff, orgs, people)
        self._extra(staff, orgs, people)
        if scale:
            self._scale(scale, orgs)
        if not quiet:
            self._print_logins()

    def _demo_contracts(self, staff: User, orgs: dict[str, Organization], people: dict[str, User]) -> None:
        specs = [
            {
                "reference": "NW-ACME-2025",
                "vendor": orgs["acme"],
                "product": "Acme Payments Cloud",
                "preset": "enterprise-24x7",
                "monthly_fee": Decimal("42000.00"),
                "covered_components": ["payments-api", "merchant-portal", "settlement", "webhooks"],
                "supported_integrations": ["SAML SSO", "SWIFT gateway", "Core banking adapter"],
                "out_of_scope": "Customer-built integrations; the sandbox environment's uptime.",
                "term_end": date(2027, 12, 31),
                "notice_period_days": 120,
            },
            {
                "reference": "NW-GLOBEX-2025",
                "vendor": orgs["globex"],
                "product": "Globex HR Suite",
                "preset": "business-hours",
                "monthly_fee": Decimal("8500.00"),
                "covered_components": ["hr-portal", "payroll", "reporting"],
                "supported_integrations": ["SAML SSO", "Payroll export"],
                "out_of_scope": "Custom reports written by the buyer.",
                "term_end": date(2027, 3, 31),
                "notice_period_days": 90,
            },
        ]
        for spec in specs:
            if Contract.objects.filter(reference=spec["reference"]).exists():
                continue
            with transaction.atomic():
                contract = contract_services.contract_create(
                    actor=staff, buyer=orgs["northwind"], start_date=date(2025, 1, 1), currency="EUR", **spec
                )
                contract = contract_services.contract_vendor_accept(actor=staff, contract=contract)
                contract_services.sla_version_activate(actor=staff, version=contract.sla_versions.get(number=1))
                contract_services.board_seat_add(actor=staff, contract=contract, user=people["bianca"], is_chair=True)
                contract_services.board_seat_add(actor=staff, contract=contract, user=people["ada"])
                vendor_lead = people["victor"] if spec["vendor"] == orgs["acme"] else people["grace"]
                contract_services.board_seat_add(actor=staff, contract=contract, user=vendor_lead)
                for side, role, user in [
                    ("buyer", "incident_manager", people["oscar"]),
                    ("buyer", "executive_sponsor", people["ada"]),
                    ("vendor", "incident_manager", people["sam"] if spec["vendor"] == orgs["acme"] else vendor_lead),
                    ("vendor", "escalation_contact", vendor_lead),
                ]:
                    contract_services.contact_add(
                        actor=staff,
                        contract=contract,
                        side=side,
                        role=role,
                        name=user.get_full_name(),
                        email=user.email,
                        user=user,
                    )

    def _extra(self, staff: User, orgs: dict[str, Organization], people: dict[str, User]) -> None:
        """Hook for later apps' demo data (incidents, outages, reports)."""
        from demo import seed as demo

        demo.seed(staff=staff, orgs=orgs, people=people)

    def _scale(self, n: int, orgs: dict[str, Organization]) -> None:
        from demo import seed as demo

        started = time.perf_counter()
        counts = demo.scale(n, buyer=orgs["northwind"], incidents_per_contract=self.incidents_per_contract)
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Generated {summary} in {elapsed:.1f} s."))

    def _print_logins(self) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD})"))
        rows = [
            ("ada", "Northwind Bank (buyer) - contract manager"),
            ("oscar", "Northwind Bank (buyer) - operations"),
            ("victor", "Acme Cloud (vendor) - account manager"),
            ("sam", "Acme Cloud (vendor) - support engineer"),
            ("grace", "Globex Software (vendor) - account manager"),
            ("bianca", "governance board chair of both contracts"),
            ("admin", "staff admin (also /admin/)"),
        ]
        for username, what in rows:
            self.stdout.write(f"  {username:<8} {what}")
