"""Who may change what: the partner write rule, pure (no I/O), over facts the service reads.

An organization O records an event only on what it may change (shared/CONTRACT.md,
"Authentication and partners"):
- every existing item the event names is O's own (created by O's events), or was shipped to O
  (a SHIP event naming O as partner, recorded by an organization that could change the item
  then) — from that shipment on O receives, consumes, splits, packs, moves, ships, returns,
  counts and scraps it; a status or characteristics change needs ownership;
- a correction reverses only an event O recorded;
- every location it names is O's, has no organization (the well-known virtual ones, those the
  server's admin made), or names O as its partner;
- its event id is not another organization's event;
- every classification it names (a status change, the status of what it creates) is O's, has
  no organization (the five built-ins), or names O as its partner; so is the composition list
  a production or assembly names.
- the action type of its batch action, likewise (O's, a built-in, or shared with O).
What O may not see is refused as NOT_FOUND, with the same message as an unknown identifier; what
it may see but not change as FORBIDDEN. A message names only the identifier the caller sent.
The server's admin key is not subject to this rule (the service never asks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import errors as E
from .actions import ActionType
from .auth import FORBIDDEN
from .composition import CompositionList
from .errors import Problem
from .events import EventCommand, EventRecord, EventType, Source
from .ledger import event_id_for
from .models import Classification, Item, Location

# Event types that change what an item is rather than where its quantity is: the owner's only.
OWNER_ONLY = frozenset({EventType.RECLASSIFY, EventType.CHARACTERISTICS})


def writers(owner: str | None, events: Iterable[EventRecord]) -> set[str | None]:
    """The organizations that may change an item, from its owner and its events in commit
    order: a shipment by one of them to a partner makes the partner one too."""
    out: set[str | None] = {owner}
    for e in events:
        if e.type is EventType.SHIP and e.partner_id and e.organization_id in out:
            out.add(e.partner_id)
    return out


@dataclass
class WriteFacts:
    """What the rule needs of the ledger, for the identifiers a batch names."""

    items: Mapping[str, Item] = field(default_factory=dict)  # the existing items named
    writers: Mapping[str, set[str | None]] = field(default_factory=dict)  # of each existing item
    visible_items: set[str] = field(default_factory=set)  # of the existing items, those the caller sees
    locations: Mapping[str, Location] = field(default_factory=dict)  # the existing locations named
    events: Mapping[str, EventRecord] = field(default_factory=dict)  # existing events named (ids, reversed)
    visible_events: set[str] = field(default_factory=set)
    classifications: Mapping[str, Classification] = field(default_factory=dict)  # the existing ones named
    compositions: Mapping[str, CompositionList] = field(default_factory=dict)  # the existing lists named
    action_types: Mapping[str, ActionType] = field(default_factory=dict)  # the existing ones named


def named_items(cmd: EventCommand) -> list[tuple[str, str]]:
    """(field, item id) of every item an event names as existing (its lines, its container,
    the parents of what it creates); the items it creates are its own."""
    out = [(f"inputs[{n}].itemId", x.item_id) for n, x in enumerate(cmd.inputs)]
    out += [(f"outputs[{n}].itemId", x.item_id) for n, x in enumerate(cmd.outputs)]
    out += [(f"newItems[{n}].parentId", x.parent_id) for n, x in enumerate(cmd.new_items) if x.parent_id]
    if cmd.container_id:
        out.append(("containerId", cmd.container_id))
    return out


def named_locations(cmd: EventCommand) -> list[tuple[str, str]]:
    out = [
        (f, x)
        for f, x in (
            ("locationId", cmd.location_id),
            ("fromLocationId", cmd.from_location_id),
            ("toLocationId", cmd.to_location_id),
        )
        if x
    ]
    out += [(f"inputs[{n}].locationId", x.location_id) for n, x in enumerate(cmd.inputs) if x.location_id]
    out += [(f"outputs[{n}].locationId", x.location_id) for n, x in enumerate(cmd.outputs) if x.location_id]
    return out


def named_classifications(cmd: EventCommand) -> list[tuple[str, str]]:
    """(field, classification id) of every classification an event names."""
    out = [("status", cmd.status)] if cmd.status else []
    out += [(f"newItems[{n}].status", x.status) for n, x in enumerate(cmd.new_items) if x.status]
    return out


def named_action_types(cmd: EventCommand) -> list[tuple[str, str]]:
    """(field, action type id) of the batch action an event names, if any."""
    return [("action.type", cmd.action.type)] if cmd.action else []


def location_usable(org: str, location: Location) -> bool:
    return location.organization_id in (None, org) or location.partner_id == org


def composition_usable(org: str, composition: CompositionList) -> bool:
    """An organization sees and uses its own composition lists, those without an organization
    (the server's admin made them) and those naming it as partner; it changes only its own."""
    return composition.organization_id in (None, org) or composition.partner_id == org


def classification_usable(org: str, classification: Classification) -> bool:
    """An organization sees and uses its own classifications, those without an organization (the
    built-ins) and those naming it as partner; it changes only its own."""
    return classification.organization_id in (None, org) or classification.partner_id == org


def action_type_usable(org: str, action_type: ActionType) -> bool:
    """An organization sees and uses its own action types, the built-ins and those naming it as
    partner; it changes only its own."""
    return action_type.organization_id in (None, org) or action_type.partner_id == org


def write_problems(org: str, cmds: Sequence[EventCommand], facts: WriteFacts, source: Source) -> list[Problem]:
    """Every reason organization `org` may not record `cmds` (empty: it may). In a batch of
    several, a problem names its event by index (`events[3].inputs[0].itemId`)."""
    problems: list[Problem] = []
    created: set[str] = set()  # items an earlier event of the batch creates: the caller's own
    for n, cmd in enumerate(cmds):
        prefix = f"events[{n}]." if len(cmds) > 1 else ""

        def refuse(f: str, message: str, code: str) -> None:
            problems.append(Problem(prefix + f, message, code))  # noqa: B023 - used at once

        event_id = event_id_for(cmd)
        taken = facts.events.get(event_id)
        if taken is not None and taken.organization_id != org:
            if event_id in facts.visible_events:
                refuse("id", f"event {event_id} was recorded by another organization: choose another id", FORBIDDEN)
            else:
                refuse("id", f"the event id {event_id} cannot be used: choose another id", E.NOT_FOUND)
        if cmd.reverses:
            reversed_event = facts.events.get(cmd.reverses)
            if reversed_event is None or cmd.reverses not in facts.visible_events:
                refuse("reverses", f"unknown event {cmd.reverses}", E.NOT_FOUND)
            elif reversed_event.organization_id != org:
                refuse(
                    "reverses",
                    f"event {cmd.reverses} was recorded by another organization: only it may correct it",
                    FORBIDDEN,
                )
        for f, item_id in named_items(cmd):
            item = facts.items.get(item_id)
            if item is None or item_id in created:
                continue  # unknown: a command is refused by the ledger, a fact creates it as the caller's
            if item_id not in facts.visible_items:
                refuse(f, f"unknown item {item_id}", E.NOT_FOUND)
            elif cmd.type in OWNER_ONLY and item.organization_id != org:
                refuse(
                    f,
                    f"item {item_id} belongs to another organization: only it may change its "
                    f"{'status' if cmd.type is EventType.RECLASSIFY else 'characteristics'}",
                    FORBIDDEN,
                )
            elif org not in facts.writers.get(item_id, {item.organization_id}):
                refuse(
                    f,
                    f"item {item_id} belongs to another organization and was not shipped to yours: "
                    "you may not record events on it",
                    FORBIDDEN,
                )
        for f, location_id in named_locations(cmd):
            location = facts.locations.get(location_id)
            if location is not None and not location_usable(org, location):
                refuse(f, f"unknown location {location_id}", E.NOT_FOUND)
        for f, classification_id in named_classifications(cmd):
            classification = facts.classifications.get(classification_id)
            if classification is not None and not classification_usable(org, classification):
                refuse(f, f"unknown classification {classification_id}", E.NOT_FOUND)
        if cmd.composition_id:
            composition = facts.compositions.get(cmd.composition_id)
            if composition is not None and not composition_usable(org, composition):
                refuse("compositionId", f"unknown composition list {cmd.composition_id}", E.NOT_FOUND)
        for f, type_id in named_action_types(cmd):
            action_type = facts.action_types.get(type_id)
            if action_type is not None and not action_type_usable(org, action_type):
                refuse(f, f"unknown action type {type_id}", E.NOT_FOUND)
        created.update(x.id for x in cmd.new_items)
        if source is Source.FACT:
            created.update(i for _, i in named_items(cmd) if i not in facts.items)
    return problems
