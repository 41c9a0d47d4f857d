"""Partner isolation on writes, door by door: an organization's key records events only on
items it may change (its own; what was shipped to it), names only locations it may use,
corrects only its own events, opens recalls only on what it sees, and never takes another
organization's event id. Every refusal writes nothing, answers NOT_FOUND for what the caller
may not see and FORBIDDEN for what it sees but may not change, and its message names nothing
the caller may not see. Over GraphQL (every event mutation and recordEvents), master data,
recalls, EPCIS capture (document and single event), capture jobs and a WebSocket.

The scene (built afresh per test, ids suffixed with a tag, so one test's outcome never
decides another's): organization A holds a lot it never showed anyone (`hidden`, at A's
private location A-LOC, of A's material A-MAT, 4321.5 KG) packed partly into a pallet and a
tank; a lot and a pallet it shared with B (`shared`, `spal`: visible to B, not B's to
change); and a lot it made from B's lot that B shipped to it (`near`: one step down from B,
visible to B, not B's). B owns `b_own`. C is a stranger to all of it."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from api_kit import BATCH, ERRORS, EVENT_PAYLOAD, KEY, ORG, Api, key_client, new_organization
from servers import ADMIN_KEY, graphql_data, uvicorn_in_loop
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from tracegraph.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROLES = ("ADMIN", "OPERATOR", "QUALITY", "PARTNER", "VIEWER")
CUSTOMER = "virtual:customer"
SUPPLIER = "virtual:supplier"
PERMISSION = {"NOT_FOUND", "FORBIDDEN"}
SNAP = "id status characteristics balances { locationId quantity } events { id }"
TRACE = "query($id: String!) { trace(id: $id, direction: FORWARD) { items { id } } }"
EPCIS_CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


@dataclass
class World:
    app: Starlette
    admin: Api
    ids: dict[str, str]  # organization name -> id
    keys: dict[str, dict[str, str]]  # organization name -> role -> key

    def client(self, org: str, role: str = "OPERATOR") -> httpx.AsyncClient:
        return key_client(self.app, self.keys[org][role])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(app: Starlette, plant: Api) -> World:
    ids, keys = {}, {}
    for name in ("A", "B", "C"):
        ids[name], keys[name] = await new_organization(plant, f"doors {name}", ROLES)
    w = World(app=app, admin=plant, ids=ids, keys=keys)
    async with w.client("A") as c:
        a = Api(c)
        await a.create("createMaterial", "CreateMaterialInput", {"id": "A-MAT", "name": "A's secret", "baseUnit": "KG"})
        await a.create("createLocation", "CreateLocationInput", {"id": "A-LOC", "name": "A's store"})
        await a.create(
            "createLocation", "CreateLocationInput", {"id": "A-FOR-B", "name": "A's dock for B", "partnerId": ids["B"]}
        )
    for org in ("B", "C"):
        async with w.client(org) as c:
            await Api(c).create("createLocation", "CreateLocationInput", {"id": f"{org}-LOC", "name": org})
    return w


@dataclass
class Scene:
    tag: str
    hidden: str  # A's lot at A-LOC, seen by nobody else
    pal: str  # A's pallet holding some of it
    tank: str  # A's permanent tank holding some of it
    receipt: str  # the event that made `hidden`
    shared: str  # A's lot at WH, shared with B (ITEM)
    spal: str  # A's pallet, shared with B
    b_own: str  # B's lot at WH
    near: str  # A's lot at WH made from b_own (shipped to A): one step down from B
    bake: str  # the event that made `near` (B sees it: it touched b_own)

    @property
    def items(self) -> list[str]:
        return [self.hidden, self.pal, self.tank, self.shared, self.spal, self.b_own, self.near]

    def secrets(self, world: World) -> set[str]:
        """What B may never read in an answer (unless it sent it itself)."""
        return {self.hidden, self.pal, self.tank, self.receipt, "A-LOC", "A-MAT", "4321", world.ids["A"]}


async def scene(w: World, tag: str) -> Scene:
    s = Scene(
        tag=tag,
        hidden=f"A-LOT-{tag}",
        pal=f"A-PAL-{tag}",
        tank=f"A-TANK-{tag}",
        receipt=f"A-RCV-{tag}",
        shared=f"A-SHR-{tag}",
        spal=f"A-SPAL-{tag}",
        b_own=f"B-OWN-{tag}",
        near=f"A-NEAR-{tag}",
        bake=f"A-BAKE-{tag}",
    )
    async with w.client("B") as c:
        b = Api(c)
        await b.ok(
            "receive",
            {
                "id": f"B-RCV-{tag}",
                "locationId": "WH",
                "newItems": [{"id": s.b_own, "materialId": "FLOUR"}],
                "outputs": [{"itemId": s.b_own, "quantity": 100}],
            },
        )
        await b.ok(
            "ship",
            {
                "id": f"B-SHIPA-{tag}",
                "inputs": [{"itemId": s.b_own, "quantity": 10, "locationId": "WH"}],
                "partnerId": w.ids["A"],
            },
        )
    async with w.client("A") as c:
        a = Api(c)
        await a.ok(
            "receive",
            {
                "id": s.receipt,
                "locationId": "A-LOC",
                "newItems": [{"id": s.hidden, "materialId": "A-MAT"}],
                "outputs": [{"itemId": s.hidden, "quantity": 4321.5}],
            },
        )
        for box, kind in ((s.pal, "LOGISTIC"), (s.tank, "PERMANENT")):
            await a.ok(
                "pack",
                {
                    "containerId": box,
                    "locationId": "A-LOC",
                    "newItems": [{"id": box, "kind": "CONTAINER", "containerType": kind}],
                    "inputs": [{"itemId": s.hidden, "quantity": 10, "locationId": "A-LOC"}],
                },
            )
        await a.receive(s.shared, "FLOUR", 50)
        await a.ok(
            "pack",
            {
                "containerId": s.spal,
                "locationId": "WH",
                "newItems": [{"id": s.spal, "kind": "CONTAINER", "containerType": "LOGISTIC"}],
                "inputs": [{"itemId": s.shared, "quantity": 5, "locationId": "WH"}],
            },
        )
        await a.ok(
            "produce",
            {
                "id": s.bake,
                "locationId": "WH",
                "inputs": [{"itemId": s.b_own, "quantity": 10, "locationId": "WH"}],
                "newItems": [{"id": s.near, "materialId": "DOUGH"}],
                "outputs": [{"itemId": s.near, "quantity": 10, "locationId": "WH"}],
            },
        )
    share = (
        "mutation($i: String!, $o: ID!) { shareItem(itemId: $i, withOrganizationId: $o, scope: ITEM) "
        f"{{ {ERRORS} }} }}"
    )
    async with w.client("A", "QUALITY") as c:
        for item in (s.shared, s.spal):
            assert (await Api(c).data(share, {"i": item, "o": w.ids["B"]}))["shareItem"]["errors"] == []
    return s


# -- what was written, what is seen, what is said ------------------------------------------------


async def snapshot(admin: Api, items: list[str]) -> dict[str, Any]:
    """Everything of the items, as the admin sees it: status, characteristics, balances, events."""
    query = "{ " + " ".join(f"i{n}: item(id: {json.dumps(i)}) {{ {SNAP} }}" for n, i in enumerate(items)) + " }"
    data = await admin.data(query)
    out = {}
    for n, item in enumerate(items):
        x = data[f"i{n}"]
        if x is not None:
            x = {
                **x,
                "balances": sorted((b["locationId"], b["quantity"]) for b in x["balances"]),
                "events": sorted(e["id"] for e in x["events"]),
            }
        out[item] = x
    return out


async def absent(admin: Api, items: list[str] = (), events: list[str] = ()) -> None:  # type: ignore[assignment]
    """None of these items or events exists (the admin sees everything)."""
    for item in items:
        assert await admin.item(item) is None, f"item {item} was written"
    for event in events:
        found = (await admin.data("query($id: String!) { event(id: $id) { id } }", {"id": event}))["event"]
        assert found is None, f"event {event} was written"


def strings(value: Any) -> set[str]:
    """Every string in a JSON value: what the caller sent."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for v in value.values() for s in strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in strings(v)}
    return set()


def quiet(answer: Any, sent: Any, secrets: set[str]) -> None:
    """The answer names none of `secrets`, but for what the caller itself sent."""
    text = json.dumps(answer)
    said = strings(sent)
    leaked = sorted(x for x in secrets if x not in said and x in text)
    assert not leaked, f"the answer names {leaked}: {text[:600]}"


async def unseen(w: World, org: str, items: list[str]) -> None:
    """`org` sees none of `items`: item is null, stock and items lists do not show them, a trace
    of each answers NOT_FOUND or nothing."""
    async with w.client(org, "VIEWER") as c:
        api = Api(c)
        for item in items:
            assert await api.item(item) is None, f"{org} sees {item}"
            body = await api.raw(TRACE, {"id": item})
            if body.get("errors"):
                assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body
            else:
                assert body["data"]["trace"]["items"] == [], body
        stock = (await api.data("{ stock(first: 1000) { edges { node { itemId locationId } } } }"))["stock"]
        listed = (await api.data("{ items(first: 1000) { edges { node { id } } } }"))["items"]
        text = json.dumps([stock, listed])
        assert not [i for i in items if f'"{i}"' in text], text[:600]


async def mutate(api: Api, mutation: str, input: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Run an event mutation or a recordEvents batch: (what it wrote, its errors)."""
    if mutation == "recordEvents":
        payload = (await api.data(BATCH, {"i": input}))["recordEvents"]
        return payload["events"], payload["errors"]
    payload = await api.mutate(mutation, input)
    return payload["event"], payload["errors"]


def refused_with(written: Any, errors: list[dict[str, Any]], code: str) -> None:
    assert written is None and errors, (written, errors)
    assert {e["code"] for e in errors} == {code}, errors
    assert not any("Unexpected" in e["message"] for e in errors), errors


# -- every event mutation against what B may not change -------------------------------------------

LOT_MUTATIONS = [
    "receive",
    "issue",
    "produce",
    "split",
    "merge",
    "pack",
    "move",
    "ship",
    "returnItems",
    "adjust",
    "scrap",
    "reclassify",
    "setCharacteristics",
    "recordEvents",
]


def attempt(mutation: str, target: str, at: str | None, new: str, own: str, event_id: str) -> Any:
    """B's input to `mutation` touching `target` (found at `at`; None: B does not know where);
    `new` names what it would create; `own` is a lot of B's own at WH."""
    line: dict[str, Any] = {"itemId": target, "quantity": 1, **({"locationId": at} if at else {})}
    made = [{"itemId": new, "quantity": 1}]
    inputs: dict[str, Any] = {
        "receive": {"locationId": "WH", "outputs": [{"itemId": target, "quantity": 1}]},
        "issue": {
            "locationId": "LINE",
            "inputs": [line],
            "outputs": made,
            "newItems": [{"id": new, "kind": "BATCH", "materialId": "FLOUR"}],
        },
        "produce": {
            "locationId": "LINE",
            "inputs": [line],
            "outputs": made,
            "newItems": [{"id": new, "materialId": "DOUGH"}],
        },
        "split": {
            "locationId": "LINE",
            "inputs": [line],
            "outputs": made,
            "newItems": [{"id": new, "materialId": "FLOUR"}],
        },
        "merge": {
            "locationId": "LINE",
            "inputs": [{"itemId": own, "quantity": 1, "locationId": "WH"}, line],
            "outputs": [{"itemId": new, "quantity": 2}],
            "newItems": [{"id": new, "materialId": "FLOUR"}],
        },
        "pack": {
            "containerId": new,
            "inputs": [line],
            "newItems": [{"id": new, "kind": "CONTAINER", "containerType": "LOGISTIC"}],
        },
        "move": {"inputs": [line], "toLocationId": "DOCK"},
        "ship": {"inputs": [line]},
        "returnItems": {"locationId": "WH", "outputs": [{"itemId": target, "quantity": 1}]},
        "adjust": {"inputs": [{**line, "quantity": 2, "locationId": at or "WH"}]},
        "scrap": {"inputs": [line]},
        "reclassify": {"inputs": [{"itemId": target}], "status": "HOLD"},
        "setCharacteristics": {"inputs": [{"itemId": target}], "characteristics": {"moisture": 99}},
    }
    if mutation == "recordEvents":  # B's own receipt first: the whole batch is refused
        return [
            {
                "id": event_id,
                "type": "RECEIVE",
                "locationId": "WH",
                "newItems": [{"id": new, "materialId": "FLOUR"}],
                "outputs": made,
            },
            {"id": f"{event_id}-2", "type": "MOVE", "inputs": [line], "toLocationId": "DOCK"},
        ]
    return {"id": event_id, **inputs[mutation]}


async def door(
    w: World, s: Scene, org: str, mutation: str, input: Any, code: str, new: list[str], events: list[str]
) -> None:
    """`org` sends `input`: refused with `code`, nothing written, nothing said or shown of A's."""
    before = await snapshot(w.admin, s.items)
    async with w.client(org) as c:
        written, errors = await mutate(Api(c), mutation, input)
    refused_with(written, errors, code)
    quiet(errors, input, s.secrets(w))
    assert await snapshot(w.admin, s.items) == before
    await absent(w.admin, new, events)
    await unseen(w, org, [s.hidden, s.pal, s.tank])


@pytest.mark.parametrize("kind", ["hidden", "near", "shared"])
@pytest.mark.parametrize("mutation", LOT_MUTATIONS)
async def test_b_may_not_write_on_a_lot_of_a(world: World, mutation: str, kind: str) -> None:
    tag = f"{mutation[:6]}-{kind}"
    s = await scene(world, tag)
    target, at, code = {
        "hidden": (s.hidden, None, "NOT_FOUND"),
        "near": (s.near, "WH", "FORBIDDEN"),
        "shared": (s.shared, "WH", "FORBIDDEN"),
    }[kind]
    new, event_id = f"B-NEW-{tag}", f"B-EV-{tag}"
    input = attempt(mutation, target, at, new, s.b_own, event_id)
    await door(world, s, "B", mutation, input, code, [new], [event_id, f"{event_id}-2"])


@pytest.mark.parametrize("kind", ["hidden", "shared"])
@pytest.mark.parametrize("mutation", ["unpack", "cleanContainer", "pack-into"])
async def test_b_may_not_use_a_container_of_a(world: World, mutation: str, kind: str) -> None:
    tag = f"{mutation}-{kind}"
    s = await scene(world, tag)
    code = "NOT_FOUND" if kind == "hidden" else "FORBIDDEN"
    box = {"unpack": s.pal, "cleanContainer": s.tank, "pack-into": s.pal}[mutation] if kind == "hidden" else s.spal
    event_id = f"B-EV-{tag}"
    if mutation == "pack-into":  # B's own lot into A's container
        name, input = (
            "pack",
            {"id": event_id, "containerId": box, "inputs": [{"itemId": s.b_own, "quantity": 1, "locationId": "WH"}]},
        )
    else:
        name, input = mutation, {"id": event_id, "containerId": box}
    before_own = await snapshot(world.admin, [s.b_own])
    await door(world, s, "B", name, input, code, [], [event_id])
    assert await snapshot(world.admin, [s.b_own]) == before_own


@pytest.mark.parametrize("kind", ["hidden", "near"])
async def test_b_may_not_correct_an_event_of_a(world: World, kind: str) -> None:
    s = await scene(world, f"correct-{kind}")
    target, code = (s.receipt, "NOT_FOUND") if kind == "hidden" else (s.bake, "FORBIDDEN")
    event_id = f"B-EV-correct-{kind}"
    await door(world, s, "B", "correct", {"id": event_id, "reverses": target}, code, [], [event_id])


@pytest.mark.parametrize("mutation", ["move", "reclassify", "produce", "recordEvents"])
async def test_a_stranger_sees_nothing_to_change(world: World, mutation: str) -> None:
    """C (three organizations): what B may see of A's is nothing to C: NOT_FOUND, nothing written."""
    tag = f"C-{mutation[:6]}"
    s = await scene(world, tag)
    async with world.client("C") as c:
        await Api(c).receive(f"C-OWN-{tag}", "FLOUR", 5)
    for target in (s.near, s.shared, s.b_own):
        new, event_id = f"C-NEW-{tag}-{target}", f"C-EV-{tag}-{target}"
        input = attempt(mutation, target, "WH", new, f"C-OWN-{tag}", event_id)
        await door(world, s, "C", mutation, input, "NOT_FOUND", [new], [event_id, f"{event_id}-2"])
    await unseen(world, "C", [s.near, s.shared, s.b_own])


async def test_a_refused_shipment_gives_no_right(world: World) -> None:
    """C ships A's lot to B (refused): B still may not touch it."""
    s = await scene(world, "reship")
    input = {"id": "C-SHIP-B-reship", "inputs": [{"itemId": s.hidden, "quantity": 1}], "partnerId": world.ids["B"]}
    await door(world, s, "C", "ship", input, "NOT_FOUND", [], ["C-SHIP-B-reship"])
    await unseen(world, "B", [s.hidden])
    input = attempt("move", s.hidden, None, "B-NEW-reship", s.b_own, "B-EV-reship")
    await door(world, s, "B", "move", input, "NOT_FOUND", [], ["B-EV-reship"])


# -- roles ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["VIEWER", "QUALITY"])
@pytest.mark.parametrize("mutation", ["receive", "recordEvents"])
async def test_a_role_without_the_record_right_records_nothing(world: World, role: str, mutation: str) -> None:
    lot, event_id = f"B-{role}-{mutation}", f"B-EV-{role}-{mutation}"
    event = {
        "id": event_id,
        "locationId": "WH",
        "newItems": [{"id": lot, "materialId": "FLOUR"}],
        "outputs": [{"itemId": lot, "quantity": 1}],
    }
    input = [{**event, "type": "RECEIVE"}] if mutation == "recordEvents" else event
    async with world.client("B", role) as c:
        written, errors = await mutate(Api(c), mutation, input)
    refused_with(written, errors, "FORBIDDEN")
    await absent(world.admin, [lot], [event_id])


async def test_a_partner_key_records_but_may_not_reclassify(world: World) -> None:
    async with world.client("B", "PARTNER") as c:
        api = Api(c)
        await api.receive("B-PARTNER-LOT", "FLOUR", 3)
        before = await snapshot(world.admin, ["B-PARTNER-LOT"])
        written, errors = await mutate(api, "reclassify", {"inputs": [{"itemId": "B-PARTNER-LOT"}], "status": "HOLD"})
    refused_with(written, errors, "FORBIDDEN")
    assert await snapshot(world.admin, ["B-PARTNER-LOT"]) == before


OPEN = "mutation($i: OpenRecallInput!) { openRecall(input: $i) { recall { id } " + ERRORS + " } }"
HOLD = "mutation($id: String!) { holdRecall(id: $id) { recall { id } heldItemIds " + ERRORS + " } }"
RECALL = "query($id: String!) { recall(id: $id) { id status holdEventIds } }"


async def test_an_operator_may_not_open_a_recall(world: World) -> None:
    async with world.client("B") as c:
        api = Api(c)
        await api.receive("B-RC-LOT", "FLOUR", 3)
        payload = await api.data(OPEN, {"i": {"id": "RC-B-OPERATOR", "itemIds": ["B-RC-LOT"], "reason": "x"}})
    refused_with(payload["openRecall"]["recall"], payload["openRecall"]["errors"], "FORBIDDEN")
    assert (await world.admin.data(RECALL, {"id": "RC-B-OPERATOR"}))["recall"] is None


async def test_a_recall_is_opened_only_on_what_the_caller_sees(world: World) -> None:
    s = await scene(world, "recall")
    async with world.client("B") as c:
        await Api(c).receive("B-RC-OWN", "FLOUR", 3)
    before = await snapshot(world.admin, s.items)
    async with world.client("B", "QUALITY") as c:
        api = Api(c)
        for n, suspects in enumerate([[s.hidden], ["B-RC-OWN", s.hidden], [s.pal]]):
            i = {"id": f"RC-B-{n}", "itemIds": suspects, "reason": "suspect"}
            payload = (await api.data(OPEN, {"i": i}))["openRecall"]
            refused_with(payload["recall"], payload["errors"], "NOT_FOUND")
            quiet(payload, i, s.secrets(world))
            assert (await world.admin.data(RECALL, {"id": f"RC-B-{n}"}))["recall"] is None
    assert await snapshot(world.admin, s.items) == before
    await unseen(world, "B", [s.hidden, s.pal, s.tank])


async def test_hold_recall_needs_the_recall_right_and_the_recall(world: World) -> None:
    s = await scene(world, "hold")
    async with world.client("A", "QUALITY") as c:
        opened = await Api(c).data(OPEN, {"i": {"id": "RC-A-HOLD", "itemIds": [s.hidden], "reason": "x"}})
        assert opened["openRecall"]["errors"] == [], opened
    before = await snapshot(world.admin, s.items)
    async with world.client("A") as c:  # an OPERATOR: no RECALL right
        payload = (await Api(c).data(HOLD, {"id": "RC-A-HOLD"}))["holdRecall"]
    assert payload["recall"] is None and payload["heldItemIds"] == []
    assert {e["code"] for e in payload["errors"]} == {"FORBIDDEN"}, payload
    async with world.client("B", "QUALITY") as c:  # B may not see A's recall
        payload = (await Api(c).data(HOLD, {"id": "RC-A-HOLD"}))["holdRecall"]
    assert payload["recall"] is None and payload["heldItemIds"] == []
    assert {e["code"] for e in payload["errors"]} == {"NOT_FOUND"}, payload
    quiet(payload, {}, s.secrets(world))
    assert await snapshot(world.admin, s.items) == before
    recall = (await world.admin.data(RECALL, {"id": "RC-A-HOLD"}))["recall"]
    assert recall["status"] == "OPEN" and recall["holdEventIds"] == []


# -- locations ----------------------------------------------------------------------------------------

LOCATION = f"mutation($i: CreateLocationInput!) {{ createLocation(input: $i) {{ {ERRORS} }} }}"


async def test_a_location_may_not_hang_under_anothers(world: World) -> None:
    async with world.client("B") as c:
        payload = await Api(c).data(LOCATION, {"i": {"id": "B-UNDER-A", "name": "x", "parentId": "A-LOC"}})
        refused_with(None, payload["createLocation"]["errors"], "NOT_FOUND")
        quiet(payload, {}, {world.ids["A"]})
        ok = await Api(c).data(LOCATION, {"i": {"id": "B-UNDER-WH", "name": "x", "parentId": "WH"}})
        assert ok["createLocation"]["errors"] == [], ok
    assert (await world.admin.data('{ location(id: "B-UNDER-A") { id } }'))["location"] is None


def location_attempts(lot: str, place: str, tag: str) -> list[tuple[str, dict[str, Any]]]:
    """Every way an event names a location, each naming `place`."""
    return [
        ("move", {"inputs": [{"itemId": lot, "quantity": 1, "locationId": "WH"}], "toLocationId": place}),
        ("move", {"inputs": [{"itemId": lot, "quantity": 1}], "fromLocationId": place, "toLocationId": "DOCK"}),
        ("receive", {"locationId": place, "outputs": [{"itemId": lot, "quantity": 1}]}),
        ("receive", {"locationId": "WH", "fromLocationId": place, "outputs": [{"itemId": lot, "quantity": 1}]}),
        (
            "produce",
            {
                "locationId": "LINE",
                "inputs": [{"itemId": lot, "quantity": 1, "locationId": "WH"}],
                "newItems": [{"id": f"B-LOCNEW-{tag}", "materialId": "DOUGH"}],
                "outputs": [{"itemId": f"B-LOCNEW-{tag}", "quantity": 1, "locationId": place}],
            },
        ),
        ("ship", {"inputs": [{"itemId": lot, "quantity": 1, "locationId": "WH"}], "toLocationId": place}),
    ]


@pytest.mark.parametrize("org,place", [("B", "A-LOC"), ("B", "C-LOC"), ("C", "A-FOR-B")])
async def test_an_event_names_only_usable_locations(world: World, org: str, place: str) -> None:
    lot = f"{org}-LOCLOT-{place}"
    async with world.client(org) as c:
        api = Api(c)
        await api.receive(lot, "FLOUR", 50)
        for n, (mutation, input) in enumerate(location_attempts(lot, place, f"{org}-{place}")):
            before = await snapshot(world.admin, [lot])
            event_id = f"{org}-LOCEV-{place}-{n}"
            written, errors = await mutate(api, mutation, {"id": event_id, **input})
            refused_with(written, errors, "NOT_FOUND")
            assert await snapshot(world.admin, [lot]) == before, (mutation, input)
            await absent(world.admin, [f"B-LOCNEW-{org}-{place}"], [event_id])


async def test_own_partner_and_shared_locations_are_usable(world: World) -> None:
    async with world.client("B") as c:
        api = Api(c)
        await api.receive("B-LOC-OK", "FLOUR", 50, location="B-LOC")
        await api.ok(
            "move",
            {"inputs": [{"itemId": "B-LOC-OK", "quantity": 5, "locationId": "B-LOC"}], "toLocationId": "A-FOR-B"},
        )
        await api.ok(
            "move", {"inputs": [{"itemId": "B-LOC-OK", "quantity": 5, "locationId": "A-FOR-B"}], "toLocationId": "WH"}
        )
        await api.ok(
            "receive",
            {"locationId": "WH", "fromLocationId": SUPPLIER, "outputs": [{"itemId": "B-LOC-OK", "quantity": 1}]},
        )
        await api.ok(
            "ship", {"inputs": [{"itemId": "B-LOC-OK", "quantity": 1, "locationId": "WH"}], "toLocationId": CUSTOMER}
        )
    assert await world.admin.balances("B-LOC-OK", virtual=False) == {"B-LOC": 45.0, "WH": 5.0}


# -- event ids ---------------------------------------------------------------------------------------


async def test_an_event_id_of_another_organization_is_refused(world: World) -> None:
    s = await scene(world, "collide")
    before = await snapshot(world.admin, s.items)
    async with world.client("B") as c:
        api = Api(c)
        for n, taken in enumerate([s.receipt, s.bake]):  # one B may not see, one it sees
            lot = f"B-COLLIDE-{n}"
            event = {
                "id": taken,
                "locationId": "WH",
                "newItems": [{"id": lot, "materialId": "FLOUR"}],
                "outputs": [{"itemId": lot, "quantity": 1}],
            }
            payload = await api.mutate("receive", event)
            assert payload["event"] is None and payload["errors"] and not payload["duplicate"], payload
            quiet(payload, event, s.secrets(world))
            written, errors = await mutate(api, "recordEvents", [{**event, "type": "RECEIVE"}])
            assert written is None and errors
            quiet(errors, event, s.secrets(world))
            await absent(world.admin, [lot])
        # The same id again from the same organization: one event, a duplicate.
        first = await api.ok(
            "receive",
            {
                "id": "B-AGAIN",
                "locationId": "WH",
                "newItems": [{"id": "B-AGAIN-LOT", "materialId": "FLOUR"}],
                "outputs": [{"itemId": "B-AGAIN-LOT", "quantity": 1}],
            },
        )
        again = await api.mutate(
            "receive",
            {
                "id": "B-AGAIN",
                "locationId": "WH",
                "newItems": [{"id": "B-AGAIN-LOT", "materialId": "FLOUR"}],
                "outputs": [{"itemId": "B-AGAIN-LOT", "quantity": 1}],
            },
        )
        assert again["errors"] == [] and again["duplicate"] is True and again["event"]["id"] == first["id"]
    assert await snapshot(world.admin, s.items) == before
    await unseen(world, "B", [s.hidden])
    assert await world.admin.balances("B-AGAIN-LOT", virtual=False) == {"WH": 1.0}


# -- the positive path: A ships to B, B to C ----------------------------------------------------------


async def test_what_was_shipped_to_b_is_bs_to_handle_not_to_reclassify(world: World) -> None:
    ids = world.ids
    async with world.client("A") as c:
        a = Api(c)
        await a.receive("A-GIFT", "FLOUR", 200)
        await a.ok(
            "ship",
            {
                "id": "A-GIFT-SHIP",
                "inputs": [{"itemId": "A-GIFT", "quantity": 50, "locationId": "WH"}],
                "partnerId": ids["B"],
            },
        )
    async with world.client("B") as c:
        b = Api(c)
        await b.ok(
            "receive", {"locationId": "DOCK", "outputs": [{"itemId": "A-GIFT", "quantity": 50}], "partnerId": ids["A"]}
        )
        await b.ok(
            "move", {"inputs": [{"itemId": "A-GIFT", "quantity": 50, "locationId": "DOCK"}], "toLocationId": "B-LOC"}
        )
        made = await b.ok(
            "produce",
            {
                "locationId": "LINE",
                "inputs": [{"itemId": "A-GIFT", "quantity": 10, "locationId": "B-LOC"}],
                "newItems": [{"id": "B-GIFT-DOUGH", "materialId": "DOUGH"}],
                "outputs": [{"itemId": "B-GIFT-DOUGH", "quantity": 10}],
            },
        )
        assert made["links"][0]["sourceId"] == "A-GIFT"
        await b.ok(
            "split",
            {
                "locationId": "B-LOC",
                "inputs": [{"itemId": "A-GIFT", "quantity": 5, "locationId": "B-LOC"}],
                "newItems": [{"id": "B-GIFT-PART", "materialId": "FLOUR"}],
                "outputs": [{"itemId": "B-GIFT-PART", "quantity": 5}],
            },
        )
        await b.ok("scrap", {"inputs": [{"itemId": "A-GIFT", "quantity": 1, "locationId": "B-LOC"}]})
        await b.ok(
            "ship",
            {
                "id": "B-GIFT-SHIP",
                "inputs": [{"itemId": "A-GIFT", "quantity": 4, "locationId": "B-LOC"}],
                "partnerId": ids["C"],
            },
        )
        before = await snapshot(world.admin, ["A-GIFT"])
        for mutation, input in [
            ("reclassify", {"inputs": [{"itemId": "A-GIFT"}], "status": "HOLD"}),
            ("setCharacteristics", {"inputs": [{"itemId": "A-GIFT"}], "characteristics": {"moisture": 1}}),
        ]:
            written, errors = await mutate(b, mutation, input)
            refused_with(written, errors, "FORBIDDEN")
        assert await snapshot(world.admin, ["A-GIFT"]) == before
    async with world.client("B", "PARTNER") as c:  # a PARTNER key records on it too
        await Api(c).ok(
            "move", {"inputs": [{"itemId": "A-GIFT", "quantity": 1, "locationId": "B-LOC"}], "toLocationId": "WH"}
        )
    async with world.client("C") as c:  # shipped on by one who could change it
        cc = Api(c)
        await cc.ok(
            "receive", {"locationId": "C-LOC", "outputs": [{"itemId": "A-GIFT", "quantity": 4}], "partnerId": ids["B"]}
        )
        await cc.ok(
            "move", {"inputs": [{"itemId": "A-GIFT", "quantity": 4, "locationId": "C-LOC"}], "toLocationId": "DOCK"}
        )
        written, errors = await mutate(cc, "reclassify", {"inputs": [{"itemId": "A-GIFT"}], "status": "HOLD"})
        refused_with(written, errors, "FORBIDDEN")
        # B's own dough was never shipped to C.
        written, errors = await mutate(
            cc, "move", {"inputs": [{"itemId": "B-GIFT-DOUGH", "quantity": 1}], "toLocationId": "WH"}
        )
        assert written is None and {e["code"] for e in errors} <= PERMISSION and errors
    async with world.client("A") as c:  # the owner still may
        await Api(c).ok("reclassify", {"inputs": [{"itemId": "A-GIFT"}], "status": "QC"})
    assert (await world.admin.item("A-GIFT"))["status"] == "QC"


async def test_the_admin_key_may_change_anything(world: World) -> None:
    s = await scene(world, "admin")
    await world.admin.ok("reclassify", {"inputs": [{"itemId": s.hidden}], "status": "HOLD"})
    await world.admin.ok("correct", {"reverses": s.bake})
    await world.admin.ok(
        "move", {"inputs": [{"itemId": s.shared, "quantity": 1, "locationId": "WH"}], "toLocationId": "A-LOC"}
    )
    assert (await world.admin.item(s.hidden))["status"] == "HOLD"


# -- EPCIS ------------------------------------------------------------------------------------------


def epcis_doc(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": EPCIS_CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-03-04T08:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def epcis_object(event_id: str, epcs: list[str], action: str = "ADD", **fields: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": event_id,
        "eventTime": "2024-03-04T08:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": epcs,
        "action": action,
        **fields,
    }


def epc(serial: str) -> str:
    return f"urn:epc:id:sgtin:4012345.011111.{serial}"


async def epcis_absent(w: World, event_ids: list[str]) -> None:
    async with key_client(w.app, ADMIN_KEY) as c:
        for event_id in event_ids:
            assert (await c.get(f"/epcis/events/{event_id}")).status_code == 404, event_id


@pytest.fixture(scope="module")
def a_epc() -> str:
    return epc("9001")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def a_epc_captured(world: World, a_epc: str) -> str:
    async with world.client("A") as c:
        r = await c.post(
            "/epcis/capture", json=epcis_doc(epcis_object("urn:uuid:a-commission", [a_epc], bizStep="commissioning"))
        )
        assert r.status_code == 202, r.text
    return a_epc


@pytest.mark.parametrize("action", ["ADD", "OBSERVE", "DELETE"])
@pytest.mark.parametrize("path", ["document", "event"])
async def test_b_may_not_capture_a_fact_on_as_epc(world: World, a_epc_captured: str, action: str, path: str) -> None:
    target = a_epc_captured
    bad_id, good_id = f"urn:uuid:b-{path}-{action.lower()}", f"urn:uuid:b-own-{path}-{action.lower()}"
    own = epc(f"7{['document', 'event'].index(path)}{['ADD', 'OBSERVE', 'DELETE'].index(action)}")
    before = await snapshot(world.admin, [target])
    bad = epcis_object(bad_id, [target], action, bizStep="inspecting")
    async with world.client("B") as c:
        if path == "document":
            good = epcis_object(good_id, [own], "ADD", bizStep="commissioning")
            r = await c.post("/epcis/capture", json=epcis_doc(good, bad))
        else:
            r = await c.post("/epcis/events", json={"@context": EPCIS_CONTEXT, **bad})
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert bad_id in r.text or '"index": 1' in r.text.replace('"index":1', '"index": 1'), r.text
    assert await snapshot(world.admin, [target]) == before
    await epcis_absent(world, [bad_id, good_id])
    if path == "document":
        await absent(world.admin, [own])
    await unseen(world, "B", [target])


async def test_an_epcis_event_id_taken_by_another_organization_is_refused(world: World) -> None:
    taken = "urn:uuid:collide-epcis"
    mine, theirs = epc("5001"), epc("5002")
    async with world.client("B") as c:
        r = await c.post("/epcis/capture", json=epcis_doc(epcis_object(taken, [mine], bizStep="commissioning")))
        assert r.status_code == 202, r.text
    before = await snapshot(world.admin, [mine])
    other = epcis_object(taken, [theirs], bizStep="commissioning", disposition="active")
    async with world.client("A") as c:
        r = await c.post("/epcis/capture", json=epcis_doc(other))
        assert 400 <= r.status_code < 500, (r.status_code, r.text)
        assert taken in r.text or '"index"' in r.text, r.text
        assert mine not in r.text
        r = await c.post("/epcis/events", json={"@context": EPCIS_CONTEXT, **other})
        assert 400 <= r.status_code < 500, (r.status_code, r.text)
        assert mine not in r.text
    await absent(world.admin, [theirs])
    assert await snapshot(world.admin, [mine]) == before
    async with world.client("B") as c:  # the same event again from B: stored once
        r = await c.post("/epcis/capture", json=epcis_doc(epcis_object(taken, [mine], bizStep="commissioning")))
        assert r.status_code == 202, r.text
    assert await snapshot(world.admin, [mine]) == before


async def test_a_capture_job_is_its_organizations(world: World) -> None:
    async with world.client("A") as c:
        r = await c.post(
            "/epcis/capture", json=epcis_doc(epcis_object("urn:uuid:a-job", [epc("6001")], bizStep="commissioning"))
        )
        assert r.status_code == 202, r.text
        location = r.headers["Location"]
        assert (await c.get(location)).status_code == 200
    async with world.client("B") as c:
        theirs = await c.get(location)
        unknown = await c.get("/epcis/capture/0123456789abcdef0123456789abcdef")
    assert theirs.status_code == 404 and unknown.status_code == 404
    assert theirs.json() == unknown.json()
    assert location.rsplit("/", 1)[1] not in theirs.text


# -- the WebSocket ------------------------------------------------------------------------------------


async def test_a_subscriber_hears_nothing_of_refused_or_invisible_events(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = Settings(admin_key=ADMIN_KEY, data_dir=tmp_path_factory.mktemp("doors-ws"), demo=False)
    async with uvicorn_in_loop(settings) as (base, app):
        for kind in ("Material", "Location"):
            await graphql_data(
                base, f'mutation {{ create{kind}(input: {{id: "M", name: "M"}}) {{ errors {{ message }} }} }}'
            )
        auth: dict[str, dict[str, str]] = {}
        for name in ("A", "B"):
            org = (await graphql_data(base, ORG, {"n": f"ws {name}"}))["createOrganization"]["organization"]["id"]
            for role in ("OPERATOR", "VIEWER"):
                key = (await graphql_data(base, KEY, {"o": org, "r": role}))["createApiKey"]["key"]
                auth[f"{name}-{role}"] = {"Authorization": f"Bearer {key}"}

        async def receive(who: str, lot: str, event_id: str) -> dict[str, Any]:
            q = f"mutation($i: ReceiveInput!) {{ receive(input: $i) {{ {EVENT_PAYLOAD} }} }}"
            return (
                await graphql_data(
                    base,
                    q,
                    {
                        "i": {
                            "id": event_id,
                            "locationId": "M",
                            "newItems": [{"id": lot, "materialId": "M"}],
                            "outputs": [{"itemId": lot, "quantity": 5}],
                        }
                    },
                    auth[who],
                )
            )["receive"]

        assert (await receive("B-OPERATOR", "B-WS-LOT", "B-WS-FIRST"))["errors"] == []
        async with connect(f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": auth["B-VIEWER"]}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {"id": "1", "type": "subscribe", "payload": {"query": "subscription { eventRecorded { id } }"}}
                )
            )
            for _ in range(500):
                if app.state.bus.subscriber_count:
                    break
                await asyncio.sleep(0.01)
            # A's own event, B may not see it; then A's refused move of B's lot (and its batch form).
            assert (await receive("A-OPERATOR", "A-WS-LOT", "A-WS-OWN"))["errors"] == []
            move = f"mutation($i: MoveInput!) {{ move(input: $i) {{ {EVENT_PAYLOAD} }} }}"
            refused = (
                await graphql_data(
                    base,
                    move,
                    {
                        "i": {
                            "id": "A-WS-REFUSED",
                            "inputs": [{"itemId": "B-WS-LOT", "quantity": 1}],
                            "toLocationId": CUSTOMER,
                        }
                    },
                    auth["A-OPERATOR"],
                )
            )["move"]
            batch = (
                await graphql_data(
                    base,
                    BATCH,
                    {
                        "i": [
                            {"id": "A-WS-REFUSED-2", "type": "SCRAP", "inputs": [{"itemId": "B-WS-LOT", "quantity": 1}]}
                        ]
                    },
                    auth["A-OPERATOR"],
                )
            )["recordEvents"]
            assert (await receive("B-OPERATOR", "B-WS-LOT-2", "B-WS-SENTINEL"))["errors"] == []
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert message == {
                "id": "1",
                "type": "next",
                "payload": {"data": {"eventRecorded": {"id": "B-WS-SENTINEL"}}},
            }, message
            await ws.send(json.dumps({"id": "1", "type": "complete"}))
        assert refused["event"] is None and {e["code"] for e in refused["errors"]} == {"NOT_FOUND"}, refused
        assert batch["events"] is None and {e["code"] for e in batch["errors"]} == {"NOT_FOUND"}, batch
