"""DataLoaders: a page of N items with their references costs a number of store calls that
does not grow with N."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import pytest_asyncio
from api_kit import Api

pytestmark = pytest.mark.asyncio(loop_scope="module")

READS = ("get", "page", "balances", "events", "events_by_id", "events_of_items", "neighbours", "findings")

QUERY = """query($first: Int!) { items(first: $first, materialId: "FLOUR") { edges { node {
    id material { id name }
    balances { quantity item { id } location { id parent { id } } material { id } }
    onHand { quantity }
    events { id items { id material { id } } location { id } moves { item { id } toLocation { id } } }
    inputs { id } outputs { id material { id } }
    createdByEvent { id }
} } } }"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def many(plant: Api) -> Api:
    """Twenty flour lots, each split into a sub-lot, so every item has lineage and events."""
    q = "mutation($input: [EventInput!]!) { recordEvents(input: $input) { errors { field message } } }"
    batch: list[dict[str, Any]] = []
    for n in range(20):
        lot, sub = f"F-{n:02d}", f"F-{n:02d}-S"
        batch += [
            {
                "type": "RECEIVE",
                "locationId": "WH",
                "newItems": [{"id": lot, "materialId": "FLOUR"}],
                "outputs": [{"itemId": lot, "quantity": 10}],
            },
            {
                "type": "SPLIT",
                "locationId": "WH",
                "inputs": [{"itemId": lot, "quantity": 4}],
                "newItems": [{"id": sub, "materialId": "FLOUR", "kind": "SUBLOT", "parentId": lot}],
                "outputs": [{"itemId": sub, "locationId": "LINE"}],
            },
        ]
    assert (await plant.data(q, {"input": batch}))["recordEvents"]["errors"] == []
    return plant


@pytest.fixture
def calls(app: Any) -> Iterator[Counter[str]]:
    """Counts the store's read calls."""
    store = app.state.store
    counter: Counter[str] = Counter()
    originals = {name: getattr(store, name) for name in READS}

    def counting(name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            counter[name] += 1
            return await originals[name](*args, **kwargs)

        return call

    for name in READS:
        setattr(store, name, counting(name))
    yield counter
    for name in READS:
        delattr(store, name)


async def test_store_calls_do_not_grow_with_the_page(many: Api, calls: Counter[str]) -> None:
    small = await many.data(QUERY, {"first": 4})
    small_calls = sum(calls.values())
    small_counts = dict(calls)
    calls.clear()
    large = await many.data(QUERY, {"first": 40})
    large_calls = sum(calls.values())

    assert len(small["items"]["edges"]) == 4 and len(large["items"]["edges"]) == 40
    node = large["items"]["edges"][0]["node"]
    assert node["material"] == {"id": "FLOUR", "name": "Flour"}
    assert {b["location"]["id"] for b in node["balances"]} == {"WH", "virtual:production", "virtual:supplier"}
    assert node["outputs"] == [{"id": "F-00-S", "material": {"id": "FLOUR"}}]
    # Ten times the page, the same reads (36 more items would be 36 more reads of each kind, were
    # they read one by one): a DataLoader sends its batch on the next turn of the event loop, and
    # on a server store a load may fall into the turn after, one read more for a loader or two
    # (materials, locations, classifications: seen on a loaded machine, 9 reads against 11).
    assert abs(large_calls - small_calls) <= 3, (small_counts, calls)
    assert large_calls <= 14, calls
    assert calls["page"] == 1 and calls["balances"] == 1 and calls["events_of_items"] == 1
