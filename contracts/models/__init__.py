"""The contracts app's models, split by sub-domain and re-exported here (migrations import from here)."""

from contracts.models.contracts import (
    BoardSeat,
    Contract,
    ContractContact,
    ContractDocument,
    ContractQuerySet,
    document_path,
    visibility_q,
)
from contracts.models.routine import (
    EVIDENCE_TYPES,
    ROUTINE_FILE_TYPES,
    TEXT_TYPES,
    FeedbackItem,
    FeedbackItemQuerySet,
    OnboardingItem,
    OnboardingItemQuerySet,
    OnboardingTemplate,
    OnboardingTemplateItem,
    Party,
    ResourceConfirmation,
    TrainingResource,
    TrainingResourceQuerySet,
    routine_file_path,
)
from contracts.models.sla import SLAVersion, SLAVersionAcceptance, SLAVersionComment, SLAVersionQuerySet
from contracts.models.termination import TerminationRight, TerminationRightQuerySet

__all__ = [
    "EVIDENCE_TYPES",
    "ROUTINE_FILE_TYPES",
    "TEXT_TYPES",
    "BoardSeat",
    "Contract",
    "ContractContact",
    "ContractDocument",
    "ContractQuerySet",
    "FeedbackItem",
    "FeedbackItemQuerySet",
    "OnboardingItem",
    "OnboardingItemQuerySet",
    "OnboardingTemplate",
    "OnboardingTemplateItem",
    "Party",
    "ResourceConfirmation",
    "SLAVersion",
    "SLAVersionAcceptance",
    "SLAVersionComment",
    "SLAVersionQuerySet",
    "TerminationRight",
    "TerminationRightQuerySet",
    "TrainingResource",
    "TrainingResourceQuerySet",
    "document_path",
    "routine_file_path",
    "visibility_q",
]
