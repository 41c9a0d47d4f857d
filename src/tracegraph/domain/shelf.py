"""Shelf life: when a lot is expired, how long it has left, which lots to pick first (FEFO) and
when a lot is near its expiry. Pure Python: the ledger's planning and the services use it.

A lot is expired from its `expires_at` on (at that instant and after). Every rule takes the
time it judges at: an event's time when planning, the server's clock for the live lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

from .models import Classification, Item, Material, classification_of

EPSILON = 1e-9
DAY = timedelta(days=1)


def aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def is_expired(item: Item, at: datetime) -> bool:
    return item.expires_at is not None and aware(at) >= aware(item.expires_at)


def days_left(expires_at: datetime, at: datetime) -> float:
    """Days from `at` to the expiry, fractions included; negative once expired."""
    return (aware(expires_at) - aware(at)) / DAY


def too_short_to_ship(item: Item, material: Material | None, at: datetime) -> bool:
    """Whether a lot not yet expired has less left than its material demands for shipping."""
    need = material.min_remaining_shelf_life_days if material is not None else None
    if need is None or item.expires_at is None:
        return False
    return aware(item.expires_at) - aware(at) < timedelta(days=need)


class Stage(str, Enum):
    """Where a lot stands towards its expiry, as dashboards are told."""

    NEAR_EXPIRY = "NEAR_EXPIRY"  # within its material's warning period
    EXPIRED = "EXPIRED"


def warning_days(material: Material | None, days: int | None = None) -> int | None:
    """The warning period: `days` when given, else the material's; None: the lot is never near."""
    if days is not None:
        return days
    return material.expiry_warning_days if material is not None else None


def stage(item: Item, material: Material | None, at: datetime, days: int | None = None) -> Stage | None:
    """EXPIRED, NEAR_EXPIRY (within the warning period), or None (fresh, or no expiry)."""
    if item.expires_at is None:
        return None
    if is_expired(item, at):
        return Stage.EXPIRED
    period = warning_days(material, days)
    if period is not None and aware(item.expires_at) - aware(at) <= timedelta(days=period):
        return Stage.NEAR_EXPIRY
    return None


# -- FEFO -------------------------------------------------------------------------------------


class SkipReason(str, Enum):
    EXPIRED = "EXPIRED"
    STATUS_FORBIDS = "STATUS_FORBIDS"
    SHELF_LIFE_TOO_SHORT = "SHELF_LIFE_TOO_SHORT"


@dataclass(frozen=True)
class Pick:
    item: Item
    quantity: float  # in the item's unit
    on_hand: float


@dataclass(frozen=True)
class Skipped:
    item: Item
    on_hand: float
    reason: SkipReason


@dataclass
class FefoProposal:
    """The lots to pick, earliest expiry first, and how much of each (in the lots' unit)."""

    requested: float
    unit: str | None
    picks: list[Pick] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def picked(self) -> float:
        return sum(p.quantity for p in self.picks)

    @property
    def shortfall(self) -> float:
        short = self.requested - self.picked
        return short if short > EPSILON * max(1.0, self.requested) else 0.0

    @property
    def covered(self) -> bool:
        return self.shortfall == 0.0


def fefo_order(item: Item) -> tuple[int, datetime, datetime, str]:
    """First expiry first; lots without an expiry last; then the oldest made, then by id."""
    far = datetime.max.replace(tzinfo=UTC)
    expires = aware(item.expires_at) if item.expires_at else far
    made = aware(item.manufactured_at) if item.manufactured_at else far
    return (item.expires_at is None, expires, made, item.id)


def propose_fefo(
    lots: Iterable[tuple[Item, float]],
    quantity: float,
    at: datetime,
    *,
    materials: dict[str, Material] | None = None,
    classifications: dict[str, Classification] | None = None,
    shipping: bool = False,
) -> FefoProposal:
    """Which lots on hand (each with its quantity) cover `quantity`, first expiry first.

    Passed over (`skipped`, those ahead of the last pick): expired lots, lots whose
    classification (looked up in `classifications`, else a built-in) may not be issued (or
    shipped, when `shipping`), and when shipping lots with less left than
    their material's minimum remaining shelf life. The last lot picked gives only what is
    still needed.
    """
    ordered = sorted(((i, q) for i, q in lots if q > EPSILON), key=lambda x: fefo_order(x[0]))
    proposal = FefoProposal(requested=quantity, unit=ordered[0][0].unit if ordered else None)
    need = quantity
    for item, on_hand in ordered:
        if need <= EPSILON * max(1.0, quantity):
            break  # covered: the lots after it are neither picked nor passed over
        material = (materials or {}).get(item.material_id or "")
        reason = None
        classification = classification_of(item.status, classifications)
        if is_expired(item, at):
            reason = SkipReason.EXPIRED
        elif not (classification.may_ship if shipping else classification.may_issue):
            reason = SkipReason.STATUS_FORBIDS
        elif shipping and too_short_to_ship(item, material, at):
            reason = SkipReason.SHELF_LIFE_TOO_SHORT
        if reason is not None:
            proposal.skipped.append(Skipped(item, on_hand, reason))
            continue
        take = min(on_hand, need)
        proposal.picks.append(Pick(item, take, on_hand))
        need -= take
    return proposal
