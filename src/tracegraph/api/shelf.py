"""Shelf life: FEFO pick proposals, the near-expiry list, and the types the expiry feed sends."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from ..domain import shelf as DS
from ..domain.errors import DomainError
from ..domain.query import decode_expiry_cursor, encode_expiry_cursor, time_key
from ..domain.shelf import SkipReason, Stage
from ..services.shelf import NearExpiryLot as SNearExpiryLot
from . import enums as _enums  # noqa: F401 - registers the domain enums
from .context import Info
from .errors import ApiError, api_error
from .ledger import Item
from .master import Material
from .pagination import (
    DEFAULT_FIRST,
    After,
    Connection,
    Edge,
    First,
    PageInfo,
    check_first,
    decode_cursor,
    encode_cursor,
)
from .refs import load_one


@strawberry.enum(description="The order of a list of items.")
class ItemOrder(Enum):
    ID = "ID"
    EXPIRY = "EXPIRY"


def parse_expiry_cursor(kind: str, after: str | None) -> tuple[str | None, str] | None:
    key = decode_cursor(kind, after)
    if key is None:
        return None
    cursor = decode_expiry_cursor(key)
    if cursor is None:
        raise ApiError("`after` is not a cursor of this list", field="after")
    return cursor


@strawberry.type(description="A lot a FEFO proposal picks, and how much of it.")
class FefoPick:
    item_id: str = strawberry.field(description="The lot.")
    quantity: float = strawberry.field(description="How much to pick, in the material's base unit.")
    on_hand: float = strawberry.field(description="What is on hand of it at the location.")
    expires_at: datetime | None = strawberry.field(description="Its expiry; null: none (picked last).")
    days_left: float | None = strawberry.field(description="Days to its expiry from the time judged at.")

    @strawberry.field(description="The lot.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)


@strawberry.type(description="A lot on hand a FEFO proposal passed over, ahead of the lots it picked.")
class FefoSkipped:
    item_id: str = strawberry.field(description="The lot.")
    on_hand: float = strawberry.field(description="What is on hand of it at the location.")
    expires_at: datetime | None = strawberry.field(description="Its expiry.")
    reason: SkipReason = strawberry.field(description="Why: its status, or too little shelf life left to ship.")


@strawberry.type(description="Which lots to pick for a quantity: first expiry first (FEFO).")
class FefoProposal:
    material_id: strawberry.ID
    location_id: strawberry.ID
    requested: float = strawberry.field(description="The quantity asked for, in the material's base unit.")
    unit: str = strawberry.field(description="The material's base unit.")
    at: datetime = strawberry.field(description="The time the lots were judged at.")
    picks: list[FefoPick] = strawberry.field(description="The lots to pick, in order.")
    skipped: list[FefoSkipped] = strawberry.field(description="Lots passed over ahead of the picks.")
    picked: float = strawberry.field(description="The sum of the picks.")
    shortfall: float = strawberry.field(description="What the usable lots on hand do not cover (0 when covered).")
    covered: bool = strawberry.field(description="True when the picks cover the quantity.")

    @classmethod
    def from_model(cls, p: DS.FefoProposal, material_id: str, location_id: str, at: datetime) -> FefoProposal:
        return cls(
            material_id=strawberry.ID(material_id),
            location_id=strawberry.ID(location_id),
            requested=p.requested,
            unit=p.unit or "",
            at=at,
            picks=[
                FefoPick(
                    item_id=x.item.id,
                    quantity=x.quantity,
                    on_hand=x.on_hand,
                    expires_at=x.item.expires_at,
                    days_left=DS.days_left(x.item.expires_at, at) if x.item.expires_at else None,
                )
                for x in p.picks
            ],
            skipped=[
                FefoSkipped(item_id=x.item.id, on_hand=x.on_hand, expires_at=x.item.expires_at, reason=x.reason)
                for x in p.skipped
            ],
            picked=p.picked,
            shortfall=p.shortfall,
            covered=p.covered,
        )


@strawberry.type(description="A lot on hand within its warning period, or expired.")
class NearExpiryLot:
    item_id: str = strawberry.field(description="The lot.")
    material_id: strawberry.ID | None = strawberry.field(description="Its material.")
    stage: Stage = strawberry.field(description="NEAR_EXPIRY or EXPIRED.")
    expires_at: datetime = strawberry.field(description="Its expiry.")
    days_left: float = strawberry.field(description="Days to its expiry; negative once expired.")
    warning_days: int | None = strawberry.field(
        description="The warning period applied: the `days` asked for, else its material's."
    )
    on_hand: float = strawberry.field(description="On hand over every real location (or at the one asked for).")
    unit: str = strawberry.field(description="The lot's unit.")

    @strawberry.field(description="The lot.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)

    @strawberry.field(description="Its material.")
    async def material(self, info: Info) -> Material | None:
        return await load_one(info.context.loaders.materials, self.material_id, Material.from_model)

    @classmethod
    def from_model(cls, x: SNearExpiryLot) -> NearExpiryLot:
        assert x.item.expires_at is not None
        return cls(
            item_id=x.item.id,
            material_id=strawberry.ID(x.item.material_id) if x.item.material_id else None,
            stage=x.stage,
            expires_at=x.item.expires_at,
            days_left=x.days_left,
            warning_days=x.warning_days,
            on_hand=x.on_hand,
            unit=x.item.unit,
        )


@strawberry.type
class ShelfQueries:
    @strawberry.field(
        description="FEFO: which lots of a material on hand at a location to pick for a quantity, "
        "first expiry first; expired lots and those whose status may not be issued (or, with "
        "`forShipping`, shipped, or with less left than the material's minimum remaining shelf "
        "life) are passed over; lots without an expiry come last. Nothing is reserved."
    )
    async def fefo(
        self,
        info: Info,
        material_id: strawberry.ID,
        location_id: strawberry.ID,
        quantity: float,
        unit: Annotated[
            str | None, strawberry.argument(description="The quantity's unit; default the material's base unit.")
        ] = None,
        at: Annotated[
            datetime | None, strawberry.argument(description="Judge expiry at this time; default now.")
        ] = None,
        for_shipping: Annotated[
            bool, strawberry.argument(description="Pick for a shipment: the shipping rules apply.")
        ] = False,
    ) -> FefoProposal:
        when = DS.aware(at) if at is not None else datetime.now(UTC)
        try:
            proposal = await info.context.session.fefo(
                material_id, location_id, quantity, unit=unit, at=when, shipping=for_shipping
            )
        except DomainError as e:
            raise api_error(e) from e
        info.context.loaders.prime_items([p.item for p in proposal.picks])
        return FefoProposal.from_model(proposal, material_id, location_id, when)

    @strawberry.field(
        description="Lots on hand within their material's warning period (`expiryWarningDays`), "
        "or within `days` of their expiry when given, earliest expiry first; expired lots too "
        "unless `includeExpired` is false."
    )
    async def near_expiry(
        self,
        info: Info,
        days: Annotated[
            int | None, strawberry.argument(description="A warning period for every material, in days.")
        ] = None,
        material_id: strawberry.ID | None = None,
        location_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only lots on hand at this location.")
        ] = None,
        include_expired: bool = True,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[NearExpiryLot]:
        n = check_first(first)
        cursor = parse_expiry_cursor("near-expiry", after)
        try:
            lots, more = await info.context.session.near_expiry(
                days=days,
                material_id=material_id,
                location_id=location_id,
                include_expired=include_expired,
                after=cursor,
                first=n,
            )
        except DomainError as e:
            raise api_error(e) from e
        edges = [
            Edge(
                cursor=encode_cursor("near-expiry", encode_expiry_cursor((time_key(x.item.expires_at), x.item.id))),
                node=NearExpiryLot.from_model(x),
            )
            for x in lots
        ]
        return Connection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=more is not None and len(lots) == n,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.type(description="A lot on hand crossed into its warning period, or expired: told once per lot and stage.")
class ExpiryAlert:
    item_id: str = strawberry.field(description="The lot.")
    material_id: strawberry.ID | None = strawberry.field(description="Its material.")
    stage: Stage = strawberry.field(description="NEAR_EXPIRY or EXPIRED.")
    expires_at: datetime = strawberry.field(description="Its expiry.")
    warning_days: int | None = strawberry.field(description="Its material's warning period.")
    at: datetime = strawberry.field(description="When the crossing was found.")

    @strawberry.field(description="Days to its expiry now; negative once expired.")
    def days_left(self) -> float:
        return DS.days_left(self.expires_at, datetime.now(UTC))

    @strawberry.field(description="The lot, as it is now.")
    async def item(self, info: Info) -> Item | None:
        return await load_one(info.context.loaders.items, self.item_id, Item.from_model)

    @classmethod
    def from_payload(cls, p: dict[str, Any]) -> ExpiryAlert:
        return cls(
            item_id=p["item_id"],
            material_id=strawberry.ID(p["material_id"]) if p.get("material_id") else None,
            stage=DS.Stage(p["stage"]),
            expires_at=datetime.fromisoformat(p["expires_at"]),
            warning_days=p.get("warning_days"),
            at=datetime.fromisoformat(p["at"]),
        )
