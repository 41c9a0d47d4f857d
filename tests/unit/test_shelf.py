"""The shelf-life rules of domain/shelf.py: expiry, stages, FEFO proposals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tracegraph.domain.models import Item, ItemKind, Material, Status
from tracegraph.domain.query import decode_expiry_cursor, encode_expiry_cursor, expiry_cursor
from tracegraph.domain.shelf import SkipReason, Stage, days_left, is_expired, propose_fefo, stage, too_short_to_ship

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
MILK = Material(
    id="MILK", name="Milk", base_unit="L", shelf_life_days=10, min_remaining_shelf_life_days=3, expiry_warning_days=4
)


def lot(item_id: str, days: float | None, status: Status = Status.RELEASED) -> Item:
    expires = NOW + timedelta(days=days) if days is not None else None
    return Item(id=item_id, kind=ItemKind.LOT, material_id="MILK", unit="L", status=status, expires_at=expires)


def test_expired_from_its_expiry_on() -> None:
    assert not is_expired(lot("A", 0.001), NOW)
    assert is_expired(lot("A", 0), NOW)
    assert is_expired(lot("A", -1), NOW)
    assert not is_expired(lot("A", None), NOW)
    assert days_left(NOW + timedelta(hours=36), NOW) == 1.5


def test_minimum_remaining_shelf_life_for_shipping() -> None:
    assert too_short_to_ship(lot("A", 2.9), MILK, NOW)
    assert not too_short_to_ship(lot("A", 3), MILK, NOW)
    assert not too_short_to_ship(lot("A", 1), MILK.model_copy(update={"min_remaining_shelf_life_days": None}), NOW)
    assert not too_short_to_ship(lot("A", None), MILK, NOW)


def test_stages() -> None:
    assert stage(lot("A", 5), MILK, NOW) is None
    assert stage(lot("A", 4), MILK, NOW) is Stage.NEAR_EXPIRY  # the period's last instant included
    assert stage(lot("A", 0), MILK, NOW) is Stage.EXPIRED
    assert stage(lot("A", 5), MILK, NOW, days=6) is Stage.NEAR_EXPIRY  # a period asked for wins
    assert stage(lot("A", 1), MILK.model_copy(update={"expiry_warning_days": None}), NOW) is None
    assert stage(lot("A", None), MILK, NOW) is None


def test_fefo_picks_first_expiry_first_and_skips_what_may_not_be_used() -> None:
    lots = [
        (lot("LATE", 9), 50.0),
        (lot("NONE", None), 100.0),
        (lot("OLD", -1), 30.0),  # expired
        (lot("HELD", 1, Status.HOLD), 40.0),
        (lot("SOON", 2), 20.0),
        (lot("QC", 5, Status.QC), 10.0),  # may be issued, not shipped
        (lot("EMPTY", 0.5), 0.0),
    ]
    p = propose_fefo(lots, 45, NOW, materials={"MILK": MILK})
    assert [(x.item.id, x.quantity) for x in p.picks] == [("SOON", 20), ("QC", 10), ("LATE", 15)]
    assert [(x.item.id, x.reason) for x in p.skipped] == [
        ("OLD", SkipReason.EXPIRED),
        ("HELD", SkipReason.STATUS_FORBIDS),
    ]
    assert p.covered and p.shortfall == 0 and p.picked == 45
    shipping = propose_fefo(lots, 45, NOW, materials={"MILK": MILK}, shipping=True)
    assert [(x.item.id, x.quantity) for x in shipping.picks] == [("LATE", 45)]
    assert [(x.item.id, x.reason) for x in shipping.skipped] == [
        ("OLD", SkipReason.EXPIRED),
        ("HELD", SkipReason.STATUS_FORBIDS),
        ("SOON", SkipReason.SHELF_LIFE_TOO_SHORT),
        ("QC", SkipReason.STATUS_FORBIDS),
    ]
    # Lots without an expiry come last; what nothing covers is the shortfall.
    short = propose_fefo(lots, 500, NOW, materials={"MILK": MILK})
    assert [x.item.id for x in short.picks] == ["SOON", "QC", "LATE", "NONE"]
    assert not short.covered and short.shortfall == 500 - 180


def test_expiry_cursor_round_trip() -> None:
    for item in (lot("A", 1), lot("B", None)):
        cursor = expiry_cursor(item)
        assert decode_expiry_cursor(encode_expiry_cursor(cursor)) == cursor
    assert decode_expiry_cursor("nonsense") is None
    assert decode_expiry_cursor("2025-13-01 A") is None
