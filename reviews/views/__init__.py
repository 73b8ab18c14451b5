"""Annual review and renewal pages, mounted at ``reviews/`` by config.urls; re-exports every page from its module.

Every review is reached through ``AnnualReview.objects.visible_to`` (another
tenant's review is a 404), every write goes through
the ``reviews.services`` use cases; views parse, call and show. Packet and reminder
PDFs are served by views after the visibility check, never from a media URL.
"""

from __future__ import annotations

from reviews.views.amendments import amendment_propose, amendment_terms, amendment_update, amendment_withdraw
from reviews.views.base import PAGE_SIZE, STATUS_CSS, S, review_url
from reviews.views.calendar_feed import calendar_ics
from reviews.views.detail import (
    detail_context,
    packet_pdf,
    packet_regenerate,
    record_update,
    review_detail,
    signed_packet_pdf,
)
from reviews.views.jobs import job_retry
from reviews.views.lists import openable_contracts, review_list, review_open, review_rows
from reviews.views.renewals_page import buyer_side_ids, reminder_pdf, renewals
from reviews.views.workflow import comment_add, review_sign, review_transition

__all__ = [
    "PAGE_SIZE",
    "STATUS_CSS",
    "S",
    "amendment_propose",
    "amendment_terms",
    "amendment_update",
    "amendment_withdraw",
    "buyer_side_ids",
    "calendar_ics",
    "comment_add",
    "detail_context",
    "job_retry",
    "openable_contracts",
    "packet_pdf",
    "signed_packet_pdf",
    "packet_regenerate",
    "record_update",
    "renewals",
    "reminder_pdf",
    "review_detail",
    "review_list",
    "review_open",
    "review_rows",
    "review_sign",
    "review_transition",
    "review_url",
]
