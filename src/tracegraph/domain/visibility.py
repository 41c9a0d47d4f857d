"""Who may see what: the partner visibility rule, pure (no I/O), over facts the service reads.

An organization O sees
- its own items and events (recorded with its keys);
- one step up and one step down (EU Regulation 178/2002, art. 18): the items its own events
  touched (what it received, moved, consumed, shipped), the items of any event naming O as
  its partner (shipped to O, received from O), and the items one lineage link away from an
  item O owns (a supplier's lot in O's product; a customer's product made from O's lot);
- what another organization shared with it (`shareItem`): an item, optionally with everything
  upstream or downstream of it that the sharing organization owns (items only: not the events
  that made them; another organization's items are not its to share);
- the events it recorded, the events naming it as partner, and the events touching an item
  it owns (a customer's receipt of O's lot) — each shown only with the items O may see.
Nothing else: not an identifier, not a count by item. Items and events without an owner
(recorded with the server's admin key and no organization) are the admin's only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .composition import CompositionCheck
from .events import EventRecord


@dataclass
class ItemFacts:
    """What decides whether one item is visible: its owner, the events that touched it, and
    the owners of the items one lineage link away (either direction)."""

    owner: str | None
    events: list[EventRecord] = field(default_factory=list)
    neighbour_owners: set[str | None] = field(default_factory=set)
    shared: bool = False  # shared with the organization, itself or as up/downstream of a shared item


def item_visible(org: str, facts: ItemFacts) -> bool:
    if facts.owner == org or facts.shared:
        return True
    if any(e.organization_id == org or e.partner_id == org for e in facts.events):
        return True
    return org in facts.neighbour_owners


def event_visible(org: str, event: EventRecord, owners: Mapping[str, str | None]) -> bool:
    """`owners`: the owner of each item the event touched."""
    if event.organization_id == org or event.partner_id == org:
        return True
    return any(owners.get(i) == org for i in event.item_ids)


def _redacted_check(event: EventRecord, seen: set[str]) -> CompositionCheck | None:
    """A composition check without the mismatches that name an item the caller may not see."""
    check = event.composition_check
    if check is None:
        return None
    hidden = [i for i in event.item_ids if i not in seen]
    kept = [
        m
        for m in check.mismatches
        if (m.item_id is None or m.item_id in seen) and not any(h in m.message for h in hidden)
    ]
    return check.model_copy(update={"mismatches": kept})


def redact(event: EventRecord, visible_items: Iterable[str]) -> EventRecord:
    """The event as a caller sees it: only the items it may see, in its item list, moves,
    links, status changes and command; what it carried as captured (EPCIS extensions) and the
    container are dropped when anything was hidden."""
    seen = set(visible_items)
    if all(i in seen for i in event.item_ids):
        return event
    cmd = event.command
    command = cmd.model_copy(
        update={
            "inputs": [x for x in cmd.inputs if x.item_id in seen],
            "outputs": [x for x in cmd.outputs if x.item_id in seen],
            "new_items": [x for x in cmd.new_items if x.id in seen],
            "container_id": cmd.container_id if cmd.container_id in seen else None,
            "extensions": {},
        }
    )
    return event.model_copy(
        update={
            "item_ids": [i for i in event.item_ids if i in seen],
            "moves": [m for m in event.moves if m.item_id in seen],
            "links": [x for x in event.links if x.source_id in seen and x.target_id in seen],
            "status_changes": [x for x in event.status_changes if x.item_id in seen],
            "component_changes": [x for x in event.component_changes if x.assembly_id in seen and x.item_id in seen],
            "composition_check": _redacted_check(event, seen),
            "command": command,
        }
    )
