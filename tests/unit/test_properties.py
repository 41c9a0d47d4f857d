"""Property: for any sequence of valid commands, every planned entry's moves balance per item,
the ledger as a whole stays conserved, and no real location goes negative."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_world import L, NewItem, World, assert_balanced, at, cmd

from tracegraph.domain.errors import DomainError
from tracegraph.domain.events import EventCommand, EventType
from tracegraph.domain.ledger import advance
from tracegraph.domain.models import ContainerType, ItemKind, Status, may_issue, may_ship

REAL = ["A", "B", "C"]
STATUSES = list(Status)


def _world() -> World:
    w = World()
    w.material("FLOUR", base_unit="KG", conversions={"BAG": 25})
    w.material("BREAD", base_unit="EA")
    w.material("FRAME", tracking="SERIAL", base_unit="EA")
    for loc in REAL:
        w.location(loc)
    return w


class Run:
    def __init__(self, data: st.DataObject):
        self.data = data
        self.w = _world()
        self.n = 0
        self.events: list[str] = []

    def draw(self, strategy):  # noqa: ANN001, ANN201
        return self.data.draw(strategy)

    def new_id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    def on_hand(self, allowed=lambda item: True) -> list[tuple[str, str, float]]:  # noqa: ANN001
        s = self.w.state
        return sorted(
            (i, loc, q)
            for (i, loc), q in s.balances.items()
            if loc in REAL and q > 1e-6 and s.items[i].kind is not ItemKind.CONTAINER and allowed(s.items[i])
        )

    def part(self, quantity: float, serial: bool) -> float:
        """A share of what is on hand: all of it, or 1..99 %."""
        if serial:
            return quantity
        pct = self.draw(st.integers(1, 100))
        return quantity if pct == 100 else quantity * pct / 100

    # -- one command of each kind, built to be valid -----------------------------------------

    def receive(self, t: int) -> EventCommand:
        if self.draw(st.booleans()):
            item = self.new_id("FR")
            return cmd(
                "RECEIVE",
                event_time=at(t),
                location_id=self.draw(st.sampled_from(REAL)),
                new_items=[NewItem(id=item, kind=ItemKind.SERIAL, material_id="FRAME")],
                outputs=[L(item)],
            )
        item = self.new_id("LOT")
        unit = self.draw(st.sampled_from([None, "BAG", "G"]))
        return cmd(
            "RECEIVE",
            event_time=at(t),
            location_id=self.draw(st.sampled_from(REAL)),
            new_items=[NewItem(id=item, material_id="FLOUR", status=self.draw(st.sampled_from(STATUSES)))],
            outputs=[L(item, float(self.draw(st.integers(1, 5000))), unit)],
        )

    def send(self, t: int, kind: str) -> EventCommand | None:
        stock = self.on_hand(lambda i: may_ship(i.status) if kind == "SHIP" else True)
        if not stock:
            return None
        item, loc, q = self.draw(st.sampled_from(stock))
        serial = self.w.state.items[item].kind is ItemKind.SERIAL
        line = L(item, self.part(q, serial), location_id=loc)
        if kind == "MOVE":
            dest = self.draw(st.sampled_from([x for x in REAL if x != loc]))
            return cmd("MOVE", event_time=at(t), to_location_id=dest, inputs=[line])
        return cmd(kind, event_time=at(t), location_id=loc, inputs=[line])

    def transform(self, t: int, kind: str) -> EventCommand | None:
        stock = self.on_hand(lambda i: may_issue(i.status) or kind == "SPLIT")
        if not stock:
            return None
        count = 1 if kind == "SPLIT" else self.draw(st.integers(1, min(3, len(stock))))
        picked = self.draw(
            st.lists(st.sampled_from(stock), min_size=count, max_size=count, unique_by=lambda x: (x[0], x[1]))
        )
        inputs = [
            L(i, self.part(q, self.w.state.items[i].kind is ItemKind.SERIAL), location_id=loc) for i, loc, q in picked
        ]
        outputs_n = 1 if kind in ("ISSUE", "MERGE") else self.draw(st.integers(1, 3))
        new = [self.new_id("OUT") for _ in range(outputs_n)]
        material = self.draw(st.sampled_from(["FLOUR", "BREAD"]))
        outputs = [
            L(o, float(self.draw(st.integers(1, 500))), location_id=self.draw(st.sampled_from(REAL))) for o in new
        ]
        return cmd(
            kind,
            event_time=at(t),
            location_id=picked[0][1],
            new_items=[NewItem(id=o, kind=ItemKind.BATCH, material_id=material) for o in new],
            inputs=inputs,
            outputs=outputs,
        )

    def adjust(self, t: int) -> EventCommand | None:
        items = [i for i, item in self.w.state.items.items() if item.kind is ItemKind.LOT]
        if not items:
            return None
        return cmd(
            "ADJUST",
            event_time=at(t),
            location_id=self.draw(st.sampled_from(REAL)),
            inputs=[L(self.draw(st.sampled_from(sorted(items))), float(self.draw(st.integers(0, 3000))))],
        )

    def reclassify(self, t: int) -> EventCommand | None:
        items = sorted(i for i, item in self.w.state.items.items() if item.kind is not ItemKind.CONTAINER)
        if not items:
            return None
        return cmd(
            "RECLASSIFY",
            event_time=at(t),
            status=self.draw(st.sampled_from(STATUSES)),
            inputs=[L(self.draw(st.sampled_from(items)))],
        )

    def pack(self, t: int) -> EventCommand | None:
        stock = self.on_hand()
        if not stock:
            return None
        item, loc, q = self.draw(st.sampled_from(stock))
        box = self.new_id("SSCC")
        return cmd(
            "PACK",
            event_time=at(t),
            location_id=loc,
            container_id=box,
            new_items=[NewItem(id=box, kind=ItemKind.CONTAINER, container_type=ContainerType.LOGISTIC)],
            inputs=[L(item, q)],
        )

    def ret(self, t: int) -> EventCommand | None:
        shipped = sorted({i for (i, loc), q in self.w.state.balances.items() if loc == "virtual:customer" and q > 0})
        if not shipped:
            return None
        return cmd(
            "RETURN",
            event_time=at(t),
            location_id=self.draw(st.sampled_from(REAL)),
            outputs=[L(self.draw(st.sampled_from(shipped)), 1.0)],
        )

    def correction(self, t: int) -> EventCommand | None:
        open_ = [
            e
            for e in self.events
            if e not in self.w.state.reversed_ids and self.w.state.events[e].type is not EventType.CORRECTION
        ]
        if not open_:
            return None
        return cmd("CORRECTION", event_time=at(t), reverses=self.draw(st.sampled_from(open_)))

    def step(self, t: int) -> EventCommand | None:
        kind = self.draw(
            st.sampled_from(
                [
                    "RECEIVE",
                    "RECEIVE",
                    "MOVE",
                    "SHIP",
                    "SCRAP",
                    "ISSUE",
                    "PRODUCE",
                    "SPLIT",
                    "MERGE",
                    "ADJUST",
                    "RECLASSIFY",
                    "PACK",
                    "RETURN",
                    "CORRECTION",
                ]
            )
        )
        if kind == "RECEIVE":
            return self.receive(t)
        if kind in ("MOVE", "SHIP", "SCRAP"):
            return self.send(t, kind)
        if kind in ("ISSUE", "PRODUCE", "SPLIT", "MERGE"):
            return self.transform(t, kind)
        return {
            "ADJUST": self.adjust,
            "RECLASSIFY": self.reclassify,
            "PACK": self.pack,
            "RETURN": self.ret,
            "CORRECTION": self.correction,
        }[kind](t)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_valid_commands_always_balance(data: st.DataObject) -> None:
    run = Run(data)
    for t in range(data.draw(st.integers(1, 30), label="steps")):
        command = run.step(t)
        if command is None:
            continue
        try:
            entry = run.w.plan(command)
        except DomainError:
            # Only a correction may be refused here: the stock it would take back has moved on.
            assert command.type is EventType.CORRECTION
            continue
        assert_balanced(entry)
        advance(run.w.state, entry)
        run.events.append(entry.event.id)
        totals: dict[str, float] = defaultdict(float)
        for (item_id, loc), q in run.w.state.balances.items():
            totals[item_id] += q
            if loc in REAL:
                assert q > -1e-6, f"{item_id} is negative at {loc} after {command.type.value}"
        assert all(abs(v) < 1e-6 for v in totals.values()), totals
