"""Domain errors raised by services and mapped to one error shape by the
API exception handler and to form errors / flash messages by the views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, errors: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}


class InvalidInput(DomainError):
    """Bad values: 400 with field errors."""


class NotPermitted(DomainError):
    """The person may see the object but not do this to it: 403."""

    status_code = 403
    code = "permission_denied"


class Conflict(DomainError):
    """The object's state does not allow this: 409, naming the state and what is allowed."""

    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, state: str | None = None, allowed: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.state = state
        self.allowed = list(allowed)


class PayloadTooLarge(DomainError):
    """The body is over a size limit: 413, naming the body (or the file field) and the limit."""

    status_code = 413
    code = "payload_too_large"

    def __init__(self, message: str, *, field: str = "body") -> None:
        super().__init__(message, errors={field: [message]})
