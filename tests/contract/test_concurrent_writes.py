"""Many requests at once: each is all or nothing on its own, the refused ones write nothing,
the others all land (on the embedded store, in one group commit)."""

from __future__ import annotations

import asyncio

import pytest
from contract_kit import L, assert_consistent, bakery, cmd, on_hand, receive

from tracegraph.domain.errors import DomainError
from tracegraph.store.ladybug import LadybugStore
from tracegraph.store.port import Direction, GraphStore


async def test_concurrent_requests_are_each_all_or_nothing(store: GraphStore) -> None:
    await bakery(store)
    await receive(store, "A", "FLOUR", 100)

    # The embedded store takes all at once (a group commit), Neo4j a few at a time.
    gate = asyncio.Semaphore(30 if isinstance(store, LadybugStore) else 8)

    async def move(n: int, quantity: float) -> str:
        async with gate:
            return await _move(n, quantity)

    async def _move(n: int, quantity: float) -> str:
        c = cmd("MOVE", id=f"mv-{n}", to_location_id="LINE", inputs=[L("A", quantity, location_id="WH")])
        try:
            await store.record([c], source=_command())
        except DomainError as e:
            return e.problems[0].code
        return "ok"

    # 30 moves of 3 kg and, among them, 5 asking for 1000 kg: those are refused alone.
    jobs = [move(n, 1000 if n % 6 == 5 else 3) for n in range(30)]
    outcomes = await asyncio.gather(*jobs)
    assert outcomes.count("INSUFFICIENT_STOCK") == 5 and outcomes.count("ok") == 25
    where = await on_hand(store, "A")
    assert (where["WH"], where["LINE"]) == (pytest.approx(100 - 25 * 3), pytest.approx(25 * 3))
    await assert_consistent(store)
    assert await store.neighbours(["A"], Direction.FORWARD) == []


def _command():  # noqa: ANN202
    from tracegraph.domain.events import Source

    return Source.COMMAND
