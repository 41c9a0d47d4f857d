"""Traces with options and quantities, the same on every store: time windows, `asOf`,
kinds, contact through permanent containers, mass balance through splits, merges, returns
and assemblies with serials, all against hand-computed answers."""

from __future__ import annotations

from datetime import UTC, datetime

from contract_kit import L, at, bakery, cmd, lot, receive, record

from tracegraph.domain.events import LinkKind
from tracegraph.domain.models import ContainerType, ItemKind
from tracegraph.domain.trace import TraceWindow
from tracegraph.services.ledger import Ledger
from tracegraph.services.trace import TraceOptions
from tracegraph.store.port import Direction, GraphStore


async def diamond(store: GraphStore) -> Ledger:
    """A (100 kg flour) split into B 60 / C 40; B 30 and C 40 merged into D (70); D 50 with sugar
    S 10 baked into E (60 kg); E 20 kg shipped, 5 scrapped; B keeps 30 on hand."""
    await bakery(store)
    await receive(store, "A", "FLOUR", 100)
    await receive(store, "S", "SUGAR", 10)
    await record(
        store,
        cmd(
            "SPLIT",
            id="split",
            event_time=at(1),
            location_id="WH",
            inputs=[L("A", 100)],
            new_items=[
                lot("B", "FLOUR", kind=ItemKind.SUBLOT, parent_id="A"),
                lot("C", "FLOUR", kind=ItemKind.SUBLOT, parent_id="A"),
            ],
            outputs=[L("B", 60), L("C", 40)],
        ),
        cmd(
            "MERGE",
            id="merge",
            event_time=at(2),
            location_id="WH",
            inputs=[L("B", 30), L("C", 40)],
            new_items=[lot("D", "FLOUR")],
            outputs=[L("D")],
        ),
        cmd(
            "PRODUCE",
            id="bake",
            event_time=at(3),
            location_id="WH",
            inputs=[L("D", 50), L("S", 10)],
            new_items=[lot("E", "DOUGH")],
            outputs=[L("E", 60)],
        ),
        cmd(
            "SHIP",
            id="ship",
            event_time=at(4),
            shipment_id="SH-1",
            partner_id="SHOP",
            inputs=[L("E", 20, location_id="WH")],
        ),
        cmd("SCRAP", id="scrap", event_time=at(5), inputs=[L("E", 5, location_id="WH")]),
    )
    return Ledger(store)


def close(a: float | None, b: float) -> bool:
    return a is not None and abs(a - b) < 1e-6


async def test_links_carry_kind_quantity_and_times(store: GraphStore) -> None:
    await diamond(store)
    out = {(x.source_id, x.target_id): x for x in await store.links(["A"], Direction.FORWARD)}
    assert set(out) == {("A", "B"), ("A", "C")}
    ab = out[("A", "B")]
    assert (ab.kind, ab.quantity, ab.event_id, ab.event_time) == (LinkKind.SPLIT, 60.0, "split", at(1))
    assert ab.recorded_at is not None and not ab.voided
    into = {(x.source_id, x.target_id) for x in await store.links(["E"], Direction.BACKWARD)}
    assert into == {("D", "E"), ("S", "E")}
    assert await store.links([], Direction.FORWARD) == []


async def test_mass_balance_forward_through_split_merge_and_production(store: GraphStore) -> None:
    ledger = await diamond(store)
    result = await ledger.trace("A", Direction.FORWARD)
    assert sorted(result.items) == ["B", "C", "D", "E"]
    mb = (await ledger.tracer.mass_balance(result))["A"]
    assert mb.root_quantity == 100
    # D holds 30 of B (all flour from A) and 40 of C: 70 kg of A. E takes 50 of D's 70: 50 kg of A.
    assert close(mb.reached["B"], 60) and close(mb.reached["C"], 40)
    assert close(mb.reached["D"], 70) and close(mb.reached["E"], 50)
    # Fates of A's 100 kg: B keeps 30 on hand; D keeps 20 of 70 (20 of A); E: 60 made, 20 shipped,
    # 5 scrapped, 35 on hand, so of E's 50 kg of A: 50*20/60 shipped, 50*5/60 scrapped, 50*35/60 on hand.
    assert close(mb.by_fate["shipped"], 50 * 20 / 60) and close(mb.by_fate["scrapped"], 50 * 5 / 60)
    assert close(mb.by_fate["onHand"], 30 + 20 + 50 * 35 / 60)
    assert close(mb.accounted, 1.0) and mb.gaps == []


async def test_mass_balance_backward_gives_inputs_in_their_units(store: GraphStore) -> None:
    ledger = await diamond(store)
    result = await ledger.trace("E", Direction.BACKWARD)
    assert sorted(result.items) == ["A", "B", "C", "D", "S"]
    mb = (await ledger.tracer.mass_balance(result))["E"]
    assert close(mb.reached["D"], 50) and close(mb.reached["S"], 10)
    # 50 of D's 70: B gave 30 of it (50*30/70), C 40 (50*40/70); all of A's flour came via B and C.
    assert close(mb.reached["B"], 50 * 30 / 70) and close(mb.reached["C"], 50 * 40 / 70)
    assert close(mb.reached["A"], 50)


async def test_time_window_and_kinds(store: GraphStore) -> None:
    ledger = await diamond(store)
    early = await ledger.trace("A", Direction.FORWARD, options=TraceOptions(window=TraceWindow(until=at(2))))
    assert sorted(early.items) == ["B", "C"]
    late = await ledger.trace("A", Direction.FORWARD, options=TraceOptions(window=TraceWindow(since=at(2))))
    assert late.items == []
    sublots = await ledger.trace("A", Direction.FORWARD, options=TraceOptions(kinds=frozenset({ItemKind.SUBLOT})))
    assert sorted(sublots.items) == ["B", "C"]


async def test_as_of_sees_the_ledger_before_a_correction(store: GraphStore) -> None:
    ledger = await diamond(store)
    await record(
        store,
        cmd(
            "PRODUCE",
            id="extra",
            event_time=at(6),
            location_id="WH",
            inputs=[L("D", 10)],
            new_items=[lot("X", "DOUGH")],
            outputs=[L("X", 10)],
        ),
    )
    before = datetime.now(UTC)
    await record(store, cmd("CORRECTION", id="undo-extra", reverses="extra"))
    assert sorted((await ledger.trace("A", Direction.FORWARD)).items) == ["B", "C", "D", "E"]
    then = await ledger.trace("A", Direction.FORWARD, options=TraceOptions(window=TraceWindow(as_of=before)))
    assert sorted(then.items) == ["B", "C", "D", "E", "X"]
    very_early = TraceOptions(window=TraceWindow(as_of=datetime(2000, 1, 1, tzinfo=UTC)))
    assert (await ledger.trace("A", Direction.FORWARD, options=very_early)).items == []


async def tank(store: GraphStore, *, cleaned: bool) -> Ledger:
    """L1 in tank T from 0 to 2 h, L2 from 3 to 4 h, L3 from 6 h on; a cleaning at 5 h if `cleaned`.
    A pallet P (logistic) takes L1 too: a pallet is no contact."""
    await bakery(store)
    for n, name in enumerate(("L1", "L2", "L3", "L4")):
        await receive(store, name, "SUGAR", 10, event_id=f"rcv-{name}", hours=-1 - n)
    await record(
        store,
        cmd(
            "PACK",
            id="p1",
            event_time=at(0),
            location_id="WH",
            container_id="T",
            new_items=[
                lot(
                    "T",
                    None,
                    kind=ItemKind.CONTAINER,  # type: ignore[arg-type]
                    container_type=ContainerType.PERMANENT,
                )
            ],
            inputs=[L("L1", 10)],
        ),
    )
    steps = [
        cmd("UNPACK", id="u1", event_time=at(2), location_id="WH", container_id="T", inputs=[L("L1")]),
        cmd("PACK", id="p2", event_time=at(3), location_id="WH", container_id="T", inputs=[L("L2", 10)]),
        cmd("UNPACK", id="u2", event_time=at(4), location_id="WH", container_id="T", inputs=[L("L2")]),
        cmd("PACK", id="p3", event_time=at(6), location_id="WH", container_id="T", inputs=[L("L3", 10)]),
        cmd(
            "PACK",
            id="pal",
            event_time=at(7),
            location_id="WH",
            container_id="P",
            new_items=[
                lot(
                    "P",
                    None,
                    kind=ItemKind.CONTAINER,  # type: ignore[arg-type]
                    container_type=ContainerType.LOGISTIC,
                )
            ],
            inputs=[L("L1", 10)],
        ),
        cmd("PACK", id="pal4", event_time=at(8), location_id="WH", container_id="P", inputs=[L("L4", 10)]),
    ]
    if cleaned:
        steps.insert(3, cmd("CLEAN", id="wash", event_time=at(5), location_id="WH", container_id="T"))
    await record(store, *steps)
    return Ledger(store)


async def test_contact_through_a_permanent_container(store: GraphStore) -> None:
    ledger = await tank(store, cleaned=False)
    plain = await ledger.trace("L1", Direction.FORWARD)
    assert sorted(plain.items) == ["P", "T"], "without the option, packing only reaches the containers"
    contact = TraceOptions(through_containers=True)
    fwd = await ledger.trace("L1", Direction.FORWARD, options=contact)
    assert sorted(fwd.items) == ["L2", "L3", "P", "T"], "a logistic pallet is no contact: L4 is not reached"
    via = {(x.source_id, x.target_id, x.via) for x in fwd.links or [] if x.kind is LinkKind.CONTACT}
    assert via == {("L1", "L2", "T"), ("L1", "L3", "T"), ("L2", "L3", "T")}
    back = await ledger.trace("L3", Direction.BACKWARD, options=contact)
    assert sorted(back.items) == ["L1", "L2"]


async def test_a_cleaning_breaks_the_contact(store: GraphStore) -> None:
    ledger = await tank(store, cleaned=True)
    contact = TraceOptions(through_containers=True)
    assert sorted((await ledger.trace("L1", Direction.FORWARD, options=contact)).items) == ["L2", "P", "T"]
    assert (await ledger.trace("L3", Direction.BACKWARD, options=contact)).items == []
    assert sorted((await ledger.trace("L2", Direction.BACKWARD, options=contact)).items) == ["L1"]


async def test_assembly_with_serials_and_a_return(store: GraphStore) -> None:
    """Frames F1, F2 (serials) assembled with sugar... into bikes B1, B2; B1 shipped and returned."""
    await bakery(store)
    for n in ("F1", "F2"):
        await receive(store, n, "FRAME", 1, kind=ItemKind.SERIAL, lot_code=n)
    await receive(store, "G", "SUGAR", 2)
    await record(
        store,
        cmd(
            "PRODUCE",
            id="asm1",
            event_time=at(1),
            location_id="WH",
            inputs=[L("F1", 1), L("G", 1)],
            new_items=[lot("B1", "FRAME", kind=ItemKind.SERIAL, lot_code="B1")],
            outputs=[L("B1", 1)],
        ),
        cmd(
            "PRODUCE",
            id="asm2",
            event_time=at(1),
            location_id="WH",
            inputs=[L("F2", 1), L("G", 1)],
            new_items=[lot("B2", "FRAME", kind=ItemKind.SERIAL, lot_code="B2")],
            outputs=[L("B2", 1)],
        ),
        cmd("SHIP", id="ship-b1", event_time=at(2), partner_id="SHOP", inputs=[L("B1", 1, location_id="WH")]),
        cmd("RETURN", id="ret-b1", event_time=at(3), location_id="DOCK", outputs=[L("B1", 1)]),
    )
    ledger = Ledger(store)
    assert sorted((await ledger.trace("G", Direction.FORWARD)).items) == ["B1", "B2"]
    assert sorted((await ledger.trace("B1", Direction.BACKWARD)).items) == ["F1", "G"]
    result = await ledger.trace("G", Direction.FORWARD)
    mb = (await ledger.tracer.mass_balance(result))["G"]
    # Each bike holds 1 of G's 2 kg; B1 was returned, so both are on hand: nothing shipped.
    assert close(mb.reached["B1"], 1) and close(mb.reached["B2"], 1)
    assert close(mb.by_fate["shipped"], 0) and close(mb.by_fate["onHand"], 2) and close(mb.accounted, 1)
