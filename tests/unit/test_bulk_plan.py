"""BulkPlanner plans what plan_batch plans, event by event, without copying the whole state."""

from __future__ import annotations

import copy
import random

import pytest
from ledger_world import NOW, L, NewItem, at, bakery, cmd

from tracegraph.domain.bulk import BulkPlanner
from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import EventCommand, Source
from tracegraph.domain.ledger import plan_batch
from tracegraph.domain.models import ItemKind


def stream(n: int, seed: int = 5) -> list[EventCommand]:
    """Lots received, split, merged, consumed into products and shipped, at random."""
    rng = random.Random(seed)
    lots = ["FL-1", "BU-1"]
    received = ["FL-1", "BU-1"]  # plenty on hand: the others feed lineage only once
    out: list[EventCommand] = []
    for k in range(n):
        roll = rng.random()
        if roll < 0.3:
            lot = f"L{k}"
            out.append(
                cmd(
                    "RECEIVE",
                    id=f"e{k}",
                    event_time=at(k),
                    location_id="WH",
                    new_items=[NewItem(id=lot, material_id="FLOUR")],
                    outputs=[L(lot, 50)],
                )
            )
            lots.append(lot)
            received.append(lot)
        elif roll < 0.5:
            src = rng.choice(received)
            parts = [f"L{k}-{j}" for j in range(2)]
            out.append(
                cmd(
                    "SPLIT",
                    id=f"e{k}",
                    event_time=at(k),
                    location_id="WH",
                    inputs=[L(src, 2)],
                    new_items=[NewItem(id=p, material_id="FLOUR", kind=ItemKind.SUBLOT, parent_id=src) for p in parts],
                    outputs=[L(p, 1) for p in parts],
                )
            )
            lots += parts
        elif roll < 0.8:
            ins = [*rng.sample(received, k=2), *([lots.pop()] if lots[-1] not in received else [])]
            out.append(
                cmd(
                    "PRODUCE",
                    id=f"e{k}",
                    event_time=at(k),
                    location_id="WH",
                    inputs=[L(i, 0.5) for i in ins],
                    new_items=[NewItem(id=f"D{k}", material_id="DOUGH")],
                    outputs=[L(f"D{k}")],
                )
            )
            lots.append(f"D{k}")
        else:
            out.append(
                cmd("SHIP", id=f"e{k}", event_time=at(k), location_id="WH", inputs=[L(rng.choice(received), 0.1)])
            )
    return out


def test_same_entries_and_state_as_plan_batch() -> None:
    cmds = stream(300)
    w1, w2 = bakery(), bakery()
    expected = plan_batch(cmds, w1.state, now=NOW)
    planner = BulkPlanner(w2.state)
    got = list(planner.plan_all(cmds, source=Source.COMMAND, now=NOW))
    assert got == expected
    assert w2.state.items == w1.state.items
    assert w2.state.balances == w1.state.balances
    assert w2.state.events == {}  # records are dropped once planned, unless a later event reverses them


def test_refusals_named_by_event_as_plan_batch_names_them() -> None:
    cmds = stream(50)
    cmds.insert(7, cmd("SHIP", id="too-much", location_id="WH", inputs=[L("BU-1", 10_000)]))
    with pytest.raises(DomainError) as batch:
        plan_batch(cmds, copy.deepcopy(bakery().state), now=NOW)
    with pytest.raises(DomainError) as bulk:
        list(BulkPlanner(bakery().state).plan_all(cmds, source=Source.COMMAND, now=NOW))
    assert bulk.value.problems == batch.value.problems
    assert bulk.value.problems[0].field.startswith("events[7].")
