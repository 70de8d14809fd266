"""Domain errors: what went wrong in the words of the contract, without any HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    message: str
    target: str | None = None


@dataclass
class DomainError(Exception):
    """Base of the errors a caller can act on; `code` is a camelCase contract code."""

    message: str
    code: str = "badRequest"
    target: str | None = None
    details: list[ErrorDetail] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class ValidationFailed(DomainError):
    """Input breaks a rule (400). One detail per bad field."""

    @classmethod
    def of(cls, *details: ErrorDetail) -> ValidationFailed:
        if len(details) == 1:
            only = details[0]
            return cls(only.message, code="validationFailed", target=only.target, details=list(details))
        return cls(f"The request has {len(details)} invalid fields.", code="validationFailed", details=list(details))


class NotFound(DomainError):
    """An unknown tenant or resource (404)."""

    @classmethod
    def resource(cls, kind: str, resource_id: str, target: str) -> NotFound:
        return cls(f"{kind} '{resource_id}' was not found.", code="notFound", target=target)


class Conflict(DomainError):
    """The request conflicts with the current state (409): in use, duplicate, wrong status."""


class PreconditionFailed(DomainError):
    """The caller's etag no longer matches the stored one (412). Storage refuses the app's own conditional writes
    the same way; where the caller sent no If-Match, that is another writer at work, answered as `concurrent()`."""

    resource = "The resource"

    @classmethod
    def stale(cls, kind: str, resource_id: str) -> PreconditionFailed:
        refused = cls(
            f"{kind} '{resource_id}' was changed since the etag in If-Match was read; read it again and retry.",
            code="preconditionFailed",
            target="If-Match",
        )
        refused.resource = f"{kind} '{resource_id}'"
        return refused

    def concurrent(self) -> Conflict:
        """The same refusal where no If-Match was sent: the app's own write met other work on the resource (409)."""
        return Conflict(
            f"{self.resource} was changed by other work under way while this request was applied; try again shortly.",
            code="concurrentChange",
        )


class Unavailable(DomainError):
    """A dependency (storage, cloud) cannot be reached right now (503)."""


class Unauthenticated(DomainError):
    """The caller presented no valid credential (401)."""


class Forbidden(DomainError):
    """The caller is known but its role is too weak for the request (403)."""
