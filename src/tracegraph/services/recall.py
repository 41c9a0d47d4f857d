"""Recall cases: open (trace and snapshot), hold what is on hand, report, contain, close.

A report is computed from the ledger as it is now over the items the recall snapshotted:
what is still on hand where (to quarantine), what was shipped to whom (to notify), what was
consumed, scrapped and lost, and the share of the suspect quantity accounted for.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..domain import errors as E
from ..domain.auth import FORBIDDEN, Principal, Right
from ..domain.errors import DomainError, Problem
from ..domain.events import MAX_LINES, EventCommand, EventType, LedgerEntry, Line
from ..domain.models import Item, Location, Status, classification_of
from ..domain.query import BalanceFilter, Direction
from ..domain.recall import (
    MAX_SUSPECTS,
    AffectedItem,
    Recall,
    RecallNotice,
    RecallStatus,
    SuspectFigures,
    notices_for,
)
from ..domain.rights import Operation, require
from ..domain.trace import Delivery, Fate, MassBalance, deliveries
from ..store.port import RecallCases, VisibilityReads
from .ledger import Ledger
from .trace import TraceOptions, TraceResult, fates_of
from .visibility import Visibility

TOLERANCE = 1e-9


@dataclass
class StockLine:
    """A quantity of an affected item on hand at a location now."""

    item_id: str
    location_id: str
    quantity: float
    unit: str
    status: str  # the id of its classification
    partner_id: str | None = None  # the location belongs to a partner


@dataclass
class ItemTotals:
    """One affected item's fate in its own unit, from its standing events and balances."""

    item_id: str
    unit: str
    fate: Fate


@dataclass
class RecallReport:
    recall: Recall
    stock: list[StockLine] = field(default_factory=list)  # to quarantine
    deliveries: list[Delivery] = field(default_factory=list)  # to notify
    totals: list[ItemTotals] = field(default_factory=list)
    balances: dict[str, MassBalance] = field(default_factory=dict)  # per suspect
    items: dict[str, Item] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    elapsed_ms: float = 0.0


@dataclass
class RecallView:
    """A recall as one caller may see it (services/visibility.py decides): the items it
    reached that the caller may see, suspects included; the suspects' figures and the report
    computed over those alone; and per owning organization how many it reached that the caller
    may not see (no identifiers). Notes are the opening organization's: others see none."""

    recall: Recall
    hidden: dict[str | None, int] = field(default_factory=dict)
    report: RecallReport | None = None  # computed for a restricted caller; else on demand


@dataclass
class HoldResult:
    recall: Recall
    held: list[str]  # items put on hold now
    entries: list[LedgerEntry]


class Recalls:
    def __init__(self, ledger: Ledger, by: Principal | None = None, visibility: Visibility | None = None):
        self.ledger = ledger
        self.by = by  # who acts: the hold events belong to its organization
        self.store: VisibilityReads = ledger.store  # recalls, notices and the reads of their figures
        self.visibility = visibility or Visibility(ledger.store, by)

    @property
    def restricted(self) -> bool:
        return not self.visibility.unrestricted

    def _require(self, operation: Operation) -> None:
        if self.by is not None:
            require(self.by, operation)

    # -- opening ----------------------------------------------------------------------------

    async def open(
        self,
        suspect_ids: Sequence[str],
        direction: Direction,
        reason: str,
        *,
        opened_by: str | None = None,
        mock: bool = False,
        through_containers: bool = False,
        recall_id: str | None = None,
    ) -> Recall:
        self._require(Operation.RECALL)
        suspects = list(dict.fromkeys(suspect_ids))
        problems = []
        if not suspects:
            problems.append(Problem("itemIds", "name at least one suspect item", E.INVALID))
        if len(suspects) > MAX_SUSPECTS:
            problems.append(Problem("itemIds", f"at most {MAX_SUSPECTS} suspect items, got {len(suspects)}", E.INVALID))
        known = await self.ledger.items(suspects) if suspects and len(suspects) <= MAX_SUSPECTS else {}
        if known and self.restricted:  # what the caller may not see is unknown to it
            seen = await self.visibility.items(known)
            known = {i: x for i, x in known.items() if i in seen}
        for n, s in enumerate(suspects[:MAX_SUSPECTS]):
            if s not in known:
                problems.append(Problem(f"itemIds[{n}]", f"unknown item {s}", E.NOT_FOUND))
        if recall_id is not None and await self.store.recalls([recall_id]):
            problems.append(Problem("id", f"recall {recall_id} already exists", E.ALREADY_EXISTS))
        if problems:
            raise DomainError(problems)
        now = datetime.now(UTC)
        started = time.perf_counter()
        result = await self.ledger.trace(
            suspects, direction, options=TraceOptions(through_containers=through_containers)
        )
        traced = time.perf_counter()
        recall = Recall(
            id=recall_id or f"RC-{now:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}",
            reason=reason,
            direction=direction.value,
            suspect_ids=suspects,
            opened_by=opened_by,
            opened_at=now,
            mock=mock,
            organization_id=self.by.organization_id if self.by is not None and not self.by.is_admin else None,
            through_containers=through_containers,
            status=RecallStatus.CLOSED if mock else RecallStatus.OPEN,
            status_changed_at=now,
        )
        report = await self._report(recall, result, filtered=False)  # the snapshot is the whole recall's
        recall = recall.model_copy(
            update={
                "affected": _affected(result, report),
                "suspects": [_figures(s, report) for s in suspects],
                "accounted": _mean_accounted(report),
                "trace_ms": (traced - started) * 1000,
                "report_ms": (time.perf_counter() - traced) * 1000,
            }
        )
        await self.store.save_recall(recall)
        notices = await self._notices(recall, report)
        await self._announce(recall, "OPENED")
        for notice in notices:
            # The whole notice travels (through Redis too): a subscriber's instance need not read it back.
            await self.ledger.notify(
                "recall_notice", {"organization_id": notice.organization_id, "notice": notice.model_dump(mode="json")}
            )
        return recall

    async def _notices(self, recall: Recall, report: RecallReport) -> list[RecallNotice]:
        """Tell every other organization owning an item the recall reached (not for a mock)."""
        if recall.mock:
            return []
        items = report.items
        missing = [a.id for a in recall.affected if a.id not in items]
        if missing:
            items = {**items, **await self.ledger.items(missing)}
        owners = {i: getattr(x, "organization_id", None) for i, x in items.items()}
        opener = None
        if recall.organization_id is not None:
            org = (await self.store.get("Organization", [recall.organization_id])).get(recall.organization_id)
            opener = getattr(org, "name", None)
        notices = notices_for(recall, owners, opener, datetime.now(UTC))
        for n in notices:
            await self.store.save_recall_notice(n)
        return notices

    async def _announce(self, recall: Recall, what: str, held: int = 0) -> None:
        """A recall's progress, for subscribers (`recallProgress`)."""
        await self.ledger.notify(
            "recall",
            {
                "recall_id": recall.id,
                "what": what,
                "status": recall.status.value,
                "mock": recall.mock,
                "affected": sum(1 for a in recall.affected if a.depth > 0),
                "accounted": recall.accounted,
                "held": held,
                "hold_events": len(recall.hold_event_ids),
                "at": datetime.now(UTC).isoformat(),
            },
        )

    # -- reading ----------------------------------------------------------------------------

    async def get(self, recall_id: str) -> Recall:
        """A recall the caller may see: one its organization opened or was notified of (the
        admin key: any). Another is unknown to it: its existence is not told."""
        found = (await self.get_many([recall_id])).get(recall_id)
        if found is None:
            raise DomainError(Problem("id", f"unknown recall {recall_id[:200]}", E.NOT_FOUND))
        return found

    async def get_many(self, ids: Sequence[str]) -> dict[str, Recall]:
        found = await self.store.recalls(ids)
        if not self.restricted:
            return found
        return {i: r for i, r in found.items() if await self.visibility.recall(r)}

    async def _own(self, recall_id: str) -> Recall:
        """A recall the caller may change: one its organization opened (the admin key: any)."""
        recall = await self.get(recall_id)
        if self.restricted and recall.organization_id != self.visibility.org:
            raise DomainError(
                Problem(
                    "id",
                    f"recall {recall_id[:200]} was opened by another organization: only "
                    "it may change it (open a recall of your own from the notice)",
                    FORBIDDEN,
                )
            )
        return recall

    async def page(self, after_id: str | None, first: int, status: RecallStatus | None = None) -> list[Recall]:
        after = (await self.store.recalls([after_id])).get(after_id) if after_id else None
        if after is not None and not (await self.get_many([after.id])):
            after = None
        out: list[Recall] = []
        while len(out) < first:
            want = first - len(out) if not self.restricted else max(first, 50)
            page = await self.store.recall_page(after, want, status.value if status else None)
            if not page:
                break
            seen = await self.get_many([r.id for r in page])
            out += [r for r in page if r.id in seen]
            after = page[-1]
            if len(page) < want:
                break
        return out[:first]

    async def view(self, recall: Recall) -> RecallView:
        """The recall as the caller may see it (see RecallView)."""
        if not self.restricted:
            return RecallView(recall=recall)
        vis = self.visibility
        ids = [a.id for a in recall.affected] or list(recall.suspect_ids)
        visible = await vis.items(ids)
        hidden = await vis.hidden_by_owner([i for i in ids if i not in visible])
        suspects = [s for s in recall.suspect_ids if s in visible]
        affected = [a for a in recall.affected if a.id in visible]
        holds = await self.ledger.events_by_id(recall.hold_event_ids) if recall.hold_event_ids else {}
        shown_holds = {e.id for e in await vis.events(list(holds.values()))}
        seen = recall.model_copy(
            update={
                "suspect_ids": suspects,
                "affected": affected,
                "notes": recall.notes if recall.organization_id == vis.org else [],
                "hold_event_ids": [e for e in recall.hold_event_ids if e in shown_holds],
            }
        )
        report = await self.report(seen)
        seen = seen.model_copy(
            update={"suspects": [_figures(s, report) for s in suspects], "accounted": _mean_accounted(report)}
        )
        report.recall = seen
        return RecallView(recall=seen, hidden=hidden, report=report)

    async def report_of(self, view: RecallView) -> RecallReport:
        if view.report is None:
            view.report = await self.report(view.recall)
        return view.report

    async def report(self, recall: Recall) -> RecallReport:
        """The recall's figures from the ledger as it is now, over the items it snapshotted."""
        result = TraceResult(
            root=recall.suspect_ids[0] if recall.suspect_ids else "",
            direction=Direction(recall.direction),
            roots=list(recall.suspect_ids),
            depth={a.id: a.depth for a in recall.affected if a.depth > 0},
            items=[a.id for a in recall.affected if a.depth > 0],
        )
        return await self._report(recall, result, filtered=self.restricted)

    async def _report(self, recall: Recall, result: TraceResult, filtered: bool) -> RecallReport:
        """The figures over `result`; `filtered`: from the events the caller may see (redacted)."""
        started = time.perf_counter()
        ids = result.nodes
        items = await self.ledger.items(ids)
        events = await self.store.events_of_items(ids)
        if filtered:  # a report over what the caller may see: its events, redacted
            records = {e.id: e for evs in events.values() for e in evs}
            shown = {e.id: e for e in await self.visibility.events(list(records.values()))}
            events = {i: [shown[e.id] for e in evs if e.id in shown] for i, evs in events.items()}
        balances = await self.store.balances(BalanceFilter(item_ids=ids))
        real = [b for b in balances if not b.virtual]
        locations = await self.ledger.locations(sorted({b.location_id for b in real}))
        stock = []
        for b in real:
            if b.quantity > TOLERANCE and b.item_id in items:
                loc = locations.get(b.location_id)
                stock.append(
                    StockLine(
                        item_id=b.item_id,
                        location_id=b.location_id,
                        quantity=b.quantity,
                        unit=b.unit,
                        status=items[b.item_id].status,
                        partner_id=loc.partner_id if loc else None,
                    )
                )
        fates = fates_of(ids, events, balances)
        mass = await self.ledger.tracer.mass_balance(result, fates)
        return RecallReport(
            recall=recall,
            stock=sorted(stock, key=lambda s: (s.location_id, s.item_id)),
            deliveries=deliveries({i: events.get(i, []) for i in ids}),
            totals=[ItemTotals(i, items[i].unit if i in items else "EA", fates[i]) for i in ids],
            balances=mass,
            items=items,
            locations=locations,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    # -- containment ------------------------------------------------------------------------

    async def hold(self, recall_id: str, *, by: str | None = None, note: str | None = None) -> HoldResult:
        """Put every affected item still on hand on HOLD, in one transaction, and mark the recall
        CONTAINED. Idempotent: a second call holds nothing more and records nothing. An
        organization's key holds only its organization's items: the other owners were notified
        and hold theirs themselves."""
        self._require(Operation.RECALL)
        recall = await self._own(recall_id)
        if recall.mock:
            raise DomainError(Problem("id", f"recall {recall_id} is a mock recall: it changes no status", E.INVALID))
        if recall.status is RecallStatus.CLOSED:
            raise DomainError(Problem("id", f"recall {recall_id} is closed", E.CONFLICT))
        ids = [recall.suspect_ids[0], *recall.suspect_ids[1:], *(a.id for a in recall.affected if a.depth > 0)]
        ids = list(dict.fromkeys(ids))
        balances = await self.store.balances(BalanceFilter(item_ids=ids, include_virtual=False))
        items = await self.ledger.items(ids)
        on_hand = sorted({b.item_id for b in balances if b.quantity > TOLERANCE})
        # A classification that forbids both issuing and shipping (HOLD; FAIL, which says more;
        # a user's QUARANTINE) holds the item already: it stays.
        known = await self.ledger.classifications(sorted({items[i].status for i in on_hand if i in items}))
        to_hold = [
            i
            for i in on_hand
            if i in items and ((c := classification_of(items[i].status, known)).may_issue or c.may_ship)
        ]
        if self.restricted:
            to_hold = [i for i in to_hold if items[i].organization_id == self.visibility.org]
        commands = [
            EventCommand(
                type=EventType.RECLASSIFY,
                id=f"{recall.id}:hold:{n}",
                status=Status.HOLD,
                inputs=[Line(item_id=i) for i in to_hold[k : k + MAX_LINES]],
                reason=f"recall {recall.id}: {recall.reason}"[:4000],
                recorded_by=by,
            )
            for n, k in enumerate(range(0, len(to_hold), MAX_LINES))
        ]
        entries = await self.ledger.record_many(commands, by=self.by) if commands else []
        now = datetime.now(UTC)
        updated = (
            recall.moved_to(RecallStatus.CONTAINED, now, by, note) if recall.status is RecallStatus.OPEN else recall
        )
        updated = updated.model_copy(
            update={"hold_event_ids": [*recall.hold_event_ids, *(e.event.id for e in entries if not e.duplicate)]}
        )
        held = [c.item_id for e in entries if not e.duplicate for c in e.event.status_changes]
        if updated != recall:
            await self.store.save_recall(updated)
            await self._announce(updated, "HELD", len(held))
        return HoldResult(recall=updated, held=held, entries=entries)

    async def set_status(
        self, recall_id: str, status: RecallStatus, *, by: str | None = None, note: str | None = None
    ) -> Recall:
        self._require(Operation.RECALL)
        recall = await self._own(recall_id)
        if status is RecallStatus.CONTAINED:
            return (await self.hold(recall_id, by=by, note=note)).recall
        updated = recall.moved_to(status, datetime.now(UTC), by, note)
        if updated != recall:
            await self.store.save_recall(updated)
            await self._announce(updated, "STATUS")
        return updated

    async def add_note(self, recall_id: str, text: str, *, by: str | None = None) -> Recall:
        self._require(Operation.RECALL)
        recall = await self._own(recall_id)
        updated = recall.with_note(datetime.now(UTC), by, text)
        await self.store.save_recall(updated)
        await self._announce(updated, "NOTE")
        return updated


def _affected(result: TraceResult, report: RecallReport) -> list[AffectedItem]:
    out = []
    for item_id in result.nodes:
        item = report.items.get(item_id)
        depth = 0 if item_id in result.roots else result.depth.get(item_id, 0)
        reached = [mb.reached.get(item_id) for mb in report.balances.values()]
        quantity = sum(q for q in reached if q is not None) if any(q is not None for q in reached) else None
        out.append(
            AffectedItem(
                id=item_id,
                depth=depth,
                kind=item.kind.value if item else None,
                material_id=item.material_id if item else None,
                lot_code=item.lot_code if item else None,
                unit=item.unit if item else None,
                quantity=quantity,
            )
        )
    return out


def _figures(suspect: str, report: RecallReport) -> SuspectFigures:
    mb = report.balances.get(suspect)
    item = report.items.get(suspect)
    if mb is None:
        return SuspectFigures(item_id=suspect, unit=item.unit if item else None)
    f = mb.by_fate
    return SuspectFigures(
        item_id=suspect,
        unit=item.unit if item else None,
        quantity=mb.root_quantity,
        on_hand=f.get("onHand", 0.0),
        shipped=f.get("shipped", 0.0),
        scrapped=f.get("scrapped", 0.0),
        lost=f.get("lost", 0.0),
        accounted=mb.accounted,
        gaps=[g.message for g in mb.gaps],
    )


def _mean_accounted(report: RecallReport) -> float | None:
    shares = [mb.accounted for mb in report.balances.values() if mb.accounted is not None]
    return sum(shares) / len(shares) if shares else None


class RecallNotices:
    """Recall notices of the caller's organization (the admin key: of every organization).
    Reading and acknowledging them needs the RECALL right (ADMIN and QUALITY keys)."""

    def __init__(self, store: RecallCases, by: Principal):
        self.store = store
        self.by = by

    def check(self, organization_id: str | None, field: str) -> None:
        """Refuse (DomainError FORBIDDEN) a caller who may not read those notices."""
        self._organization(organization_id, field)

    def _organization(self, organization_id: str | None, field: str) -> str | None:
        """The organization whose notices are asked for: the caller's own (the admin key: the one
        named, or every one: None)."""
        self.by.require(Right.RECALL, field=field)
        if self.by.is_admin:
            return organization_id
        if organization_id is not None and organization_id != self.by.organization_id:
            raise DomainError(
                Problem(field, "an organization's key reads its own organization's notices only", FORBIDDEN)
            )
        return self.by.organization_id

    async def page(
        self,
        after_id: str | None,
        first: int,
        organization_id: str | None = None,
    ) -> list[RecallNotice]:
        org = self._organization(organization_id, "organizationId")
        after = (await self.store.recall_notices([after_id])).get(after_id) if after_id else None
        if after is not None and org is not None and after.organization_id != org:
            after = None
        return await self.store.recall_notice_page(org, after, first)

    async def get(self, notice_id: str, field: str = "id") -> RecallNotice:
        org = self._organization(None, field)
        found = (await self.store.recall_notices([notice_id])).get(notice_id)
        if found is None or (org is not None and found.organization_id != org):
            raise DomainError(Problem(field, f"unknown recall notice {notice_id[:200]}", E.NOT_FOUND))
        return found

    async def acknowledge(self, notice_id: str) -> RecallNotice:
        """Mark a notice read: when and by which key. A second acknowledgement changes nothing."""
        notice = await self.get(notice_id)
        done = notice.acknowledged(datetime.now(UTC), self.by.key_id)
        if done != notice:
            await self.store.save_recall_notice(done)
        return done
