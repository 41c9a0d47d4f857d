"""Shelf life on every store: refusals of expired and short-dated lots (commands), findings
(facts), items in expiry order, expiry ranges, and expiry notices claimed once."""

from __future__ import annotations

from datetime import timedelta

from contract_kit import (
    L,
    Material,
    all_findings,
    assert_consistent,
    assert_refused,
    at,
    bakery,
    balances,
    cmd,
    lot,
    receive,
    record,
)

from tracegraph.domain import errors as E
from tracegraph.domain.events import FindingKind, Source
from tracegraph.domain.models import Item, Location, Status
from tracegraph.domain.query import ExpiryFilter, ItemFilter, expiry_cursor
from tracegraph.store.port import GraphStore


async def milk_plant(store: GraphStore) -> None:
    """The bakery, with milk: 10 days of shelf life, 3 to ship, warned 4 days ahead."""
    await bakery(store)
    await store.create(
        "Material",
        Material(
            id="MILK",
            name="Milk",
            base_unit="L",
            shelf_life_days=10,
            min_remaining_shelf_life_days=3,
            expiry_warning_days=4,
        ),
    )
    await store.create("Location", Location(id="COLD", name="Cold room"))


async def test_material_keeps_its_shelf_life_rules(store: GraphStore) -> None:
    await milk_plant(store)
    milk = (await store.get("Material", ["MILK"]))["MILK"]
    assert isinstance(milk, Material)
    assert (milk.shelf_life_days, milk.min_remaining_shelf_life_days, milk.expiry_warning_days) == (10, 3, 4)


async def test_expired_lots_are_refused_by_the_events_time(store: GraphStore) -> None:
    await milk_plant(store)
    await receive(store, "MK-1", "MILK", 100, hours=0)  # expires at(240)
    item = (await store.get("Item", ["MK-1"]))["MK-1"]
    assert isinstance(item, Item) and item.expires_at == at(240)
    late = at(240)  # at its expiry: expired
    issue = cmd(
        "ISSUE",
        id="iss",
        event_time=late,
        location_id="WH",
        inputs=[L("MK-1", 10)],
        new_items=[lot("B-1", "MILK", kind="BATCH")],
        outputs=[L("B-1", 10)],
    )
    error = await assert_refused(store, issue, code=E.EXPIRED, field="inputs[0].itemId")
    assert "MK-1" in str(error) and "2024-03-14T08:00:00+00:00" in str(error)  # names the lot and its expiry
    produce = cmd(
        "PRODUCE",
        id="mix",
        event_time=late,
        location_id="WH",
        inputs=[L("MK-1", 10)],
        new_items=[lot("D-1", "DOUGH")],
        outputs=[L("D-1", 10)],
    )
    await assert_refused(store, produce, code=E.EXPIRED)
    ship = cmd("SHIP", id="shp", event_time=late, location_id="WH", inputs=[L("MK-1", 10)])
    await assert_refused(store, ship, code=E.EXPIRED)
    # A batch with one expired lot writes nothing, not even its good events.
    move = cmd("MOVE", id="mv", event_time=late, from_location_id="WH", to_location_id="COLD", inputs=[L("MK-1", 5)])
    await assert_refused(store, move, ship, code=E.EXPIRED, field="events[1].inputs[0].itemId")
    # The same issue timed a minute before the expiry is recorded: the event's time decides.
    early = issue.model_copy(update={"event_time": at(240) - timedelta(minutes=1)})
    await record(store, early)
    # Moving and scrapping an expired lot are allowed: that is what one does with it.
    await record(store, move)
    await record(store, cmd("SCRAP", id="scr", event_time=late, location_id="WH", inputs=[L("MK-1", 85)]))
    assert await balances(store, item_ids=["MK-1"], include_virtual=False) == {("MK-1", "COLD"): 5.0}
    await assert_consistent(store)


async def test_shipping_needs_the_minimum_remaining_shelf_life(store: GraphStore) -> None:
    await milk_plant(store)
    await receive(store, "MK-1", "MILK", 100, hours=0)  # expires at(240); ships until at(168)
    short = cmd("SHIP", id="shp-late", event_time=at(169), location_id="WH", inputs=[L("MK-1", 10)])
    error = await assert_refused(store, short, code=E.SHELF_LIFE_TOO_SHORT, field="inputs[0].itemId")
    assert "MK-1" in str(error) and "3 days" in str(error)
    # Issuing it is fine: the minimum is for shipping.
    await record(
        store,
        cmd(
            "ISSUE",
            id="iss",
            event_time=at(169),
            location_id="WH",
            inputs=[L("MK-1", 10)],
            new_items=[lot("B-1", "MILK", kind="BATCH")],
            outputs=[L("B-1", 10)],
        ),
    )
    await record(store, cmd("SHIP", id="shp", event_time=at(168), location_id="WH", inputs=[L("MK-1", 10)]))


async def test_facts_past_expiry_are_recorded_with_findings(store: GraphStore) -> None:
    await milk_plant(store)
    await receive(store, "MK-1", "MILK", 100, hours=0)
    expired = cmd("SHIP", id="f-shp", event_time=at(300), location_id="WH", inputs=[L("MK-1", 10)])
    short = cmd("SHIP", id="f-shp2", event_time=at(200), location_id="WH", inputs=[L("MK-1", 10)])
    [one] = await store.record([expired], Source.FACT)
    [two] = await store.record([short], Source.FACT)
    assert [(f.kind, f.item_id) for f in one.findings] == [(FindingKind.EXPIRED, "MK-1")]
    assert [(f.kind, f.item_id) for f in two.findings] == [(FindingKind.SHELF_LIFE_TOO_SHORT, "MK-1")]
    kinds = sorted(f.kind.value for f in await all_findings(store))
    assert kinds == ["EXPIRED", "SHELF_LIFE_TOO_SHORT"]
    assert await balances(store, item_ids=["MK-1"], include_virtual=False) == {("MK-1", "WH"): 80.0}


async def test_parts_keep_the_expiry_of_their_source(store: GraphStore) -> None:
    await milk_plant(store)
    await receive(store, "MK-1", "MILK", 100, hours=0)  # expires at(240)
    await receive(store, "MK-2", "MILK", 100, hours=24)  # expires at(264)
    await record(
        store,
        cmd(
            "SPLIT",
            id="split",
            event_time=at(100),
            location_id="WH",
            inputs=[L("MK-1", 40)],
            new_items=[lot("MK-1a", "MILK", kind="SUBLOT", parent_id="MK-1")],
            outputs=[L("MK-1a", 40)],
        ),
        cmd(
            "MERGE",
            id="blend",
            event_time=at(100),
            location_id="WH",
            inputs=[L("MK-1", 10), L("MK-2", 10)],
            new_items=[lot("MK-B", "MILK")],
            outputs=[L("MK-B", 20)],
        ),
    )
    found = await store.get("Item", ["MK-1a", "MK-B"])
    assert found["MK-1a"].expires_at == at(240)  # type: ignore[attr-defined]
    assert found["MK-B"].expires_at == at(240)  # type: ignore[attr-defined]  # the earliest input's


async def lots(store: GraphStore) -> None:
    """Milk lots received a day apart (expiring at(240), at(264), ...) in two places, and flour."""
    await milk_plant(store)
    for n in range(5):
        await receive(store, f"MK-{n}", "MILK", 10 * (n + 1), hours=24 * n, location="COLD" if n % 2 else "WH")
    await receive(store, "MK-X", "MILK", 7, hours=1, expires_at=None, location="COLD")
    await receive(store, "FL-1", "FLOUR", 5, hours=0)  # ten years
    await record(store, cmd("SCRAP", id="scr", event_time=at(50), location_id="WH", inputs=[L("MK-2", 30)]))


async def read_all(store: GraphStore, filt: ExpiryFilter, page: int) -> list[str]:
    out: list[Item] = []
    after = None
    while True:
        got = await store.items_by_expiry(filt, after, page)
        out += got
        if len(got) < page:
            return [i.id for i in out]
        after = expiry_cursor(got[-1])


async def test_items_in_expiry_order(store: GraphStore) -> None:
    await lots(store)
    # MK-X got the material's shelf life too: an expiry of None in the command means "derive it".
    mkx = (await store.get("Item", ["MK-X"]))["MK-X"]
    assert mkx.expires_at == at(1 + 240)  # type: ignore[attr-defined]
    await record(
        store,
        cmd(
            "RECEIVE",
            id="rcv-box",
            event_time=at(0),
            location_id="WH",
            new_items=[lot("BOX-1", "SUGAR")],  # sugar keeps: no expiry
            outputs=[L("BOX-1", 1)],
        ),
    )
    milk = ["MK-0", "MK-X", "MK-1", "MK-2", "MK-3", "MK-4"]
    for page in (1, 2, 100):
        assert await read_all(store, ExpiryFilter(), page) == [*milk, "FL-1", "BOX-1"]
    assert await read_all(store, ExpiryFilter(material_id="MILK"), 2) == milk
    assert await read_all(store, ExpiryFilter(undated=False), 3) == [*milk, "FL-1"]
    window = ExpiryFilter(expires_from=at(241), expires_until=at(288), undated=False)
    assert await read_all(store, window, 1) == ["MK-X", "MK-1"]
    # On hand: MK-2 was scrapped whole.
    assert await read_all(store, ExpiryFilter(material_id="MILK", on_hand=True), 2) == [
        "MK-0",
        "MK-X",
        "MK-1",
        "MK-3",
        "MK-4",
    ]
    assert await read_all(store, ExpiryFilter(location_id="COLD"), 2) == ["MK-X", "MK-1", "MK-3"]
    assert await read_all(store, ExpiryFilter(location_id="WH", material_id="MILK", expires_from=at(250)), 5) == [
        "MK-4"
    ]
    assert await read_all(store, ExpiryFilter(location_id="WH", status=Status.HOLD.value), 5) == []


async def test_item_pages_by_expiry_range(store: GraphStore) -> None:
    await lots(store)
    page = await store.page("Item", None, 100, ItemFilter(material_id="MILK", expires_until=at(264)))
    assert [i.id for i in page] == ["MK-0", "MK-X"]
    page = await store.page("Item", None, 100, ItemFilter(expires_from=at(264)))
    assert [i.id for i in page] == ["FL-1", "MK-1", "MK-2", "MK-3", "MK-4"]


async def test_expiry_notices_are_claimed_once(store: GraphStore) -> None:
    assert await store.claim_expiry_notices(["MK-1 EXPIRED", "MK-2 NEAR_EXPIRY"], "2024-03-04T08:00:00.000000Z") == [
        "MK-1 EXPIRED",
        "MK-2 NEAR_EXPIRY",
    ]
    again = ["MK-2 NEAR_EXPIRY", "MK-2 EXPIRED", "MK-1 EXPIRED"]
    assert await store.claim_expiry_notices(again, "2024-03-05T08:00:00.000000Z") == ["MK-2 EXPIRED"]
    assert await store.claim_expiry_notices([], "2024-03-05T08:00:00.000000Z") == []


async def test_stock_by_expiry_range(store: GraphStore) -> None:
    await lots(store)
    window = {"expires_from": at(240), "expires_until": at(312), "include_virtual": False}
    assert await balances(store, **window) == {
        ("MK-0", "WH"): 10.0,
        ("MK-X", "COLD"): 7.0,
        ("MK-1", "COLD"): 20.0,
    }
    assert await balances(store, location_ids=["COLD"], **window) == {("MK-X", "COLD"): 7.0, ("MK-1", "COLD"): 20.0}
    assert await balances(store, item_ids=["MK-1", "MK-3", "FL-1"], **window) == {("MK-1", "COLD"): 20.0}
