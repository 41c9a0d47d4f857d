"""Shelf life use cases: FEFO picks, the near-expiry list, and the watch that tells dashboards
once when a lot on hand comes within its warning period and when it expires.

The rules are the domain's (domain/shelf.py); here they meet the store's items in expiry order
(`GraphStore.items_by_expiry`, an index range on Neo4j) and the caller's visibility, which the
Session (services/session.py) applies before anything here sees an item.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from ..domain import errors as E
from ..domain.errors import DomainError, Problem
from ..domain.events import LedgerEntry
from ..domain.models import Classification, Item, Material
from ..domain.query import BalanceFilter, ExpiryCursor, ExpiryFilter, expiry_cursor, time_key
from ..domain.shelf import FefoProposal, Stage, days_left, propose_fefo, stage, warning_days
from ..domain.units import conversion_factor
from .ledger import MAX_PAGE, Ledger

log = logging.getLogger("tracegraph.shelf")

PAGE = 500  # items read at a time in expiry order
MAX_CANDIDATES = 20_000  # lots a FEFO proposal looks at, at most
MAX_MATERIALS = 100_000  # materials read to find the longest warning period
NOTICE_SUBJECT = "expiry"  # the bus notices of the watch (api/subscriptions.py: lotsNearingExpiry)

ItemsByExpiry = Callable[[ExpiryFilter, ExpiryCursor | None, int], Awaitable[list[Item]]]


@dataclass(frozen=True)
class NearExpiryLot:
    """A lot on hand within its warning period (or expired), as the near-expiry list shows it."""

    item: Item
    stage: Stage
    days_left: float
    warning_days: int | None
    on_hand: float  # over every real location, or at the location asked for


def _now(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def longest_warning(ledger: Ledger) -> int | None:
    """The longest warning period of any material (None: no material warns)."""
    longest: int | None = None
    after: str | None = None
    seen = 0
    while seen < MAX_MATERIALS:
        page = await ledger.page("Material", after, MAX_PAGE)
        for m in page:
            if isinstance(m, Material) and m.expiry_warning_days is not None:
                longest = max(longest or 0, m.expiry_warning_days)
        seen += len(page)
        if len(page) < MAX_PAGE:
            break
        after = page[-1].id
    return longest


async def on_hand(ledger: Ledger, item_ids: Sequence[str], location_id: str | None) -> dict[str, float]:
    """Each item's quantity over every real location (or at one)."""
    if not item_ids:
        return {}
    found = await ledger.balances(
        BalanceFilter(
            item_ids=list(item_ids),
            location_ids=[location_id] if location_id else None,
            include_virtual=False,
        )
    )
    out: dict[str, float] = {}
    for b in found:
        out[b.item_id] = out.get(b.item_id, 0.0) + b.quantity
    return out


async def fefo(
    ledger: Ledger,
    items_by_expiry: ItemsByExpiry,
    material: Material,
    location_id: str,
    quantity: float,
    unit: str | None,
    at: datetime | None,
    shipping: bool,
) -> FefoProposal:
    """The lots of `material` on hand at `location_id` to pick for `quantity` (in `unit`, by
    default the material's base unit), first expiry first, judged at `at` (default now).
    `items_by_expiry` reads the items the caller may see."""
    problems = []
    if not quantity > 0:
        message = f"quantity must be greater than zero, got {quantity:g}"
        problems.append(Problem("quantity", message, E.INVALID_QUANTITY))
    factor = conversion_factor(unit or material.base_unit, material.base_unit, {}, material.conversions)
    if factor is None:
        message = f"unknown unit {unit} for material {material.id} (kept in {material.base_unit})"
        problems.append(Problem("unit", message, E.UNKNOWN_UNIT))
    if problems:
        raise DomainError(problems)
    assert factor is not None
    when = _now(at)
    need = quantity * factor
    # Expired lots are left out by the store (their expiry is before `when`); lots without an
    # expiry come after every dated one.
    # Dated lots first; those without an expiry only when the dated ones do not cover it.
    filt = ExpiryFilter(material_id=material.id, location_id=location_id, expires_from=when, undated=False)
    lots: list[tuple[Item, float]] = []
    classifications: dict[str, Classification] = {}  # the lots' classifications, as the store holds them
    after: ExpiryCursor | None = None
    proposal = propose_fefo([], need, when)
    while len(lots) < MAX_CANDIDATES:
        page = await items_by_expiry(filt, after, PAGE)
        if not page:
            if filt.undated:
                break
            filt, after = replace(filt, undated=True), (None, "")  # past every dated lot
            continue
        held = await on_hand(ledger, [i.id for i in page], location_id)
        lots += [(i, held.get(i.id, 0.0)) for i in page]
        missing = sorted({i.status for i in page} - set(classifications))
        if missing:
            classifications.update(await ledger.classifications(missing))
        proposal = propose_fefo(
            lots,
            need,
            when,
            materials={material.id: material},
            classifications=classifications,
            shipping=shipping,
        )
        if proposal.covered or (len(page) < PAGE and filt.undated):
            break
        if len(page) < PAGE:
            filt, after = replace(filt, undated=True), (None, "")
            continue
        after = expiry_cursor(page[-1])
    proposal.unit = material.base_unit
    return proposal


async def near_expiry(
    ledger: Ledger,
    items_by_expiry: ItemsByExpiry,
    *,
    days: int | None,
    material_id: str | None,
    location_id: str | None,
    include_expired: bool,
    after: ExpiryCursor | None,
    first: int,
    now: datetime | None = None,
) -> tuple[list[NearExpiryLot], ExpiryCursor | None]:
    """Lots on hand within their material's warning period (or `days`), earliest expiry first,
    expired ones too unless `include_expired` is false; and the cursor of the last item read
    (None: the list is exhausted)."""
    if days is not None and days < 0:
        raise DomainError(Problem("days", f"days must be zero or more, got {days}", E.INVALID))
    when = _now(now)
    if days is not None:
        horizon: int | None = days
    elif material_id is not None:
        found = await ledger.materials([material_id])
        horizon = found[material_id].expiry_warning_days if material_id in found else None
    else:
        horizon = await longest_warning(ledger)
    if horizon is None:
        return [], None
    filt = ExpiryFilter(
        material_id=material_id,
        location_id=location_id,
        on_hand=True,
        expires_from=None if include_expired else when + timedelta(microseconds=1),
        expires_until=when + timedelta(days=horizon, microseconds=1),  # the warning period's last instant included
        undated=False,
    )
    out: list[NearExpiryLot] = []
    materials: dict[str, Material] = {}
    cursor = after
    while len(out) < first:
        page = await items_by_expiry(filt, cursor, PAGE)
        if not page:
            return out, None
        missing = sorted({i.material_id for i in page if i.material_id and i.material_id not in materials})
        if missing:
            materials.update(await ledger.materials(missing))
        held = await on_hand(ledger, [i.id for i in page], location_id)
        for item in page:
            cursor = expiry_cursor(item)
            material = materials.get(item.material_id or "")
            where = stage(item, material, when, days)
            if where is None or item.expires_at is None or held.get(item.id, 0.0) <= 0:
                continue
            out.append(
                NearExpiryLot(
                    item=item,
                    stage=where,
                    days_left=days_left(item.expires_at, when),
                    warning_days=warning_days(material, days),
                    on_hand=held.get(item.id, 0.0),
                )
            )
            if len(out) == first:
                return out, cursor
        if len(page) < PAGE:
            return out, None
    return out, cursor


def notice_id(item_id: str, where: Stage) -> str:
    """One notice per lot and stage, ever."""
    return f"{item_id} {where.value}"


class ExpiryWatch:
    """Tells dashboards once when a lot on hand comes within its material's warning period
    (NEAR_EXPIRY) and when it expires (EXPIRED), through the ledger's notices (the bus).

    Each check reads the lots on hand whose expiry falls after the previous check and before
    now plus the longest warning period, in expiry order, and claims a notice for each crossing
    in the store before publishing it: a restart, or a second server instance on the same
    store, does not repeat it. A lot already expired when first seen is announced EXPIRED only.
    An instance's first check looks back `CATCH_UP` (what expired while no server ran); a lot
    that expired before that is not announced (nearExpiry still lists it): reading every expired
    lot still on hand at every check cost seconds of the store's time at a million lots. Lots
    recorded through this instance since its last check are checked whatever their expiry (a
    lot received already expired).
    """

    CATCH_UP = timedelta(days=7)

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self._known: set[str] = set()  # notices claimed already (by any instance), as far as this one knows
        self._since: datetime | None = None  # the time of this instance's last complete check
        self._fresh: set[str] = set()  # lots with an expiry recorded here since then
        ledger.on_recorded(self._recorded)

    async def _recorded(self, entry: LedgerEntry) -> None:
        self._fresh.update(i.id for i in entry.new_items if i.expires_at is not None)

    async def check(self, now: datetime | None = None) -> list[dict[str, object]]:
        """One pass: the notices this instance announced (published after they were claimed)."""
        when = _now(now)
        horizon = await longest_warning(self.ledger) or 0
        since = self._since if self._since is not None and self._since <= when else when - self.CATCH_UP
        filt = ExpiryFilter(
            on_hand=True,
            expires_from=since,
            expires_until=when + timedelta(days=horizon, microseconds=1),
            undated=False,
        )
        store = self.ledger.store
        announced: list[dict[str, object]] = []
        materials: dict[str, Material] = {}
        after: ExpiryCursor | None = None
        fresh, self._fresh = sorted(self._fresh), set()
        while True:
            if after is None and fresh:  # first the lots recorded since the last check, on hand
                held = await self.ledger.balances(BalanceFilter(item_ids=fresh), None, None)
                found = await self.ledger.items(sorted({b.item_id for b in held if b.quantity > 0}))
                await self._announce(list(found.values()), materials, when, announced)
            page = await store.items_by_expiry(filt, after, PAGE)
            if not page:
                break
            await self._announce(page, materials, when, announced)
            if len(page) < PAGE:
                break
            after = expiry_cursor(page[-1])
        if len(self._known) > 1_000_000:
            self._known.clear()  # the store remembers; this only spares it the claims
        self._since = when
        return announced

    async def _announce(
        self, page: list[Item], materials: dict[str, Material], when: datetime, announced: list[dict[str, object]]
    ) -> None:
        """Claim and publish the notices of the crossings `page` shows at `when`, not claimed before."""
        store = self.ledger.store
        missing = sorted({i.material_id for i in page if i.material_id and i.material_id not in materials})
        if missing:
            materials.update(await self.ledger.materials(missing))
        due: dict[str, dict[str, object]] = {}
        for item in page:
            material = materials.get(item.material_id or "")
            where = stage(item, material, when)
            if where is None or item.expires_at is None:
                continue
            key = notice_id(item.id, where)
            if key in self._known:
                continue
            due[key] = {
                "notice_id": key,
                "item_id": item.id,
                "material_id": item.material_id,
                "stage": where.value,
                "expires_at": item.expires_at.isoformat(),
                "warning_days": warning_days(material),
                "at": when.isoformat(),
            }
        if due:
            claimed = await store.claim_expiry_notices(list(due), time_key(when) or "")
            self._known.update(due)
            for key in claimed:
                await self.ledger.notify(NOTICE_SUBJECT, due[key])
                announced.append(due[key])
