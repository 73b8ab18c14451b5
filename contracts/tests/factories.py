from datetime import date
from decimal import Decimal
from typing import Any, cast

from accounts.models import Organization
from contracts import services
from contracts.models import Contract


def make_contract(
    *,
    buyer: Organization,
    vendor: Organization,
    reference: str = "C-1",
    preset: str = "enterprise-24x7",
    activate: bool = True,
    vendor_accept: bool = True,
    actor: Any = "system:test",
    **overrides: Any,
) -> Contract:
    from accounts.tests.factories import UserFactory

    staff = UserFactory(username="factory-staff", is_staff=True)
    fields: dict[str, Any] = {
        "product": "Ledger Cloud",
        "start_date": date(2025, 1, 1),
        "term_end": date(2027, 12, 31),
        "monthly_fee": Decimal("10000.00"),
        "currency": "EUR",
        "covered_components": ["api", "web", "reporting"],
        "supported_integrations": ["SAML SSO"],
        **overrides,
    }
    contract = services.contract_create(
        actor=staff, buyer=buyer, vendor=vendor, reference=reference, preset=preset, **fields
    )
    if vendor_accept:  # as every contract before vendor consent existed
        contract = services.contract_vendor_accept(actor=cast(Any, staff), contract=contract)
    if activate:
        services.sla_version_activate(actor=staff, version=contract.sla_versions.get(number=1))
        contract.refresh_from_db()
    return contract
