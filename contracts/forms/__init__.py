"""HTML forms for contracts. They parse input into the values the services take
and route the services' field errors back to the inputs; the rules themselves
live in the services and in ``contracts.terms``.

``base``: what every form shares; ``contract``: create, activate, amend;
``terms``: the SLA terms editor, assembled from ``terms_coverage``,
``terms_commitments``, ``terms_governance`` and ``playbook``. (Onboarding, training
resources and the feedback register: ``contracts.onboarding.forms``.)
"""

from contracts.forms.base import StyledForm, apply_domain_errors, split_names
from contracts.forms.contract import ActivateForm, AmendForm, ContractCreateForm
from contracts.forms.playbook import PlaybookFieldsMixin
from contracts.forms.terms import TermsForm

__all__ = [
    "ActivateForm",
    "AmendForm",
    "ContractCreateForm",
    "PlaybookFieldsMixin",
    "StyledForm",
    "TermsForm",
    "apply_domain_errors",
    "split_names",
]
