"""A seeded generator of lot genealogies for the trace benchmark, valid as commands.

A food or powder plant, in event order:
  - raw receipts, and bulk lots (a silo of flour, salt) that feed many batches each: how many
    is drawn log-uniformly, so forward closures span tens to tens of thousands of items;
  - intermediates made from 2 to 5 inputs: a bulk lot, recent raw lots and, on the reuse
    lines, the line's previous batch (powder reused job after job: long backward chains);
  - diamonds: an intermediate split into 2 to 4 sub-lots that are merged again;
  - permanent containers (tanks) that intermediates are packed into, over and over;
  - products made from 2 to 5 intermediates, split into units, the units packed on a pallet
    and shipped to a customer.

`Genealogy.edges` holds every lineage link `A -> B` the commands make, computed here from the
commands, independently of the ledger, for the in-memory baseline and to check the answers.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tracegraph.domain.events import EventCommand, EventType, Line, NewItem
from tracegraph.domain.models import ContainerType, ItemKind, Location, Material, MaterialKind, Organization

SITE = "WH"
RAW = [f"RAW-{n:02d}" for n in range(12)]
BULK = [f"BULK-{n}" for n in range(4)]
INTERMEDIATE = [f"INT-{n:02d}" for n in range(8)]
PRODUCT = [f"PRD-{n:02d}" for n in range(8)]
CUSTOMERS = [f"CUST-{n}" for n in range(20)]
REUSE_LINES = 6


def master_data() -> tuple[list[Organization], list[Material], list[Location]]:
    orgs = [Organization(id=c, name=f"customer {c}") for c in CUSTOMERS]
    materials = [Material(id=m, name=m, base_unit="KG") for m in RAW + BULK]
    materials += [Material(id=m, name=m, base_unit="KG", kind=MaterialKind.INTERMEDIATE) for m in INTERMEDIATE]
    materials += [Material(id=m, name=m, base_unit="EA", kind=MaterialKind.PRODUCT) for m in PRODUCT]
    return orgs, materials, [Location(id=SITE, name="plant warehouse")]


@dataclass
class Genealogy:
    lots: int
    seed: int = 11
    edges: list[tuple[str, str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    events: int = 0

    def commands(self) -> Iterator[EventCommand]:
        rng = random.Random(self.seed)
        t0 = datetime(2025, 1, 1, tzinfo=UTC)
        on_hand: dict[str, float] = {}
        material_of: dict[str, str | None] = {}
        n_event = 0
        n_tanks = max(2, self.lots // 5000)

        def event(kind: EventType, **fields: object) -> EventCommand:
            nonlocal n_event
            n_event += 1
            return EventCommand(
                type=kind, id=f"ev-{n_event}", event_time=t0 + timedelta(seconds=n_event), location_id=SITE, **fields
            )  # type: ignore[arg-type]

        def new(item_id: str, material: str | None, qty: float | None, **spec: object) -> NewItem:
            self.items.append(item_id)
            material_of[item_id] = material
            if qty is not None:
                on_hand[item_id] = qty
            return NewItem(id=item_id, material_id=material, **spec)  # type: ignore[arg-type]

        def take(item_id: str, wanted: float) -> Line:
            qty = round(min(on_hand[item_id], wanted), 3)
            on_hand[item_id] -= qty
            return Line(item_id=item_id, quantity=qty)

        def link(inputs: list[Line], outputs: list[str]) -> None:
            self.edges += [(i.item_id, o) for i in inputs for o in outputs if i.item_id != o]

        raws: deque[str] = deque(maxlen=40)
        bulk: dict[str, tuple[str, int]] = {}  # material -> (lot, uses left)
        reuse: list[str | None] = [None] * REUSE_LINES
        reuse_left = [0] * REUSE_LINES
        intermediates: deque[str] = deque(maxlen=60)
        tanks_made: set[str] = set()
        n = 0

        def receive(material: str, qty: float) -> EventCommand:
            nonlocal n
            n += 1
            lot = f"{material}-L{n}"
            return event(
                EventType.RECEIVE,
                new_items=[new(lot, material, qty, lot_code=str(n))],
                outputs=[Line(item_id=lot, quantity=qty)],
            )

        while len(self.items) < self.lots:
            # Raw receipts keep the window of fresh lots full.
            if len(raws) < 40 or rng.random() < 0.25:
                c = receive(rng.choice(RAW), 100_000.0)
                raws.append(c.outputs[0].item_id)
                yield c
                continue
            inputs: list[Line] = []
            material = rng.choice(BULK)
            lot, left = bulk.get(material, ("", 0))
            if left <= 0:
                uses = int(math.exp(rng.uniform(math.log(5), math.log(4000))))
                c = receive(material, float(uses) * 10)
                yield c
                lot, left = c.outputs[0].item_id, uses
            bulk[material] = (lot, left - 1)
            if on_hand[lot] > 0.01:
                inputs.append(take(lot, 5))
            line = rng.randrange(REUSE_LINES * 3)
            if line < REUSE_LINES:  # a reuse line: its previous batch goes into the next
                if reuse_left[line] <= 0:
                    reuse[line], reuse_left[line] = None, int(math.exp(rng.uniform(math.log(5), math.log(6000))))
                prev = reuse[line]
                if prev is not None and on_hand.get(prev, 0) > 0.01:
                    inputs.append(take(prev, on_hand[prev] * 0.8))
                reuse_left[line] -= 1
            for r in rng.sample(list(raws), k=rng.randint(1, 3)):
                if on_hand[r] > 0.01:
                    inputs.append(take(r, rng.uniform(1, 5)))
            n += 1
            out = f"INT-L{n}"
            c = event(
                EventType.PRODUCE,
                inputs=inputs,
                outputs=[Line(item_id=out)],
                new_items=[new(out, rng.choice(INTERMEDIATE), None)],
            )
            on_hand[out] = sum(i.quantity or 0 for i in inputs)
            link(inputs, [out])
            yield c
            if rng.random() < 0.1:  # a diamond: split into sub-lots, merged again
                k = rng.randint(2, 4)
                whole = on_hand[out]
                parts = [f"{out}-S{j}" for j in range(k)]
                split_in = [take(out, whole)]
                yield event(
                    EventType.SPLIT,
                    inputs=split_in,
                    new_items=[new(p, material_of[out], None, kind=ItemKind.SUBLOT, parent_id=out) for p in parts],
                    outputs=[Line(item_id=p, quantity=round(whole / k, 3)) for p in parts],
                )
                for p in parts:
                    on_hand[p] = round(whole / k, 3)
                link(split_in, parts)
                merged = f"{out}-M"
                merge_in = [take(p, on_hand[p]) for p in parts]
                yield event(
                    EventType.MERGE,
                    inputs=merge_in,
                    outputs=[Line(item_id=merged)],
                    new_items=[new(merged, rng.choice(INTERMEDIATE), None)],
                )
                on_hand[merged] = sum(i.quantity or 0 for i in merge_in)
                link(merge_in, [merged])
                out = merged
            if line < REUSE_LINES:
                reuse[line] = out
            if rng.random() < 0.3:  # into a permanent tank, reused for ever
                tank = f"TANK-{rng.randrange(n_tanks)}"
                spec = (
                    []
                    if tank in tanks_made
                    else [new(tank, None, None, kind=ItemKind.CONTAINER, container_type=ContainerType.PERMANENT)]
                )
                tanks_made.add(tank)
                pack_in = [Line(item_id=out, quantity=round(on_hand[out], 3))]
                yield event(EventType.PACK, inputs=pack_in, container_id=tank, new_items=spec)
                link(pack_in, [tank])
            intermediates.append(out)
            # Now and then a product from 2 to 5 recent intermediates, in units on a pallet, shipped.
            if len(intermediates) >= 5 and rng.random() < 0.4:
                picks = [i for i in rng.sample(list(intermediates), k=rng.randint(2, 5)) if on_hand[i] > 0.01]
                if not picks:
                    continue
                prod_in = [take(i, rng.uniform(0.5, 2)) for i in picks]
                n += 1
                prod = f"PRD-L{n}"
                units = rng.randint(4, 12)
                yield event(
                    EventType.PRODUCE,
                    inputs=prod_in,
                    outputs=[Line(item_id=prod, quantity=float(units))],
                    new_items=[new(prod, rng.choice(PRODUCT), float(units))],
                )
                link(prod_in, [prod])
                unit_ids = [f"{prod}-U{j}" for j in range(units)]
                split_in = [take(prod, float(units))]
                yield event(
                    EventType.SPLIT,
                    inputs=split_in,
                    new_items=[new(u, material_of[prod], None, kind=ItemKind.SUBLOT, parent_id=prod) for u in unit_ids],
                    outputs=[Line(item_id=u, quantity=1.0) for u in unit_ids],
                )
                link(split_in, unit_ids)
                pallet = f"PAL-{n}"
                pack_in = [Line(item_id=u, quantity=1.0) for u in unit_ids]
                yield event(
                    EventType.PACK,
                    inputs=pack_in,
                    container_id=pallet,
                    new_items=[new(pallet, None, None, kind=ItemKind.CONTAINER, container_type=ContainerType.LOGISTIC)],
                )
                link(pack_in, [pallet])
                yield event(
                    EventType.SHIP,
                    inputs=[Line(item_id=u, quantity=1.0) for u in unit_ids],
                    shipment_id=f"SH-{n}",
                    partner_id=rng.choice(CUSTOMERS),
                )
        self.events = n_event
