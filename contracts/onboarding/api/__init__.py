"""The working routine through the API (plan items, resources, feedback, RACI, playbook), re-exported.

Every route hangs off ``contracts/{contract_pk}/`` and resolves the contract
through the visibility rule first (a stranger gets 404 on every route); the
services in ``contracts.onboarding`` check the role (403) and the state (409).

The package: ``base`` (contract scoping, file downloads), ``plan`` (onboarding items,
RACI table, playbook) and ``resources`` (training resources, feedback register).
"""

from contracts.onboarding.api.plan import ITEM_PK, OnboardingItemViewSet, PlaybookView, RaciView
from contracts.onboarding.api.resources import FEEDBACK_PK, RESOURCE_PK, FeedbackViewSet, TrainingResourceViewSet

__all__ = [
    "FEEDBACK_PK",
    "ITEM_PK",
    "RESOURCE_PK",
    "FeedbackViewSet",
    "OnboardingItemViewSet",
    "PlaybookView",
    "RaciView",
    "TrainingResourceViewSet",
]
