"""The demo data, loaded through the ledger service onto the embedded store."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio

from tracegraph.demo import (
    BIKES,
    BIN,
    BUTTER_SHORT,
    COMTE,
    FLOUR_WET,
    FRAMES,
    QUARANTINE,
    SUGAR_2,
    TOURING_BIKE,
    TOURING_WHEELS,
    demo_commands,
    expired_issue,
    incomplete_touring_bike,
    load_demo,
    quarantined_issue,
    shelf_life_pick,
    sscc,
)
from tracegraph.domain import errors as E
from tracegraph.domain.auth import Principal, Role
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import EventType
from tracegraph.domain.models import VIRTUAL_LOCATIONS, Status, VirtualKind
from tracegraph.domain.query import CharacteristicFilter
from tracegraph.services.ledger import Ledger
from tracegraph.services.session import Services
from tracegraph.store.ladybug import LadybugStore
from tracegraph.store.port import BalanceFilter, Direction, ItemFilter

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCRAP = VIRTUAL_LOCATIONS[VirtualKind.SCRAP]
INVENTORY_LOSS = VIRTUAL_LOCATIONS[VirtualKind.INVENTORY_LOSS]


@dataclass
class Loaded:
    ledger: Ledger
    recorded: int
    seconds: float


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Loaded]:
    store = LadybugStore(tmp_path_factory.mktemp("demo"))
    await store.open()
    ledger = Ledger(store)
    started = time.perf_counter()
    recorded = await load_demo(ledger)
    loaded = Loaded(ledger, recorded, time.perf_counter() - started)
    yield loaded
    await store.close()


async def stock(ledger: Ledger, location_id: str) -> dict[str, float]:
    return {b.item_id: b.quantity for b in await ledger.balances(BalanceFilter(location_ids=[location_id]))}


async def reached(ledger: Ledger, root: str, direction: Direction) -> set[str]:
    return set((await ledger.trace(root, direction)).items)


# -- the whole ---------------------------------------------------------------------------------


async def test_the_ledger_checks_clean(demo: Loaded) -> None:
    report = await demo.ledger.check()
    assert report.ok, (report.imbalances, report.dangling)
    assert report.imbalances == [] and report.dangling == [] and report.findings == []
    assert report.events == demo.recorded == len(demo_commands())
    assert demo.recorded >= 70 and report.items >= 80


async def test_it_loads_fast(demo: Loaded) -> None:
    assert demo.seconds < 6.0  # about 0.3 s on a laptop; the budget is 3 s, with room for slow CI


async def test_a_second_load_is_refused(demo: Loaded) -> None:
    with pytest.raises(DomainError):
        await load_demo(demo.ledger)


async def test_the_commands_are_deterministic_and_in_time_order() -> None:
    first, second = demo_commands(), demo_commands()
    assert first == second
    ids = [c.id for c in first]
    assert len(set(ids)) == len(ids) and all(ids)
    times = [c.event_time for c in first]
    assert times == sorted(times)
    assert times[-1] - times[0] >= timedelta(days=10)
    assert all(c.recorded_by and c.biz_step for c in first)
    assert set(Counter(c.type for c in first)) >= {
        EventType.RECEIVE,
        EventType.ISSUE,
        EventType.PRODUCE,
        EventType.SPLIT,
        EventType.MERGE,
        EventType.PACK,
        EventType.UNPACK,
        EventType.MOVE,
        EventType.SHIP,
        EventType.ADJUST,
        EventType.SCRAP,
        EventType.RECLASSIFY,
        EventType.CHARACTERISTICS,
    }


# -- the bakery --------------------------------------------------------------------------------


async def test_forward_from_the_first_flour_lot_reaches_bread_trays_and_pallets(demo: Loaded) -> None:
    forward = await reached(demo.ledger, "LOT-FLOUR-0001", Direction.FORWARD)
    assert {"BATCH-DOUGH-240305-M1", "BATCH-DOUGH-240305-M2", "BATCH-DOUGH-240305"} <= forward
    assert {"LOT-BRIOCHE-240305", "LOT-BRIOCHE-240306", "LOT-BRIOCHE-240313"} <= forward
    assert {"LOT-BRIOCHE-240305-T01", "LOT-BRIOCHE-240305-T16", "LOT-BRIOCHE-240313-T08"} <= forward
    assert {sscc(n) for n in range(2000000101, 2000000106)} <= forward
    assert not forward & {"LOT-FLOUR-0002", "LOT-BUTTER-0001", *BIKES}


async def test_backward_from_a_tray_reaches_every_ingredient_lot(demo: Loaded) -> None:
    backward = await reached(demo.ledger, "LOT-BRIOCHE-240313-T01", Direction.BACKWARD)
    assert {
        "LOT-BRIOCHE-240313",
        "BATCH-DOUGH-240313-M1",
        "LOT-FLOUR-0001",
        "LOT-FLOUR-0002",
        "LOT-BUTTER-0001",
        "LOT-SUGAR-0001",
    } <= backward
    assert "LOT-BUTTER-0002" not in backward  # the held lot was never used


async def test_the_stores_received_the_trays(demo: Loaded) -> None:
    assert sum((await stock(demo.ledger, "CUST/FRESHWAY-012")).values()) == 12 * 12  # 6 + 6 trays of 12
    assert sum((await stock(demo.ledger, "CUST/FRESHWAY-017")).values()) == 9 * 12
    corner = await stock(demo.ledger, "CUST/CORNERDELI-ROUEN")
    assert corner == {f"LOT-BRIOCHE-240305-T{n}": 12.0 for n in (12, 13, 14)}
    shipments = await demo.ledger.shipments(["SHP-BKY-240305-03"])
    assert shipments["SHP-BKY-240305-03"].destination_id == "CUST/CORNERDELI-ROUEN"
    assert shipments["SHP-BKY-240305-03"].partner_id == "ORG-CORNERDELI"


async def test_units_status_and_expiry_of_the_bakery_lots(demo: Loaded) -> None:
    items = await demo.ledger.items(["LOT-FLOUR-0001", "LOT-BUTTER-0002", "LOT-SUGAR-0001"])
    flour = items["LOT-FLOUR-0001"]
    assert flour.status == Status.RELEASED and flour.characteristics["mycotoxin_screen_pass"] is True
    assert flour.expires_at == flour.manufactured_at + timedelta(days=180)  # type: ignore[operator]
    assert items["LOT-BUTTER-0002"].status == Status.HOLD
    # 40 bags of 25 kg, four bags used; the sugar lot's own 25 kg sacks, not the material's 50 kg.
    assert (await stock(demo.ledger, "BKY/DRY/R-01"))["LOT-FLOUR-0001"] == pytest.approx(900.0)
    assert (await stock(demo.ledger, "BKY/DRY/R-02"))["LOT-SUGAR-0001"] == pytest.approx(250.0 - 4 * 4)
    held = await demo.ledger.page("Item", None, 100, ItemFilter(status="HOLD"))
    assert [i.id for i in held] == ["LOT-BUTTER-0002"]


# -- the bicycle plant -------------------------------------------------------------------------


async def test_backward_from_a_bicycle_reaches_its_frame_and_wheels(demo: Loaded) -> None:
    assert await reached(demo.ledger, BIKES[0], Direction.BACKWARD) == {FRAMES[0], "WHL-26-2402A"}
    assert await reached(demo.ledger, BIKES[7], Direction.BACKWARD) == {FRAMES[7], "WHL-26-2402B"}


async def test_forward_from_a_frame_reaches_its_bicycle_and_pallet(demo: Loaded) -> None:
    assert await reached(demo.ledger, FRAMES[0], Direction.FORWARD) == {BIKES[0], sscc(1000000011)}
    assert await reached(demo.ledger, FRAMES[9], Direction.FORWARD) == set()  # still on the shelf


async def test_the_dealers_received_the_bicycles(demo: Loaded) -> None:
    assert await stock(demo.ledger, "CUST/CITYCYCLES-LYON") == {b: 1.0 for b in BIKES[:3]}
    assert await stock(demo.ledger, "CUST/ALPINE-ANNECY") == {b: 1.0 for b in BIKES[3:6]}
    assert await stock(demo.ledger, "PARIS/SHOP") == {BIKES[7]: 1.0}
    assert await stock(demo.ledger, "LYON/WH/A-01") == {f: 1.0 for f in FRAMES[8:]}
    shipment = (await demo.ledger.shipments(["SHP-2024-0450-1"]))["SHP-2024-0450-1"]
    assert (shipment.order_id, shipment.partner_id) == ("SO-2024-0450", "ORG-CITYCYCLES")


async def test_scrap_and_inventory_loss(demo: Loaded) -> None:
    scrapped = await stock(demo.ledger, SCRAP)
    assert scrapped[BIKES[6]] == 1.0
    assert set(scrapped) == {BIKES[6], "BRKT-A7-0004", "BATCH-TI64-0002-OS", COMTE}
    assert await stock(demo.ledger, INVENTORY_LOSS) == {"WHL-26-2402B": 1.0}
    assert (await stock(demo.ledger, "LYON/WH/A-02")) == {"WHL-26-2402B": 5.0}  # 10 in, 4 assembled, 1 lost


# -- the powder line ---------------------------------------------------------------------------


async def test_reused_powder_makes_a_diamond(demo: Loaded) -> None:
    trace = await demo.ledger.trace("LOT-TI64-V0001", Direction.FORWARD)
    forward = set(trace.items)
    assert {
        "BATCH-TI64-0001",
        "BATCH-TI64-0002",
        "BATCH-TI64-0003",
        "BATCH-TI64-0004",
        "BATCH-TI64-0005",
        "BATCH-TI64-0006",
        "BRKT-A7-0001",
        "BRKT-A7-0010",
        "BIN-07",
    } <= forward
    # Both routes into the blend are recorded, and the walk visits it once.
    assert {("BATCH-TI64-0003", "BATCH-TI64-0005"), ("BATCH-TI64-0004", "BATCH-TI64-0005")} <= set(trace.edges)
    assert len(trace.items) == len(forward)
    backward = await reached(demo.ledger, "BRKT-A7-0005", Direction.BACKWARD)
    assert "LOT-TI64-V0001" in backward and "LOT-TI64-V0002" not in backward
    assert await reached(demo.ledger, "LOT-TI64-V0002", Direction.FORWARD) == set()


async def test_the_blend_s_reuse_is_computed_from_its_batch_actions(demo: Loaded) -> None:
    session = Services(demo.ledger).session(Principal(organization_id=None, role=Role.ADMIN, is_admin=True))
    blend = await session.powder("BATCH-TI64-0005")  # 41.9 kg sieved once-used powder, 18 kg virgin
    assert blend is not None
    assert blend.reuse_count == 1 and blend.use_event_ids == ["EV-AMB-003"]
    assert blend.virgin_fraction == pytest.approx(18 / 59.9)
    assert blend.mean_reuse_count == pytest.approx(41.9 / 59.9)
    reused = await session.powder("BATCH-TI64-0006")  # the blend printed again
    assert reused is not None and reused.reuse_count == 2 and reused.virgin_fraction == 0.0
    virgin = await session.powder("LOT-TI64-V0001")
    assert virgin is not None and (virgin.reuse_count, virgin.virgin_fraction) == (0, 1.0)
    history = (await session.events_of_items(["BATCH-TI64-0002"]))["BATCH-TI64-0002"]
    assert [e.action.type for e in history if e.action] == ["PRINT_JOB", "UNLOAD_PRINTER", "SIEVE"]
    assert not any("reuse_count" in i.characteristics for i in (await session.items(["BATCH-TI64-0005"])).values())


async def test_the_permanent_bin_held_every_batch_of_the_loop(demo: Loaded) -> None:
    bin_ = (await demo.ledger.items(["BIN-07"]))["BIN-07"]
    assert bin_.container_type is not None and bin_.container_type.value == "PERMANENT"
    assert await reached(demo.ledger, "BIN-07", Direction.BACKWARD) >= {
        "BATCH-TI64-0002",
        "BATCH-TI64-0003",
        "BATCH-TI64-0005",
        "BATCH-TI64-0006",
        "LOT-TI64-V0001",
    }
    assert await stock(demo.ledger, "CUST/ORBITAL-TLS") == {f"BRKT-A7-{n:04d}": 1.0 for n in (1, 2, 3)}


async def test_shelf_life_a_fefo_pick_then_an_expired_lot_refused(demo: Loaded) -> None:
    session = Services(demo.ledger).session(Principal(organization_id=None, role=Role.ADMIN, is_admin=True))
    pick = shelf_life_pick()
    proposal = await session.fefo(pick["material_id"], pick["location_id"], pick["quantity"], at=pick["at"])
    # The short-dated lot first (40 kg, expiring on day 5), the rest from LOT-BUTTER-0001.
    assert [(p.item.id, p.quantity) for p in proposal.picks] == [(BUTTER_SHORT, 40.0), ("LOT-BUTTER-0001", 10.0)]
    assert proposal.covered
    before = await stock(demo.ledger, "BKY/COLD/C-01")
    with pytest.raises(DomainError) as refused:
        await demo.ledger.record(expired_issue())
    assert [(p.field, p.code) for p in refused.value.problems] == [("inputs[0].itemId", E.EXPIRED)]
    assert BUTTER_SHORT in str(refused.value) and "2024-03-09" in str(refused.value)
    assert await stock(demo.ledger, "BKY/COLD/C-01") == before


async def test_a_user_defined_quarantine_may_move_but_not_be_issued(demo: Loaded) -> None:
    quarantine = (await demo.ledger.classifications([QUARANTINE]))[QUARANTINE]
    flags = (quarantine.may_issue, quarantine.may_ship, quarantine.may_pack, quarantine.may_move, quarantine.may_split)
    assert flags == (False, False, False, True, False)
    assert (await demo.ledger.items([SUGAR_2]))[SUGAR_2].status == QUARANTINE
    assert await stock(demo.ledger, "BKY/QUAR") == {SUGAR_2: 300.0}  # moved into the cage: allowed
    with pytest.raises(DomainError) as refused:
        await demo.ledger.record(quarantined_issue())
    assert [(p.field, p.code) for p in refused.value.problems] == [("inputs[0].itemId", E.STATUS_FORBIDS)]
    assert SUGAR_2 in str(refused.value) and QUARANTINE in str(refused.value)
    assert await stock(demo.ledger, "BKY/QUAR") == {SUGAR_2: 300.0}


async def test_the_powder_bin_takes_only_its_powder(demo: Loaded) -> None:
    """The permanent bin of the printer hall allows the Ti-6Al-4V powder alone."""
    bin_ = (await demo.ledger.items([BIN]))[BIN]
    assert bin_.allowed_material_ids == ["PWD-TI64"]
    assert "dedicated_material" not in bin_.characteristics


async def test_a_flour_lot_out_of_specification_fails_in_its_lab_test(demo: Loaded) -> None:
    flour = (await demo.ledger.materials(["FLOUR-T55"]))["FLOUR-T55"]
    assert [d.name for d in flour.characteristic_definitions][:1] == ["moisture_pct"]
    wet = (await demo.ledger.items([FLOUR_WET]))[FLOUR_WET]
    assert wet.status == Status.FAIL.value and wet.characteristics["moisture_pct"] == 15.8
    [lab] = [
        e for e in (await demo.ledger.events_of_items([FLOUR_WET]))[FLOUR_WET] if e.type.value == "CHARACTERISTICS"
    ]
    assert [(c.from_status, c.to_status) for c in lab.status_changes] == [("QC", "FAIL")]
    found = await demo.ledger.page(
        "Item",
        None,
        10,
        ItemFilter(material_id="FLOUR-T55", characteristic=CharacteristicFilter(name="moisture_pct", min=15.0)),
    )
    assert [i.id for i in found] == [FLOUR_WET]


async def test_a_touring_bicycle_built_against_its_list_and_a_wheel_swapped(demo: Loaded) -> None:
    bike = (await demo.ledger.items([TOURING_BIKE]))[TOURING_BIKE]
    front, rear, spare = TOURING_WHEELS
    assert {(c.item_id, c.slot) for c in bike.components} == {
        ("FRM-TR-0001", None),
        (front, "FRONT"),
        (spare, "REAR"),
        ("LOT-SADDLE-0001", None),
    }
    session = Services(demo.ledger).session(Principal(organization_id=None, role=Role.ADMIN, is_admin=True))
    history = await session.component_history(TOURING_BIKE)
    assert [(s.item_id, s.removed_by is None) for s in history if s.slot == "REAR"] == [(rear, False), (spare, True)]
    # The wheel taken out is back in the wheel store, and still traces to the bicycle.
    assert (await stock(demo.ledger, "LYON/WH/A-03"))[rear] == 1.0
    assert TOURING_BIKE in await reached(demo.ledger, rear, Direction.FORWARD)
    with pytest.raises(DomainError) as refused:
        await demo.ledger.record(incomplete_touring_bike())
    assert {p.code for p in refused.value.problems} == {E.COMPOSITION_MISSING}
    assert {"FRAME-TR28", "FRONT", "REAR"} <= {w for p in refused.value.problems for w in p.message.split()}


async def test_comte_is_kept_in_wheels_and_kilograms_and_butter_in_cases(demo: Loaded) -> None:
    found = await demo.ledger.balances(BalanceFilter(item_ids=[COMTE], location_ids=["BKY/COLD/C-01"]))
    assert [(b.quantity, round(b.second_quantity, 6)) for b in found] == [(5.0, 199.9)]
    butter = await demo.ledger.balances(BalanceFilter(material_ids=["BUTTER-82"]))
    assert butter and all(abs(b.second_quantity * 10 - b.quantity) < 1e-6 for b in butter)
    report = await demo.ledger.check()
    assert report.ok, report.imbalances
