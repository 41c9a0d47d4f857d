"""Demo data: three plants of one company, recorded through the ledger as real commands.

Meridian Industries runs
- a bicycle plant in Lyon: frames (by serial) and wheels (by lot) received against purchase
  orders, assembled into serial bicycles, picked, packed on SSCC pallets and shipped to two
  dealers; one bicycle scrapped, one cycle count, one transfer through transit to Paris; a
  touring bicycle built in three events against its composition list (a frame, FRONT and REAR
  wheels, a saddle), its rear wheel swapped two days later;
- a bakery in Rouen: flour, butter and sugar lots received (flour in 25 kg bags, one sugar lot
  in sacks that override the material's conversion), flour tested and released from QC, issued
  into dough batches, two mixer batches blended, baked into brioche lots, split into trays,
  packed on pallets and shipped to three stores; a butter lot put on hold;
- an additive-manufacturing bureau in Toulouse (the MES seed): virgin Ti-6Al-4V powder lots
  issued to batches, a print job turning a batch into serial parts and a used-powder batch,
  the used powder kept in a permanent bin, sieved, blended with virgin powder and printed
  again, so the genealogy holds a diamond. Each step records its batch action (LOAD_PRINTER,
  PRINT_JOB, UNLOAD_PRINTER, SIEVE, TEST, BLEND), from which the blend's reuse count (1) and
  virgin fraction (0.30) are computed.

Every event goes through `Ledger.record_many` as a command, so every invariant is checked.
Ids and times are fixed: load it once into an empty store. The first query the CLI suggests,
a forward trace from `LOT-FLOUR-0001`, reaches dough batches, brioche lots, trays, pallets.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

from .domain.actions import EventAction
from .domain.composition import Component, CompositionList
from .domain.events import EventCommand, EventType, Line, NewItem, Source
from .domain.models import (
    VIRTUAL_LOCATIONS,
    CharacteristicDefinition,
    CharacteristicType,
    Classification,
    ContainerType,
    ItemKind,
    Location,
    LocationKind,
    Material,
    MaterialKind,
    Order,
    OrderType,
    Organization,
    Status,
    Tracking,
    VirtualKind,
)
from .services.ledger import Ledger

HOME = "ORG-MERIDIAN"
TRANSIT = VIRTUAL_LOCATIONS[VirtualKind.TRANSIT]
START = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday; the demo runs over four weeks


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A fixed time, `day` days after the demo's first Monday (UTC)."""
    return START + timedelta(days=day, hours=hour, minutes=minute)


def sscc(serial_reference: int) -> str:
    """An SSCC in EPC URN form, under GS1's example company prefix 0614141."""
    return f"urn:epc:id:sscc:0614141.{serial_reference:010d}"


def L(
    item_id: str,
    quantity: float | None = None,
    unit: str | None = None,  # noqa: N802
    location_id: str | None = None,
    second_quantity: float | None = None,
) -> Line:
    return Line(item_id=item_id, quantity=quantity, unit=unit, location_id=location_id, second_quantity=second_quantity)


class _Script:
    """The events of one plant, in time order, with ids `<prefix>-001`, `<prefix>-002`, …"""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.commands: list[EventCommand] = []

    def add(self, type: EventType, when: datetime, **fields: Any) -> None:  # noqa: A002
        if self.commands and when < self.commands[-1].event_time:  # type: ignore[operator]
            raise ValueError(f"{self.prefix}: events must be added in time order")
        self.commands.append(
            EventCommand(
                type=type,
                id=f"{self.prefix}-{len(self.commands) + 1:03d}",
                event_time=when,
                organization_id=HOME,
                **fields,
            )
        )


# -- master data ------------------------------------------------------------------------------

ORGANIZATIONS = [
    Organization(id=HOME, name="Meridian Industries"),
    # suppliers
    Organization(id="ORG-VELOFRAME", name="VeloFrame Components"),
    Organization(id="ORG-RIMTEC", name="Rimtec Wheels"),
    Organization(id="ORG-MILLSTONE", name="Moulins Millstone"),
    Organization(id="ORG-LAITERIE", name="Laiterie du Val"),
    Organization(id="ORG-SUCRERIE", name="Sucrerie du Nord"),
    Organization(id="ORG-POWDERTECH", name="PowderTech Alloys"),
    # customers
    Organization(id="ORG-CITYCYCLES", name="City Cycles"),
    Organization(id="ORG-ALPINE", name="Alpine Sports"),
    Organization(id="ORG-FRESHWAY", name="FreshWay Markets"),
    Organization(id="ORG-CORNERDELI", name="Corner Deli"),
    Organization(id="ORG-ORBITAL", name="Orbital Systems"),
]

MATERIALS = [
    # bicycles
    Material(
        id="FRAME-AL26", name='Aluminium frame 26"', tracking=Tracking.SERIAL, base_unit="EA", kind=MaterialKind.RAW
    ),
    Material(
        id="WHEEL-26",
        name='Wheel 26", complete',
        tracking=Tracking.LOT,
        base_unit="EA",
        kind=MaterialKind.RAW,
        conversions={"PAIR": 2},
    ),
    Material(
        id="BIKE-CITY26", name='City bicycle 26"', tracking=Tracking.SERIAL, base_unit="EA", kind=MaterialKind.PRODUCT
    ),
    # the touring bicycle, built against its composition list (TOURING_LIST)
    Material(id="FRAME-TR28", name='Touring frame 28"', tracking=Tracking.SERIAL, base_unit="EA"),
    Material(id="WHEEL-TR28", name='Touring wheel 28"', tracking=Tracking.SERIAL, base_unit="EA"),
    Material(id="SADDLE-CMF", name="Comfort saddle", base_unit="EA"),
    Material(
        id="BIKE-TOUR28",
        name='Touring bicycle 28"',
        tracking=Tracking.SERIAL,
        base_unit="EA",
        kind=MaterialKind.PRODUCT,
    ),
    # bakery
    Material(
        id="FLOUR-T55",
        name="Wheat flour T55",
        base_unit="KG",
        kind=MaterialKind.RAW,
        shelf_life_days=180,
        conversions={"BAG": 25},
        # The incoming lab test of every flour lot (the bakery's specification): a lot too moist
        # to keep fails (FAIL), a result outside the other limits is kept and judged by hand.
        characteristic_definitions=[
            CharacteristicDefinition(
                name="moisture_pct",
                type=CharacteristicType.NUMBER,
                unit="PCT",
                description="Moisture, oven method",
                min=0,
                max=15.0,
                out_of_spec_status=Status.FAIL.value,
            ),
            CharacteristicDefinition(
                name="protein_pct", type=CharacteristicType.NUMBER, unit="PCT", min=10.5, max=13.0
            ),
            CharacteristicDefinition(
                name="falling_number_s", type=CharacteristicType.NUMBER, unit="S", min=250, max=400
            ),
            CharacteristicDefinition(name="mycotoxin_screen_pass", type=CharacteristicType.BOOLEAN),
        ],
    ),
    Material(
        id="BUTTER-82",
        name="Butter 82% fat",
        base_unit="KG",
        kind=MaterialKind.RAW,
        shelf_life_days=45,
        expiry_warning_days=7,
        conversions={"CASE": 10},
        second_unit="CASE",  # counted in cases too: each lot's own case weight (10 kg unless it says)
    ),
    Material(
        id="CHEESE-COMTE",
        name="Comté AOP, whole wheel",
        base_unit="EA",
        kind=MaterialKind.RAW,
        shelf_life_days=240,
        conversions={"KG": 0.025},  # a wheel weighs about 40 kg
        second_unit="KG",
        catch_weight=True,  # every wheel weighed: both counts kept
    ),
    Material(
        id="SUGAR-FINE",
        name="Fine caster sugar",
        base_unit="KG",
        kind=MaterialKind.RAW,
        shelf_life_days=720,
        conversions={"SACK": 50},
    ),
    Material(
        id="DOUGH-BRIOCHE", name="Brioche dough", base_unit="KG", kind=MaterialKind.INTERMEDIATE, shelf_life_days=1
    ),
    Material(
        id="BRIOCHE-400",
        name="Brioche loaf 400 g",
        base_unit="EA",
        kind=MaterialKind.PRODUCT,
        shelf_life_days=6,
        min_remaining_shelf_life_days=2,  # the stores take brioche with two days left at least
        expiry_warning_days=2,
        conversions={"TRAY": 12},
    ),
    # additive manufacturing
    Material(
        id="PWD-TI64",
        name="Ti-6Al-4V Grade 23 powder, 15-45 µm",
        base_unit="KG",
        kind=MaterialKind.RAW,
        shelf_life_days=730,
        conversions={"BOTTLE": 10},
    ),
    Material(
        id="PART-BRKT-A7",
        name="Satellite bracket A7, Ti-6Al-4V",
        tracking=Tracking.SERIAL,
        base_unit="EA",
        kind=MaterialKind.PRODUCT,
    ),
]


def _tree(site: str, name: str, areas: Iterable[tuple[str, str, Iterable[tuple[str, str]]]]) -> list[Location]:
    """Site → area → location, ids joined by `/` (LYON/WH/A-01)."""
    out = [Location(id=site, name=name, kind=LocationKind.SITE, organization_id=HOME)]
    for area, area_name, shelves in areas:
        out.append(
            Location(id=f"{site}/{area}", name=area_name, kind=LocationKind.AREA, parent_id=site, organization_id=HOME)
        )
        out += [
            Location(
                id=f"{site}/{area}/{shelf}",
                name=shelf_name,
                kind=LocationKind.LOCATION,
                parent_id=f"{site}/{area}",
                organization_id=HOME,
            )
            for shelf, shelf_name in shelves
        ]
    return out


def _customer(loc_id: str, name: str, partner: str) -> Location:
    return Location(
        id=loc_id,
        name=name,
        kind=LocationKind.VIRTUAL,
        virtual=VirtualKind.CUSTOMER,
        partner_id=partner,
        organization_id=HOME,
    )


LOCATIONS = [
    *_tree(
        "LYON",
        "Lyon bicycle plant",
        [
            ("RECV", "Receiving dock", []),
            (
                "WH",
                "Components warehouse",
                [("A-01", "Shelf A-01, frames"), ("A-02", "Shelf A-02, wheels"), ("A-03", "Shelf A-03, touring parts")],
            ),
            ("ASSY", "Assembly line 1", []),
            ("FG", "Finished goods", [("B-01", "Rack B-01")]),
            ("PACK", "Packing area", []),
            ("OUT", "Shipping dock, door A", []),
        ],
    ),
    *_tree("PARIS", "Paris showroom", [("SHOP", "Showroom floor", [])]),
    *_tree(
        "BKY",
        "Rouen bakery",
        [
            ("RECV", "Goods-in", []),
            ("DRY", "Dry store", [("R-01", "Rack R-01, flour"), ("R-02", "Rack R-02, sugar")]),
            ("COLD", "Cold room", [("C-01", "Cold room bay C-01")]),
            ("QUAR", "Quarantine cage", []),
            ("MIX", "Mixing room, spiral mixers 1-2", []),
            ("OVEN", "Oven line 1", []),
            ("PACK", "Cooling and packing", []),
            ("DISPATCH", "Dispatch dock", []),
        ],
    ),
    *_tree(
        "AMB",
        "Toulouse additive-manufacturing bureau",
        [
            ("STORE", "Powder store, inert", [("S-01", "Powder cabinet S-01")]),
            ("PRINT", "Print hall", [("M290-1", "EOS M290 #1"), ("M290-2", "EOS M290 #2")]),
            ("POWDER", "Powder room, sieve and blend", []),
            ("POST", "Post-processing and CT", []),
            ("OUT", "Dispatch", []),
        ],
    ),
    _customer("CUST/CITYCYCLES-LYON", "City Cycles, Lyon store", "ORG-CITYCYCLES"),
    _customer("CUST/ALPINE-ANNECY", "Alpine Sports, Annecy", "ORG-ALPINE"),
    _customer("CUST/FRESHWAY-012", "FreshWay store 012, Rouen centre", "ORG-FRESHWAY"),
    _customer("CUST/FRESHWAY-017", "FreshWay store 017, Le Havre", "ORG-FRESHWAY"),
    _customer("CUST/CORNERDELI-ROUEN", "Corner Deli, Rouen", "ORG-CORNERDELI"),
    _customer("CUST/ORBITAL-TLS", "Orbital Systems, Toulouse goods-in", "ORG-ORBITAL"),
]


def _order(order_id: str, type: OrderType, partner: str | None, reference: str) -> Order:  # noqa: A002
    return Order(id=order_id, type=type, partner_id=partner, reference=reference, organization_id=HOME)


ORDERS = [
    _order("PO-2024-0311", OrderType.PURCHASE, "ORG-VELOFRAME", "10 frames AL26"),
    _order("PO-2024-0312", OrderType.PURCHASE, "ORG-RIMTEC", '11 pairs of 26" wheels'),
    _order("MO-2024-0107", OrderType.PRODUCTION, None, '8 city bicycles 26"'),
    _order("SO-2024-0450", OrderType.SALES, "ORG-CITYCYCLES", "3 city bicycles"),
    _order("SO-2024-0451", OrderType.SALES, "ORG-ALPINE", "3 city bicycles"),
    _order("PO-BKY-0301", OrderType.PURCHASE, "ORG-MILLSTONE", "flour T55, 40 bags"),
    _order("PO-BKY-0302", OrderType.PURCHASE, "ORG-LAITERIE", "butter 82%, 20 cases"),
    _order("PO-BKY-0303", OrderType.PURCHASE, "ORG-SUCRERIE", "caster sugar, 10 sacks"),
    _order("PO-BKY-0315", OrderType.PURCHASE, "ORG-MILLSTONE", "flour T55, 20 bags"),
    _order("PO-BKY-0316", OrderType.PURCHASE, "ORG-LAITERIE", "butter 82%, 10 cases"),
    _order("MO-BKY-0305", OrderType.PRODUCTION, None, "brioche, Tuesday bake"),
    _order("MO-BKY-0306", OrderType.PRODUCTION, None, "brioche, Wednesday bake"),
    _order("MO-BKY-0313", OrderType.PRODUCTION, None, "brioche, Wednesday bake, week 2"),
    _order("SO-FW-7781", OrderType.SALES, "ORG-FRESHWAY", "brioche for stores 012 and 017"),
    _order("SO-FW-7790", OrderType.SALES, "ORG-FRESHWAY", "brioche for store 012"),
    _order("SO-FW-7824", OrderType.SALES, "ORG-FRESHWAY", "brioche for store 017"),
    _order("SO-CD-0042", OrderType.SALES, "ORG-CORNERDELI", "brioche, standing order"),
    _order("PO-AM-0042", OrderType.PURCHASE, "ORG-POWDERTECH", "Ti64 Grade 23 powder, 220 kg"),
    _order("MO-AM-2403-017", OrderType.PRODUCTION, None, "print job 17, brackets A7"),
    _order("MO-AM-2403-021", OrderType.PRODUCTION, None, "print job 21, brackets A7"),
    _order("SO-ORB-1188", OrderType.SALES, "ORG-ORBITAL", "brackets A7, first article lot"),
]


# -- the bicycle plant (the double-entry seed) -------------------------------------------------

FRAMES = [f"FR-AL26-{n}" for n in range(240101, 240111)]
BIKES = [f"BK-CITY26-{n:04d}" for n in range(1, 9)]
WHEELS_A, WHEELS_B = "WHL-26-2402A", "WHL-26-2402B"
BIKE_PALLETS = [sscc(1000000011), sscc(1000000012)]


def _bicycles() -> list[EventCommand]:
    s = _Script("EV-LYON")
    recv = {"biz_step": "receiving", "disposition": "in_progress", "recorded_by": "Julien Moreau"}
    s.add(
        EventType.RECEIVE,
        at(0, 7, 40),
        location_id="LYON/RECV",
        order_id="PO-2024-0311",
        partner_id="ORG-VELOFRAME",
        **recv,
        new_items=[
            NewItem(id=f, kind=ItemKind.SERIAL, material_id="FRAME-AL26", lot_code=f[-6:], manufactured_at=at(-12, 9))
            for f in FRAMES
        ],
        outputs=[L(f) for f in FRAMES],
    )
    s.add(
        EventType.RECEIVE,
        at(0, 8, 15),
        location_id="LYON/RECV",
        order_id="PO-2024-0312",
        partner_id="ORG-RIMTEC",
        **recv,
        new_items=[
            NewItem(id=WHEELS_A, material_id="WHEEL-26", lot_code="RT2402A", manufactured_at=at(-20, 6)),
            NewItem(id=WHEELS_B, material_id="WHEEL-26", lot_code="RT2402B", manufactured_at=at(-18, 6)),
        ],
        outputs=[L(WHEELS_A, 6, "PAIR"), L(WHEELS_B, 5, "PAIR")],
    )
    store = {"biz_step": "storing", "disposition": "available", "recorded_by": "Julien Moreau"}
    s.add(
        EventType.MOVE,
        at(0, 10),
        from_location_id="LYON/RECV",
        to_location_id="LYON/WH/A-01",
        **store,
        inputs=[L(f) for f in FRAMES],
    )
    s.add(
        EventType.MOVE,
        at(0, 10, 20),
        from_location_id="LYON/RECV",
        to_location_id="LYON/WH/A-02",
        **store,
        inputs=[L(WHEELS_A), L(WHEELS_B)],
    )
    # Assembly: each bicycle one frame serial and two wheels; one event per bicycle keeps the
    # genealogy exact (which frame is in which bicycle).
    for n, (bike, frame) in enumerate(zip(BIKES, FRAMES, strict=False)):
        wheels = WHEELS_A if n < 6 else WHEELS_B
        s.add(
            EventType.PRODUCE,
            at(2 + n // 4, 7, 30 + 50 * (n % 4)),
            location_id="LYON/ASSY",
            order_id="MO-2024-0107",
            biz_step="assembling",
            disposition="active",
            recorded_by="Camille Bernard",
            new_items=[NewItem(id=bike, kind=ItemKind.SERIAL, material_id="BIKE-CITY26", lot_code=bike[-4:])],
            inputs=[L(frame, 1, location_id="LYON/WH/A-01"), L(wheels, 2, location_id="LYON/WH/A-02")],
            outputs=[L(bike, location_id="LYON/FG/B-01")],
        )
    s.add(
        EventType.SCRAP,
        at(3, 15),
        location_id="LYON/FG/B-01",
        inputs=[L(BIKES[6])],
        biz_step="destroying",
        disposition="destroyed",
        recorded_by="Camille Bernard",
        reason="final inspection: frame dented at the head tube, not repairable",
    )
    s.add(
        EventType.MOVE,
        at(4, 8, 30),
        from_location_id="LYON/FG/B-01",
        to_location_id="LYON/PACK",
        biz_step="picking",
        recorded_by="Hugo Lefèvre",
        inputs=[L(b) for b in BIKES[:6]],
    )
    for pallet, bikes in ((BIKE_PALLETS[0], BIKES[:3]), (BIKE_PALLETS[1], BIKES[3:6])):
        s.add(
            EventType.PACK,
            at(4, 9, 10 if pallet == BIKE_PALLETS[0] else 35),
            location_id="LYON/PACK",
            container_id=pallet,
            biz_step="packing",
            disposition="container_closed",
            recorded_by="Hugo Lefèvre",
            new_items=[NewItem(id=pallet, kind=ItemKind.CONTAINER, container_type=ContainerType.LOGISTIC)],
            inputs=[L(b) for b in bikes],
        )
    s.add(
        EventType.MOVE,
        at(4, 11),
        from_location_id="LYON/PACK",
        to_location_id="LYON/OUT",
        biz_step="staging_outbound",
        recorded_by="Hugo Lefèvre",
        inputs=[L(b) for b in BIKES[:6]],
    )
    for day, hour, pallet, bikes, dest, partner, so in (
        (4, 14, BIKE_PALLETS[0], BIKES[:3], "CUST/CITYCYCLES-LYON", "ORG-CITYCYCLES", "SO-2024-0450"),
        (5, 8, BIKE_PALLETS[1], BIKES[3:6], "CUST/ALPINE-ANNECY", "ORG-ALPINE", "SO-2024-0451"),
    ):
        s.add(
            EventType.SHIP,
            at(day, hour),
            location_id="LYON/OUT",
            to_location_id=dest,
            container_id=pallet,
            partner_id=partner,
            order_id=so,
            shipment_id=f"SHP-{so[3:]}-1",
            biz_step="shipping",
            disposition="in_transit",
            recorded_by="Hugo Lefèvre",
            inputs=[L(b) for b in bikes],
        )
    # An internal transfer through transit, as in the double-entry seed.
    s.add(
        EventType.MOVE,
        at(8, 16),
        from_location_id="LYON/FG/B-01",
        to_location_id=TRANSIT,
        biz_step="departing",
        disposition="in_transit",
        recorded_by="Hugo Lefèvre",
        reason="showroom display bike",
        inputs=[L(BIKES[7])],
    )
    s.add(
        EventType.MOVE,
        at(9, 10),
        from_location_id=TRANSIT,
        to_location_id="PARIS/SHOP",
        biz_step="arriving",
        disposition="available",
        recorded_by="Inès Garnier",
        inputs=[L(BIKES[7])],
    )
    s.add(
        EventType.ADJUST,
        at(10, 16),
        location_id="LYON/WH/A-02",
        biz_step="cycle_counting",
        recorded_by="Julien Moreau",
        reason="cycle count: 5 wheels counted, 6 expected",
        inputs=[L(WHEELS_B, 5)],
    )
    return s.commands


# -- the bakery (process manufacturing, split into trays) -------------------------------------

FLOUR_1, FLOUR_2 = "LOT-FLOUR-0001", "LOT-FLOUR-0002"
BUTTER_1, BUTTER_2 = "LOT-BUTTER-0001", "LOT-BUTTER-0002"
SUGAR_1 = "LOT-SUGAR-0001"


def _trays(lot: str, count: int) -> list[str]:
    return [f"{lot}-T{n:02d}" for n in range(1, count + 1)]


def _bake(
    s: _Script,
    day: int,
    stamp: str,
    order: str,
    mixes: list[list[Line]],
    trays: int,
) -> tuple[str, list[str]]:
    """Mixer batches issued from ingredient lots, blended when more than one, baked, split into trays."""
    mix = {"biz_step": "dispensing", "recorded_by": "Lucas Petit", "order_id": order}
    batches = []
    for n, ingredients in enumerate(mixes, start=1):
        batch = f"BATCH-DOUGH-{stamp}-M{n}"
        s.add(
            EventType.ISSUE,
            at(day, 3, 20 * n),
            location_id="BKY/MIX",
            **mix,
            reason=f"spiral mixer {n}",
            new_items=[NewItem(id=batch, kind=ItemKind.BATCH, material_id="DOUGH-BRIOCHE", lot_code=stamp)],
            inputs=ingredients,
            outputs=[L(batch)],
        )
        batches.append(batch)
    dough = batches[0]
    if len(batches) > 1:
        dough = f"BATCH-DOUGH-{stamp}"
        s.add(
            EventType.MERGE,
            at(day, 4, 30),
            location_id="BKY/MIX",
            order_id=order,
            biz_step="commissioning",
            recorded_by="Lucas Petit",
            reason="mixer batches blended for the divider",
            new_items=[NewItem(id=dough, kind=ItemKind.BATCH, material_id="DOUGH-BRIOCHE", lot_code=stamp)],
            inputs=[L(b) for b in batches],
            outputs=[L(dough)],
        )
    lot = f"LOT-BRIOCHE-{stamp}"
    s.add(
        EventType.PRODUCE,
        at(day, 6, 10),
        location_id="BKY/OVEN",
        order_id=order,
        biz_step="commissioning",
        disposition="active",
        recorded_by="Lucas Petit",
        new_items=[NewItem(id=lot, material_id="BRIOCHE-400", lot_code=stamp, manufactured_at=at(day, 6, 10))],
        inputs=[L(dough, location_id="BKY/MIX")],
        outputs=[L(lot, trays, "TRAY", "BKY/PACK")],
    )
    tray_ids = _trays(lot, trays)
    s.add(
        EventType.SPLIT,
        at(day, 7),
        location_id="BKY/PACK",
        biz_step="repackaging",
        recorded_by="Emma Dubois",
        reason="split into trays of 12 loaves",
        new_items=[
            NewItem(
                id=t,
                kind=ItemKind.SUBLOT,
                material_id="BRIOCHE-400",
                parent_id=lot,
                lot_code=f"{stamp}-{t[-3:]}",
                manufactured_at=at(day, 6, 10),
            )
            for t in tray_ids
        ],
        inputs=[L(lot)],
        outputs=[L(t, 1, "TRAY") for t in tray_ids],
    )
    return lot, tray_ids


def _dispatch(s: _Script, day: int, loads: list[tuple[str, list[str], str, str, str, str]]) -> None:
    """Trays packed on pallets, staged, and shipped: one pallet per store."""
    for n, (pallet, trays, *_rest) in enumerate(loads):
        s.add(
            EventType.PACK,
            at(day, 7, 30 + 5 * n),
            location_id="BKY/PACK",
            container_id=pallet,
            biz_step="packing",
            disposition="container_closed",
            recorded_by="Emma Dubois",
            new_items=[NewItem(id=pallet, kind=ItemKind.CONTAINER, container_type=ContainerType.LOGISTIC)],
            inputs=[L(t) for t in trays],
        )
    s.add(
        EventType.MOVE,
        at(day, 8),
        from_location_id="BKY/PACK",
        to_location_id="BKY/DISPATCH",
        biz_step="staging_outbound",
        recorded_by="Emma Dubois",
        inputs=[L(t) for _, trays, *_ in loads for t in trays],
    )
    for n, (pallet, trays, dest, partner, order, shipment) in enumerate(loads):
        s.add(
            EventType.SHIP,
            at(day, 8, 30 + 5 * n),
            location_id="BKY/DISPATCH",
            to_location_id=dest,
            container_id=pallet,
            partner_id=partner,
            order_id=order,
            shipment_id=shipment,
            biz_step="shipping",
            disposition="in_transit",
            recorded_by="Emma Dubois",
            inputs=[L(t) for t in trays],
        )


def _bakery() -> list[EventCommand]:
    s = _Script("EV-BKY")
    recv = {"location_id": "BKY/RECV", "biz_step": "receiving", "recorded_by": "Sophie Martin"}
    s.add(
        EventType.RECEIVE,
        at(0, 6, 30),
        order_id="PO-BKY-0301",
        partner_id="ORG-MILLSTONE",
        **recv,
        disposition="in_progress",
        new_items=[
            NewItem(
                id=FLOUR_1, material_id="FLOUR-T55", lot_code="MS240227-1", status=Status.QC, manufactured_at=at(-6, 0)
            )
        ],
        outputs=[L(FLOUR_1, 40, "BAG")],
    )
    s.add(
        EventType.RECEIVE,
        at(0, 6, 45),
        order_id="PO-BKY-0302",
        partner_id="ORG-LAITERIE",
        location_id="BKY/COLD/C-01",
        biz_step="receiving",
        recorded_by="Sophie Martin",
        reason="cold chain: received straight into the cold room",
        new_items=[NewItem(id=BUTTER_1, material_id="BUTTER-82", lot_code="LV-0912", manufactured_at=at(-3, 0))],
        outputs=[L(BUTTER_1, 20, "CASE")],
    )
    # The supplier shipped 25 kg sacks, not the usual 50 kg: the lot overrides the conversion.
    s.add(
        EventType.RECEIVE,
        at(0, 7),
        order_id="PO-BKY-0303",
        partner_id="ORG-SUCRERIE",
        **recv,
        new_items=[
            NewItem(
                id=SUGAR_1,
                material_id="SUGAR-FINE",
                lot_code="SN-24-0188",
                conversions={"SACK": 25},
                manufactured_at=at(-40, 0),
            )
        ],
        outputs=[L(SUGAR_1, 10, "SACK")],
    )
    s.add(
        EventType.MOVE,
        at(0, 7, 30),
        from_location_id="BKY/RECV",
        to_location_id="BKY/DRY/R-01",
        biz_step="storing",
        recorded_by="Sophie Martin",
        inputs=[L(FLOUR_1)],
    )
    s.add(
        EventType.MOVE,
        at(0, 7, 35),
        from_location_id="BKY/RECV",
        to_location_id="BKY/DRY/R-02",
        biz_step="storing",
        recorded_by="Sophie Martin",
        inputs=[L(SUGAR_1)],
    )
    s.add(
        EventType.CHARACTERISTICS,
        at(0, 10),
        location_id="BKY/DRY/R-01",
        biz_step="inspecting",
        recorded_by="Sophie Martin",
        reason="incoming lab test",
        characteristics={
            "moisture_pct": 14.1,
            "protein_pct": 11.6,
            "falling_number_s": 320.0,
            "mycotoxin_screen_pass": True,
        },
        inputs=[L(FLOUR_1)],
    )
    s.add(
        EventType.RECLASSIFY,
        at(0, 11),
        location_id="BKY/DRY/R-01",
        status=Status.RELEASED,
        biz_step="inspecting",
        disposition="available",
        recorded_by="Sophie Martin",
        reason="lab results within specification",
        inputs=[L(FLOUR_1)],
    )

    def ingredients(flour: list[Line]) -> list[Line]:
        return [*flour, L(BUTTER_1, 11, "KG", "BKY/COLD/C-01"), L(SUGAR_1, 4, "KG", "BKY/DRY/R-02")]

    # Tuesday: two mixer batches blended, 192 loaves, 16 trays to three stores.
    lot1, trays1 = _bake(s, 1, "240305", "MO-BKY-0305", [ingredients([L(FLOUR_1, 1, "BAG", "BKY/DRY/R-01")])] * 2, 16)
    _dispatch(
        s,
        1,
        [
            (sscc(2000000101), trays1[0:6], "CUST/FRESHWAY-012", "ORG-FRESHWAY", "SO-FW-7781", "SHP-BKY-240305-01"),
            (sscc(2000000102), trays1[6:11], "CUST/FRESHWAY-017", "ORG-FRESHWAY", "SO-FW-7781", "SHP-BKY-240305-02"),
            (
                sscc(2000000103),
                trays1[11:14],
                "CUST/CORNERDELI-ROUEN",
                "ORG-CORNERDELI",
                "SO-CD-0042",
                "SHP-BKY-240305-03",
            ),
        ],
    )
    # Wednesday: one mixer batch, 96 loaves, 8 trays, 6 to store 012.
    lot2, trays2 = _bake(s, 2, "240306", "MO-BKY-0306", [ingredients([L(FLOUR_1, 1, "BAG", "BKY/DRY/R-01")])], 8)
    _dispatch(
        s,
        2,
        [
            (sscc(2000000104), trays2[0:6], "CUST/FRESHWAY-012", "ORG-FRESHWAY", "SO-FW-7790", "SHP-BKY-240306-01"),
        ],
    )
    # Next Monday: a second flour lot (released on the supplier's certificate) and a butter lot
    # held after a cold-chain excursion.
    s.add(
        EventType.RECEIVE,
        at(7, 6, 30),
        order_id="PO-BKY-0315",
        partner_id="ORG-MILLSTONE",
        **recv,
        reason="released on the supplier's certificate of analysis",
        new_items=[NewItem(id=FLOUR_2, material_id="FLOUR-T55", lot_code="MS240306-2", manufactured_at=at(2, 0))],
        outputs=[L(FLOUR_2, 20, "BAG")],
    )
    s.add(
        EventType.RECEIVE,
        at(7, 6, 40),
        order_id="PO-BKY-0316",
        partner_id="ORG-LAITERIE",
        location_id="BKY/COLD/C-01",
        biz_step="receiving",
        recorded_by="Sophie Martin",
        new_items=[NewItem(id=BUTTER_2, material_id="BUTTER-82", lot_code="LV-0931", manufactured_at=at(4, 0))],
        outputs=[L(BUTTER_2, 10, "CASE")],
    )
    s.add(
        EventType.MOVE,
        at(7, 7),
        from_location_id="BKY/RECV",
        to_location_id="BKY/DRY/R-01",
        biz_step="storing",
        recorded_by="Sophie Martin",
        inputs=[L(FLOUR_2)],
    )
    s.add(
        EventType.RECLASSIFY,
        at(7, 9),
        location_id="BKY/COLD/C-01",
        status=Status.HOLD,
        biz_step="holding",
        disposition="non_sellable_other",
        recorded_by="Sophie Martin",
        reason="temperature logger: 9.4 °C for 3 h in transit",
        inputs=[L(BUTTER_2)],
    )
    # Wednesday, week 2: a bag of each flour lot; 8 trays, 4 to store 017, 4 still on hand.
    lot3, trays3 = _bake(
        s,
        9,
        "240313",
        "MO-BKY-0313",
        [ingredients([L(FLOUR_1, 1, "BAG", "BKY/DRY/R-01"), L(FLOUR_2, 1, "BAG", "BKY/DRY/R-01")])],
        8,
    )
    _dispatch(
        s,
        9,
        [
            (sscc(2000000105), trays3[0:4], "CUST/FRESHWAY-017", "ORG-FRESHWAY", "SO-FW-7824", "SHP-BKY-240313-01"),
        ],
    )
    return s.commands


# -- the additive-manufacturing bureau (the MES seed: batches, permanent containers, reuse) ----

VIRGIN_1, VIRGIN_2 = "LOT-TI64-V0001", "LOT-TI64-V0002"
BIN = "BIN-07"
PARTS_17 = [f"BRKT-A7-{n:04d}" for n in range(1, 5)]
PARTS_21 = [f"BRKT-A7-{n:04d}" for n in range(5, 11)]


def _powder() -> list[EventCommand]:
    s = _Script("EV-AMB")
    tech = {"recorded_by": "Thomas Girard"}
    s.add(
        EventType.RECEIVE,
        at(1, 9),
        location_id="AMB/STORE/S-01",
        order_id="PO-AM-0042",
        partner_id="ORG-POWDERTECH",
        biz_step="receiving",
        **tech,
        new_items=[
            NewItem(
                id=lot,
                material_id="PWD-TI64",
                lot_code=code,
                manufactured_at=at(-60, 0),
                characteristics={"d50_um": d50, "oxygen_wt_pct": 0.08},
            )
            for lot, code, d50 in ((VIRGIN_1, "PT-23-4471", 33.8), (VIRGIN_2, "PT-23-4502", 34.1))
        ],
        outputs=[L(VIRGIN_1, 12, "BOTTLE"), L(VIRGIN_2, 10, "BOTTLE")],
    )

    # A batch's reuse count and virgin share are not typed in: Item.powder computes them from the
    # genealogy and the events' batch actions (domain/powder.py).
    def batch(batch_id: str) -> NewItem:
        return NewItem(id=batch_id, kind=ItemKind.BATCH, material_id="PWD-TI64")

    # Print job 17 on machine 1: a virgin batch in, four brackets and the used powder out.
    s.add(
        EventType.ISSUE,
        at(2, 8),
        location_id="AMB/PRINT/M290-1",
        biz_step="dispensing",
        **tech,
        order_id="MO-AM-2403-017",
        action=EventAction(type="LOAD_PRINTER", parameters={"machine": "M290-1"}),
        new_items=[batch("BATCH-TI64-0001")],
        inputs=[L(VIRGIN_1, 45, "KG", "AMB/STORE/S-01")],
        outputs=[L("BATCH-TI64-0001")],
    )
    s.add(
        EventType.PRODUCE,
        at(3, 14),
        location_id="AMB/PRINT/M290-1",
        order_id="MO-AM-2403-017",
        biz_step="commissioning",
        disposition="active",
        **tech,
        reason="print job 17 finished",
        action=EventAction(type="PRINT_JOB", parameters={"machine": "M290-1", "buildJob": "JOB-2403-017"}),
        new_items=[
            *(
                NewItem(
                    id=p,
                    kind=ItemKind.SERIAL,
                    material_id="PART-BRKT-A7",
                    lot_code=p[-4:],
                    status=Status.QC,
                    characteristics={"build_job": "JOB-2403-017"},
                )
                for p in PARTS_17
            ),
            batch("BATCH-TI64-0002"),
        ],
        inputs=[L("BATCH-TI64-0001")],
        outputs=[*(L(p, location_id="AMB/POST") for p in PARTS_17), L("BATCH-TI64-0002", 42.6, "KG")],
    )
    # Unloading the printer into the permanent bin, then to the sieve.
    s.add(
        EventType.PACK,
        at(3, 15),
        location_id="AMB/PRINT/M290-1",
        container_id=BIN,
        biz_step="packing",
        **tech,
        reason="printer unload",
        action=EventAction(type="UNLOAD_PRINTER", parameters={"machine": "M290-1", "buildJob": "JOB-2403-017"}),
        new_items=[
            NewItem(
                id=BIN,
                kind=ItemKind.CONTAINER,
                container_type=ContainerType.PERMANENT,
                characteristics={"capacity_kg": 80.0},
                allowed_material_ids=["PWD-TI64"],  # dedicated to the Ti-6Al-4V powder
            )
        ],
        inputs=[L("BATCH-TI64-0002")],
    )
    s.add(
        EventType.MOVE,
        at(3, 15, 30),
        from_location_id="AMB/PRINT/M290-1",
        to_location_id="AMB/POWDER",
        biz_step="transporting",
        **tech,
        container_id=BIN,
        inputs=[L("BATCH-TI64-0002")],
    )
    s.add(
        EventType.UNPACK,
        at(4, 8),
        location_id="AMB/POWDER",
        container_id=BIN,
        biz_step="unpacking",
        **tech,
        inputs=[L("BATCH-TI64-0002")],
    )
    s.add(
        EventType.SPLIT,
        at(4, 8, 45),
        location_id="AMB/POWDER",
        biz_step="other",
        **tech,
        reason="sieve, 63 µm mesh: sieved powder and oversize",
        action=EventAction(type="SIEVE", parameters={"mesh": 63}),
        new_items=[batch("BATCH-TI64-0003"), batch("BATCH-TI64-0002-OS")],
        inputs=[L("BATCH-TI64-0002")],
        outputs=[L("BATCH-TI64-0003", 41.9), L("BATCH-TI64-0002-OS", 0.7)],
    )
    s.add(
        EventType.SCRAP,
        at(4, 9),
        location_id="AMB/POWDER",
        biz_step="destroying",
        disposition="destroyed",
        **tech,
        reason="sieve oversize (spatter), to metal recycling",
        inputs=[L("BATCH-TI64-0002-OS")],
    )
    s.add(
        EventType.PACK,
        at(4, 9, 15),
        location_id="AMB/POWDER",
        container_id=BIN,
        biz_step="packing",
        **tech,
        inputs=[L("BATCH-TI64-0003")],
    )
    s.add(
        EventType.CHARACTERISTICS,
        at(4, 11),
        location_id="AMB/POWDER",
        biz_step="inspecting",
        recorded_by="Léa Roux",
        reason="powder lab: sample of the sieved batch",
        action=EventAction(type="TEST", parameters={"method": "oxygen (inert gas fusion), Hall flow"}),
        characteristics={"oxygen_wt_pct": 0.11, "hall_flow_s_50g": 26.4},
        inputs=[L("BATCH-TI64-0003")],
    )
    # CT inspection of job 17: three brackets released, one failed and scrapped, three shipped.
    s.add(
        EventType.RECLASSIFY,
        at(4, 15),
        location_id="AMB/POST",
        status=Status.RELEASED,
        biz_step="inspecting",
        disposition="available",
        recorded_by="Léa Roux",
        reason="CT scan: no porosity above 0.2 mm",
        inputs=[L(p) for p in PARTS_17[:3]],
    )
    s.add(
        EventType.RECLASSIFY,
        at(4, 15, 5),
        location_id="AMB/POST",
        status=Status.FAIL,
        biz_step="inspecting",
        disposition="non_conformant",
        recorded_by="Léa Roux",
        reason="CT scan: lack-of-fusion pore 0.6 mm",
        inputs=[L(PARTS_17[3])],
    )
    s.add(
        EventType.SCRAP,
        at(4, 16),
        location_id="AMB/POST",
        biz_step="destroying",
        disposition="destroyed",
        recorded_by="Léa Roux",
        reason="failed CT scan",
        inputs=[L(PARTS_17[3])],
    )
    # The blend: the sieved used powder topped up with virgin powder of the same lot (a diamond).
    s.add(
        EventType.ISSUE,
        at(5, 8),
        location_id="AMB/POWDER",
        biz_step="dispensing",
        **tech,
        order_id="MO-AM-2403-021",
        new_items=[batch("BATCH-TI64-0004")],
        inputs=[L(VIRGIN_1, 18, "KG", "AMB/STORE/S-01")],
        outputs=[L("BATCH-TI64-0004")],
    )
    s.add(
        EventType.UNPACK,
        at(5, 8, 20),
        location_id="AMB/POWDER",
        container_id=BIN,
        biz_step="unpacking",
        **tech,
        inputs=[L("BATCH-TI64-0003")],
    )
    s.add(
        EventType.MERGE,
        at(5, 9),
        location_id="AMB/POWDER",
        order_id="MO-AM-2403-021",
        biz_step="commissioning",
        **tech,
        reason="blend: 70 % sieved used powder, 30 % virgin",
        action=EventAction(type="BLEND"),
        new_items=[batch("BATCH-TI64-0005")],
        inputs=[L("BATCH-TI64-0003"), L("BATCH-TI64-0004")],
        outputs=[L("BATCH-TI64-0005")],
    )
    s.add(
        EventType.PACK,
        at(5, 9, 20),
        location_id="AMB/POWDER",
        container_id=BIN,
        biz_step="packing",
        **tech,
        inputs=[L("BATCH-TI64-0005")],
    )
    s.add(
        EventType.SHIP,
        at(5, 14),
        location_id="AMB/POST",
        to_location_id="CUST/ORBITAL-TLS",
        partner_id="ORG-ORBITAL",
        order_id="SO-ORB-1188",
        shipment_id="SHP-ORB-1188-1",
        biz_step="shipping",
        disposition="in_transit",
        recorded_by="Léa Roux",
        inputs=[L(p) for p in PARTS_17[:3]],
    )
    s.add(
        EventType.MOVE,
        at(7, 7, 30),
        from_location_id="AMB/POWDER",
        to_location_id="AMB/PRINT/M290-2",
        biz_step="transporting",
        **tech,
        container_id=BIN,
        inputs=[L("BATCH-TI64-0005")],
    )
    s.add(
        EventType.UNPACK,
        at(7, 7, 45),
        location_id="AMB/PRINT/M290-2",
        container_id=BIN,
        biz_step="unpacking",
        **tech,
        reason="loading the printer",
        action=EventAction(type="LOAD_PRINTER", parameters={"machine": "M290-2"}),
        inputs=[L("BATCH-TI64-0005")],
    )
    # Print job 21 on machine 2, from the blend; its used powder goes back into the same bin.
    s.add(
        EventType.PRODUCE,
        at(8, 18),
        location_id="AMB/PRINT/M290-2",
        order_id="MO-AM-2403-021",
        biz_step="commissioning",
        disposition="active",
        **tech,
        reason="print job 21 finished",
        action=EventAction(type="PRINT_JOB", parameters={"machine": "M290-2", "buildJob": "JOB-2403-021"}),
        new_items=[
            *(
                NewItem(
                    id=p,
                    kind=ItemKind.SERIAL,
                    material_id="PART-BRKT-A7",
                    lot_code=p[-4:],
                    status=Status.QC,
                    characteristics={"build_job": "JOB-2403-021"},
                )
                for p in PARTS_21
            ),
            batch("BATCH-TI64-0006"),
        ],
        inputs=[L("BATCH-TI64-0005")],
        outputs=[*(L(p, location_id="AMB/POST") for p in PARTS_21), L("BATCH-TI64-0006", 56.8, "KG")],
    )
    s.add(
        EventType.PACK,
        at(8, 19),
        location_id="AMB/PRINT/M290-2",
        container_id=BIN,
        biz_step="packing",
        **tech,
        reason="printer unload",
        action=EventAction(type="UNLOAD_PRINTER", parameters={"machine": "M290-2", "buildJob": "JOB-2403-021"}),
        inputs=[L("BATCH-TI64-0006")],
    )
    return s.commands


# -- shelf life: a short-dated lot, picked first, then refused once expired -------------------

BUTTER_SHORT = "LOT-BUTTER-0003"


def _shelf_life() -> list[EventCommand]:
    """A butter lot made 40 days before it arrived: with 45 days of shelf life it expires on day
    5 (9 March), before LOT-BUTTER-0001 (day 42). A FEFO pick of butter in the cold room picks
    it first until then (`shelf_life_pick`); issued after it, it is refused EXPIRED
    (`expired_issue`), and it stays in the cold room as expired stock (nearExpiry lists it)."""
    s = _Script("EV-SHELF")
    s.add(
        EventType.RECEIVE,
        at(1, 7),
        partner_id="ORG-LAITERIE",
        location_id="BKY/COLD/C-01",
        biz_step="receiving",
        recorded_by="Sophie Martin",
        reason="short-dated lot taken at a discount: best before 9 March",
        new_items=[NewItem(id=BUTTER_SHORT, material_id="BUTTER-82", lot_code="LV-0871", manufactured_at=at(-40, 0))],
        outputs=[L(BUTTER_SHORT, 4, "CASE")],
    )
    return s.commands


def shelf_life_pick() -> dict[str, Any]:
    """The FEFO query of the demo (docs/guide.md, Shelf life): 50 kg of butter from the cold room on day 3."""
    return {"material_id": "BUTTER-82", "location_id": "BKY/COLD/C-01", "quantity": 50.0, "at": at(3, 6)}


def expired_issue() -> EventCommand:
    """An issue of the short-dated butter on day 6, after its expiry: refused EXPIRED."""
    return EventCommand(
        type=EventType.ISSUE,
        id="EV-SHELF-EXPIRED-ISSUE",
        event_time=at(6, 6),
        location_id="BKY/COLD/C-01",
        organization_id=HOME,
        inputs=[L(BUTTER_SHORT, 5, "KG")],
        new_items=[NewItem(id="BATCH-BUTTER-EXPIRED", kind=ItemKind.BATCH, material_id="BUTTER-82")],
        outputs=[L("BATCH-BUTTER-EXPIRED")],
    )


# -- two units: Comté wheels, each weighed (catch weight) -------------------------------------

COMTE = "LOT-COMTE-0001"


def _two_units() -> list[EventCommand]:
    """Six Comté wheels arrive weighing 238.6 kg in all (kept as 6 EA and 238.6 KG); on day 8 one
    wheel, weighed at 38.7 kg, is scrapped for a mould spot: 5 wheels and 199.9 kg are left. The
    butter beside them is counted in cases as well, by each lot's own case weight."""
    s = _Script("EV-CHEESE")
    s.add(
        EventType.RECEIVE,
        at(2, 7),
        partner_id="ORG-LAITERIE",
        location_id="BKY/COLD/C-01",
        biz_step="receiving",
        recorded_by="Sophie Martin",
        new_items=[NewItem(id=COMTE, material_id="CHEESE-COMTE", lot_code="LV-C-2231", manufactured_at=at(-200, 0))],
        outputs=[L(COMTE, 6, second_quantity=238.6)],
    )
    s.add(
        EventType.SCRAP,
        at(8, 9),
        location_id="BKY/COLD/C-01",
        recorded_by="Sophie Martin",
        biz_step="destroying",
        reason="mould spot on the rind of one wheel",
        inputs=[L(COMTE, 1, location_id="BKY/COLD/C-01", second_quantity=38.7)],
    )
    return s.commands


# -- a lab result out of specification ---------------------------------------------------------

FLOUR_WET = "LOT-FLOUR-0003"


def _lab_result() -> list[EventCommand]:
    """A third flour lot, received on day 10 in QC; its lab test finds 15.8 % moisture, above
    the 15.0 % limit of FLOUR-T55's definition: the same event moves it to FAIL."""
    s = _Script("EV-LAB")
    s.add(
        EventType.RECEIVE,
        at(10, 6, 30),
        order_id="PO-BKY-0315",
        partner_id="ORG-MILLSTONE",
        location_id="BKY/RECV",
        biz_step="receiving",
        recorded_by="Sophie Martin",
        new_items=[
            NewItem(
                id=FLOUR_WET,
                material_id="FLOUR-T55",
                lot_code="MS240311-1",
                status=Status.QC,
                manufactured_at=at(9, 0),
            )
        ],
        outputs=[L(FLOUR_WET, 20, "BAG")],
    )
    s.add(
        EventType.CHARACTERISTICS,
        at(10, 10),
        location_id="BKY/RECV",
        biz_step="inspecting",
        recorded_by="Sophie Martin",
        reason="incoming lab test",
        characteristics={
            "moisture_pct": 15.8,
            "protein_pct": 11.2,
            "falling_number_s": 305.0,
            "mycotoxin_screen_pass": True,
        },
        inputs=[L(FLOUR_WET)],
    )
    return s.commands


# -- a classification of the bakery's own: quarantine ------------------------------------------

QUARANTINE = "QUARANTINE"
SUGAR_2 = "LOT-SUGAR-0002"

# The bakery's own classifications, besides the five built-ins (QC, RELEASED, HOLD, FAIL, REWORK).
CLASSIFICATIONS = [
    Classification(
        id=QUARANTINE,
        name="Quarantine",
        description="Suspect stock kept in the quarantine cage until the supplier's investigation "
        "ends: it may be moved (into the cage), not issued, shipped, packed or split.",
        may_issue=False,
        may_ship=False,
        may_pack=False,
        may_move=True,
        may_split=False,
    )
]


def _quarantine() -> list[EventCommand]:
    """A second sugar lot, received on day 8 and put in QUARANTINE the same morning (the
    sucrerie reported possible foreign matter in the batch), then moved into the quarantine
    cage, which the classification allows; issuing it (`quarantined_issue`) is refused."""
    s = _Script("EV-QUAR")
    s.add(
        EventType.RECEIVE,
        at(8, 7),
        partner_id="ORG-SUCRERIE",
        location_id="BKY/RECV",
        biz_step="receiving",
        recorded_by="Sophie Martin",
        new_items=[NewItem(id=SUGAR_2, material_id="SUGAR-FINE", lot_code="SN-24-0203", manufactured_at=at(-10, 0))],
        outputs=[L(SUGAR_2, 6, "SACK")],
    )
    s.add(
        EventType.RECLASSIFY,
        at(8, 9),
        location_id="BKY/RECV",
        status=QUARANTINE,
        biz_step="holding",
        recorded_by="Sophie Martin",
        reason="Sucrerie du Nord notice SN-INV-12: possible foreign matter in batch SN-24-0203",
        inputs=[L(SUGAR_2)],
    )
    s.add(
        EventType.MOVE,
        at(8, 9, 15),
        from_location_id="BKY/RECV",
        to_location_id="BKY/QUAR",
        biz_step="storing",
        recorded_by="Sophie Martin",
        inputs=[L(SUGAR_2)],
    )
    return s.commands


def quarantined_issue() -> EventCommand:
    """An issue of the quarantined sugar on day 9: refused STATUS_FORBIDS."""
    return EventCommand(
        type=EventType.ISSUE,
        id="EV-QUAR-ISSUE",
        event_time=at(9, 6),
        location_id="BKY/QUAR",
        organization_id=HOME,
        inputs=[L(SUGAR_2, 5, "KG")],
        new_items=[NewItem(id="BATCH-SUGAR-QUAR", kind=ItemKind.BATCH, material_id="SUGAR-FINE")],
        outputs=[L("BATCH-SUGAR-QUAR")],
    )


# -- a touring bicycle built against its composition list, a wheel swapped later ---------------

TOURING_LIST = CompositionList(
    id="BOM-BIKE-TOUR28",
    material_id="BIKE-TOUR28",
    name='Touring bicycle 28"',
    description="One frame, a front and a rear wheel in their slots, one saddle.",
    components=[
        Component(material_id="FRAME-TR28"),
        Component(material_id="WHEEL-TR28", slot="FRONT"),
        Component(material_id="WHEEL-TR28", slot="REAR"),
        Component(material_id="SADDLE-CMF"),
    ],
)
TOURING_BIKE = "BIKE-TOUR-0001"
TOURING_WHEELS = ["WHL-TR-0001", "WHL-TR-0002", "WHL-TR-0003"]  # the third is the spare


def _touring() -> list[EventCommand]:
    """Day 10: a touring bicycle built in three events against BOM-BIKE-TOUR28: the frame made
    into the bicycle's serial, then the wheels installed in their FRONT and REAR slots, then
    the saddle (each ASSEMBLE checked against the list). Day 12: the rear wheel is found out of
    true and swapped: taken out onto shelf A-03 (where it can be traced on), the spare
    installed in its slot, in one transaction."""
    s = _Script("EV-TOUR")
    frame = "FRM-TR-0001"
    s.add(
        EventType.RECEIVE,
        at(10, 7),
        partner_id="ORG-VELOFRAME",
        location_id="LYON/WH/A-03",
        biz_step="receiving",
        recorded_by="Julien Moreau",
        new_items=[NewItem(id=frame, kind=ItemKind.SERIAL, material_id="FRAME-TR28", lot_code=frame[-4:])],
        outputs=[L(frame, 1)],
    )
    s.add(
        EventType.RECEIVE,
        at(10, 7, 10),
        partner_id="ORG-RIMTEC",
        location_id="LYON/WH/A-03",
        biz_step="receiving",
        recorded_by="Julien Moreau",
        new_items=[
            NewItem(id=w, kind=ItemKind.SERIAL, material_id="WHEEL-TR28", lot_code=w[-4:]) for w in TOURING_WHEELS
        ]
        + [NewItem(id="LOT-SADDLE-0001", material_id="SADDLE-CMF", lot_code="SD-0001")],
        outputs=[L(w, 1) for w in TOURING_WHEELS] + [L("LOT-SADDLE-0001", 10)],
    )
    assembly = {"biz_step": "assembling", "recorded_by": "Camille Bernard", "location_id": "LYON/ASSY"}
    s.add(
        EventType.PRODUCE,
        at(10, 8),
        **assembly,
        new_items=[NewItem(id=TOURING_BIKE, kind=ItemKind.SERIAL, material_id="BIKE-TOUR28", lot_code="0001")],
        inputs=[L(frame, 1, location_id="LYON/WH/A-03")],
        outputs=[L(TOURING_BIKE)],
    )
    s.add(
        EventType.ASSEMBLE,
        at(10, 8, 20),
        **assembly,
        composition_id=TOURING_LIST.id,
        inputs=[
            Line(item_id=TOURING_WHEELS[0], location_id="LYON/WH/A-03", slot="FRONT"),
            Line(item_id=TOURING_WHEELS[1], location_id="LYON/WH/A-03", slot="REAR"),
        ],
        outputs=[L(TOURING_BIKE)],
    )
    s.add(
        EventType.ASSEMBLE,
        at(10, 8, 40),
        **assembly,
        composition_id=TOURING_LIST.id,
        inputs=[L("LOT-SADDLE-0001", 1, location_id="LYON/WH/A-03")],
        outputs=[L(TOURING_BIKE)],
    )
    s.add(
        EventType.DISASSEMBLE,
        at(12, 9),
        **{**assembly, "biz_step": "disassembling"},
        reason="final inspection: rear wheel out of true",
        inputs=[L(TOURING_BIKE)],
        outputs=[L(TOURING_WHEELS[1], location_id="LYON/WH/A-03")],
    )
    s.add(
        EventType.ASSEMBLE,
        at(12, 9),
        **assembly,
        composition_id=TOURING_LIST.id,
        reason="spare rear wheel",
        inputs=[Line(item_id=TOURING_WHEELS[2], location_id="LYON/WH/A-03", slot="REAR")],
        outputs=[L(TOURING_BIKE)],
    )
    return s.commands


def incomplete_touring_bike() -> EventCommand:
    """A second touring bicycle produced at once against its list from a saddle alone: refused
    (the frame and both wheel slots are missing: COMPOSITION_MISSING)."""
    return EventCommand(
        type=EventType.PRODUCE,
        id="EV-TOUR-INCOMPLETE",
        event_time=at(12, 10),
        location_id="LYON/ASSY",
        organization_id=HOME,
        composition_id=TOURING_LIST.id,
        new_items=[NewItem(id="BIKE-TOUR-0002", kind=ItemKind.SERIAL, material_id="BIKE-TOUR28")],
        inputs=[L("LOT-SADDLE-0001", 1, location_id="LYON/WH/A-03")],
        outputs=[L("BIKE-TOUR-0002")],
    )


# -- loading ----------------------------------------------------------------------------------


def demo_commands() -> list[EventCommand]:
    """Every event of the demo, in time order (each plant's own order kept on ties)."""
    return sorted(
        [
            *_bicycles(),
            *_bakery(),
            *_powder(),
            *_shelf_life(),
            *_quarantine(),
            *_lab_result(),
            *_touring(),
            *_two_units(),
        ],
        key=lambda c: c.event_time,  # type: ignore[arg-type,return-value]
    )


async def load_demo(ledger: Ledger) -> int:
    """Record the demo into an empty store; returns the number of events recorded."""
    for org in ORGANIZATIONS:
        await ledger.create_organization(org)
    for material in MATERIALS:
        await ledger.create_material(material.model_copy(update={"organization_id": HOME}))
    for location in LOCATIONS:  # parents come before their children
        await ledger.create_location(location)
    for order in ORDERS:
        await ledger.create_order(order)
    for classification in CLASSIFICATIONS:
        await ledger.create_classification(classification.model_copy(update={"organization_id": HOME}))
    await ledger.save_composition_list(TOURING_LIST.model_copy(update={"organization_id": HOME}))
    recorded = 0
    # One transaction per calendar day: a day's events see each other's effects.
    for _, day in groupby(demo_commands(), key=lambda c: c.event_time.date()):  # type: ignore[union-attr]
        entries = await ledger.record_many(list(day), Source.COMMAND)
        recorded += sum(1 for e in entries if not e.duplicate)
    return recorded
