"""The partner visibility rule (domain/visibility.py), case by case."""

from __future__ import annotations

from datetime import UTC, datetime

from tracegraph.domain.events import EventCommand, EventRecord, EventType, Line, Link, LinkKind, Move, Source
from tracegraph.domain.visibility import ItemFacts, event_visible, item_visible, redact

T = datetime(2024, 1, 1, tzinfo=UTC)


def event(org: str | None, items: list[str], partner: str | None = None, **extra: object) -> EventRecord:
    return EventRecord(
        id=f"e-{org}-{len(items)}",
        type=EventType.PRODUCE,
        source=Source.COMMAND,
        event_time=T,
        recorded_at=T,
        organization_id=org,
        partner_id=partner,
        item_ids=items,
        command=EventCommand(
            type=EventType.PRODUCE, inputs=[Line(item_id=i) for i in items], extensions={"epcList": items}
        ),
        **extra,
    )


def test_own_items_are_visible_and_foreign_ones_are_not() -> None:
    assert item_visible("A", ItemFacts(owner="A"))
    assert not item_visible("A", ItemFacts(owner="B"))
    assert not item_visible("A", ItemFacts(owner=None))


def test_one_step_up_and_down() -> None:
    # B's lot in A's product (A's item one link away), and A's product at a customer.
    assert item_visible("A", ItemFacts(owner="B", neighbour_owners={"A"}))
    assert not item_visible("A", ItemFacts(owner="B", neighbour_owners={"B", "C", None}))


def test_items_of_a_hand_over() -> None:
    assert item_visible("A", ItemFacts(owner="B", events=[event("A", ["x"])]))  # A received it
    assert item_visible("A", ItemFacts(owner="B", events=[event("B", ["x"], partner="A")]))  # shipped to A
    assert not item_visible("A", ItemFacts(owner="B", events=[event("B", ["x"], partner="C")]))


def test_events_visible_own_partner_or_touching_own_items() -> None:
    owners = {"mine": "A", "theirs": "B"}
    assert event_visible("A", event("A", ["theirs"]), owners)
    assert event_visible("A", event("B", ["theirs"], partner="A"), owners)
    assert event_visible("A", event("B", ["mine", "theirs"]), owners)
    assert not event_visible("A", event("B", ["theirs"]), owners)


def test_redaction_keeps_only_visible_items_everywhere() -> None:
    e = event(
        "B",
        ["mine", "secret"],
        moves=[
            Move(item_id="secret", from_location_id="X", to_location_id="Y", quantity=1),
            Move(item_id="mine", from_location_id="X", to_location_id="Y", quantity=1),
        ],
        links=[Link(source_id="secret", target_id="mine", kind=LinkKind.CONSUMED)],
    )
    r = redact(e, {"mine"})
    assert r.item_ids == ["mine"] and [m.item_id for m in r.moves] == ["mine"] and r.links == []
    assert [x.item_id for x in r.command.inputs] == ["mine"] and r.command.extensions == {}
    assert "secret" not in r.model_dump_json()
    assert redact(e, {"mine", "secret"}) is e
