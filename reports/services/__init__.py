"""Review use cases: period close, frozen reports and their PDFs.

Each write runs in one transaction and writes an audit entry.
"""

from reports.services.publish import deliver_report, render_report_html, render_report_pdf, store_pdf
from reports.services.reports import close_period, current_report, reissue_report, verify_reports

__all__ = [
    "close_period",
    "current_report",
    "deliver_report",
    "reissue_report",
    "render_report_html",
    "render_report_pdf",
    "store_pdf",
    "verify_reports",
]
