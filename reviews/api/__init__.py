"""The annual reviews API: reviews (open, record, move through the states,
sign and reject), their packets, amendments and comments, and the renewal
reminders. Thin views over ``reviews.services``.

Every route finds its object through the one visibility rule (another
tenant's review is 404 on every route, whatever the body), parses the body,
then lets the service check the role (403) and the state (409, naming the
state and the allowed actions). Errors use the one shape of ``core.api``.
Renewal reminders are the buyer's: listed to the buyer's people and staff.

``reviews``: the reviews and their moves; ``records``: packets, amendments,
comments and renewal reminders; serializers in ``reviews.serializers``,
filters in ``reviews.filters``.
"""

from reviews.api.records import AmendmentViewSet, CommentViewSet, PacketViewSet, ReminderViewSet
from reviews.api.reviews import ReviewViewSet

__all__ = ["AmendmentViewSet", "CommentViewSet", "PacketViewSet", "ReminderViewSet", "ReviewViewSet"]
