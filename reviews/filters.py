"""Query filters of the annual reviews API."""

from __future__ import annotations

import django_filters

from core.filters import IntegerFilter
from reviews.models import Amendment, AnnualReview, RenewalReminder, ReviewComment, ReviewPacket


class ReviewFilter(django_filters.FilterSet):
    contract = IntegerFilter(field_name="contract", help_text="Contract id.")
    status = django_filters.ChoiceFilter(choices=AnnualReview.Status.choices, help_text="Review status.")
    year = IntegerFilter(help_text="The anniversary's year.")

    class Meta:
        model = AnnualReview
        fields = ["contract", "status", "year"]


class ReviewChildFilter(django_filters.FilterSet):
    review = IntegerFilter(field_name="review", help_text="Review id.")


class PacketFilter(ReviewChildFilter):
    class Meta:
        model = ReviewPacket
        fields = ["review"]


class AmendmentFilter(ReviewChildFilter):
    class Meta:
        model = Amendment
        fields = ["review"]


class CommentFilter(ReviewChildFilter):
    class Meta:
        model = ReviewComment
        fields = ["review"]


class ReminderFilter(django_filters.FilterSet):
    contract = IntegerFilter(field_name="contract", help_text="Contract id.")

    class Meta:
        model = RenewalReminder
        fields = ["contract"]
