"""Rights in one table: each use case of the service layer (an operation) and the right of the
caller's role it needs (domain/auth.py: RIGHTS, role -> rights). The services check it at the
start of every use case; the doors (GraphQL fields, REST routes) name their operation from the
same table, so a refusal is the same whichever door is used. Pure Python, no I/O."""

from __future__ import annotations

from enum import Enum

from .auth import FORBIDDEN, Principal, Right
from .errors import DomainError, Problem
from .events import EventType


class Operation(str, Enum):
    READ = "READ"  # traces, items, stock, events, recalls and notices, master data
    RECORD = "RECORD"  # events: GraphQL commands, EPCIS capture, corrections
    RECLASSIFY = "RECLASSIFY"  # status changes (a hold)
    MASTER_DATA = "MASTER_DATA"  # materials, locations, orders
    RECALL = "RECALL"  # open, hold, change and annotate recalls; acknowledge notices
    EXPORT = "EXPORT"  # FSMA 204, spreadsheets, EPCIS documents of traces and recalls
    SHARE = "SHARE"  # share an item with another organization
    KEYS = "KEYS"  # keys of an organization, its name, its audit log
    CREATE_ORGANIZATION = "CREATE_ORGANIZATION"  # the server's admin key only
    INTEGRITY = "INTEGRITY"  # the whole ledger's check and findings: the server's admin key only


# The right each operation needs; None: the server's admin key only.
OPERATION_RIGHTS: dict[Operation, Right | None] = {
    Operation.READ: Right.READ,
    Operation.RECORD: Right.RECORD,
    Operation.RECLASSIFY: Right.HOLD,
    Operation.MASTER_DATA: Right.MASTER_DATA,
    Operation.RECALL: Right.RECALL,
    Operation.EXPORT: Right.EXPORT,
    Operation.SHARE: Right.SHARE,
    Operation.KEYS: Right.KEYS,
    Operation.CREATE_ORGANIZATION: None,
    Operation.INTEGRITY: None,
}


def operation_of(event_type: EventType) -> Operation:
    """The operation recording an event of this type is: a status change needs the HOLD right."""
    return Operation.RECLASSIFY if event_type is EventType.RECLASSIFY else Operation.RECORD


def allowed(principal: Principal, operation: Operation) -> bool:
    right = OPERATION_RIGHTS[operation]
    if principal.is_admin:
        return True
    return right is not None and principal.can(right)


def refusal(principal: Principal, operation: Operation) -> str:
    right = OPERATION_RIGHTS[operation]
    if right is None:
        return "only the server's admin key may do this"
    return f"a key with role {principal.role.value} may not do this ({right.value})"


def require(principal: Principal, operation: Operation, field: str | None = None) -> None:
    """Refuse (DomainError FORBIDDEN) a caller whose role lacks the operation's right."""
    if not allowed(principal, operation):
        raise DomainError(Problem(field, refusal(principal, operation), FORBIDDEN))
