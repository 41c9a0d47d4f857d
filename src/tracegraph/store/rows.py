"""Store rows: domain models to the flat properties, write rows and Cypher parameters every
adapter hands its statements, and the rows they read back to domain models.

Times are kept as fixed-width UTC ISO-8601 strings, so they sort as text on every store;
nested values (conversions, characteristics, whole event records) as JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from ..domain.actions import ActionType
from ..domain.capture import CaptureJob
from ..domain.composition import CompositionList, OnMismatch
from ..domain.events import EventRecord, Finding, LedgerEntry, LinkKind
from ..domain.ledger import LedgerState
from ..domain.models import (
    Balance,
    Classification,
    InstalledComponent,
    Item,
    ItemKind,
    Location,
    Material,
    Order,
    Organization,
    Shipment,
)
from ..domain.query import expiry_cursor, time_key  # noqa: F401 - re-exported for the adapters
from ..domain.recall import Recall, RecallNotice
from ..domain.stock import StockSum
from ..domain.trace import LineageLink


def parse_time(s: str | None) -> datetime | None:
    # fromisoformat reads the fixed format time_key writes (with its Z) ten times faster than strptime.
    return None if not s else datetime.fromisoformat(s)


def parse_required_time(s: str | None, field: str) -> datetime:
    """A time the model requires: a missing one is a broken row, reported by its field name."""
    t = parse_time(s)
    if t is None:
        raise ValueError(f"stored row has no {field} time")
    return t


# The fields of an item an event may change (update_items).
UPDATED_ITEM_FIELDS = ("id", "status", "characteristics", "first_event_time", "components")


def balance_id(item_id: str, location_id: str) -> str:
    # Identifiers hold no spaces, so the pair is unambiguous.
    return f"{item_id} {location_id}"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def clean(row: dict[str, Any]) -> dict[str, Any]:
    """A node's properties, without the store's own keys (_id, _label)."""
    return {k: v for k, v in row.items() if not k.startswith("_")}


# -- to the store ----------------------------------------------------------------------------


def organization_props(o: Organization) -> dict[str, Any]:
    return {"id": o.id, "name": o.name}


def material_props(m: Material) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "tracking": m.tracking.value,
        "base_unit": m.base_unit,
        "kind": m.kind.value,
        "shelf_life_days": m.shelf_life_days,
        "min_remaining_shelf_life_days": m.min_remaining_shelf_life_days,
        "expiry_warning_days": m.expiry_warning_days,
        "conversions": _json(m.conversions),
        "second_unit": m.second_unit,
        "catch_weight": m.catch_weight,
        "characteristic_definitions": definitions_prop(m),
        "organization_id": m.organization_id,
    }


def definitions_prop(m: Material) -> str | None:
    """A material's characteristic definitions as kept: a JSON list, or null (none)."""
    if not m.characteristic_definitions:
        return None
    return _json([d.model_dump(mode="json", exclude_none=True) for d in m.characteristic_definitions])


def location_props(loc: Location) -> dict[str, Any]:
    return {
        "id": loc.id,
        "name": loc.name,
        "kind": loc.kind.value,
        "parent_id": loc.parent_id,
        "virtual": loc.virtual.value if loc.virtual else None,
        "partner_id": loc.partner_id,
        "organization_id": loc.organization_id,
    }


def order_props(o: Order) -> dict[str, Any]:
    return {
        "id": o.id,
        "type": o.type.value,
        "partner_id": o.partner_id,
        "reference": o.reference,
        "organization_id": o.organization_id,
    }


def classification_props(c: Classification) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "may_issue": c.may_issue,
        "may_ship": c.may_ship,
        "may_pack": c.may_pack,
        "may_move": c.may_move,
        "may_split": c.may_split,
        "partner_id": c.partner_id,
        "organization_id": c.organization_id,
    }


def composition_list_props(c: CompositionList) -> dict[str, Any]:
    return {
        "id": c.id,
        "material_id": c.material_id,
        "name": c.name,
        "description": c.description,
        "basis": c.basis,
        "components": _json([x.model_dump(mode="json", exclude_none=True) for x in c.components]),
        "on_mismatch": c.on_mismatch.value,
        "tolerance_percent": c.tolerance_percent,
        "partner_id": c.partner_id,
        "organization_id": c.organization_id,
    }


def components_prop(components: list[InstalledComponent]) -> str | None:
    """An assembly's components as kept: a JSON list, or null (none)."""
    return _json([c.model_dump(mode="json", exclude_none=True) for c in components]) if components else None


def action_type_props(t: ActionType) -> dict[str, Any]:
    """An action type as kept: its parameters a JSON list."""
    return {
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "parameters": _json([p.model_dump(mode="json", exclude_none=True) for p in t.parameters]),
        "uses_material": t.uses_material,
        "partner_id": t.partner_id,
        "organization_id": t.organization_id,
    }


def allowed_materials_prop(material_ids: list[str] | None) -> str | None:
    """A container's allowed materials as kept: a JSON list, or null (any material)."""
    return None if not material_ids else _json(material_ids)


def item_props(i: Item) -> dict[str, Any]:
    return {
        "id": i.id,
        "kind": i.kind.value,
        "material_id": i.material_id,
        "unit": i.unit,
        "lot_code": i.lot_code,
        "parent_id": i.parent_id,
        "status": i.status,
        "manufactured_at": time_key(i.manufactured_at),
        "expires_at": time_key(i.expires_at),
        "characteristics": _json(i.characteristics),
        "conversions": _json(i.conversions),
        "container_type": i.container_type.value if i.container_type else None,
        "allowed_material_ids": allowed_materials_prop(i.allowed_material_ids),
        "components": components_prop(i.components),
        "origin_known": i.origin_known,
        "organization_id": i.organization_id,
        "created_by_event": i.created_by_event,
        "first_event_time": time_key(i.first_event_time),
    }


def shipment_props(s: Shipment) -> dict[str, Any]:
    return {
        "id": s.id,
        "order_id": s.order_id,
        "partner_id": s.partner_id,
        "destination_id": s.destination_id,
        "shipped_at": time_key(s.shipped_at),
        "organization_id": s.organization_id,
    }


def event_props(e: EventRecord, seq: int) -> dict[str, Any]:
    return {
        "id": e.id,
        "seq": seq,
        "type": e.type.value,
        "source": e.source.value,
        "event_time": time_key(e.event_time),
        "recorded_at": time_key(e.recorded_at),
        "location_id": e.location_id,
        "order_id": e.order_id,
        "shipment_id": e.shipment_id,
        "partner_id": e.partner_id,
        "biz_step": e.biz_step,
        "disposition": e.disposition,
        "organization_id": e.organization_id,
        "reverses": e.reverses,
        # Without the fields at their defaults (a third of the text): read back, they are the defaults.
        "body": e.model_dump_json(exclude_defaults=True),
    }


def finding_props(f: Finding, recorded_at: datetime) -> dict[str, Any]:
    return {
        "id": f.id,
        "kind": f.kind.value,
        "message": f.message,
        "event_id": f.event_id,
        "item_id": f.item_id,
        "location_id": f.location_id,
        "quantity": f.quantity,
        "recorded_at": time_key(recorded_at),
    }


def capture_props(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "running": job.running,
        "success": job.success,
        "errors": _json(job.errors),
        "created_at": time_key(job.created_at),
        "finished_at": time_key(job.finished_at),
        "event_count": job.event_count,
        "organization_id": job.organization_id,
    }


def capture(row: dict[str, Any]) -> CaptureJob:
    return CaptureJob(
        id=row["id"],
        running=bool(row["running"]),
        success=bool(row["success"]),
        errors=json.loads(row.get("errors") or "[]"),
        created_at=parse_required_time(row["created_at"], "created_at"),
        finished_at=parse_time(row.get("finished_at")),
        event_count=row.get("event_count") or 0,
        organization_id=row.get("organization_id"),
    )


# The statements that write a batch of planned events, in the order they run.
WRITE_ORDER = (
    "merge_locations",
    "create_items",
    "create_serial_keys",
    "update_items",
    "create_events",
    "create_balances",
    "update_balances",
    "create_links",
    "touch",
    "reverse",
    "void_links",
    "create_findings",
    "merge_shipments",
)


def write_rows(
    entries: list[LedgerEntry],
    state: LedgerState,
    last_seq: int,
    existing: set[tuple[str, str]],
    existing_serials: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> dict[str, list[dict[str, Any]]]:
    """The rows each write statement takes for a planned batch, `state` advanced past it.

    Items are written in their final state; balance changes are summed per item and location,
    so each statement touches a node or relationship once. `existing` names the balances the
    store held before the batch: those are updated, the others created; likewise
    `existing_serials` names the serial numbers the store held.
    """
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in WRITE_ORDER}
    entries = [e for e in entries if not e.duplicate]
    new_ids: dict[str, None] = {}
    updated_ids: dict[str, None] = {}
    locations: dict[str, Location] = {}
    deltas: dict[tuple[str, str], float] = {}
    deltas2: dict[tuple[str, str], float] = {}  # in second units
    shipments: dict[str, Shipment] = {}
    for n, entry in enumerate(entries, start=1):
        e = entry.event
        rows["create_events"].append(event_props(e, last_seq + n))
        new_ids.update(dict.fromkeys(i.id for i in entry.new_items))
        updated_ids.update(dict.fromkeys(i.id for i in entry.updated_items))
        locations.update({loc.id: loc for loc in entry.new_locations})
        for key, delta in entry.balance_deltas().items():
            deltas[key] = deltas.get(key, 0.0) + delta
        for key, delta in entry.second_deltas().items():
            deltas2[key] = deltas2.get(key, 0.0) + delta
            deltas.setdefault(key, 0.0)
        t = time_key(e.event_time)
        rows["create_links"] += [
            {
                "source_id": link.source_id,
                "target_id": link.target_id,
                "kind": link.kind.value,
                "quantity": link.quantity,
                "event_id": e.id,
                "event_time": t,
                "recorded_at": time_key(e.recorded_at),
            }
            for link in e.links
        ]
        rows["touch"] += [{"event_id": e.id, "item_id": item_id} for item_id in e.item_ids]
        if e.reverses:
            rows["reverse"].append({"event_id": e.id, "reversed_id": e.reverses})
            rows["void_links"].append({"reversed_id": e.reverses, "voided_at": time_key(e.recorded_at)})
        rows["create_findings"] += [finding_props(f, e.recorded_at) for f in entry.findings]
        if entry.shipment is not None:
            shipments[entry.shipment.id] = entry.shipment
    rows["merge_locations"] = [location_props(loc) for loc in locations.values()]
    for item_id in new_ids:
        item = state.items[item_id]
        rows["create_items"].append(item_props(item))
        if item.kind is ItemKind.SERIAL and item.material_id:
            key = (item.material_id, item.lot_code or item.id)
            if state.serials.get(key) == item.id and key not in existing_serials:
                rows["create_serial_keys"].append({"id": balance_id(*key), "item_id": item.id})
    for item_id in updated_ids:
        if item_id not in new_ids:
            props = item_props(state.items[item_id])
            rows["update_items"].append({k: props[k] for k in UPDATED_ITEM_FIELDS})
    add_balance_rows(rows, deltas, deltas2, state, existing)
    rows["merge_shipments"] = [shipment_props(s) for s in shipments.values()]
    return rows


def add_balance_rows(
    rows: dict[str, list[dict[str, Any]]],
    deltas: dict[tuple[str, str], float],
    deltas2: dict[tuple[str, str], float],
    state: LedgerState,
    existing: set[tuple[str, str]],
) -> None:
    """The `update_balances` rows of the balances in `existing` and the `create_balances` rows
    of the others, for balance changes summed per (item, location) (`deltas2`: in a second
    unit), the items and locations read from `state`."""
    for (item_id, loc), delta in deltas.items():
        delta2 = deltas2.get((item_id, loc), 0.0)
        if (item_id, loc) in existing:
            rows["update_balances"].append({"item_id": item_id, "location_id": loc, "delta": delta, "delta2": delta2})
            continue
        item = state.items[item_id]
        where = state.locations.get(loc)
        rows["create_balances"].append(
            {
                "item_id": item_id,
                "location_id": loc,
                "material_id": item.material_id,
                "unit": item.unit,
                "virtual": bool(where and where.is_virtual),
                "delta": delta,
                "delta2": delta2,
                "kind": item.kind.value,
            }
        )


# -- from the store --------------------------------------------------------------------------


def organization(row: dict[str, Any]) -> Organization:
    return Organization(id=row["id"], name=row["name"])


def material(row: dict[str, Any]) -> Material:
    return Material(
        id=row["id"],
        name=row["name"],
        tracking=row["tracking"],
        base_unit=row["base_unit"],
        kind=row["kind"],
        shelf_life_days=row.get("shelf_life_days"),
        min_remaining_shelf_life_days=row.get("min_remaining_shelf_life_days"),
        expiry_warning_days=row.get("expiry_warning_days"),
        conversions=json.loads(row.get("conversions") or "{}"),
        second_unit=row.get("second_unit"),
        catch_weight=bool(row.get("catch_weight")),
        characteristic_definitions=json.loads(row.get("characteristic_definitions") or "[]"),
        organization_id=row.get("organization_id"),
    )


def location(row: dict[str, Any]) -> Location:
    return Location(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        parent_id=row.get("parent_id"),
        virtual=row.get("virtual"),
        partner_id=row.get("partner_id"),
        organization_id=row.get("organization_id"),
    )


def order(row: dict[str, Any]) -> Order:
    return Order(
        id=row["id"],
        type=row["type"],
        partner_id=row.get("partner_id"),
        reference=row.get("reference"),
        organization_id=row.get("organization_id"),
    )


def classification(row: dict[str, Any]) -> Classification:
    def flag(name: str) -> bool:
        value = row.get(name)
        return True if value is None else bool(value)

    return Classification(
        id=row["id"],
        name=row["name"],
        description=row.get("description"),
        may_issue=flag("may_issue"),
        may_ship=flag("may_ship"),
        may_pack=flag("may_pack"),
        may_move=flag("may_move"),
        may_split=flag("may_split"),
        partner_id=row.get("partner_id"),
        organization_id=row.get("organization_id"),
    )


def composition_list(row: dict[str, Any]) -> CompositionList:
    return CompositionList(
        id=row["id"],
        material_id=row["material_id"],
        name=row.get("name"),
        description=row.get("description"),
        basis=row.get("basis") or 1.0,
        components=json.loads(row["components"]),
        on_mismatch=OnMismatch(row.get("on_mismatch") or "REFUSE"),
        tolerance_percent=row["tolerance_percent"] if row.get("tolerance_percent") is not None else 2.0,
        partner_id=row.get("partner_id"),
        organization_id=row.get("organization_id"),
    )


def action_type(row: dict[str, Any]) -> ActionType:
    return ActionType(
        id=row["id"],
        name=row["name"],
        description=row.get("description"),
        parameters=json.loads(row.get("parameters") or "[]"),
        uses_material=bool(row.get("uses_material")),
        partner_id=row.get("partner_id"),
        organization_id=row.get("organization_id"),
    )


def item(row: dict[str, Any]) -> Item:
    return Item(
        id=row["id"],
        kind=row["kind"],
        material_id=row.get("material_id"),
        unit=row["unit"],
        lot_code=row.get("lot_code"),
        parent_id=row.get("parent_id"),
        status=row["status"],
        manufactured_at=parse_time(row.get("manufactured_at")),
        expires_at=parse_time(row.get("expires_at")),
        characteristics=json.loads(row.get("characteristics") or "{}"),
        conversions=json.loads(row.get("conversions") or "{}"),
        container_type=row.get("container_type"),
        allowed_material_ids=json.loads(row["allowed_material_ids"]) if row.get("allowed_material_ids") else None,
        components=json.loads(row["components"]) if row.get("components") else [],
        origin_known=bool(row.get("origin_known", True)),
        organization_id=row.get("organization_id"),
        created_by_event=row.get("created_by_event"),
        first_event_time=parse_time(row.get("first_event_time")),
    )


def shipment(row: dict[str, Any]) -> Shipment:
    return Shipment(
        id=row["id"],
        order_id=row.get("order_id"),
        partner_id=row.get("partner_id"),
        destination_id=row.get("destination_id"),
        shipped_at=parse_time(row.get("shipped_at")),
        organization_id=row.get("organization_id"),
    )


def event(row: dict[str, Any]) -> EventRecord:
    return EventRecord.model_validate_json(row["body"])


T = TypeVar("T")


class Cache(Generic[T]):
    """At most `size` values by key; the oldest go first."""

    def __init__(self, size: int):
        self.size = size
        self._values: dict[str, T] = {}

    def get(self, key: str) -> T | None:
        return self._values.get(key)

    def put(self, key: str, value: T) -> T:
        self._values[key] = value
        if len(self._values) > self.size:
            self._values.pop(next(iter(self._values)), None)
        return value

    def pop(self, key: str, default: T | None = None) -> T | None:
        return self._values.pop(key, default)


class EventCache(Cache[EventRecord]):
    """Events parsed from their stored bodies, by id. An event never changes once recorded
    (a correction is another event), so a body need be parsed once; parsing is most of what a
    trace's figures cost. The oldest go first past `size`."""

    def __init__(self, size: int = 100_000):
        super().__init__(size)

    def event(self, row: dict[str, Any]) -> EventRecord:
        key = row.get("event_id")
        if key is None:
            return event(row)
        found = self.get(key)
        return found if found is not None else self.put(key, event(row))


def finding(row: dict[str, Any]) -> Finding:
    return Finding(
        id=row["id"],
        kind=row["kind"],
        message=row["message"],
        event_id=row["event_id"],
        item_id=row.get("item_id"),
        location_id=row.get("location_id"),
        quantity=row.get("quantity"),
    )


def balance(row: dict[str, Any]) -> Balance:
    return Balance(
        item_id=row["item_id"],
        location_id=row["location_id"],
        quantity=row["quantity"],
        material_id=row.get("material_id"),
        unit=row.get("unit") or "EA",
        virtual=bool(row.get("virtual")),
        second_quantity=row.get("quantity2") or 0.0,
    )


READERS = {
    "Organization": organization,
    "Material": material,
    "Location": location,
    "Order": order,
    "Classification": classification,
    "CompositionList": composition_list,
    "ActionType": action_type,
    "Item": item,
    "Shipment": shipment,
    "Event": event,
    "Finding": finding,
    "Balance": balance,
}
# The write rows of each master kind; each function takes the model of its kind, which the
# callers pick by the same kind, so the parameter is Any here.
WRITERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "Organization": organization_props,
    "Material": material_props,
    "Location": location_props,
    "Order": order_props,
    "Classification": classification_props,
    "CompositionList": composition_list_props,
    "ActionType": action_type_props,
}


NO_LIMIT = 2**31 - 1  # LIMIT for "all"


def stock_sums_params(pairs: Any, material_ids: Any, include_virtual: bool, tolerance: float) -> dict[str, Any]:
    """Parameters of `stock_sums`."""
    return {
        "pairs": [{"location_id": loc, "root": root} for loc, root in pairs],
        "material_ids": list(material_ids or ()),
        "include_virtual": include_virtual,
        "tolerance": tolerance,
    }


def stock_sum(row: dict[str, Any]) -> StockSum:
    return StockSum(
        root=row["root"],
        material_id=row["material_id"],
        kind=row.get("kind") or "LOT",
        unit=row.get("unit") or "EA",
        quantity=float(row["quantity"]),
        items=int(row["items"]),
        quantity2=float(row.get("quantity2") or 0.0),
    )


def balance_page_params(filt: Any, after: str | None, first: int | None, tolerance: float) -> dict[str, Any]:
    """Parameters of `balances_page` for a BalanceFilter without item ids."""
    after_item, _, after_location = (after or "").partition(" ")
    return {
        "location_ids": list(filt.location_ids or ()),
        "material_ids": list(filt.material_ids or ()),
        "include_virtual": filt.include_virtual,
        "include_zero": filt.include_zero,
        "expires_from": time_key(getattr(filt, "expires_from", None)) or "",
        "expires_until": time_key(getattr(filt, "expires_until", None)) or "",
        "tolerance": tolerance,
        "after_item": after_item,
        "after_location": after_location,
        "first": NO_LIMIT if first is None else first,
    }


def filter_balances(
    rows: list[dict[str, Any]], filt: Any, after: str | None, first: int | None, tolerance: float
) -> list[Balance]:
    """The balances of a few items (a BalanceFilter with item ids), filtered and paged here."""
    out = []
    for r in rows:
        b = balance(r)
        if filt.location_ids is not None and b.location_id not in filt.location_ids:
            continue
        if filt.material_ids is not None and b.material_id not in filt.material_ids:
            continue
        if (not filt.include_virtual and b.virtual) or (not filt.include_zero and abs(b.quantity) <= tolerance):
            continue
        if after is not None and balance_id(b.item_id, b.location_id) <= after:
            continue
        out.append(b)
    out.sort(key=lambda b: (b.item_id, b.location_id))
    return out if first is None else out[:first]


def event_page_query(filt: Any, after: int | None, first: int) -> tuple[str, dict[str, Any]]:
    """The statement and parameters of a page of events (an EventFilter) after sequence `after`."""
    params: dict[str, Any] = {
        "after": after or 0,
        "first": first,
        "types": [t.value for t in filt.types],
        "location_id": filt.location_id or "",
        "order_id": filt.order_id or "",
        "shipment_id": filt.shipment_id or "",
        "source": filt.source.value if filt.source else "",
        "since": time_key(filt.since) or "",
        "until": time_key(filt.until) or "",
    }
    if filt.item_id:
        return "events_page_of_item", {**params, "item_id": filt.item_id}
    return "events_page", params


def lineage_link(row: dict[str, Any]) -> LineageLink:
    return LineageLink(
        source_id=row["source"],
        target_id=row["target"],
        kind=LinkKind(row["kind"]),
        quantity=row.get("quantity"),
        event_id=row.get("event_id"),
        event_time=parse_time(row.get("event_time")),
        recorded_at=parse_time(row.get("recorded_at")),
        voided=bool(row.get("voided")),
        voided_at=parse_time(row.get("voided_at")),
    )


def recall_props(r: Recall) -> dict[str, Any]:
    return {
        "id": r.id,
        "status": r.status.value,
        "opened_at": time_key(r.opened_at),
        "mock": r.mock,
        "body": r.model_dump_json(),
    }


def recall(row: dict[str, Any]) -> Recall:
    return Recall.model_validate_json(row["body"])


def recall_page_params(after: Recall | None, first: int, status: str | None) -> dict[str, Any]:
    return {
        "status": status or "",
        "after_time": time_key(after.opened_at) if after else "",
        "after_id": after.id if after else "",
        "first": first,
    }


def recall_notice_props(n: RecallNotice) -> dict[str, Any]:
    return {
        "id": n.id,
        "recall_id": n.recall_id,
        "organization_id": n.organization_id,
        "created_at": time_key(n.created_at),
        "body": n.model_dump_json(),
    }


def recall_notice(row: dict[str, Any]) -> RecallNotice:
    return RecallNotice.model_validate_json(row["body"])


def recall_notice_page_params(
    organization_id: str | None,
    after: RecallNotice | None,
    first: int,
) -> dict[str, Any]:
    return {
        "organization_id": organization_id or "",
        "after_time": time_key(after.created_at) if after else "",
        "after_id": after.id if after else "",
        "first": first,
    }


# -- API keys ----------------------------------------------------------------------------------


def api_key_props(k: Any) -> dict[str, Any]:
    return {
        "id": k.id,
        "hash": k.hash,
        "organization_id": k.organization_id,
        "role": k.role.value,
        "name": k.name,
        "created_at": time_key(k.created_at),
        "expires_at": time_key(k.expires_at),
        "revoked": k.revoked,
    }


def audit_props(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": time_key(e.at),
        "key_id": e.key_id,
        "organization_id": e.organization_id,
        "action": e.action,
        "detail": e.detail,
    }


def audit(row: dict[str, Any]) -> Any:
    from ..domain.audit import AuditEntry

    return AuditEntry(
        id=row["id"],
        at=parse_required_time(row["at"], "at"),
        key_id=row.get("key_id"),
        organization_id=row.get("organization_id"),
        action=row["action"],
        detail=row.get("detail") or "",
    )


def share_props(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "item_id": s.item_id,
        "organization_id": s.organization_id,
        "scope": s.scope.value,
        "shared_by": s.shared_by,
        "created_at": time_key(s.created_at),
    }


def share(row: dict[str, Any]) -> Any:
    from ..domain.auth import Share, ShareScope

    return Share(
        item_id=row["item_id"],
        organization_id=row["organization_id"],
        scope=ShareScope(row["scope"]),
        shared_by=row.get("shared_by"),
        created_at=parse_required_time(row["created_at"], "created_at"),
    )


def api_key(row: dict[str, Any]) -> Any:
    from ..domain.auth import ApiKey, Role

    return ApiKey(
        id=row["id"],
        hash=row["hash"],
        organization_id=row.get("organization_id") or None,
        role=Role(row["role"]),
        name=row.get("name"),
        created_at=parse_required_time(row["created_at"], "created_at"),
        expires_at=parse_time(row.get("expires_at")),
        revoked=bool(row.get("revoked")),
    )


# -- shelf life ------------------------------------------------------------------------------

AFTER_EVERY_TIME = "~"  # sorts after every time key: the end of an open expiry range


def item_page_params(filt: Any) -> dict[str, Any]:
    """The filter parameters of `page_items` for an ItemFilter (or None)."""
    return {
        "material_id": (filt.material_id if filt else None) or "",
        "kind": (filt.kind if filt else None) or "",
        "status": (filt.status if filt else None) or "",
        "expires_from": (time_key(filt.expires_from) if filt else None) or "",
        "expires_until": (time_key(filt.expires_until) if filt else None) or "",
        "lot_code": (filt.lot_code if filt else None) or "",
    }


def characteristic_page_params(filt: Any, after: str | None, first: int) -> dict[str, Any]:
    """Parameters of `page_items_by_characteristic`: the items of one material (the filter's)
    whose characteristics hold the search's needles (domain/characteristics.py)."""
    from ..domain.characteristics import search_needles

    key, equals = search_needles(filt.characteristic)
    return {
        **item_page_params(filt),
        "after": after or "",
        "first": first,
        "char_key": key,
        "char_eq": equals,
    }


def expiry_query(filt: Any, dated: bool) -> str:
    """The statement of one part of `items_by_expiry`: at a location, of a material, or of all."""
    prefix = "expiry" if dated else "undated"
    if filt.location_id:
        return f"{prefix}_at"
    return f"{prefix}_of_material" if filt.material_id else f"{prefix}_all"


def expiry_params(filt: Any, after: tuple[str | None, str] | None, first: int, tolerance: float) -> dict[str, Any]:
    """Parameters of the `expiry_*` and `undated_*` statements (shelf.cypher) for an ExpiryFilter."""
    after_exp = (after[0] if after is not None else None) or ""
    start = time_key(filt.expires_from) or ""
    return {
        "material_id": filt.material_id or "",
        "kind": filt.kind or "",
        "status": filt.status or "",
        "location_id": filt.location_id or "",
        "on_hand": bool(filt.on_hand),
        "tolerance": tolerance,
        "from": max(start, after_exp),
        "until": time_key(filt.expires_until) or AFTER_EVERY_TIME,
        "after_exp": after_exp,
        "after_id": after[1] if after is not None else "",
        "first": first,
    }
