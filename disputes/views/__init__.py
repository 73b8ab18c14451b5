"""The credit ledger and dispute pages.

Every read goes through the one visibility rule (``visible_to``: another
tenant's credit or dispute is a 404, never a 403); every write goes through
``reports.services.ledger`` / ``disputes.services``. Views parse,
call, and show: ``InvalidInput`` becomes field errors (400), ``NotPermitted``
the 403 page with the service's reason, ``Conflict`` an error flash naming the
state and what is allowed now (409).
"""

from disputes.views.credits import contract_ledger, credit_action, credit_ledger
from disputes.views.disputes import dispute_action, dispute_board, dispute_create, dispute_detail

__all__ = [
    "contract_ledger",
    "credit_action",
    "credit_ledger",
    "dispute_action",
    "dispute_board",
    "dispute_create",
    "dispute_detail",
]
