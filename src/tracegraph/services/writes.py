"""Who may change what, applied: the facts the write rule (domain/writability.py) needs, read
for one batch of one caller, and the refusal it gives."""

from __future__ import annotations

from collections.abc import Sequence

from ..domain.actions import ActionType
from ..domain.auth import Principal
from ..domain.composition import CompositionList
from ..domain.errors import AccessDenied
from ..domain.events import EventCommand, Source
from ..domain.ledger import event_id_for
from ..domain.models import Classification, Item, Location
from ..domain.writability import (
    WriteFacts,
    named_action_types,
    named_classifications,
    named_items,
    named_locations,
    write_problems,
    writers,
)
from ..store.port import VisibilityReads
from .visibility import Visibility


async def check_writes(
    store: VisibilityReads,
    principal: Principal,
    cmds: Sequence[EventCommand],
    source: Source,
    visibility: Visibility | None = None,
) -> None:
    """Refuse (AccessDenied, every problem named) a batch its caller may not record; nothing is
    read for the server's admin key, which may change anything."""
    if principal.is_admin or not cmds:
        return
    org = principal.organization_id
    assert org is not None
    vis = visibility or Visibility(store, principal)
    item_ids = sorted({i for c in cmds for _, i in named_items(c)})
    location_ids = sorted({x for c in cmds for _, x in named_locations(c)})
    event_ids = sorted({event_id_for(c) for c in cmds} | {c.reverses for c in cmds if c.reverses})
    items: dict[str, Item] = await store.get("Item", item_ids) if item_ids else {}  # type: ignore[assignment]
    foreign = [i for i, x in items.items() if x.organization_id != org]
    history = await store.events_of_items(foreign) if foreign else {}
    locations: dict[str, Location] = (
        await store.get("Location", location_ids)  # type: ignore[assignment]
        if location_ids
        else {}
    )
    events = await store.events_by_id(event_ids) if event_ids else {}
    classification_ids = sorted({x for c in cmds for _, x in named_classifications(c)})
    classifications: dict[str, Classification] = (
        await store.get("Classification", classification_ids)  # type: ignore[assignment]
        if classification_ids
        else {}
    )
    composition_ids = sorted({c.composition_id for c in cmds if c.composition_id})
    compositions: dict[str, CompositionList] = (
        await store.get("CompositionList", composition_ids)  # type: ignore[assignment]
        if composition_ids
        else {}
    )
    action_type_ids = sorted({x for c in cmds for _, x in named_action_types(c)})
    action_types: dict[str, ActionType] = (
        await store.get("ActionType", action_type_ids)  # type: ignore[assignment]
        if action_type_ids
        else {}
    )
    foreign_events = [e for e in events.values() if e.organization_id != org]
    facts = WriteFacts(
        items=items,
        writers={i: writers(items[i].organization_id, history.get(i, [])) for i in foreign},
        visible_items=set(await vis.items(items)),
        locations=locations,
        events=events,
        visible_events={e.id for e in events.values() if e.organization_id == org}
        | {e.id for e in await vis.events(foreign_events)},
        classifications=classifications,
        compositions=compositions,
        action_types=action_types,
    )
    problems = write_problems(org, cmds, facts, source)
    if problems:
        raise AccessDenied(problems)
