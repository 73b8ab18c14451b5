"""The working routine's pages (plan, training resources, playbook/RACI, feedback), re-exported.

The contract is fetched through ``get_visible_contract`` (a stranger gets
404 on every route), every write goes through ``contracts.onboarding``. A
refused write re-renders the page with the form and its errors (400), a
state conflict with the reason (409), a missing right the 403 page.

The package: ``page`` (the routine page, with its playbook and RACI, and the form
round trip), ``plan`` (plan items and templates), ``resources`` (training resources
and feedback).
"""

from contracts.onboarding.views.page import people_choices, render_routine, routine
from contracts.onboarding.views.plan import (
    TemplateForm,
    TemplateItemForm,
    TemplateItemFormSet,
    item_action,
    item_add,
    item_file,
    template_edit,
    template_list,
)
from contracts.onboarding.views.resources import (
    feedback_action,
    feedback_add,
    resource_add,
    resource_confirm,
    resource_file,
)

__all__ = [
    "TemplateForm",
    "TemplateItemForm",
    "TemplateItemFormSet",
    "feedback_action",
    "feedback_add",
    "item_action",
    "item_add",
    "item_file",
    "people_choices",
    "render_routine",
    "resource_add",
    "resource_confirm",
    "resource_file",
    "routine",
    "template_edit",
    "template_list",
]
