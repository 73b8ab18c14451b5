"""The credit ledger and disputes API: thin views over
``reports.services.ledger`` and ``disputes.services``.

Every route finds its credit or dispute through the one visibility rule
(``visible_to``: another tenant's is 404 on every route, whatever the body),
then parses the body, then lets the service check the role (403) and the
state (409 naming the state and the allowed actions). Errors use the one
shape of ``core.api``.
"""

from disputes.api.credits import CreditViewSet
from disputes.api.disputes import DisputeViewSet

__all__ = ["CreditViewSet", "DisputeViewSet"]
