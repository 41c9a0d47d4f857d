"""Recall cases over GraphQL: open (or run a mock), hold, report, move through their statuses."""

from __future__ import annotations

from datetime import datetime

import strawberry
from pydantic import ValidationError

from ..domain import recall as DR
from ..domain.errors import DomainError
from ..domain.models import Status
from ..domain.query import Direction
from ..domain.recall import RecallStatus
from ..services import recall as SR
from .classifications import shown_status
from .context import Info
from .errors import ApiError, UserError, from_domain, from_validation
from .ledger import Item
from .master import Location
from .pagination import DEFAULT_FIRST, After, Connection, First, page_of_list, paginate
from .refs import load_one, optional_id
from .traces import Delivery, HiddenItems, MassBalance

strawberry.enum(
    RecallStatus, description="OPEN, then CONTAINED once every affected item on hand is on hold, then CLOSED."
)


@strawberry.type(description="A note on a recall.")
class RecallNote:
    at: datetime
    by: str | None
    text: str


@strawberry.type(description="An item a recall reached, as snapshotted when it was opened.")
class AffectedItem:
    id: str = strawberry.field(description="The item's identifier.")
    depth: int = strawberry.field(description="Steps from the nearest suspect; 0 for a suspect.")
    kind: str | None = strawberry.field(description="Its kind.")
    material_id: strawberry.ID | None = strawberry.field(description="Its material.")
    lot_code: str | None = strawberry.field(description="Its lot or serial number.")
    unit: str | None = strawberry.field(description="Its unit.")
    quantity: float | None = strawberry.field(
        description="FORWARD: the suspect quantity in it, in the suspect's unit; BACKWARD: how much of it "
        "went into the suspects, in its own unit."
    )

    @strawberry.field(description="The item as it is now.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.id, Item.from_model)

    @classmethod
    def from_model(cls, a: DR.AffectedItem) -> AffectedItem:
        return cls(
            id=a.id,
            depth=a.depth,
            kind=a.kind,
            material_id=strawberry.ID(a.material_id) if a.material_id is not None else None,
            lot_code=a.lot_code,
            unit=a.unit,
            quantity=a.quantity,
        )


@strawberry.type(description="A suspect's figures when the recall was opened.")
class SuspectFigures:
    item_id: str
    unit: str | None
    quantity: float = strawberry.field(description="What was received or produced of it.")
    on_hand: float
    shipped: float
    scrapped: float
    lost: float
    accounted: float | None = strawberry.field(description="The share (0 to 1) of its quantity accounted for.")
    gaps: list[str]


@strawberry.type(description="Affected stock on hand now: to quarantine.")
class RecallStock:
    item_id: str
    location_id: strawberry.ID
    quantity: float
    unit: str
    classification_id: str = strawberry.field(description="The code of the item's classification.")
    partner_id: strawberry.ID | None = strawberry.field(description="Set when the location is a partner's.")

    @strawberry.field(description="The item's status as a built-in (see `Item.status`).")
    async def status(self, info: Info) -> Status:
        return await shown_status(info, self.classification_id)

    @strawberry.field(description="The location.")
    async def location(self, info: Info) -> Location | None:
        return await load_one(info.context.loaders.locations, self.location_id, Location.from_model)


@strawberry.type(description="What became of one affected item, in its unit.")
class RecallItemTotals:
    item_id: str
    unit: str
    created: float = strawberry.field(description="Received or produced.")
    consumed: float
    shipped: float
    scrapped: float
    lost: float
    on_hand: float


@strawberry.type(description="A recall's figures from the ledger as it is now.")
class RecallReport:
    stock: list[RecallStock] = strawberry.field(description="Affected items on hand, by location: to quarantine.")
    deliveries: list[Delivery] = strawberry.field(
        description="Affected quantities shipped, by shipment and customer: to notify."
    )
    totals: list[RecallItemTotals] = strawberry.field(
        description="Per item: consumed, shipped, scrapped, lost, on hand."
    )
    mass_balance: list[MassBalance] = strawberry.field(
        description="Per suspect: the share of its quantity accounted for, and the gaps."
    )
    accounted: float | None = strawberry.field(description="The mean share accounted for over the suspects.")
    elapsed_ms: float = strawberry.field(description="How long this report took.")

    @classmethod
    def from_model(cls, r: SR.RecallReport) -> RecallReport:
        shares = [mb.accounted for mb in r.balances.values() if mb.accounted is not None]
        return cls(
            stock=[
                RecallStock(
                    item_id=s.item_id,
                    location_id=strawberry.ID(s.location_id),
                    quantity=s.quantity,
                    unit=s.unit,
                    classification_id=s.status,
                    partner_id=strawberry.ID(s.partner_id) if s.partner_id is not None else None,
                )
                for s in r.stock
            ],
            deliveries=[Delivery.from_model(d) for d in r.deliveries],
            totals=[
                RecallItemTotals(
                    item_id=t.item_id,
                    unit=t.unit,
                    created=t.fate.created,
                    consumed=t.fate.consumed,
                    shipped=t.fate.shipped,
                    scrapped=t.fate.scrapped,
                    lost=t.fate.lost,
                    on_hand=t.fate.on_hand,
                )
                for t in r.totals
            ],
            mass_balance=[MassBalance.from_model(root, mb) for root, mb in r.balances.items()],
            accounted=sum(shares) / len(shares) if shares else None,
            elapsed_ms=r.elapsed_ms,
        )


@strawberry.type(description="A recall case, or a mock recall (an exercise that changes no status).")
class Recall:
    id: str
    reason: str
    direction: Direction
    suspect_ids: list[str]
    opened_by: str | None
    opened_at: datetime
    mock: bool
    through_containers: bool
    status: RecallStatus
    status_changed_at: datetime | None
    notes: list[RecallNote]
    suspects: list[SuspectFigures] = strawberry.field(description="Each suspect's figures when opened.")
    affected_count: int = strawberry.field(description="How many items the trace reached, suspects excluded.")
    accounted: float | None = strawberry.field(
        description="The share (0 to 1) of the suspect quantity accounted for when opened, over the suspects."
    )
    trace_ms: float = strawberry.field(description="How long the trace took when the recall was opened.")
    report_ms: float = strawberry.field(description="How long its figures took.")
    hold_event_ids: list[str] = strawberry.field(description="The events that put affected stock on hold.")
    organization_id: strawberry.ID | None = strawberry.field(
        description="The organization that opened it (null: the server's admin key)."
    )
    hidden: list[HiddenItems] = strawberry.field(
        description="What the recall reached that the caller may not see: a count per owning organization, no "
        "identifiers. Those items are in no other field (affected, report, figures); each organization was sent "
        "a recall notice of its own items."
    )
    model: strawberry.Private[DR.Recall]
    view: strawberry.Private[SR.RecallView]

    @strawberry.field(description="The items reached (suspects at depth 0 first), a page at a time.")
    def affected(self, first: First = DEFAULT_FIRST, after: After = None) -> Connection[AffectedItem]:
        return page_of_list("affected", self.model.affected, first, after, AffectedItem.from_model)

    @strawberry.field(
        description="The figures from the ledger as it is now: stock to quarantine, shipments to "
        "notify, consumed, scrapped and lost quantities, the share accounted for."
    )
    async def report(self, info: Info) -> RecallReport:
        return RecallReport.from_model(await info.context.recalls.report_of(self.view))

    @classmethod
    def from_view(cls, view: SR.RecallView) -> Recall:
        """The recall as the caller may see it (services/recall.py, Recalls.view)."""
        r = view.recall
        return cls(
            id=r.id,
            reason=r.reason,
            direction=Direction(r.direction),
            suspect_ids=list(r.suspect_ids),
            opened_by=r.opened_by,
            opened_at=r.opened_at,
            mock=r.mock,
            through_containers=r.through_containers,
            status=r.status,
            status_changed_at=r.status_changed_at,
            notes=[RecallNote(at=n.at, by=n.by, text=n.text) for n in r.notes],
            suspects=[
                SuspectFigures(
                    item_id=s.item_id,
                    unit=s.unit,
                    quantity=s.quantity,
                    on_hand=s.on_hand,
                    shipped=s.shipped,
                    scrapped=s.scrapped,
                    lost=s.lost,
                    accounted=s.accounted,
                    gaps=list(s.gaps),
                )
                for s in r.suspects
            ],
            affected_count=sum(1 for a in r.affected if a.depth > 0),
            accounted=r.accounted,
            trace_ms=r.trace_ms,
            report_ms=r.report_ms,
            hold_event_ids=list(r.hold_event_ids),
            organization_id=optional_id(r.organization_id),
            model=r,
            view=view,
            hidden=[
                HiddenItems(organization_id=optional_id(org), count=n)
                for org, n in sorted(view.hidden.items(), key=lambda x: (x[0] or "", x[1]))
            ],
        )


async def shown(info: Info, recall: DR.Recall) -> Recall:
    """A recall as the caller of `info` may see it."""
    return Recall.from_view(await info.context.recalls.view(recall))


@strawberry.type(
    description="A recall another organization opened that reached items your organization owns: "
    "who opened it, why, which way, and which of your own items it reached (nothing of anyone "
    "else's), so that you can run the trace on your side. One per recall and organization."
)
class RecallNotice:
    id: str
    recall_id: str = strawberry.field(
        description="The recall (readable with `recall(id)`, filtered to what you may see)."
    )
    organization_id: strawberry.ID = strawberry.field(description="The organization notified.")
    opened_by_organization_id: strawberry.ID | None = strawberry.field(
        description="The organization that opened the recall (null: the server's admin key)."
    )
    opened_by_organization: str | None = strawberry.field(description="Its name when the recall was opened.")
    reason: str
    direction: Direction
    opened_at: datetime = strawberry.field(description="When the recall was opened.")
    created_at: datetime = strawberry.field(description="When the notice was sent.")
    item_ids: list[str] = strawberry.field(description="Your organization's own items the recall reached.")
    acknowledged_at: datetime | None
    acknowledged_by: strawberry.ID | None = strawberry.field(
        description="The key that acknowledged it (null: the admin key)."
    )

    @strawberry.field(description="Whether it was acknowledged.")
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @strawberry.field(description="The recall, as you may see it.")
    async def recall(self, info: Info) -> Recall | None:
        found = await info.context.recalls.get_many([self.recall_id])
        return await shown(info, found[self.recall_id]) if self.recall_id in found else None

    @classmethod
    def from_model(cls, n: DR.RecallNotice) -> RecallNotice:
        return cls(
            id=n.id,
            recall_id=n.recall_id,
            organization_id=strawberry.ID(n.organization_id),
            opened_by_organization_id=optional_id(n.opened_by_organization_id),
            opened_by_organization=n.opened_by_organization,
            reason=n.reason,
            direction=Direction(n.direction),
            opened_at=n.opened_at,
            created_at=n.created_at,
            item_ids=list(n.item_ids),
            acknowledged_at=n.acknowledged_at,
            acknowledged_by=optional_id(n.acknowledged_by),
        )


@strawberry.type(description="The result of acknowledgeRecallNotice.")
class RecallNoticePayload:
    notice: RecallNotice | None
    errors: list[UserError]


def notices(info: Info) -> SR.RecallNotices:
    return info.context.session.notices


# -- queries and mutations -------------------------------------------------------------------


@strawberry.input(description="Suspect items to recall from.")
class OpenRecallInput:
    item_ids: list[str] = strawberry.field(description="The suspect items: a supplier's lot, a failed batch.")
    reason: str = strawberry.field(description="Why: the contamination, the failed test, the complaint.")
    direction: Direction = strawberry.field(
        default=Direction.FORWARD, description="FORWARD (where it went) or BACKWARD (where it came from)."
    )
    opened_by: str | None = strawberry.field(default=None, description="Who opens it.")
    id: str | None = strawberry.field(default=None, description="Its identifier; generated when left out.")
    mock: bool = strawberry.field(
        default=False, description="A mock recall: the same trace and figures, timed, no status changed."
    )
    through_containers: bool = strawberry.field(
        default=False, description="Also reach what shared a permanent container with affected material."
    )


@strawberry.type(description="The result of openRecall.")
class OpenRecallPayload:
    recall: Recall | None
    errors: list[UserError]


@strawberry.type(description="The result of holdRecall.")
class HoldRecallPayload:
    recall: Recall | None
    held_item_ids: list[str] = strawberry.field(default_factory=list, description="The items put on HOLD by this call.")
    errors: list[UserError]


@strawberry.type(description="The result of a change to a recall.")
class RecallPayload:
    recall: Recall | None
    errors: list[UserError]


def _text(value: str, field: str, limit: int = 4000) -> list[UserError]:
    if not value.strip():
        return [UserError(field=field, message="must not be empty", code="INVALID")]
    if len(value) > limit:
        return [
            UserError(
                field=field, message=f"is {len(value)} characters long; at most {limit} are allowed", code="TOO_LONG"
            )
        ]
    return []


@strawberry.type
class RecallQueries:
    @strawberry.field(description="A recall case by its identifier.")
    async def recall(self, info: Info, id: str) -> Recall | None:
        found = await info.context.recalls.get_many([id])
        return await shown(info, found[id]) if id in found else None

    @strawberry.field(description="Recall cases, newest first, optionally of one status.")
    async def recalls(
        self, info: Info, first: First = DEFAULT_FIRST, after: After = None, status: RecallStatus | None = None
    ) -> Connection[Recall]:
        recalls = info.context.recalls

        async def fetch(after_id: str | None, n: int) -> list[SR.RecallView]:
            return [await recalls.view(r) for r in await recalls.page(after_id, n, status)]

        return await paginate("recall", first, after, fetch, lambda v: v.recall.id, Recall.from_view)

    @strawberry.field(
        description="Recall notices, newest first: those sent to the caller's organization (the "
        "admin key: to every organization, or to the one named). ADMIN and QUALITY keys."
    )
    async def recall_notices(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        organization_id: strawberry.ID | None = None,
    ) -> Connection[RecallNotice]:
        service = notices(info)
        try:
            service.check(organization_id, "organizationId")
        except DomainError as e:
            raise ApiError(e.problems[0].message, code=e.problems[0].code, field="organizationId") from e

        async def fetch(after_id: str | None, n: int) -> list[DR.RecallNotice]:
            return await service.page(after_id, n, organization_id)

        return await paginate("notice", first, after, fetch, lambda n: n.id, RecallNotice.from_model)


@strawberry.type
class RecallMutations:
    @strawberry.mutation(
        description="Open a recall (or run a mock recall) from suspect items: the trace and its "
        "figures are snapshotted, and how long they took is kept."
    )
    async def open_recall(self, info: Info, input: OpenRecallInput) -> OpenRecallPayload:
        errors = _text(input.reason, "reason") + (_text(input.opened_by, "openedBy", 300) if input.opened_by else [])
        if errors:
            return OpenRecallPayload(recall=None, errors=errors)
        try:
            recall = await info.context.recalls.open(
                input.item_ids,
                input.direction,
                input.reason,
                opened_by=input.opened_by,
                mock=input.mock,
                through_containers=input.through_containers,
                recall_id=input.id,
            )
        except DomainError as e:
            return OpenRecallPayload(recall=None, errors=from_domain(e))
        except ValidationError as e:  # the recall's own fields (an id that is no identifier)
            return OpenRecallPayload(recall=None, errors=from_validation(e, input))
        return OpenRecallPayload(recall=await shown(info, recall), errors=[])

    @strawberry.mutation(
        description="Put every affected item still on hand on HOLD, in one transaction, and mark "
        "the recall CONTAINED. Held items can no longer be issued or shipped. Calling it again "
        "changes nothing."
    )
    async def hold_recall(
        self,
        info: Info,
        id: str,
        note: str | None = None,
        by: str | None = None,
    ) -> HoldRecallPayload:
        try:
            done = await info.context.recalls.hold(id, by=by, note=note)
        except DomainError as e:
            return HoldRecallPayload(recall=None, held_item_ids=[], errors=from_domain(e))
        return HoldRecallPayload(recall=await shown(info, done.recall), held_item_ids=done.held, errors=[])

    @strawberry.mutation(
        description="Move a recall on: OPEN to CONTAINED (holding what is on hand) or CLOSED, "
        "CONTAINED to CLOSED; with a note."
    )
    async def set_recall_status(
        self, info: Info, id: str, status: RecallStatus, note: str | None = None, by: str | None = None
    ) -> RecallPayload:
        if note is not None and (errors := _text(note, "note")):
            return RecallPayload(recall=None, errors=errors)
        try:
            recall = await info.context.recalls.set_status(id, status, by=by, note=note)
        except DomainError as e:
            return RecallPayload(recall=None, errors=from_domain(e))
        return RecallPayload(recall=await shown(info, recall), errors=[])

    @strawberry.mutation(
        description="Acknowledge a recall notice sent to your organization: when and by which "
        "key is kept. Acknowledging it again changes nothing."
    )
    async def acknowledge_recall_notice(self, info: Info, id: str) -> RecallNoticePayload:
        try:
            notice = await notices(info).acknowledge(id)
        except DomainError as e:
            return RecallNoticePayload(notice=None, errors=from_domain(e))
        return RecallNoticePayload(notice=RecallNotice.from_model(notice), errors=[])

    @strawberry.mutation(description="Add a note to a recall.")
    async def add_recall_note(self, info: Info, id: str, text: str, by: str | None = None) -> RecallPayload:
        if errors := _text(text, "text"):
            return RecallPayload(recall=None, errors=errors)
        try:
            recall = await info.context.recalls.add_note(id, text, by=by)
        except DomainError as e:
            return RecallPayload(recall=None, errors=from_domain(e))
        return RecallPayload(recall=await shown(info, recall), errors=[])
