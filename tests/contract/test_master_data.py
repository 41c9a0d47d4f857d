"""Master data: create, read back, page, duplicates refused; the virtual locations exist."""

from __future__ import annotations

import pytest
from contract_kit import bakery

from tracegraph.domain import errors as E
from tracegraph.domain.errors import DomainError
from tracegraph.domain.models import (
    VIRTUAL_LOCATIONS,
    Location,
    LocationKind,
    Material,
    Order,
    OrderType,
    Organization,
    Tracking,
)
from tracegraph.store.port import GraphStore


async def test_open_creates_the_virtual_locations(store: GraphStore) -> None:
    got = await store.get("Location", list(VIRTUAL_LOCATIONS.values()))
    assert set(got) == set(VIRTUAL_LOCATIONS.values())
    for kind, loc_id in VIRTUAL_LOCATIONS.items():
        loc = got[loc_id]
        assert isinstance(loc, Location)
        assert loc.kind is LocationKind.VIRTUAL and loc.virtual is kind and loc.is_virtual


async def test_ping(store: GraphStore) -> None:
    await store.ping()


async def test_master_data_round_trips(store: GraphStore) -> None:
    org = Organization(id="ACME", name="Acme Foods")
    mat = Material(
        id="urn:epc:class:lgtin:4012345.011111",
        name="Flour, type 550",
        tracking=Tracking.LOT,
        base_unit="KG",
        kind="RAW",
        shelf_life_days=180,
        conversions={"BAG": 25.0, "PALLET": 1000.0},
        organization_id="ACME",
    )
    site = Location(id="PLANT", name="Plant", kind=LocationKind.SITE, organization_id="ACME")
    shelf = Location(id="WH-A1", name="Shelf A1", parent_id="PLANT")
    order = Order(id="PO-1", type=OrderType.PURCHASE, partner_id="ACME", reference="their ref 42")
    await store.create("Organization", org)
    await store.create("Material", mat)
    await store.create("Location", site)
    await store.create("Location", shelf)
    await store.create("Order", order)
    assert await store.get("Organization", ["ACME"]) == {"ACME": org}
    assert await store.get("Material", [mat.id]) == {mat.id: mat}
    assert await store.get("Location", ["PLANT", "WH-A1", "NOPE"]) == {"PLANT": site, "WH-A1": shelf}
    assert await store.get("Order", ["PO-1"]) == {"PO-1": order}
    assert await store.get("Material", []) == {}


@pytest.mark.parametrize("kind", ["Organization", "Material", "Location", "Order"])
async def test_duplicate_id_is_refused(store: GraphStore, kind: str) -> None:
    first = {
        "Organization": Organization(id="X-1", name="first"),
        "Material": Material(id="X-1", name="first"),
        "Location": Location(id="X-1", name="first"),
        "Order": Order(id="X-1", type=OrderType.SALES),
    }[kind]
    second = first.model_copy(update={"name": "second"} if kind != "Order" else {"reference": "second"})
    await store.create(kind, first)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as info:
        await store.create(kind, second)  # type: ignore[arg-type]
    assert [p.code for p in info.value.problems] == [E.ALREADY_EXISTS]
    assert info.value.problems[0].field == "id"
    assert await store.get(kind, ["X-1"]) == {"X-1": first}  # type: ignore[arg-type]


async def test_virtual_location_ids_are_taken(store: GraphStore) -> None:
    with pytest.raises(DomainError):
        await store.create("Location", Location(id=VIRTUAL_LOCATIONS[next(iter(VIRTUAL_LOCATIONS))], name="x"))


async def test_pages_are_ordered_by_id(store: GraphStore) -> None:
    await bakery(store)
    names = [m.id for m in await store.page("Material", None, 100)]
    assert names == ["BREAD", "DOUGH", "FLOUR", "FRAME", "SUGAR"]
    assert [m.id for m in await store.page("Material", None, 2)] == ["BREAD", "DOUGH"]
    assert [m.id for m in await store.page("Material", "DOUGH", 2)] == ["FLOUR", "FRAME"]
    assert [m.id for m in await store.page("Material", "SUGAR", 2)] == []
    assert [o.id for o in await store.page("Organization", None, 10)] == ["ACME", "SHOP"]
    assert [o.id for o in await store.page("Order", None, 10)] == ["PO-1", "SO-1"]
    locations = [loc.id for loc in await store.page("Location", None, 100)]
    assert locations == sorted(["DOCK", "LINE", "PLANT", "WH", *VIRTUAL_LOCATIONS.values()])
