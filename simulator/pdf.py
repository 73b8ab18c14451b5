"""A simulation scenario as a PDF, in the house print style
(``templates/pdf/base_pdf.html``), rendered from the stored results: no
request and no query beyond the scenario's own row."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from core.pdf import html_to_pdf
from simulator.present import contract_context, portfolio_context


def pdf_filename(name: str, ref: str = "") -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{ref} {name}".strip()).strip("-")[:80] or "scenario"
    return f"{stem}-simulation.pdf"


def render_html(
    results: dict[str, Any],
    *,
    name: str,
    inputs: dict[str, Any],
    author: str = "",
    saved: datetime | None = None,
    number: int | None = None,
) -> str:
    context = contract_context(results) if results.get("kind") != "portfolio" else portfolio_context(results)
    return render_to_string(
        "pdf/scenario.html",
        {
            **context,
            "name": name,
            "inputs": inputs,
            "author": author,
            "saved": saved,
            "number": number,
            "printed": timezone.now(),
            "portfolio": results.get("kind") == "portfolio",
        },
    )


def render_pdf(results: dict[str, Any], **kwargs: Any) -> bytes:
    return html_to_pdf(render_html(results, **kwargs))


def scenario_pdf(scenario: Any) -> bytes:
    author = scenario.created_by.get_full_name() or scenario.created_by.get_username() if scenario.created_by else ""
    return render_pdf(
        scenario.results,
        name=scenario.name,
        inputs=scenario.inputs,
        author=author,
        saved=scenario.created_at,
        number=scenario.pk,
    )
