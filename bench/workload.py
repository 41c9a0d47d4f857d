"""A seeded generator of plant-like event streams, valid as commands, for benchmarks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from tracegraph.domain.events import EventCommand, EventType, Line, NewItem
from tracegraph.domain.models import Location, Material, MaterialKind

WAREHOUSES = [f"WH-{n}" for n in range(5)]
RAW = [f"RAW-{n:02d}" for n in range(20)]
PRODUCTS = [f"PRD-{n:02d}" for n in range(10)]


def master_data() -> tuple[list[Material], list[Location]]:
    materials = [Material(id=m, name=f"raw material {m}", base_unit="KG", conversions={"BAG": 25}) for m in RAW]
    materials += [Material(id=p, name=f"product {p}", base_unit="EA", kind=MaterialKind.PRODUCT) for p in PRODUCTS]
    locations = [Location(id=w, name=f"warehouse {w}") for w in WAREHOUSES]
    return materials, locations


def events(count: int, seed: int = 7, prefix: str = "B") -> Iterator[EventCommand]:
    """Receipts of raw lots, productions consuming 2-3 of them, moves and shipments, in a valid order."""
    rng = random.Random(seed)
    t = datetime(2026, 1, 1, tzinfo=UTC)
    raw: list[tuple[str, str, float]] = []  # (lot, location, on hand)
    made: list[tuple[str, str, float]] = []
    n = 0
    while n < count:
        t += timedelta(seconds=30)
        roll = rng.random()
        if roll < 0.4 or len(raw) < 3:
            lot, loc = f"{prefix}-LOT-{n}", rng.choice(WAREHOUSES)
            qty = float(rng.randint(4, 40) * 25)
            raw.append((lot, loc, qty))
            yield EventCommand(
                type=EventType.RECEIVE,
                id=f"{prefix}-ev-{n}",
                event_time=t,
                location_id=loc,
                new_items=[NewItem(id=lot, material_id=rng.choice(RAW), lot_code=str(n))],
                outputs=[Line(item_id=lot, quantity=qty)],
            )
        elif roll < 0.7:
            picks = rng.sample(range(len(raw)), k=min(len(raw), rng.randint(2, 3)))
            loc = raw[picks[0]][1]
            inputs = []
            for i in picks:
                lot, at, on_hand = raw[i]
                take = round(min(on_hand, rng.uniform(5, 50)), 3)
                inputs.append(Line(item_id=lot, quantity=take, location_id=at))
                raw[i] = (lot, at, on_hand - take)
            out = f"{prefix}-PRD-{n}"
            qty = float(rng.randint(10, 200))
            made.append((out, loc, qty))
            yield EventCommand(
                type=EventType.PRODUCE,
                id=f"{prefix}-ev-{n}",
                event_time=t,
                location_id=loc,
                inputs=inputs,
                new_items=[NewItem(id=out, material_id=rng.choice(PRODUCTS))],
                outputs=[Line(item_id=out, quantity=qty)],
            )
            raw = [r for r in raw if r[2] > 1.0]
        elif roll < 0.85 and made:
            i = rng.randrange(len(made))
            item, at, on_hand = made[i]
            dst = rng.choice([w for w in WAREHOUSES if w != at])
            made[i] = (item, dst, on_hand)
            yield EventCommand(
                type=EventType.MOVE,
                id=f"{prefix}-ev-{n}",
                event_time=t,
                from_location_id=at,
                to_location_id=dst,
                inputs=[Line(item_id=item, quantity=on_hand)],
            )
        elif made:
            i = rng.randrange(len(made))
            item, at, on_hand = made[i]
            qty = float(max(1, int(on_hand // 2)))
            made[i] = (item, at, on_hand - qty)
            if made[i][2] < 1:
                made.pop(i)
            yield EventCommand(
                type=EventType.SHIP,
                id=f"{prefix}-ev-{n}",
                event_time=t,
                location_id=at,
                shipment_id=f"{prefix}-SH-{n}",
                inputs=[Line(item_id=item, quantity=qty)],
            )
        else:
            continue
        n += 1
