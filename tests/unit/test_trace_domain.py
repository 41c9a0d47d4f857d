"""The pure parts of a trace: link windows, container contact, mass balance by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger_world import L, NewItem, bakery, cmd

from tracegraph.domain.events import LinkKind
from tracegraph.domain.models import ContainerType, ItemKind, VirtualKind
from tracegraph.domain.trace import (
    Fate,
    LineageLink,
    TraceWindow,
    contacts,
    fate,
    mass_balance,
)

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def link(s: str, t: str, q: float | None = None, kind: LinkKind = LinkKind.CONSUMED, **kw) -> LineageLink:  # noqa: ANN003
    return LineageLink(source_id=s, target_id=t, kind=kind, quantity=q, **kw)


# -- windows -----------------------------------------------------------------------------------


def test_window_by_event_time_and_as_of_recorded_time() -> None:
    x = link("A", "B", 1, event_time=h(5), recorded_at=h(6))
    assert TraceWindow().admits(x)
    assert TraceWindow(since=h(5)).admits(x) and not TraceWindow(since=h(5.5)).admits(x)
    assert not TraceWindow(until=h(5)).admits(x) and TraceWindow(until=h(5.1)).admits(x)
    assert TraceWindow(as_of=h(6)).admits(x) and not TraceWindow(as_of=h(5.9)).admits(x)
    voided = link("A", "B", 1, event_time=h(5), recorded_at=h(6), voided=True, voided_at=h(8))
    assert not TraceWindow().admits(voided)
    assert TraceWindow(as_of=h(7)).admits(voided), "before the correction was recorded the link stood"
    assert not TraceWindow(as_of=h(8)).admits(voided)


# -- contact through a permanent container ---------------------------------------------------


def tank_history(clean_at: float | None) -> list:  # noqa: ANN401
    """L1 in the tank from 0 to 2, L2 from 3 to 4, cleaning at `clean_at`, L3 from 5 on."""
    w = bakery()
    w.item("TANK", None, kind=ItemKind.CONTAINER, container_type=ContainerType.PERMANENT)
    for lot in ("L1", "L2", "L3"):
        w.lot(lot, "BUTTER", 10, "WH")
    events = []
    steps: list[tuple[float, str, str]] = [
        (0, "PACK", "L1"),
        (2, "UNPACK", "L1"),
        (3, "PACK", "L2"),
        (4, "UNPACK", "L2"),
        (5, "PACK", "L3"),
    ]
    if clean_at is not None:
        steps.append((clean_at, "CLEAN", ""))
    for t, kind, lot in sorted(steps):
        fields = {"inputs": [L(lot, 10)] if kind == "PACK" else [L(lot)]} if lot else {}
        events.append(w.apply(cmd(kind, event_time=h(t), container_id="TANK", location_id="WH", **fields)).event)
    return events


def test_contact_reaches_later_occupants_until_a_cleaning() -> None:
    no_clean = tank_history(None)
    assert {x.target_id for x in contacts("TANK", no_clean, "L1", "FORWARD")} == {"L2", "L3"}
    assert {x.source_id for x in contacts("TANK", no_clean, "L3", "BACKWARD")} == {"L1", "L2"}
    cleaned = tank_history(4.5)
    assert {x.target_id for x in contacts("TANK", cleaned, "L1", "FORWARD")} == {"L2"}
    assert {x.source_id for x in contacts("TANK", cleaned, "L3", "BACKWARD")} == set()
    assert contacts("TANK", cleaned, "L2", "FORWARD") == []
    [one] = contacts("TANK", cleaned, "L2", "BACKWARD")
    assert (one.source_id, one.target_id, one.kind, one.via) == ("L1", "L2", LinkKind.CONTACT, "TANK")


def test_contact_never_reaches_earlier_occupants_forward() -> None:
    assert {x.target_id for x in contacts("TANK", tank_history(None), "L3", "FORWARD")} == set()


# -- fates and mass balance, computed by hand ---------------------------------------------------


def test_fate_of_a_lot_from_its_events() -> None:
    w = bakery()
    w.location("CUST", partner_id=None)
    e1 = w.apply(
        cmd("RECEIVE", location_id="WH", new_items=[NewItem(id="FL-9", material_id="FLOUR")], outputs=[L("FL-9", 100)])
    ).event
    e2 = w.apply(
        cmd(
            "ISSUE",
            location_id="WH",
            new_items=[NewItem(id="DB-9", material_id="DOUGH")],
            inputs=[L("FL-9", 60)],
            outputs=[L("DB-9")],
        )
    ).event
    e3 = w.apply(cmd("SCRAP", inputs=[L("FL-9", 5, location_id="WH")])).event
    e4 = w.apply(cmd("SHIP", inputs=[L("FL-9", 15, location_id="WH")])).event
    f = fate("FL-9", [e1, e2, e3, e4], on_hand=20)
    assert (f.created, f.consumed, f.scrapped, f.shipped, f.on_hand) == (100, 60, 5, 15, 20)
    assert f.accounted == 100 and f.terminal == 40


def test_forward_mass_balance_through_a_diamond() -> None:
    # R (100 kg) -> A gets 60 kg, B gets 40 kg; A (60 kg made) -> P uses 30; B (40 made) -> P uses 40.
    links = [link("R", "A", 60), link("R", "B", 40), link("A", "P", 30), link("B", "P", 40)]
    fates = {
        "R": Fate(created=100, consumed=100),
        "A": Fate(created=60, consumed=30, on_hand=30),
        "B": Fate(created=40, consumed=40),
        "P": Fate(created=70, shipped=50, scrapped=20),
    }
    mb = mass_balance("R", "FORWARD", ["R", "A", "B", "P"], links, fates)
    assert mb.root_quantity == 100
    assert mb.reached["A"] == 60 and mb.reached["B"] == 40
    assert abs(mb.reached["P"] - 70) < 1e-9  # 60 * 30/60 + 40 * 40/40
    assert abs(mb.by_fate["onHand"] - 30) < 1e-9
    assert abs(mb.by_fate["shipped"] - 50) < 1e-9 and abs(mb.by_fate["scrapped"] - 20) < 1e-9
    assert mb.accounted == 1.0 and mb.gaps == []


def test_forward_mass_balance_reports_unrecorded_fate_and_unknown_origin() -> None:
    links = [link("R", "A", 50), link("R", "X", 50)]
    fates = {"R": Fate(created=100, consumed=100), "A": Fate(created=50, on_hand=30), "X": Fate(created=0, consumed=0)}
    mb = mass_balance("R", "FORWARD", ["R", "A", "X"], links, fates)
    assert abs(mb.accounted - 0.3) < 1e-9
    kinds = {(g.item_id, g.kind) for g in mb.gaps}
    assert ("A", "UNACCOUNTED") in kinds and ("X", "NO_ORIGIN_QUANTITY") in kinds


def test_mass_balance_breaks_cycles_and_reports_them() -> None:
    links = [link("R", "A", 10), link("A", "R", 5)]
    fates = {"R": Fate(created=10, consumed=10), "A": Fate(created=10, on_hand=5, consumed=5)}
    mb = mass_balance("R", "FORWARD", ["R", "A"], links, fates)
    assert mb.reached["A"] == 10
    assert [g.kind for g in mb.gaps if g.kind == "CYCLE"] == ["CYCLE"]


def test_backward_mass_balance_gives_each_input_in_its_own_unit() -> None:
    # Dough D (100 kg) made from 80 kg flour F and 20 kg butter B; bread R made from 50 kg of D.
    links = [link("F", "D", 80), link("B", "D", 20), link("D", "R", 50)]
    fates = {"F": Fate(created=1000), "B": Fate(created=200), "D": Fate(created=100), "R": Fate(created=120)}
    mb = mass_balance("R", "BACKWARD", ["R", "D", "F", "B"], links, fates)
    assert mb.reached["D"] == 50 and mb.reached["F"] == 40 and mb.reached["B"] == 10
    assert mb.reached["R"] == 120


def test_packed_and_contact_links_carry_no_quantity() -> None:
    links = [link("R", "PAL", 10, kind=LinkKind.PACKED), link("R", "L2", kind=LinkKind.CONTACT)]
    fates = {"R": Fate(created=10, on_hand=10)}
    mb = mass_balance("R", "FORWARD", ["R", "PAL", "L2"], links, fates)
    assert mb.reached["PAL"] == 0 and mb.reached["L2"] == 0 and mb.accounted == 1.0


def test_a_shipment_to_a_partners_virtual_location_has_left() -> None:
    w = bakery()
    w.location("SHOP-7", virtual=VirtualKind.CUSTOMER)
    e1 = w.apply(
        cmd("RECEIVE", location_id="WH", new_items=[NewItem(id="FL-8", material_id="FLOUR")], outputs=[L("FL-8", 50)])
    ).event
    e2 = w.apply(cmd("SHIP", to_location_id="SHOP-7", inputs=[L("FL-8", 20, location_id="WH")])).event
    e3 = w.apply(cmd("RETURN", from_location_id="SHOP-7", location_id="WH", outputs=[L("FL-8", 5)])).event
    f = fate("FL-8", [e1, e2, e3], on_hand=35, virtual={"SHOP-7"})
    assert (f.created, f.shipped, f.on_hand) == (50, 15, 35) and f.accounted == 50
    unknown = fate("FL-8", [e1, e2, e3], on_hand=35)
    assert unknown.shipped == 0, "without knowing SHOP-7 is virtual, nothing has left"
