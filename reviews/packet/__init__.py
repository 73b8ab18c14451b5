"""The annual review packet's public names, re-exported from its data and render modules.

The packet is the year's evidence and the proposed amendments, gathered as
one JSON-ready dict and rendered as a PDF for the board. ``packet_data``
(``data``) reads the frozen monthly (or quarterly) report snapshots of the
review year (``year``), the metrics (``metrics``), the credit ledger,
disputes and incidents (``evidence``) and the proposed amendments
(``amendments``). It holds no timestamps of its own, so the same inputs
always give the same data (and the same ``data_checksum``).
``packet_context`` (``render``) turns it into display values and SVG trend
charts; ``render_packet_pdf`` needs no request, so a Celery task can call it.
Callers use these names through ``from reviews import packet as document``.
"""

from __future__ import annotations

# Names outside __all__ are re-exported (``x as x``) for callers that used them before the split.
from reviews.packet.amendments import amendment_rows, amendments_fingerprint, diff_rows
from reviews.packet.amendments import show as show
from reviews.packet.data import SCHEMA_VERSION as SCHEMA_VERSION
from reviews.packet.data import packet_data
from reviews.packet.data import review_section as review_section
from reviews.packet.evidence import OWED as OWED
from reviews.packet.evidence import SEVERITY_ORDER as SEVERITY_ORDER
from reviews.packet.evidence import credit_sums as credit_sums
from reviews.packet.evidence import open_feedback
from reviews.packet.metrics import SHARE_TARGETS as SHARE_TARGETS
from reviews.packet.render import metric_chart as metric_chart
from reviews.packet.render import packet_context, packet_filename, render_packet_pdf
from reviews.packet.render import render_packet_html as render_packet_html
from reviews.packet.year import iso as iso
from reviews.packet.year import reference_version as reference_version
from reviews.packet.year import window

__all__ = [
    "amendment_rows",
    "amendments_fingerprint",
    "diff_rows",
    "open_feedback",
    "packet_context",
    "packet_data",
    "packet_filename",
    "render_packet_pdf",
    "window",
]
