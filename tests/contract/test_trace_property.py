"""A property: on random lineage graphs, cycles included, the store's trace is exactly a plain
in-memory breadth-first search, reached set and depth, both ways, on every store."""

from __future__ import annotations

import itertools
from collections import deque

from contract_kit import L, cmd, lot, record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracegraph.domain.models import Location, Material
from tracegraph.services.ledger import Ledger
from tracegraph.store.port import Direction, GraphStore

_RUN = itertools.count()


def bfs(edges: set[tuple[int, int]], root: int, forward: bool) -> dict[int, int]:
    step: dict[int, list[int]] = {}
    for a, b in edges:
        s, t = (a, b) if forward else (b, a)
        step.setdefault(s, []).append(t)
    depth = {root: 0}
    queue = deque([root])
    while queue:
        n = queue.popleft()
        for m in step.get(n, []):
            if m not in depth:
                depth[m] = depth[n] + 1
                queue.append(m)
    del depth[root]
    return depth


graphs = st.integers(min_value=2, max_value=9).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda e: e[0] != e[1]), max_size=3 * n),
    )
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=graphs)
async def test_trace_is_breadth_first_search(store: GraphStore, graph: tuple[int, set[tuple[int, int]]]) -> None:
    n, edges = graph
    run = next(_RUN)
    if run == 0 or not await store.get("Material", ["M"]):
        await store.create("Material", Material(id="M", name="M", base_unit="KG"))
        await store.create("Location", Location(id="WH", name="WH"))
    name = [f"G{run}-{k}" for k in range(n)]
    commands = [
        cmd("RECEIVE", location_id="WH", new_items=[lot(name[k], "M")], outputs=[L(name[k], 100)]) for k in range(n)
    ]
    commands += [
        cmd("PRODUCE", id=f"g{run}-{a}-{b}", location_id="WH", inputs=[L(name[a], 1)], outputs=[L(name[b], 1)])
        for a, b in sorted(edges)
    ]
    await record(store, *commands)
    ledger = Ledger(store)
    for root in range(n):
        for direction in Direction:
            want = bfs(edges, root, direction is Direction.FORWARD)
            got = await ledger.trace(name[root], direction)
            assert {name.index(i): d for i, d in got.depth.items()} == want, (root, direction, edges)
            assert sorted(got.items) == sorted(name[k] for k in want)
