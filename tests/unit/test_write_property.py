"""Property: partner isolation on writes. Random organizations (2-4), random lots with random
owners, random shipments between them (each by an organization that may change the lot at the
time, so chains A -> B -> C happen) and random shares; then every event mutation kind is sent
by every organization's key against a random item (and, for move/receive/ship, a random
location: an admin's, its own, another organization's). An oracle written here from the rules
(tests/api/test_doors.py has them one by one) says which writes may pass:
- an item may be changed by its owner, and by every organization it was shipped to by one
  that could change it then; a status or characteristics change needs the owner;
- a correction only of the organization's own events;
- a location only of its own, of no organization, or naming it as partner.
A refused write writes nothing (every item's status, characteristics, balances and events, as
the admin reads them, are unchanged; nothing it would have created exists), answers NOT_FOUND
for an item the caller may not see and FORBIDDEN for one it sees, and its messages name nothing
it may not see; an allowed write is accepted. Afterwards each organization's items list is
exactly what the oracle lets it see, and no answer (items, events, stock, traces both ways)
holds a foreign identifier — the leak scan of test_visibility_property.py, over GraphQL.

Over HTTP (httpx's ASGI transport) on one embedded store, organizations fresh for each case.
Shrinking is off: a counterexample is reported as found (its ids carry the case number).
Figures (cases, organizations, writes tried, accepted, refused) are written as JSON to
`<pytest basetemp>/write_property_figures.json` at the end of the module."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from api.api_kit import BATCH, Api, key_client, new_organization
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from servers import ADMIN_KEY, AUTH

from tracegraph.app import create_app
from tracegraph.config import Settings

CASES = 25
KINDS = [
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
    "correct",
    "recordEvents",
]
OWNER_ONLY = {"reclassify", "setCharacteristics"}
PERMISSION = {"NOT_FOUND", "FORBIDDEN"}
SNAP = "status characteristics balances { locationId quantity } events { id }"
FIGURES: dict[str, Any] = {
    "cases": 0,
    "organizations": 0,
    "items": 0,
    "writes": 0,
    "accepted": 0,
    "refused": 0,
    "by_kind": {k: {"accepted": 0, "refused": 0} for k in KINDS},
}


@dataclass
class Rig:
    loop: asyncio.AbstractEventLoop
    app: Any
    admin: Api
    n: int = 0


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    loop = asyncio.new_event_loop()
    stack = AsyncExitStack()
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("writes"), demo=False, admin_key=ADMIN_KEY))

    async def setup() -> Api:
        await stack.enter_async_context(app.router.lifespan_context(app))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=AUTH)
        )
        admin = Api(client)
        await admin.create("createMaterial", "CreateMaterialInput", {"id": "M", "name": "M", "baseUnit": "KG"})
        for loc in ("WH", "DOCK"):
            await admin.create("createLocation", "CreateLocationInput", {"id": loc, "name": loc})
        return admin

    r = Rig(loop=loop, app=app, admin=loop.run_until_complete(setup()))
    yield r
    loop.run_until_complete(stack.aclose())
    loop.close()
    Path(tmp_path_factory.getbasetemp(), "write_property_figures.json").write_text(json.dumps(FIGURES, indent=1))


# -- the oracle -------------------------------------------------------------------------------------


@dataclass
class Oracle:
    owner: dict[str, int] = field(default_factory=dict)
    changers: dict[str, set[int]] = field(default_factory=dict)
    events: dict[str, tuple[int, int | None, set[str]]] = field(default_factory=dict)  # org, partner, items
    links: set[tuple[str, str]] = field(default_factory=set)
    shared: dict[str, set[int]] = field(default_factory=dict)
    reversed: set[str] = field(default_factory=set)
    stock: dict[str, float] = field(default_factory=dict)  # on hand at WH
    pool: list[str] = field(default_factory=list)  # items a write may target (not containers)

    def add_item(self, item: str, org: int, wh: float, target: bool = True) -> None:
        self.owner[item] = org
        self.changers[item] = {org}
        self.stock[item] = wh
        if target:
            self.pool.append(item)

    def record(self, event_id: str, org: int, partner: int | None, items: set[str]) -> None:
        self.events[event_id] = (org, partner, set(items))

    def may_change(self, org: int, item: str, kind: str) -> bool:
        return self.owner[item] == org if kind in OWNER_ONLY else org in self.changers[item]

    def sees(self, org: int, item: str) -> bool:
        if self.owner[item] == org or org in self.shared.get(item, set()):
            return True
        if any(item in items and org in (o, p) for o, p, items in self.events.values()):
            return True
        return any(self.owner[b] == org for a, b in self.links if a == item) or any(
            self.owner[a] == org for a, b in self.links if b == item
        )

    def sees_event(self, org: int, event_id: str) -> bool:
        o, p, items = self.events[event_id]
        return org in (o, p) or any(self.owner[i] == org for i in items)

    def hidden_from(self, org: int) -> set[str]:
        return {i for i in self.owner if not self.sees(org, i)} | {
            e for e in self.events if not self.sees_event(org, e)
        }


cases = st.integers(min_value=2, max_value=4).flatmap(
    lambda orgs: st.integers(min_value=2, max_value=6).flatmap(
        lambda items: st.tuples(
            st.just(orgs),
            st.lists(st.integers(0, orgs - 1), min_size=items, max_size=items),  # owner of each lot
            st.lists(
                st.tuples(st.integers(0, items - 1), st.integers(0, 3), st.integers(0, orgs - 1)), max_size=5
            ),  # shipments: lot, which of its changers ships, to whom
            st.lists(st.tuples(st.integers(0, items - 1), st.integers(0, orgs - 1)), max_size=2),  # shares
            st.lists(
                st.tuples(st.integers(0, 10_000), st.integers(0, 2)),  # per (kind, org): target, location
                min_size=len(KINDS) * orgs,
                max_size=len(KINDS) * orgs,
            ),
        )
    )
)


@settings(
    max_examples=CASES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases)
def test_writes_pass_exactly_where_the_rules_allow(rig: Rig, case: tuple) -> None:
    rig.n += 1
    rig.loop.run_until_complete(check(rig, f"w{rig.n:04d}", *case))


async def check(
    rig: Rig,
    prefix: str,
    n_orgs: int,
    owners: list[int],
    shipments: list[tuple[int, int, int]],
    shares: list[tuple[int, int]],
    picks: list[tuple[int, int]],
) -> None:
    admin = rig.admin
    FIGURES["cases"] += 1
    FIGURES["organizations"] += n_orgs
    orgs, keys = [], []
    for j in range(n_orgs):
        org, k = await new_organization(admin, f"{prefix}-o{j}", ("OPERATOR", "QUALITY"))
        orgs.append(org)
        keys.append(k)
    loc = [f"{prefix}-L{j}x" for j in range(n_orgs)]
    apis: list[Api] = []
    async with AsyncExitStack() as stack:
        for j in range(n_orgs):
            apis.append(Api(await stack.enter_async_context(key_client(rig.app, keys[j]["OPERATOR"]))))
            await apis[j].create("createLocation", "CreateLocationInput", {"id": loc[j], "name": loc[j]})
        o = Oracle()
        lots = [f"{prefix}-i{k}x" for k in range(len(owners))]
        for k, (lot, owner) in enumerate(zip(lots, owners, strict=True)):
            await apis[owner].ok(
                "receive",
                {
                    "id": f"{prefix}-e{k}x",
                    "locationId": "WH",
                    "newItems": [{"id": lot, "materialId": "M"}],
                    "outputs": [{"itemId": lot, "quantity": 100}],
                },
            )
            o.add_item(lot, owner, 100)
            o.record(f"{prefix}-e{k}x", owner, None, {lot})
            await apis[owner].ok(
                "setCharacteristics",
                {"id": f"{prefix}-c{k}x", "inputs": [{"itemId": lot}], "characteristics": {"origin": k}},
            )
            o.record(f"{prefix}-c{k}x", owner, None, {lot})
        for n, (k, pick, to) in enumerate(shipments):
            able = sorted(o.changers[lots[k]])
            by = able[pick % len(able)]
            if by == to:
                continue
            eid = f"{prefix}-s{n}x"
            await apis[by].ok(
                "ship",
                {"id": eid, "inputs": [{"itemId": lots[k], "quantity": 1, "locationId": "WH"}], "partnerId": orgs[to]},
            )
            o.record(eid, by, to, {lots[k]})
            o.changers[lots[k]].add(to)
            o.stock[lots[k]] -= 1
        share = (
            "mutation($i: String!, $o: ID!) { shareItem(itemId: $i, withOrganizationId: $o, scope: ITEM) "
            "{ errors { code } } }"
        )
        for k, to in shares:
            owner = owners[k]
            if to != owner:
                async with key_client(rig.app, keys[owner]["QUALITY"]) as c:
                    assert (await Api(c).data(share, {"i": lots[k], "o": orgs[to]}))["shareItem"]["errors"] == []
                o.shared.setdefault(lots[k], set()).add(to)
        FIGURES["items"] += len(lots)

        attempted: list[str] = []  # every item a write named or would create
        n = 0
        for kind_no, kind in enumerate(KINDS):
            for actor in range(n_orgs):
                target_pick, where = picks[kind_no * n_orgs + actor]
                n += 1
                await one_write(rig, o, prefix, n, kind, actor, target_pick, where, orgs, loc, apis, lots, attempted)
        await scan(o, apis, n_orgs, attempted)


async def aliased(api: Api, fields: list[str]) -> list[Any]:
    """The answers to many root fields, asked in queries of at most 40 aliases (the server allows 50)."""
    out: list[Any] = []
    for start in range(0, len(fields), 40):
        chunk = fields[start : start + 40]
        data = await api.data("{ " + " ".join(f"a{n}: {f}" for n, f in enumerate(chunk)) + " }")
        out += [data[f"a{n}"] for n in range(len(chunk))]
    return out


async def snapshot(admin: Api, items: list[str]) -> dict[str, Any]:
    items = list(dict.fromkeys(items))
    answers = await aliased(admin, [f"item(id: {json.dumps(i)}) {{ {SNAP} }}" for i in items])
    out: dict[str, Any] = {}
    for item, x in zip(items, answers, strict=True):
        if x is not None:
            x = {
                **x,
                "balances": sorted((b["locationId"], b["quantity"]) for b in x["balances"]),
                "events": sorted(e["id"] for e in x["events"]),
            }
        out[item] = x
    return out


def strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for v in value.values() for s in strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in strings(v)}
    return set()


async def one_write(
    rig: Rig,
    o: Oracle,
    prefix: str,
    n: int,
    kind: str,
    actor: int,
    target_pick: int,
    where: int,
    orgs: list[str],
    loc: list[str],
    apis: list[Api],
    lots: list[str],
    attempted: list[str],
) -> None:
    """Send one write of `kind` by `actor`; check it against the oracle; update the oracle."""
    n_orgs = len(orgs)
    eid, new = f"{prefix}-w{n}x", f"{prefix}-n{n}x"
    target = o.pool[target_pick % len(o.pool)]
    place = {0: "DOCK" if kind == "move" else "WH", 1: loc[actor], 2: loc[(actor + 1) % n_orgs]}[where]
    place_ok = where != 2
    line = {"itemId": target, "quantity": 1, "locationId": "WH"}
    made = [{"itemId": new, "quantity": 50, "locationId": "WH"}]
    partner = (actor + 1) % n_orgs if where == 1 else None
    item_ok = o.may_change(actor, target, kind)
    loc_named = kind in ("receive", "move")
    creates: bool = kind in ("issue", "produce", "split", "merge", "pack", "recordEvents")
    correct_of = None
    if kind == "correct":
        root = lots[target_pick % len(lots)]
        correct_of = f"{prefix}-c{lots.index(root)}x"
        target = root
    inputs: dict[str, Any] = {
        "receive": {"locationId": place, "outputs": [{"itemId": target, "quantity": 1}]},
        "issue": {
            "locationId": "WH",
            "inputs": [line],
            "outputs": made,
            "newItems": [{"id": new, "kind": "BATCH", "materialId": "M"}],
        },
        "produce": {
            "locationId": "WH",
            "inputs": [line],
            "outputs": made,
            "newItems": [{"id": new, "materialId": "M"}],
        },
        "split": {"locationId": "WH", "inputs": [line], "outputs": made, "newItems": [{"id": new, "materialId": "M"}]},
        "merge": {"locationId": "WH", "inputs": [line], "outputs": made, "newItems": [{"id": new, "materialId": "M"}]},
        "pack": {
            "containerId": new,
            "inputs": [line],
            "newItems": [{"id": new, "kind": "CONTAINER", "containerType": "LOGISTIC"}],
        },
        "move": {"inputs": [line], "toLocationId": place},
        "ship": {"inputs": [line], **({"partnerId": orgs[partner]} if partner is not None else {})},
        "returnItems": {"locationId": "WH", "outputs": [{"itemId": target, "quantity": 1}]},
        "adjust": {"inputs": [{**line, "quantity": o.stock[target] - 1}]},
        "scrap": {"inputs": [line]},
        "reclassify": {"inputs": [{"itemId": target}], "status": "RELEASED"},
        "setCharacteristics": {"inputs": [{"itemId": target}], "characteristics": {"w": n}},
        "correct": {"reverses": correct_of},
    }
    if kind == "recordEvents":
        body: Any = [
            {
                "id": eid,
                "type": "RECEIVE",
                "locationId": "WH",
                "newItems": [{"id": new, "materialId": "M"}],
                "outputs": made,
            },
            {"id": f"{prefix}-w{n}bx", "type": "MOVE", "inputs": [line], "toLocationId": "DOCK"},
        ]
    else:
        body = {"id": eid, **inputs[kind]}

    if kind == "correct":
        assert correct_of is not None
        event_org = o.events[correct_of][0]
        allowed = event_org == actor and correct_of not in o.reversed
        conflict = event_org == actor and correct_of in o.reversed
        code = None if event_org == actor else "FORBIDDEN" if o.sees_event(actor, correct_of) else "NOT_FOUND"
    else:
        allowed = item_ok and (place_ok or not loc_named)
        conflict = False
        code = None if item_ok else "FORBIDDEN" if o.sees(actor, target) else "NOT_FOUND"
    hidden = o.hidden_from(actor)
    watched = [*o.owner, *attempted, new]
    attempted.append(new)
    before = await snapshot(rig.admin, watched)
    api = apis[actor]
    if kind == "recordEvents":
        payload = (await api.data(BATCH, {"i": body}))["recordEvents"]
        written, errors = payload["events"], payload["errors"]
    else:
        payload = await api.mutate(kind, body)
        written, errors = payload["event"], payload["errors"]
    FIGURES["writes"] += 1
    said = json.dumps(errors)
    leaked = sorted(x for x in hidden - strings(body) if x in said)
    assert not leaked, (kind, actor, target, leaked, errors)
    assert not any("Unexpected" in e["message"] for e in errors), errors
    if not allowed:
        FIGURES["refused"] += 1
        FIGURES["by_kind"][kind]["refused"] += 1
        assert written is None and errors, ("accepted", kind, actor, target, place, body)
        codes = {e["code"] for e in errors}
        if conflict:
            assert codes == {"CONFLICT"}, errors
        elif code is not None and (place_ok or not loc_named):
            assert codes == {code}, (kind, actor, target, errors)
        else:
            assert codes <= PERMISSION, (kind, actor, target, errors)
        assert await snapshot(rig.admin, watched) == before, ("written", kind, actor, target, body)
        return
    FIGURES["accepted"] += 1
    FIGURES["by_kind"][kind]["accepted"] += 1
    assert errors == [] and written, ("refused", kind, actor, target, place, body, errors)
    # What the accepted write did, for the oracle.
    touched = {target}
    if kind == "correct":
        assert correct_of is not None
        o.reversed.add(correct_of)
    if creates:
        container = kind == "pack"
        o.add_item(new, actor, 0 if container else 50, target=not container)
        o.links.add((target, new))
        touched.add(new)
    if kind == "recordEvents":
        o.record(eid, actor, None, {new})
        o.record(f"{prefix}-w{n}bx", actor, None, {target})
        o.links.discard((target, new))  # a receipt and a move: no lineage
        o.stock[target] -= 1
        return
    o.record(eid, actor, partner if kind == "ship" else None, touched)
    if kind == "ship" and partner is not None:
        o.changers[target].add(partner)
    if kind in ("issue", "produce", "split", "merge", "move", "ship", "scrap", "adjust"):
        o.stock[target] -= 1
    if kind in ("receive", "returnItems") and (kind == "returnItems" or place == "WH"):
        o.stock[target] += 1


async def scan(o: Oracle, apis: list[Api], n_orgs: int, attempted: list[str]) -> None:
    """What each organization reads now: exactly its visible items, nothing foreign anywhere."""
    for org in range(n_orgs):
        api = apis[org]
        seen = {i for i in o.owner if o.sees(org, i)}
        forbidden = o.hidden_from(org) | {i for i in attempted if i not in o.owner}
        answers: list[Any] = []
        listed = (await api.data("{ items(first: 1000) { edges { node { id } } } }"))["items"]
        assert {e["node"]["id"] for e in listed["edges"]} == seen, org
        answers.append(listed)
        events = (
            await api.data(
                "{ events(first: 300) { edges { node { id itemIds moves { itemId } links { sourceId targetId } } } } }"
            )
        )["events"]
        assert len(events["edges"]) < 300  # all of them
        answers.append(events)
        answers.append(await api.data("{ stock(first: 1000) { edges { node { itemId locationId quantity } } } }"))
        for direction in ("FORWARD", "BACKWARD"):
            answers.append(
                await aliased(
                    api,
                    [
                        f"trace(id: {json.dumps(i)}, direction: {direction}) "
                        "{ items { id } edges { source target } hidden { count } }"
                        for i in sorted(seen)
                    ],
                )
            )
        unseen = sorted(set(o.owner) - seen)
        found = await aliased(api, [f"item(id: {json.dumps(i)}) {{ id }}" for i in unseen])
        assert all(v is None for v in found), (org, unseen, found)
        text = json.dumps(answers)
        leaked = sorted(x for x in forbidden if x in text)
        assert not leaked, f"organization {org} reads {leaked}"
