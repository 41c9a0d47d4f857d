"""Subscriptions: live messages from the bus, each delivered once, after its commit.

A subscriber's queue is bounded (`TRACEGRAPH_SUBSCRIBER_QUEUE`). When it overflows, the
WebSocket is closed with `OVERFLOW_CLOSE_CODE`; the client resubscribes to `eventRecorded`
with `after:` the id of the last event it received and misses nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import strawberry
from starlette.websockets import WebSocket, WebSocketState

from ..bus import EventRecorded, Message, Notice, Overflowed, StatusChanged, StockChanged, Subscriber, Topic
from ..domain import errors as E
from ..domain import recall as DR
from ..domain.errors import DomainError
from ..domain.events import EventRecord, EventType, LedgerEntry
from ..domain.query import BalanceFilter, Direction, EventFilter
from ..domain.recall import RecallStatus
from ..domain.shelf import Stage
from ..services.ledger import MAX_PAGE
from ..services.recall import RecallView
from ..services.session import Session
from .context import Context, Info
from .errors import ApiError
from .ledger import ClassificationChange, RecordedEvent
from .recalls import Recall, RecallNotice
from .recalls import shown as recall_shown
from .shelf import ExpiryAlert

OVERFLOW_CLOSE_CODE = 4029
OVERFLOW_REASON = "subscriber queue overflowed: resubscribe with after = the last event id received"


def _restricted(context: Context) -> bool:
    p = context.principal
    return p is not None and not p.is_admin


async def recall_view(context: Context, recall_id: str) -> RecallView | None:
    """A recall as the subscriber of `context` may see it (services/recall.py), or None when it
    may not see it at all (its organization neither opened it nor was notified of it)."""
    context.fresh_loaders()
    recalls = context.recalls
    found = (await recalls.get_many([recall_id])).get(recall_id)
    return None if found is None else await recalls.view(found)


async def item_shown(context: Context, item_id: str, event_id: str) -> bool:
    """Whether the subscriber may see a change of `item_id` by `event_id` (services/session.py)."""
    shown_ = await context.session.change_shown(item_id, event_id)
    context.fresh_loaders()
    return shown_


async def shown(context: Context, entry: LedgerEntry) -> LedgerEntry | None:
    """The event as the subscriber of `context` may see it (services/session.py), or None."""
    kept = await context.session.shown_entry(entry)
    context.fresh_loaders()
    return kept


async def _change_shown(context: Context, material_id: str | None, item_id: str, event_id: str) -> bool:
    """Whether a stock or status change of `item_id` goes to the subscriber: of the material it
    asked for, and visible to it; if so, its nested fields will read the ledger as it is now."""
    if material_id is not None and (await context.session.materials_of([item_id])).get(item_id) != material_id:
        return False
    if not await item_shown(context, item_id, event_id):
        return False
    context.fresh_loaders()
    return True


def visibility_key(context: Context) -> object:
    """What decides what a subscriber may see: its organization and role (None: the admin,
    everything). Subscribers with the same key and the same subscription share one execution
    (api/fanout.py)."""
    p = context.principal
    return (p.organization_id, p.role.value) if p is not None and _restricted(context) else None


# -- filters ----------------------------------------------------------------------------------


@dataclass
class EventSieve:
    """The arguments of eventRecorded. With `downstream`, `reach` holds the item and everything
    made from it, from a forward trace at subscribe time, extended by each later event's links."""

    item_id: str | None = None
    downstream: bool = False
    material_id: str | None = None
    location_id: str | None = None
    type: EventType | None = None
    biz_step: str | None = None
    reach: set[str] = field(default_factory=set)

    def static(self, e: EventRecord) -> bool:
        """What can be decided from the event alone, at publish time."""
        if self.type is not None and e.type is not self.type:
            return False
        if self.biz_step is not None and e.biz_step != self.biz_step:
            return False
        if (
            self.location_id is not None
            and self.location_id != e.location_id
            and not any(self.location_id in (m.from_location_id, m.to_location_id) for m in e.moves)
        ):
            return False
        if self.item_id is not None and not self.downstream and self.item_id not in e.item_ids:
            return False
        return True

    def prefilter(self) -> Callable[[Message], bool] | None:
        # Downstream needs every event's links, matching or not; the generator filters.
        if self.downstream and self.item_id is not None:
            return None
        return lambda m: isinstance(m, EventRecorded) and self.static(m.entry.event)

    async def matches(self, ledger: Session, entry: LedgerEntry) -> bool:
        e = entry.event
        if self.downstream and self.item_id is not None:
            grew = True
            while grew:  # links within one event may chain (A -> B -> C)
                grew = False
                for link in e.links:
                    if link.source_id in self.reach and link.target_id not in self.reach:
                        self.reach.add(link.target_id)
                        grew = True
            if not self.reach.intersection(e.item_ids):
                return False
        if not self.static(e):
            return False
        if self.material_id is not None:
            known = {i.id: i.material_id for i in entry.new_items}
            rest = [i for i in e.item_ids if i not in known]
            known.update(await ledger.materials_of(rest) if rest else {})
            if self.material_id not in known.values():
                return False
        return True


# -- overflow ---------------------------------------------------------------------------------

_closing: set[asyncio.Task[None]] = set()


def _close_on_overflow(info: Info) -> Callable[[], None]:
    """Close the subscriber's WebSocket at once when its queue overflows, even while a send to
    a stalled client is pending (the generator may be blocked there)."""
    ws = info.context.request

    def close() -> None:
        if isinstance(ws, WebSocket) and ws.application_state is WebSocketState.CONNECTED:
            task = asyncio.get_running_loop().create_task(_close(ws))
            _closing.add(task)
            task.add_done_callback(_closing.discard)

    return close


async def _close(ws: WebSocket) -> None:
    try:
        await ws.close(code=OVERFLOW_CLOSE_CODE, reason=OVERFLOW_REASON)
    except Exception:  # noqa: BLE001, S110 - already closed or gone: nothing left to tell
        pass


async def _overflowed(info: Info) -> None:
    """End an overflowed subscription: over WebSocket wait to be cancelled when the close
    completes; otherwise (schema.subscribe) end the stream with an error."""
    if isinstance(info.context.request, WebSocket):
        await asyncio.sleep(60)
    raise ApiError(OVERFLOW_REASON, code="SUBSCRIBER_OVERFLOW")


def _listen(info: Info, topics: set[Topic], accept: Callable[[Message], bool] | None) -> Subscriber:
    return info.context.bus.subscribe(topics, accept, _close_on_overflow(info))


# -- payloads ---------------------------------------------------------------------------------


@strawberry.type(description="A change of an item's quantity at a location, by one event.")
class StockChange:
    event_id: str = strawberry.field(description="The event that changed it.")
    item_id: str = strawberry.field(description="The item.")
    location_id: strawberry.ID = strawberry.field(description="The location.")
    delta: float = strawberry.field(description="The change, in the item's unit.")

    @strawberry.field(description="The quantity of the item at the location now (in the item's unit).")
    async def quantity(self, info: Info) -> float:
        found = await info.context.session.balances(
            BalanceFilter(item_ids=[self.item_id], location_ids=[self.location_id], include_zero=True)
        )
        return sum(b.quantity for b in found)

    @strawberry.field(description="The item's unit, that of `delta` and `quantity`.")
    async def unit(self, info: Info) -> str | None:
        item = await info.context.loaders.items.load(self.item_id)
        return None if item is None else item.unit

    @strawberry.field(description="The item's material.")
    async def material_id(self, info: Info) -> strawberry.ID | None:
        m = (await info.context.session.materials_of([self.item_id])).get(self.item_id)
        return None if m is None else strawberry.ID(m)


@strawberry.type(description="A change of an item's status, by one event.")
class ItemStatusChange(ClassificationChange):
    event_id: str = strawberry.field(description="The event that changed it.")


async def _seq_after(session: Session, after: str) -> int:
    seqs = await session.event_seqs([after])
    if after not in seqs:
        raise ApiError(f"`after` names no recorded event: {after[:80]!r}", code=E.NOT_FOUND, field="after")
    return seqs[after]


async def _reach(session: Session, item_id: str) -> list[str]:
    """What the subscriber may see downstream of an item (nothing: an unknown or invisible one)."""
    try:
        return (await session.trace(item_id, Direction.FORWARD))[0].items
    except DomainError as e:
        raise ApiError(e.problems[0].message, code=e.problems[0].code, field="itemId") from e


@strawberry.type(
    description="Live messages, over WebSocket (graphql-transport-ws) at /graphql. A client "
    f"that falls too far behind is disconnected with close code {OVERFLOW_CLOSE_CODE}; it "
    "resumes with eventRecorded(after: the last event id it received)."
)
class Subscription:
    @strawberry.subscription(
        description="Every event committed from now on (or after the event `after`), "
        "once, in commit order; optionally only those matching every filter given."
    )
    async def event_recorded(
        self,
        info: Info,
        item_id: Annotated[str | None, strawberry.argument(description="Only events touching this item.")] = None,
        downstream: Annotated[
            bool,
            strawberry.argument(
                description="With itemId: also events touching anything made from it (forward along lineage, "
                "including items linked after subscribing)."
            ),
        ] = False,
        material_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only events touching an item of this material.")
        ] = None,
        type: Annotated[EventType | None, strawberry.argument(description="Only events of this type.")] = None,
        location_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only events at this location, or moving stock from or to it."),
        ] = None,
        biz_step: Annotated[str | None, strawberry.argument(description="Only events with this business step.")] = None,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="Resume: first replay, from the ledger, the events committed after this event id "
                "(the last one received), then continue live, without gaps or repeats."
            ),
        ] = None,
    ) -> AsyncGenerator[RecordedEvent, None]:
        ctx, ledger = info.context, info.context.session
        sieve = EventSieve(
            item_id=item_id,
            downstream=downstream,
            material_id=material_id,
            location_id=location_id,
            type=type,
            biz_step=biz_step,
        )
        sub = _listen(info, {"event"}, sieve.prefilter())  # queueing from here on: nothing is missed
        try:
            if downstream and item_id is not None:
                sieve.reach = {item_id, *(await _reach(ledger, item_id))}
            replayed: set[str] = set()
            if after is not None:
                seq = await _seq_after(ledger, after)
                while page := await ledger.events(EventFilter(), seq, MAX_PAGE):
                    for seq, record in page:  # noqa: B007 - the last seq read is the next page's start
                        replayed.add(record.id)
                        entry = LedgerEntry(event=record)
                        if await sieve.matches(ledger, entry) and (seen := await shown(ctx, entry)):
                            ctx.fresh_loaders()
                            yield RecordedEvent.from_entry(seen)
            try:
                async for message in sub:
                    assert isinstance(message, EventRecorded)
                    if replayed and message.entry.event.id in replayed:
                        replayed.discard(message.entry.event.id)  # committed while replaying: sent
                        continue
                    if await sieve.matches(ledger, message.entry) and (seen := await shown(ctx, message.entry)):
                        ctx.fresh_loaders()  # each event's nested fields read the ledger as it is now
                        yield RecordedEvent.from_entry(seen)
            except Overflowed:
                await _overflowed(info)
        finally:
            ctx.bus.unsubscribe(sub)

    @strawberry.subscription(
        description="Every change of an item's quantity at a location from now on, "
        "once per event, item and location; optionally only at a location, or of a "
        "material, or of an item."
    )
    async def stock_changed(
        self,
        info: Info,
        location_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only changes at this location.")
        ] = None,
        material_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only changes of items of this material.")
        ] = None,
        item_id: Annotated[str | None, strawberry.argument(description="Only changes of this item.")] = None,
    ) -> AsyncGenerator[StockChange, None]:
        def accept(m: Message) -> bool:
            return (
                isinstance(m, StockChanged)
                and (location_id is None or m.location_id == location_id)
                and (item_id is None or m.item_id == item_id)
            )

        sub = _listen(info, {"stock"}, accept)
        try:
            async for message in sub:
                assert isinstance(message, StockChanged)
                if await _change_shown(info.context, material_id, message.item_id, message.event_id):
                    yield StockChange(
                        event_id=message.event_id,
                        item_id=message.item_id,
                        location_id=strawberry.ID(message.location_id),
                        delta=message.delta,
                    )
        except Overflowed:
            await _overflowed(info)
        finally:
            info.context.bus.unsubscribe(sub)

    @strawberry.subscription(
        description="Every change of an item's status from now on (a reclassification "
        "or its correction); optionally only of an item, or of a material."
    )
    async def item_status_changed(
        self,
        info: Info,
        item_id: Annotated[str | None, strawberry.argument(description="Only changes of this item.")] = None,
        material_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only changes of items of this material.")
        ] = None,
    ) -> AsyncGenerator[ItemStatusChange, None]:
        def accept(m: Message) -> bool:
            return isinstance(m, StatusChanged) and (item_id is None or m.item_id == item_id)

        sub = _listen(info, {"status"}, accept)
        try:
            async for message in sub:
                assert isinstance(message, StatusChanged)
                if await _change_shown(info.context, material_id, message.item_id, message.event_id):
                    yield ItemStatusChange(
                        event_id=message.event_id,
                        item_id=message.item_id,
                        from_classification_id=message.from_status,
                        to_classification_id=message.to_status,
                    )
        except Overflowed:
            await _overflowed(info)
        finally:
            info.context.bus.unsubscribe(sub)

    @strawberry.subscription(
        description="Lots on hand as they cross into their material's warning period "
        "(NEAR_EXPIRY) and as they expire (EXPIRED): each lot and stage told once, by the "
        "server's periodic check (TRACEGRAPH_EXPIRY_CHECK_SECONDS), whichever instance finds "
        "it; optionally of one material or one stage. Only lots the caller may see."
    )
    async def lots_nearing_expiry(
        self,
        info: Info,
        material_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only lots of this material.")
        ] = None,
        stage: Annotated[Stage | None, strawberry.argument(description="Only this stage.")] = None,
    ) -> AsyncGenerator[ExpiryAlert, None]:
        def accept(m: Message) -> bool:
            return (
                isinstance(m, Notice)
                and m.subject == "expiry"
                and (material_id is None or m.payload.get("material_id") == material_id)
                and (stage is None or m.payload.get("stage") == stage.value)
            )

        sub = _listen(info, {"notice"}, accept)
        try:
            async for message in sub:
                assert isinstance(message, Notice)
                shown_ = await info.context.session.expiry_shown(message.payload["item_id"])
                info.context.fresh_loaders()
                if shown_:
                    yield ExpiryAlert.from_payload(message.payload)
        except Overflowed:
            await _overflowed(info)
        finally:
            info.context.bus.unsubscribe(sub)

    @strawberry.subscription(
        description="A recall's progress as it changes: opened (with its figures), held "
        "(how many items went on hold), a status change, a note; optionally of one recall."
    )
    async def recall_progress(
        self,
        info: Info,
        id: Annotated[str | None, strawberry.argument(description="Only this recall.")] = None,  # noqa: A002
    ) -> AsyncGenerator[RecallProgress, None]:
        def accept(m: Message) -> bool:
            return isinstance(m, Notice) and m.subject == "recall" and (id is None or m.payload["recall_id"] == id)

        sub = _listen(info, {"notice"}, accept)
        try:
            async for message in sub:
                assert isinstance(message, Notice)
                progress = RecallProgress.from_payload(message.payload)
                if _restricted(info.context):
                    # Only a recall its organization opened or was told of, with its counts
                    # and share over what it may see.
                    view = await recall_view(info.context, progress.recall_id)
                    if view is None:
                        continue
                    progress.affected_count = sum(1 for a in view.recall.affected if a.depth > 0)
                    progress.accounted = view.recall.accounted
                yield progress
        except Overflowed:
            await _overflowed(info)
        finally:
            info.context.bus.unsubscribe(sub)

    @strawberry.subscription(
        description="Recall notices as they are sent: to the caller's organization (the "
        "admin key: to every organization, or to the one named), after the recall is saved. "
        "ADMIN and QUALITY keys."
    )
    async def recall_notice_received(
        self,
        info: Info,
        organization_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The admin key: only notices to this organization.")
        ] = None,
    ) -> AsyncGenerator[RecallNotice, None]:
        service = info.context.session.notices
        try:
            service.check(organization_id, "organizationId")
        except DomainError as e:
            raise ApiError(e.problems[0].message, code=e.problems[0].code, field="organizationId") from e
        caller = info.context.caller
        org = organization_id if caller.is_admin else caller.organization_id

        def accept(m: Message) -> bool:
            return (
                isinstance(m, Notice)
                and m.subject == "recall_notice"
                and (org is None or m.payload.get("organization_id") == org)
            )

        sub = _listen(info, {"notice"}, accept)
        try:
            async for message in sub:
                assert isinstance(message, Notice)
                notice = DR.RecallNotice.model_validate(message.payload["notice"])
                if org is None or notice.organization_id == org:
                    info.context.fresh_loaders()
                    yield RecallNotice.from_model(notice)
        except Overflowed:
            await _overflowed(info)
        finally:
            info.context.bus.unsubscribe(sub)


@strawberry.type(description="A step in a recall's progress.")
class RecallProgress:
    recall_id: str
    what: str = strawberry.field(description="OPENED, HELD, STATUS or NOTE.")
    status: RecallStatus
    mock: bool
    affected_count: int = strawberry.field(description="Items the recall reached, suspects excluded.")
    accounted: float | None = strawberry.field(description="The share of the suspect quantity accounted for.")
    held_count: int = strawberry.field(description="For HELD: items put on hold by this step.")
    at: datetime

    @strawberry.field(description="The whole recall.")
    async def recall(self, info: Info) -> Recall | None:
        found = await info.context.recalls.get_many([self.recall_id])
        return await recall_shown(info, found[self.recall_id]) if self.recall_id in found else None

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> RecallProgress:
        return cls(
            recall_id=p["recall_id"],
            what=p["what"],
            status=RecallStatus(p["status"]),
            mock=p["mock"],
            affected_count=p["affected"],
            accounted=p["accounted"],
            held_count=p["held"],
            at=datetime.fromisoformat(p["at"]),
        )


__all__: list[Any] = ["OVERFLOW_CLOSE_CODE", "Subscription"]
