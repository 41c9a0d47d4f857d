"""Recall cases: a trace from suspect items, snapshotted with its figures, then contained
(affected stock on hold) and closed. A mock recall runs the same trace and report, changes
no status, and keeps how long they took and the share of the suspect quantity accounted for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum

from pydantic import Field

from .errors import CONFLICT, INVALID, DomainError, Problem
from .models import MAX_TEXT_LENGTH, Identifier, Model, Name, Text


class RecallStatus(str, Enum):
    OPEN = "OPEN"
    CONTAINED = "CONTAINED"  # every affected item still on hand is on hold
    CLOSED = "CLOSED"


# Where a recall may go from each status.
_NEXT: dict[RecallStatus, set[RecallStatus]] = {
    RecallStatus.OPEN: {RecallStatus.CONTAINED, RecallStatus.CLOSED},
    RecallStatus.CONTAINED: {RecallStatus.CLOSED},
    RecallStatus.CLOSED: set(),
}

MAX_SUSPECTS = 100


class RecallNote(Model):
    at: datetime
    by: str | None = None
    text: Text


class AffectedItem(Model):
    """An item the recall's trace reached (or a suspect itself, at depth 0)."""

    id: str
    depth: int
    kind: str | None = None
    material_id: str | None = None
    lot_code: str | None = None
    unit: str | None = None
    # FORWARD: the suspect quantity in it, in the suspect's unit (summed over suspects of one
    # unit); BACKWARD: how much of it went into the suspects, in its own unit.
    quantity: float | None = None


class SuspectFigures(Model):
    """A suspect's mass balance when the recall was opened."""

    item_id: str
    unit: str | None = None
    quantity: float = 0.0  # received or produced
    on_hand: float = 0.0
    shipped: float = 0.0
    scrapped: float = 0.0
    lost: float = 0.0
    accounted: float | None = None  # share 0..1 (FORWARD)
    gaps: list[str] = Field(default_factory=list)


class Recall(Model):
    id: Identifier
    reason: Text
    direction: str  # FORWARD or BACKWARD
    suspect_ids: list[Identifier] = Field(min_length=1, max_length=MAX_SUSPECTS)
    opened_by: Name | None = None
    organization_id: str | None = None  # the organization whose key opened it (None: the admin key)
    opened_at: datetime
    mock: bool = False
    through_containers: bool = False
    status: RecallStatus = RecallStatus.OPEN
    status_changed_at: datetime | None = None
    notes: list[RecallNote] = Field(default_factory=list)
    affected: list[AffectedItem] = Field(default_factory=list)
    suspects: list[SuspectFigures] = Field(default_factory=list)
    accounted: float | None = None  # the mean share over FORWARD suspects with a quantity
    trace_ms: float = 0.0  # how long the trace took when it was opened
    report_ms: float = 0.0  # and the figures
    hold_event_ids: list[str] = Field(default_factory=list)

    def moved_to(self, status: RecallStatus, at: datetime, by: str | None, note: str | None) -> Recall:
        """The recall in a new status, or a Problem saying why it cannot go there."""
        if status is self.status:
            return self
        if status not in _NEXT[self.status]:
            raise DomainError(
                Problem("status", f"recall {self.id} is {self.status.value}: it cannot become {status.value}", CONFLICT)
            )
        if self.mock and status is RecallStatus.CONTAINED:
            raise DomainError(Problem("status", "a mock recall changes no status: it cannot be contained", INVALID))
        notes = [*self.notes, RecallNote(at=at, by=by, text=note[:MAX_TEXT_LENGTH])] if note else self.notes
        return self.model_copy(update={"status": status, "status_changed_at": at, "notes": notes})

    def with_note(self, at: datetime, by: str | None, text: str) -> Recall:
        return self.model_copy(update={"notes": [*self.notes, RecallNote(at=at, by=by, text=text)]})


class RecallNotice(Model):
    """What an organization is told when another organization's recall reached items it owns:
    who opened it, why, which way, and the identifiers of the notified organization's own items
    the recall reached; nothing of anyone else's. One per recall and notified organization."""

    id: str
    recall_id: str
    organization_id: str  # the organization notified
    opened_by_organization_id: str | None = None
    opened_by_organization: str | None = None  # its name when the recall was opened
    reason: str
    direction: str
    opened_at: datetime  # when the recall was opened
    created_at: datetime
    item_ids: list[str] = Field(default_factory=list)  # its own items the recall reached (suspects included)
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None  # the key that acknowledged it (None: the admin key)

    def acknowledged(self, at: datetime, by: str | None) -> RecallNotice:
        """Acknowledged once: a second acknowledgement changes nothing."""
        if self.acknowledged_at is not None:
            return self
        return self.model_copy(update={"acknowledged_at": at, "acknowledged_by": by})


def notice_id(recall_id: str, organization_id: str) -> str:
    return f"{recall_id}@{organization_id}"


def notices_for(
    recall: Recall, owners: Mapping[str, str | None], opener_name: str | None, at: datetime
) -> list[RecallNotice]:
    """The notices a recall sends: one to each organization, other than the opener's, owning an
    item the recall reached (`owners`: each reached item's owner), listing only its own items.
    A mock recall is an exercise: it notifies no one."""
    if recall.mock:
        return []
    mine: dict[str, list[str]] = {}
    for a in recall.affected:
        owner = owners.get(a.id)
        if owner is not None and owner != recall.organization_id:
            mine.setdefault(owner, [])
            if a.id not in mine[owner]:
                mine[owner].append(a.id)
    return [
        RecallNotice(
            id=notice_id(recall.id, org),
            recall_id=recall.id,
            organization_id=org,
            opened_by_organization_id=recall.organization_id,
            opened_by_organization=opener_name,
            reason=recall.reason,
            direction=recall.direction,
            opened_at=recall.opened_at,
            created_at=at,
            item_ids=ids,
        )
        for org, ids in sorted(mine.items())
    ]
