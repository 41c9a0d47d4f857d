"""Queries: the trace, items, stock, events, master data and the integrity check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

import strawberry

from ..domain.errors import DomainError
from ..domain.events import EventType
from ..domain.models import Balance as DBalance
from ..domain.models import ItemKind, Status
from ..domain.query import (
    BalanceFilter,
    Direction,
    EventFilter,
    ExpiryFilter,
    ItemFilter,
    ReadKind,
    decode_expiry_cursor,
    encode_expiry_cursor,
    expiry_cursor,
)
from ..domain.trace import TraceWindow
from ..services.trace import TraceOptions
from .actions import ActionTypeQueries
from .audit import AuditQueries
from .auth import AuthQueries
from .characteristics import CharacteristicSearch
from .classifications import ClassificationQueries
from .completeness import CompletenessQueries
from .compositions import CompositionQueries
from .context import Info
from .errors import ApiError, api_error
from .ledger import Balance, Event, Finding, IntegrityReport, Item, Order, Shipment, event_connection
from .master import Location, Material, Organization
from .pagination import DEFAULT_FIRST, After, Connection, First, paginate
from .recalls import RecallQueries
from .shelf import ItemOrder, ShelfQueries
from .stock import StockQueries
from .traces import Trace

T = TypeVar("T")


def trace_options(
    max_depth: int | None,
    since: datetime | None,
    until: datetime | None,
    as_of: datetime | None,
    kinds: list[ItemKind] | None,
    through_containers: bool,
) -> TraceOptions:
    if max_depth is not None and max_depth < 0:
        raise ApiError(f"`maxDepth` must be zero or more, got {max_depth}", field="maxDepth")
    if since is not None and until is not None and since >= until:
        raise ApiError("`since` must be before `until`", field="since")
    return TraceOptions(
        max_depth=max_depth,
        window=TraceWindow(since=since, until=until, as_of=as_of),
        kinds=frozenset(kinds) if kinds is not None else None,
        through_containers=through_containers,
    )


async def _by_id(
    info: Info, kind: ReadKind, first: int, after: str | None, wrap: Callable[[Any], T], filt: ItemFilter | None = None
) -> Connection[T]:
    """Nodes of a kind the caller may see, ordered by id; the cursor is the id."""
    session = info.context.session

    async def fetch(after_id: str | None, n: int) -> Sequence[Any]:
        if kind == "Item":
            rows = await session.item_page(after_id, n, filt)
            info.context.loaders.prime_items(rows)
            return rows
        return await session.master_page(kind, after_id, n)

    return await paginate(kind.lower(), first, after, fetch, lambda m: m.id, wrap)


def balance_key(b: DBalance) -> str:
    """The key a store pages balances by: item and location (identifiers hold no spaces)."""
    return f"{b.item_id} {b.location_id}"


@strawberry.type(description="Reads.")
class Query(
    AuthQueries,
    AuditQueries,
    RecallQueries,
    CompletenessQueries,
    ShelfQueries,
    StockQueries,
    ClassificationQueries,
    CompositionQueries,
    ActionTypeQueries,
):
    @strawberry.field(
        description="Every traceable item reachable from an item: FORWARD, where its material "
        "went; BACKWARD, where the item's material came from. The item itself is excluded; "
        "cycles in recorded data end the walk."
    )
    async def trace(
        self,
        info: Info,
        id: str,
        direction: Direction,
        max_depth: Annotated[
            int | None, strawberry.argument(description="Stop after this many steps; no limit when left out.")
        ] = None,
        since: Annotated[
            datetime | None, strawberry.argument(description="Follow only links made at or after this event time.")
        ] = None,
        until: Annotated[
            datetime | None, strawberry.argument(description="Follow only links made before this event time.")
        ] = None,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(
                description="The trace as the ledger stood at this recorded time: links recorded later are left "
                "out, corrections recorded later not yet applied."
            ),
        ] = None,
        kinds: Annotated[
            list[ItemKind] | None,
            strawberry.argument(
                description="Return only items of these kinds; the walk still goes through every kind."
            ),
        ] = None,
        through_containers: Annotated[
            bool,
            strawberry.argument(
                description="Also reach items that occupied a permanent container (tank, silo, bin) after the "
                "suspect material did, until the container was cleaned (and, BACKWARD, the earlier "
                "occupants since its last cleaning)."
            ),
        ] = False,
    ) -> Trace:
        options = trace_options(max_depth, since, until, as_of, kinds, through_containers)
        try:
            result, hidden = await info.context.session.trace(id, direction, options)
        except DomainError as e:
            raise api_error(e) from e
        return Trace.from_result(result, hidden)

    # -- items and stock --------------------------------------------------------------------

    @strawberry.field(description="An item by its identifier.")
    async def item(self, info: Info, id: str) -> Item | None:
        found = await info.context.loaders.items.load(id)  # only what the caller may see
        return None if found is None else Item.from_model(found)

    @strawberry.field(
        description="Items ordered by identifier, or by expiry (earliest first, items without an "
        "expiry last); optionally of one material, kind or status, or expiring within a range."
    )
    async def items(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        material_id: strawberry.ID | None = None,
        kind: ItemKind | None = None,
        status: Status | None = None,
        expires_from: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only items expiring at or after this time (items without an expiry left out)."
            ),
        ] = None,
        expires_until: Annotated[
            datetime | None,
            strawberry.argument(description="Only items expiring before this time (items without an expiry left out)."),
        ] = None,
        order_by: ItemOrder = ItemOrder.ID,
        classification_id: Annotated[
            str | None,
            strawberry.argument(description="Only items of this classification (by code), instead of `status`."),
        ] = None,
        characteristic: Annotated[
            CharacteristicSearch | None,
            strawberry.argument(
                description="Only items whose characteristic equals a value or lies within a range; needs "
                "`materialId` (searched within one material) and the ID order."
            ),
        ] = None,
    ) -> Connection[Item]:
        if expires_from is not None and expires_until is not None and expires_from >= expires_until:
            raise ApiError("`expiresFrom` must be before `expiresUntil`", field="expiresFrom")
        if status is not None and classification_id is not None and status.value != classification_id:
            raise ApiError("give either `status` or `classificationId`, not both", field="classificationId")
        kind_, status_ = kind.value if kind else None, classification_id or (status.value if status else None)
        search = characteristic.to_filter() if characteristic is not None else None
        if search is not None and not material_id:
            raise ApiError("a characteristic is searched within one material: give `materialId`", field="materialId")
        if search is not None and order_by is not ItemOrder.ID:
            raise ApiError("a characteristic search is in the ID order", field="orderBy")
        if order_by is ItemOrder.ID:
            filt = ItemFilter(
                material_id=material_id,
                kind=kind_,
                status=status_,
                expires_from=expires_from,
                expires_until=expires_until,
                characteristic=search,
            )
            return await _by_id(info, "Item", first, after, Item.from_model, filt)
        dated = expires_from is not None or expires_until is not None
        by_expiry = ExpiryFilter(
            material_id=material_id,
            kind=kind_,
            status=status_,
            expires_from=expires_from,
            expires_until=expires_until,
            undated=not dated,
        )
        session = info.context.session

        async def fetch(after_key: str | None, n: int) -> Sequence[Any]:
            cursor = decode_expiry_cursor(after_key) if after_key is not None else None
            if after_key is not None and cursor is None:
                raise ApiError("`after` is not a cursor of this list", field="after")
            rows = await session.items_by_expiry(by_expiry, cursor, n)
            info.context.loaders.prime_items(rows)
            return rows

        key = lambda m: encode_expiry_cursor(expiry_cursor(m))  # noqa: E731
        return await paginate("item-expiry", first, after, fetch, key, Item.from_model)

    @strawberry.field(
        description="Stock: balances ordered by item and location, at one location or of one "
        "material. Virtual locations are included by default, so what went to customers, "
        "scrap and inventory loss shows too."
    )
    async def stock(
        self,
        info: Info,
        location_id: strawberry.ID | None = None,
        material_id: strawberry.ID | None = None,
        include_virtual: Annotated[
            bool, strawberry.argument(description="Include balances at virtual locations.")
        ] = True,
        expires_from: Annotated[
            datetime | None,
            strawberry.argument(description="Only items expiring at or after this time (none without an expiry)."),
        ] = None,
        expires_until: Annotated[
            datetime | None,
            strawberry.argument(description="Only items expiring before this time (none without an expiry)."),
        ] = None,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[Balance]:
        if expires_from is not None and expires_until is not None and expires_from >= expires_until:
            raise ApiError("`expiresFrom` must be before `expiresUntil`", field="expiresFrom")
        filt = BalanceFilter(
            location_ids=[location_id] if location_id else None,
            material_ids=[material_id] if material_id else None,
            include_virtual=include_virtual,
            expires_from=expires_from,
            expires_until=expires_until,
        )
        session = info.context.session

        async def fetch(after_key: str | None, n: int) -> list[DBalance]:
            return await session.balances(filt, after_key, n)

        return await paginate("balance", first, after, fetch, balance_key, Balance.from_model)

    # -- events -----------------------------------------------------------------------------

    @strawberry.field(description="An event by its identifier.")
    async def event(self, info: Info, id: str) -> Event | None:
        found = await info.context.loaders.events.load(id)  # as the caller may see it
        return None if found is None else Event.from_model(found)

    @strawberry.field(description="Events in the order they were recorded, optionally filtered.")
    async def events(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        type: EventType | None = None,
        item_id: str | None = None,
        location_id: strawberry.ID | None = None,
        order_id: strawberry.ID | None = None,
        shipment_id: strawberry.ID | None = None,
        since: Annotated[datetime | None, strawberry.argument(description="Event time, inclusive.")] = None,
        until: Annotated[datetime | None, strawberry.argument(description="Event time, exclusive.")] = None,
    ) -> Connection[Event]:
        filt = EventFilter(
            types=[type] if type else (),
            item_id=item_id,
            location_id=location_id,
            order_id=order_id,
            shipment_id=shipment_id,
            since=since,
            until=until,
        )
        return await event_connection(info, filt, first, after)

    # -- master data and documents ----------------------------------------------------------

    @strawberry.field(description="A material by its identifier.")
    async def material(self, info: Info, id: strawberry.ID) -> Material | None:
        found = await info.context.loaders.materials.load(id)
        return None if found is None else Material.from_model(found)

    @strawberry.field(description="Materials ordered by identifier.")
    async def materials(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[Material]:
        return await _by_id(info, "Material", first, after, Material.from_model)

    @strawberry.field(description="A location by its identifier.")
    async def location(self, info: Info, id: strawberry.ID) -> Location | None:
        found = await info.context.loaders.locations.load(id)
        return None if found is None else Location.from_model(found)

    @strawberry.field(description="Locations ordered by identifier, virtual ones included.")
    async def locations(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[Location]:
        return await _by_id(info, "Location", first, after, Location.from_model)

    @strawberry.field(description="An organization by its identifier.")
    async def organization(self, info: Info, id: strawberry.ID) -> Organization | None:
        found = await info.context.loaders.organizations.load(id)  # an organization's key: its own only
        return None if found is None else Organization.from_model(found)

    @strawberry.field(description="Organizations ordered by identifier.")
    async def organizations(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[Organization]:
        return await _by_id(info, "Organization", first, after, Organization.from_model)

    @strawberry.field(description="An order by its identifier.")
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        found = await info.context.loaders.orders.load(id)
        return None if found is None else Order.from_model(found)

    @strawberry.field(description="Orders ordered by identifier.")
    async def orders(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[Order]:
        return await _by_id(info, "Order", first, after, Order.from_model)

    @strawberry.field(description="A shipment by its identifier.")
    async def shipment(self, info: Info, id: strawberry.ID) -> Shipment | None:
        found = await info.context.loaders.shipments.load(id)
        return None if found is None else Shipment.from_model(found)

    @strawberry.field(description="Shipments ordered by identifier.")
    async def shipments(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[Shipment]:
        return await _by_id(info, "Shipment", first, after, Shipment.from_model)

    # -- integrity --------------------------------------------------------------------------

    @strawberry.field(description="Findings: imbalances reported facts brought in, ordered by identifier.")
    async def findings(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[Finding]:
        session = info.context.session

        async def fetch(after_id: str | None, n: int) -> list[Any]:
            try:
                return await session.findings(after_id, n)
            except DomainError as e:
                raise api_error(e) from e

        return await paginate("finding", first, after, fetch, lambda f: f.id, Finding.from_model)

    @strawberry.field(
        description="The integrity check: balances of every item sum to zero, no reference "
        "dangles; and how many findings are kept."
    )
    async def check(self, info: Info) -> IntegrityReport:
        try:
            return IntegrityReport.from_model(await info.context.session.check())
        except DomainError as e:
            raise api_error(e) from e
