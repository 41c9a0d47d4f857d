"""Stock totals: on hand per material and location, rolled up over the location tree, with a
drill-down to the balances (lots, serials, containers) they sum."""

from __future__ import annotations

from typing import Annotated

import strawberry

from ..domain import stock as DS
from ..domain.errors import DomainError
from ..domain.models import Balance as DBalance
from ..domain.query import BalanceFilter
from .context import Info
from .errors import api_error
from .ledger import Balance
from .master import Location, Material
from .pagination import DEFAULT_FIRST, After, Connection, First, page_of_list, paginate
from .refs import load_one


def _balance_key(b: DBalance) -> str:
    return f"{b.item_id} {b.location_id}"


@strawberry.type(
    description="On hand of one material at one location, in the material's base unit: the sum of "
    "the balances of its items there (and, rolled up, at every location below it), counted by kind."
)
class StockTotal:
    material_id: strawberry.ID = strawberry.field(description="The material.")
    location_id: strawberry.ID = strawberry.field(description="The location.")
    quantity: float = strawberry.field(description="The total on hand, in `unit`.")
    unit: str = strawberry.field(description="The material's base unit.")
    item_count: int = strawberry.field(description="How many items hold it (each counted once).")
    lot_count: int = strawberry.field(description="How many of them are lots or sub-lots.")
    serial_count: int = strawberry.field(description="How many of them are serials.")
    container_count: int = strawberry.field(description="How many of them are containers.")
    rolled_up: bool = strawberry.field(
        description="True when the total includes the stock of locations below this one (its areas, "
        "their locations, …)."
    )
    second_quantity: float | None = strawberry.field(
        description="The total in the material's second unit: the sum of its lots' balances in it (each "
        "derived by the lot's own conversion, or weighed for a catch-weight material); null for a "
        "material tracked in one unit."
    )
    second_unit: str | None = strawberry.field(description="The material's second unit; null for one unit.")
    covered: strawberry.Private[tuple[str, ...]]
    include_virtual: strawberry.Private[bool]

    @strawberry.field(description="The material.")
    async def material(self, info: Info) -> Material | None:
        return await load_one(info.context.loaders.materials, self.material_id, Material.from_model)

    @strawberry.field(description="The location.")
    async def location(self, info: Info) -> Location | None:
        return await load_one(info.context.loaders.locations, self.location_id, Location.from_model)

    @strawberry.field(
        description="Drill-down: the balances this total sums (each item at each location it covers, "
        "with its quantity; `item` gives its kind and status), ordered by item and location."
    )
    async def balances(self, info: Info, first: First = DEFAULT_FIRST, after: After = None) -> Connection[Balance]:
        filt = BalanceFilter(
            material_ids=[self.material_id],
            location_ids=list(self.covered),
            include_virtual=self.include_virtual,
        )
        session = info.context.session

        async def fetch(after_key: str | None, n: int) -> list[DBalance]:
            return await session.balances(filt, after_key, n)

        return await paginate("balance", first, after, fetch, _balance_key, Balance.from_model)

    @classmethod
    def from_model(cls, t: DS.StockTotal, include_virtual: bool) -> StockTotal:
        return cls(
            material_id=strawberry.ID(t.material_id),
            location_id=strawberry.ID(t.location_id),
            quantity=t.quantity,
            unit=t.unit,
            item_count=t.items,
            lot_count=t.lots,
            serial_count=t.serials,
            container_count=t.containers,
            rolled_up=t.rolled_up,
            second_quantity=t.second_quantity,
            second_unit=t.second_unit,
            covered=t.location_ids,
            include_virtual=include_virtual,
        )


@strawberry.type
class StockQueries:
    @strawberry.field(
        description="Stock totals per material and location, in (material, location) order: of one "
        "location, else of every location holding stock; of one material, else of all. With `rollUp` "
        "(the default) a location's total includes every location below it in the location tree. "
        "Only the items the caller may see are summed and counted."
    )
    async def stock_totals(
        self,
        info: Info,
        material_id: strawberry.ID | None = None,
        location_id: strawberry.ID | None = None,
        roll_up: Annotated[
            bool, strawberry.argument(description="Include the stock of the locations below each location.")
        ] = True,
        include_virtual: Annotated[
            bool, strawberry.argument(description="Include virtual locations (supplier, customer, scrap, …).")
        ] = False,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[StockTotal]:
        try:
            found = await info.context.session.stock_totals(
                material_id=material_id,
                location_id=location_id,
                roll_up=roll_up,
                include_virtual=include_virtual,
            )
        except DomainError as e:
            raise api_error(e) from e
        return page_of_list("stock-total", found, first, after, lambda t: StockTotal.from_model(t, include_virtual))
