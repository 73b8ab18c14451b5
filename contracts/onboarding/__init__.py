"""Use cases of the working routine: the onboarding plan, training resources
and the feedback register. Each runs in one transaction, checks the actor's
right through ``contracts.access``, and writes an audit entry.

Who may do what:

* plan items: the owner party's non-viewer people (and the named owner) mark an
  item done and add evidence; the parties' managers (buyer contract managers,
  vendor account managers) add, reschedule, reassign and waive items;
* training resources: the parties' managers add them; everyone who sees the
  contract confirms having read one;
* feedback: either party's non-viewer people log an item, the other party
  responds, the raising party closes it. Staff may do everything.

The package: ``rules`` (who may, the checks every use case shares), ``plan``,
``resources``, ``feedback`` and ``templates`` (the use cases, re-exported here:
``onboarding.feedback_log(...)``), ``selectors`` (the read side), ``forms`` +
``views`` and ``serializers`` + ``api``.
"""

from contracts.onboarding.feedback import (
    check_evidence,
    evidence_links,
    feedback_close,
    feedback_log,
    feedback_respond,
    seed_demo_feedback,
)
from contracts.onboarding.plan import (
    notify_overdue,
    onboarding_item_add,
    onboarding_item_done,
    onboarding_item_evidence,
    onboarding_item_update,
    onboarding_item_waive,
    onboarding_plan_create,
)
from contracts.onboarding.resources import (
    resource_add,
    resource_confirm,
)
from contracts.onboarding.rules import (
    DEFAULT_TEMPLATE_ITEMS,
    EVIDENCE_KINDS,
    ITEM_FIELDS,
    MANAGER_ROLES,
    activation_date,
    can_work_item,
    check_due,
    check_link,
    check_owner,
    check_party,
    check_resource,
    check_upload,
    default_template,
    is_worker,
    lock_item,
    party_of,
    pending_readers,
    person_of,
    record_change,
)
from contracts.onboarding.templates import (
    onboarding_template_save,
)

__all__ = [
    "DEFAULT_TEMPLATE_ITEMS",
    "EVIDENCE_KINDS",
    "ITEM_FIELDS",
    "MANAGER_ROLES",
    "activation_date",
    "can_work_item",
    "check_due",
    "check_evidence",
    "check_link",
    "check_owner",
    "check_party",
    "check_resource",
    "check_upload",
    "default_template",
    "evidence_links",
    "feedback_close",
    "feedback_log",
    "feedback_respond",
    "is_worker",
    "lock_item",
    "notify_overdue",
    "onboarding_item_add",
    "onboarding_item_done",
    "onboarding_item_evidence",
    "onboarding_item_update",
    "onboarding_item_waive",
    "onboarding_plan_create",
    "onboarding_template_save",
    "party_of",
    "pending_readers",
    "person_of",
    "record_change",
    "resource_add",
    "resource_confirm",
    "seed_demo_feedback",
]
