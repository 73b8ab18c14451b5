"""Open a dispute in one step from a discrepancy the period close left disputed
(the form sits in the availability page's Reconciliation section)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.http import signed_in
from availability.models import Discrepancy
from contracts.models import Contract
from core.errors import Conflict, InvalidInput, NotPermitted
from disputes.services.discrepancies import discrepancy_dispute_open
from disputes.views.common import forbidden


@login_required
@require_POST
def discrepancy_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    item = (
        Discrepancy.objects.filter(contract__in=Contract.objects.visible_to(request.user).values("pk"), pk=pk)
        .select_related("contract")
        .first()
    )
    if item is None:
        raise Http404("No such discrepancy.")
    back = reverse("availability:contract", args=[item.contract_id]) + f"?period={item.period}#reconciliation"
    try:
        dispute = discrepancy_dispute_open(
            actor=signed_in(request), discrepancy=item, statement=request.POST.get("statement", "")
        )
    except NotPermitted as exc:
        return forbidden(request, exc.message, ("Back to the availability page", back))
    except (Conflict, InvalidInput) as exc:
        detail = "; ".join(" ".join(v) for v in getattr(exc, "errors", {}).values()) or exc.message
        messages.error(request, detail)
        return redirect(back)
    messages.success(request, "Dispute opened about the disputed time.")
    return redirect(reverse("disputes:dispute", args=[dispute.pk]))
