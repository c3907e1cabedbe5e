"""The refusals a use case raises; ``str(exc)`` is the Chinese message the user reads.

They live in the domain so that the read layer (``db.queries``) and the services raise the
same ones, and a page catches one family whichever layer refused.
"""

from __future__ import annotations


class CaseError(Exception):
    """A refusal the user should read; ``str(exc)`` is the Chinese message."""


class ValidationFailed(CaseError):
    """Input that cannot be saved: ``errors`` maps each field to its Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = dict(errors)


class PermissionDenied(CaseError):
    """The actor's role or grid scope does not allow this."""


class OutOfScope(PermissionDenied):
    """A record outside the actor's unit (社区) or grid cells; ``target`` names it for the audit log."""

    def __init__(self, message: str, target: str = "") -> None:
        super().__init__(message)
        self.target = target


class CaseNotFound(CaseError):
    """No such case (or not visible to this actor)."""


class StaleCase(CaseError):
    """Someone else changed the case since the user loaded it (optimistic locking)."""

    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version
