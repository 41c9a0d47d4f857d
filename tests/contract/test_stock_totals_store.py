"""Stock totals on every store, through the one door: per material and location, counted by kind
of item, rolled up over the location tree, and only what the caller may see."""

from __future__ import annotations

from typing import Any

import pytest
from contract_kit import L, at, bakery, cmd, lot

from tracegraph.domain import errors as E
from tracegraph.domain.auth import ADMIN, Principal, Role
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import EventCommand
from tracegraph.domain.models import ItemKind, Location
from tracegraph.domain.stock import StockTotal
from tracegraph.services.ledger import Ledger
from tracegraph.services.session import Services, Session
from tracegraph.store.port import GraphStore


def key(org: str) -> Principal:
    return Principal(organization_id=org, role=Role.OPERATOR, key_id=f"key-{org}")


async def plant(store: GraphStore) -> Services:
    """The bakery's PLANT site (WH, LINE, DOCK) with a shelf WH-A under WH: Acme's flour lot F1
    (100 kg at WH, 30 of them moved to WH-A), F2 (2 bags = 50 kg at WH-A) and two frames at
    LINE; the Corner Shop's own flour lot S1 (7 kg at DOCK)."""
    await bakery(store)
    await store.create("Location", Location(id="WH-A", name="Shelf A", parent_id="WH"))
    services = Services(Ledger(store))
    acme, shop = services.session(key("ACME")), services.session(key("SHOP"))

    def receive(item: str, material: str, qty: float, where: str, unit: str | None = None, **kw: Any) -> EventCommand:
        return cmd(
            "RECEIVE",
            id=f"rcv-{item}",
            event_time=at(0),
            location_id=where,
            new_items=[lot(item, material, **kw)],
            outputs=[L(item, qty, unit)],
        )

    await acme.record(receive("F1", "FLOUR", 100, "WH"))
    await acme.record(receive("F2", "FLOUR", 2, "WH-A", unit="BAG"))
    await acme.record(
        cmd("MOVE", id="mv", event_time=at(1), inputs=[L("F1", 30, location_id="WH")], to_location_id="WH-A")
    )
    for n in (1, 2):
        await acme.record(receive(f"FR-{n}", "FRAME", 1, "LINE", kind=ItemKind.SERIAL, lot_code=f"SN{n}"))
    await shop.record(receive("S1", "FLOUR", 7, "DOCK"))
    return services


def rows(found: list[StockTotal]) -> dict[tuple[str, str], tuple[float, str, int, int, int, bool]]:
    return {
        (t.material_id, t.location_id): (round(t.quantity, 6), t.unit, t.items, t.lots, t.serials, t.rolled_up)
        for t in found
    }


async def test_totals_roll_up_over_the_location_tree(store: GraphStore) -> None:
    admin = (await plant(store)).session(ADMIN)
    found = await admin.stock_totals()
    assert [(t.material_id, t.location_id) for t in found] == sorted((t.material_id, t.location_id) for t in found)
    assert rows(found) == {
        # F1 lies at WH and at WH-A: counted once where both are rolled up.
        ("FLOUR", "PLANT"): (157.0, "KG", 3, 3, 0, True),
        ("FLOUR", "WH"): (150.0, "KG", 2, 2, 0, True),
        ("FLOUR", "WH-A"): (80.0, "KG", 2, 2, 0, False),
        ("FLOUR", "DOCK"): (7.0, "KG", 1, 1, 0, False),
        ("FRAME", "PLANT"): (2.0, "EA", 2, 0, 2, True),
        ("FRAME", "LINE"): (2.0, "EA", 2, 0, 2, False),
    }
    wh = next(t for t in found if t.location_id == "WH")
    assert set(wh.location_ids) == {"WH", "WH-A"}


async def test_totals_without_roll_up_are_each_locations_own(store: GraphStore) -> None:
    admin = (await plant(store)).session(ADMIN)
    assert rows(await admin.stock_totals(material_id="FLOUR", roll_up=False)) == {
        ("FLOUR", "WH"): (70.0, "KG", 1, 1, 0, False),
        ("FLOUR", "WH-A"): (80.0, "KG", 2, 2, 0, False),
        ("FLOUR", "DOCK"): (7.0, "KG", 1, 1, 0, False),
    }


async def test_totals_of_one_location_and_of_virtual_ones(store: GraphStore) -> None:
    admin = (await plant(store)).session(ADMIN)
    assert rows(await admin.stock_totals(location_id="WH")) == {("FLOUR", "WH"): (150.0, "KG", 2, 2, 0, True)}
    assert rows(await admin.stock_totals(location_id="WH", roll_up=False)) == {
        ("FLOUR", "WH"): (70.0, "KG", 1, 1, 0, False)
    }
    assert await admin.stock_totals(location_id="LINE", material_id="FLOUR") == []
    assert "virtual:supplier" not in {t.location_id for t in await admin.stock_totals()}
    supplier = rows(await admin.stock_totals(material_id="FLOUR", include_virtual=True))[("FLOUR", "virtual:supplier")]
    assert supplier == (-157.0, "KG", 3, 3, 0, False)  # what came from there


async def test_totals_count_only_what_the_caller_may_see(store: GraphStore) -> None:
    services = await plant(store)
    shop: Session = services.session(key("SHOP"))
    assert rows(await shop.stock_totals()) == {
        ("FLOUR", "PLANT"): (7.0, "KG", 1, 1, 0, True),
        ("FLOUR", "DOCK"): (7.0, "KG", 1, 1, 0, False),
    }
    acme = services.session(key("ACME"))
    assert rows(await acme.stock_totals(material_id="FLOUR", location_id="PLANT")) == {
        ("FLOUR", "PLANT"): (150.0, "KG", 2, 2, 0, True)
    }


async def test_unknown_material_or_location_is_not_found(store: GraphStore) -> None:
    admin = (await plant(store)).session(ADMIN)
    with pytest.raises(DomainError) as e:
        await admin.stock_totals(material_id="NOPE", location_id="NOWHERE")
    assert [(p.field, p.code) for p in e.value.problems] == [("materialId", E.NOT_FOUND), ("locationId", E.NOT_FOUND)]
