"""Expected failures of the domain, each naming the input field at fault."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a command: the offending field, a readable message, a stable code."""

    field: str | None
    message: str
    code: str


class DomainError(Exception):
    """A command the ledger refuses. Carries every problem found, so a caller can fix them at once."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in self.problems))


# Codes, shared by the GraphQL errors and the CLI.
INVALID = "INVALID"
TOO_LONG = "TOO_LONG"
NOT_FOUND = "NOT_FOUND"
ALREADY_EXISTS = "ALREADY_EXISTS"
INVALID_QUANTITY = "INVALID_QUANTITY"
UNKNOWN_UNIT = "UNKNOWN_UNIT"
INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
STATUS_FORBIDS = "STATUS_FORBIDS"
EXPIRED = "EXPIRED"  # a lot issued, consumed or shipped at or after its expiry
SHELF_LIFE_TOO_SHORT = "SHELF_LIFE_TOO_SHORT"  # shipped with less than its material's minimum left
DUPLICATE_SERIAL = "DUPLICATE_SERIAL"
MATERIAL_NOT_ALLOWED = "MATERIAL_NOT_ALLOWED"  # packed into a container that does not allow its material
# A characteristic its material's definitions refuse: an undefined name, a value of the wrong
# type or not in the value table; a required one missing on a new item.
INVALID_CHARACTERISTIC = "INVALID_CHARACTERISTIC"
CHARACTERISTIC_REQUIRED = "CHARACTERISTIC_REQUIRED"
# A production or assembly against its composition list (domain/composition.py).
COMPOSITION_MISSING = "COMPOSITION_MISSING"  # a component of the list not used (or a slot left empty)
COMPOSITION_EXTRA = "COMPOSITION_EXTRA"  # a material the list does not name, a slot it has not, a slot filled twice
COMPOSITION_WRONG_MATERIAL = "COMPOSITION_WRONG_MATERIAL"  # a slot given a serial of another material
COMPOSITION_QUANTITY = "COMPOSITION_QUANTITY"  # a component's quantity outside the list's tolerance
SLOT_OCCUPIED = "SLOT_OCCUPIED"  # an assembly's slot holds a component already
NOT_INSTALLED = "NOT_INSTALLED"  # a component taken out of an assembly it is not in
INVALID_IDENTIFIER = "INVALID_IDENTIFIER"
# An event's batch action (domain/actions.py) against its action type's parameters.
PARAMETER_REQUIRED = "PARAMETER_REQUIRED"  # a required parameter left out
PARAMETER_TYPE = "PARAMETER_TYPE"  # a value not of its parameter's type
UNKNOWN_PARAMETER = "UNKNOWN_PARAMETER"  # a parameter the action type does not have
CONFLICT = "CONFLICT"


class AccessDenied(DomainError):
    """A command or fact its caller may not record (FORBIDDEN, or NOT_FOUND for what it may
    not see): refused whole whatever its source, never turned into something else."""


UNAVAILABLE = "UNAVAILABLE"
RETRY_AFTER_SECONDS = 5


class StoreUnavailable(Exception):
    """The store does not answer now (a server down or restarting, a connection lost): nothing
    was written; the same request may be sent again in a few seconds. Raised by the stores in
    place of their drivers' own errors, so every door answers it the same way (HTTP 503 with
    `Retry-After`; GraphQL error code UNAVAILABLE)."""

    def __init__(self, message: str = "the store does not answer now: retry in a few seconds"):
        super().__init__(message)
        self.message = message
        self.extensions = {"code": UNAVAILABLE, "retryAfter": RETRY_AFTER_SECONDS}
