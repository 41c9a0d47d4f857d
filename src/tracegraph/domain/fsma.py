"""FSMA 204 electronic sortable spreadsheet rows: one per critical tracking event (CTE) and
traceability lot, with the key data elements (KDEs) the rule asks for.

Receipts and returns are Receiving, shipments Shipping, productions, issues, splits and
merges Transformation (a row per lot used and per lot made). Moves, packing, counts, status
changes and corrections are no CTE; corrected events and the corrections themselves are left
out, so the sheet shows what stands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .events import EventRecord, EventType
from .models import PRODUCTION, Item, Location, Material, Order, OrderType
from .trace import standing

COLUMNS = [
    "Traceability Lot Code",
    "Traceability Lot Code Source",
    "Product Description",
    "Quantity",
    "Unit of Measure",
    "Critical Tracking Event",
    "Role",
    "Event Date",
    "Location",
    "Ship-From Location",
    "Ship-To Location",
    "Immediate Previous Source",
    "Reference Document Type",
    "Reference Document Number",
    "Event ID",
    "Item ID",
    "Status",
]

_CTE = {
    EventType.RECEIVE: "Receiving",
    EventType.RETURN: "Receiving",
    EventType.SHIP: "Shipping",
    EventType.PRODUCE: "Transformation",
    EventType.ISSUE: "Transformation",
    EventType.SPLIT: "Transformation",
    EventType.MERGE: "Transformation",
    EventType.ASSEMBLE: "Transformation",
}
_DOCUMENT = {
    OrderType.PURCHASE: "Purchase Order",
    OrderType.SALES: "Sales Order",
    OrderType.PRODUCTION: "Production Order",
}


def _name(loc_id: str | None, locations: Mapping[str, Location]) -> str:
    if not loc_id:
        return ""
    loc = locations.get(loc_id)
    return f"{loc.name} ({loc_id})" if loc is not None and loc.name != loc_id else loc_id


def cte_rows(
    events: Iterable[EventRecord],
    item_ids: Iterable[str],
    items: Mapping[str, Item],
    materials: Mapping[str, Material],
    locations: Mapping[str, Location],
    orders: Mapping[str, Order],
    origins: Mapping[str, str | None],  # item -> where its lot code was assigned
) -> list[dict[str, str | float]]:
    """The rows for the CTEs of `events` that concern `item_ids`, in event time order."""
    wanted = set(item_ids)
    rows: list[dict[str, str | float]] = []
    for e in sorted(standing(events), key=lambda e: (e.event_time, e.id)):
        cte = _CTE.get(e.type)
        if cte is None:
            continue
        order = orders.get(e.order_id) if e.order_id else None
        if order is not None:
            doc_type, doc_number = _DOCUMENT[order.type], order.id
        elif e.shipment_id:
            doc_type, doc_number = "Shipment", e.shipment_id
        else:
            doc_type, doc_number = "", ""
        for m in e.moves:
            if m.item_id not in wanted:
                continue
            if cte == "Transformation":
                role = "input" if m.to_location_id == PRODUCTION else "output"
                where = m.from_location_id if role == "input" else m.to_location_id
            else:
                role = "received" if cte == "Receiving" else "shipped"
                where = m.to_location_id if cte == "Receiving" else m.from_location_id
            item = items.get(m.item_id)
            material = materials.get(item.material_id) if item and item.material_id else None
            rows.append(
                {
                    "Traceability Lot Code": (item.lot_code if item and item.lot_code else m.item_id),
                    "Traceability Lot Code Source": _name(origins.get(m.item_id), locations),
                    "Product Description": material.name if material else (item.material_id or "" if item else ""),
                    "Quantity": m.quantity,
                    "Unit of Measure": item.unit if item else "",
                    "Critical Tracking Event": cte,
                    "Role": role,
                    "Event Date": e.event_time.isoformat(),
                    "Location": _name(e.location_id or where, locations),
                    "Ship-From Location": _name(m.from_location_id, locations) if cte != "Transformation" else "",
                    "Ship-To Location": _name(m.to_location_id, locations) if cte != "Transformation" else "",
                    "Immediate Previous Source": (e.partner_id or "") if cte == "Receiving" else "",
                    "Reference Document Type": doc_type,
                    "Reference Document Number": doc_number,
                    "Event ID": e.id,
                    "Item ID": m.item_id,
                    "Status": item.status if item else "",
                }
            )
    return rows
