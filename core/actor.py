"""Who does a thing: a signed-in person or a named system actor.

Every service takes ``actor: Actor``. ``core`` sits below ``accounts``, so a
person is described by the protocol the services and the audit trail rely on,
which ``accounts.models.User`` satisfies."""

from __future__ import annotations

from typing import Protocol, TypeAlias, runtime_checkable


@runtime_checkable
class Person(Protocol):
    pk: int
    is_staff: bool

    @property
    def is_authenticated(self) -> bool: ...

    def get_username(self) -> str: ...

    def primary_organization_id(self) -> int | None:
        """The organization a person acts for by default (their first active membership)."""
        ...


class SystemActor(str):
    """A named non-person actor: ``SystemActor("escalation watcher")``. It is a
    string so the audit trail records its name as the actor label."""

    __slots__ = ()
    is_authenticated = False
    is_staff = False
    pk = None


SYSTEM = SystemActor("system")

Actor: TypeAlias = Person | SystemActor


def is_person(actor: object) -> bool:
    return bool(getattr(actor, "is_authenticated", False))
