"""FSMA 204 electronic sortable spreadsheet rows: one per critical tracking event (CTE) and
traceability lot, with the key data elements (KDEs) the rule asks for.

Receipts and returns are Receiving, shipments Shipping, productions, issues, splits and
merges Transformation (a row per lot used and per lot made). Moves, packing, counts, status
changes and corrections are no CTE; corrected events and the corrections themselves are left
out, so the sheet shows what stands.

`template_rows` lays the same events out as FDA's template (June 2024) does: a tab per CTE with
that CTE's key data elements (21 CFR 1.1325-1.1350), locations split into name, phone and
address columns, scoped as an FDA request is (`FsmaScope`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from .events import EventRecord, EventType
from .models import PRODUCTION, Item, Location, Material, Model, Order, OrderType
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


# -- FDA's template layout -------------------------------------------------------------------
#
# FDA's sortable spreadsheet template (June 2024) has an introduction and definitions tab and one
# tab per critical tracking event, each with the key data elements of 21 CFR 1.1325-1.1350.
# A location description (1.1310) is a business name, phone number and physical address; each is
# split into the seven columns of LOCATION_PARTS.

HARVESTING = "Harvesting"
COOLING = "Cooling"
INITIAL_PACKING = "Initial Packing"
FIRST_LAND_BASED_RECEIVING = "First Land-Based Receiving"
SHIPPING = "Shipping"
RECEIVING = "Receiving"
TRANSFORMATION = "Transformation"
CTES = [HARVESTING, COOLING, INITIAL_PACKING, FIRST_LAND_BASED_RECEIVING, SHIPPING, RECEIVING, TRANSFORMATION]
SECTIONS = {
    HARVESTING: "21 CFR 1.1325(a)",
    COOLING: "21 CFR 1.1325(b)",
    INITIAL_PACKING: "21 CFR 1.1330",
    FIRST_LAND_BASED_RECEIVING: "21 CFR 1.1335",
    SHIPPING: "21 CFR 1.1340",
    RECEIVING: "21 CFR 1.1345",
    TRANSFORMATION: "21 CFR 1.1350",
}
LOCATION_PARTS = ["Name", "Phone", "Street Address", "City", "State/Region", "Postal Code", "Country"]
# An event's bizStep (the last segment of a CBV URI, or a bare word) that names a CTE tracegraph
# has no event type for: facts captured from a farm, a cooler, a packer or a landing site.
BIZ_STEP_CTE = {
    "harvesting": HARVESTING,
    "cooling": COOLING,
    "initial_packing": INITIAL_PACKING,
    "first_land_based_receiving": FIRST_LAND_BASED_RECEIVING,
}
_TRACEGRAPH = ["Event Time", "tracegraph Event ID", "tracegraph Item ID"]

# Each tab's columns as (header, key): a key naming a location stands for its seven columns.
_LOCATION_KEYS = {"here", "from", "to", "next", "previous", "source", "farm"}
_DOC = [("Reference Document Type", "doc_type"), ("Reference Document Number", "doc_number")]
_SPEC: dict[str, list[tuple[str, str]]] = {
    HARVESTING: [
        ("Commodity", "product"),
        ("Variety", "variety"),
        ("Quantity", "quantity"),
        ("Unit of Measure", "unit"),
        ("Farm Where Harvested", "here"),
        ("Field or Growing Area Name", "field"),
        ("Date of Harvesting", "date"),
        ("Immediate Subsequent Recipient", "next"),
        *_DOC,
    ],
    COOLING: [
        ("Commodity", "product"),
        ("Variety", "variety"),
        ("Quantity", "quantity"),
        ("Unit of Measure", "unit"),
        ("Location Where Cooled", "here"),
        ("Date of Cooling", "date"),
        ("Farm Where Harvested", "farm"),
        ("Immediate Subsequent Recipient", "next"),
        *_DOC,
    ],
    INITIAL_PACKING: [
        ("Commodity Received", "received_product"),
        ("Variety Received", "variety"),
        ("Date of Receipt", "received_date"),
        ("Quantity Received", "received_quantity"),
        ("Unit of Measure Received", "received_unit"),
        ("Farm Where Harvested", "farm"),
        ("Field or Growing Area Name", "field"),
        ("Date of Harvesting", "harvest_date"),
        ("Location Where Cooled", "cooled"),
        ("Date of Cooling", "cooling_date"),
        ("Traceability Lot Code", "tlc"),
        ("Product Description of Packed Food", "product"),
        ("Quantity Packed", "quantity"),
        ("Unit of Measure Packed", "unit"),
        ("Location Where Packed (Traceability Lot Code Source)", "here"),
        ("Date of Initial Packing", "date"),
        *_DOC,
    ],
    FIRST_LAND_BASED_RECEIVING: [
        ("Traceability Lot Code", "tlc"),
        ("Species and/or Acceptable Market Name", "product"),
        ("Quantity", "quantity"),
        ("Unit of Measure", "unit"),
        ("Harvest Date Range", "harvest_date"),
        ("Harvest Locations", "field"),
        ("First Land-Based Receiver (Traceability Lot Code Source)", "here"),
        ("Date Landed", "date"),
        *_DOC,
    ],
    SHIPPING: [
        ("Traceability Lot Code", "tlc"),
        ("Quantity", "quantity"),
        ("Unit of Measure", "unit"),
        ("Product Description", "product"),
        ("Immediate Subsequent Recipient", "next"),
        ("Shipped From", "from"),
        ("Date Shipped", "date"),
        ("Traceability Lot Code Source", "source"),
        ("Traceability Lot Code Source Reference", "source_reference"),
        *_DOC,
    ],
    RECEIVING: [
        ("Traceability Lot Code", "tlc"),
        ("Quantity", "quantity"),
        ("Unit of Measure", "unit"),
        ("Product Description", "product"),
        ("Immediate Previous Source", "previous"),
        ("Receiving Location", "to"),
        ("Date Received", "date"),
        ("Traceability Lot Code Source", "source"),
        ("Traceability Lot Code Source Reference", "source_reference"),
        *_DOC,
    ],
    TRANSFORMATION: [
        ("Input Traceability Lot Code", "input_tlc"),
        ("Input Product Description", "input_product"),
        ("Input Quantity", "input_quantity"),
        ("Input Unit of Measure", "input_unit"),
        ("New Traceability Lot Code", "tlc"),
        ("New Product Description", "product"),
        ("New Quantity", "quantity"),
        ("New Unit of Measure", "unit"),
        ("Transformation Location (Traceability Lot Code Source)", "here"),
        ("Date Transformation Completed", "date"),
        *_DOC,
    ],
}


def _expand(spec: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for header, key in spec:
        if key in _LOCATION_KEYS or key == "cooled":
            out += [(f"{header} {part}", f"{key}.{part}") for part in LOCATION_PARTS]
        else:
            out.append((header, key))
    return out + [(h, h) for h in _TRACEGRAPH]


_COLUMNS_BY_KEY = {cte: _expand(spec) for cte, spec in _SPEC.items()}
KDE_COLUMNS: dict[str, list[str]] = {cte: [h for h, _ in cols] for cte, cols in _COLUMNS_BY_KEY.items()}
# What tracegraph fills on each tab from its own events; the rest come only from facts whose
# bizStep names the CTE (BIZ_STEP_CTE), and then only the columns the ledger knows.
RECORDED_CTES = [SHIPPING, RECEIVING, TRANSFORMATION]

DEFINITIONS = [
    (
        "Critical Tracking Event (CTE)",
        "An event in the supply chain of a food involving the harvesting, cooling, "
        "initial packing, first land-based receiving, shipping, receiving or transformation of the food "
        "(21 CFR 1.1310).",
    ),
    ("Key Data Element (KDE)", "Information associated with a CTE that must be kept for it (21 CFR 1.1325-1.1350)."),
    (
        "Traceability Lot Code (TLC)",
        "A descriptor, often alphanumeric, used to uniquely identify a traceability "
        "lot; here the lot's lot code, or its tracegraph id when it has none.",
    ),
    (
        "Traceability Lot Code Source",
        "The place where the traceability lot code was assigned: the location of "
        "the event that created the lot in the ledger.",
    ),
    (
        "Traceability Lot Code Source Reference",
        "An alternative to the source's location description: here the "
        "organization that owns the lot, given when the source location is unknown.",
    ),
    (
        "Location Description",
        "A business name, phone number and physical location address; split into "
        + ", ".join(LOCATION_PARTS)
        + ". tracegraph's locations and organizations have a name only, so the other "
        "six columns stay empty unless the master data gains them.",
    ),
    (
        "Immediate Previous Source / Subsequent Recipient",
        "The organization recorded as the event's partner, else the location the food came from or went to.",
    ),
    (
        "Reference Document",
        "The order the event was recorded against (Purchase Order, Sales Order, Production Order) or its shipment.",
    ),
    ("Transformation", "Productions, issues, splits, merges and assemblies: one row per input lot and new lot."),
]


def _step(biz_step: str | None) -> str:
    if not biz_step:
        return ""
    return biz_step.rstrip("/").replace("#", ":").replace("/", ":").split(":")[-1].lower().replace("-", "_")


def cte_of(event: EventRecord) -> str | None:
    """The critical tracking event an event records, if any: its bizStep when that names one
    tracegraph has no event type for, else its type (receipts and returns are Receiving,
    shipments Shipping, productions, issues, splits, merges and assemblies Transformation)."""
    return BIZ_STEP_CTE.get(_step(event.biz_step)) or _CTE.get(event.type)


class FsmaScope(Model):
    """What an FDA request names: the items (a trace's or a recall's, None for the whole
    ledger), the foods (material ids), an event-time range [since, until) and an inclusive
    traceability lot code range."""

    item_ids: frozenset[str] | None = None
    material_ids: frozenset[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    lot_from: str | None = None
    lot_to: str | None = None

    def admits_time(self, at: datetime) -> bool:
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)

    def admits(self, item_id: str, item: Item | None) -> bool:
        if self.item_ids is not None and item_id not in self.item_ids:
            return False
        if self.material_ids is not None and (item is None or item.material_id not in self.material_ids):
            return False
        tlc = item.lot_code if item is not None and item.lot_code else item_id
        return (self.lot_from is None or tlc >= self.lot_from) and (self.lot_to is None or tlc <= self.lot_to)


Place = Mapping[str, str]  # a location description: LOCATION_PARTS -> value


def place(name: str | None) -> dict[str, str]:
    """A location description of which tracegraph knows the name only."""
    return {"Name": name} if name else {}


def template_rows(
    events: Iterable[EventRecord],
    scope: FsmaScope,
    items: Mapping[str, Item],
    materials: Mapping[str, Material],
    orders: Mapping[str, Order],
    origins: Mapping[str, str | None],  # item -> the location where its lot code was assigned
    places: Mapping[str, Place],  # location or organization id -> its description
    owners: Mapping[str, str],  # item -> the name of the organization that owns it
) -> dict[str, list[dict[str, str | float]]]:
    """The rows of each CTE tab (every tab of CTES, empty or not) for the standing events in
    the scope's time range and the moves of items it admits, in event time order."""
    tabs: dict[str, list[dict[str, str | float]]] = {cte: [] for cte in CTES}

    def at(loc_id: str | None) -> Place:
        if not loc_id or loc_id.startswith("virtual:"):
            return {}
        return places.get(loc_id) or {"Name": loc_id}

    def lot(item_id: str) -> tuple[str, str, str]:
        item = items.get(item_id)
        material = materials.get(item.material_id) if item and item.material_id else None
        tlc = item.lot_code if item and item.lot_code else item_id
        product = material.name if material else (item.material_id or "" if item else "")
        return tlc, product, item.unit if item else ""

    for e in sorted(standing(events), key=lambda e: (e.event_time, e.id)):
        cte = cte_of(e)
        if cte is None or not scope.admits_time(e.event_time):
            continue
        order = orders.get(e.order_id) if e.order_id else None
        docs = []
        if order is not None:
            number = f"{order.id} ({order.reference})" if order.reference else order.id
            docs.append((_DOCUMENT[order.type], number))
        if e.shipment_id:
            docs.append(("Shipment", e.shipment_id))
        if cte == SHIPPING:
            docs.reverse()  # a shipment's own document first
        doc_type, doc_number = docs[0] if docs else ("", "")
        partner = places.get(e.partner_id) if e.partner_id else None
        base: dict[str, object] = {
            "date": e.event_time.date().isoformat(),
            "doc_type": doc_type,
            "doc_number": doc_number,
            "Event Time": e.event_time.isoformat(),
            "tracegraph Event ID": e.id,
        }
        pairs: list[tuple[str | None, str | None, float | None, float | None]] = []  # (input, output, in qty, qty)
        if cte == TRANSFORMATION:
            ins = [m for m in e.moves if m.to_location_id == PRODUCTION]
            outs = [m for m in e.moves if m.to_location_id != PRODUCTION]
            linked = {(lk.source_id, lk.target_id) for lk in e.links}
            for o in outs or [None]:  # type: ignore[list-item]
                sources = [m for m in ins if o is None or not linked or (m.item_id, o.item_id) in linked]
                for m in sources or [None]:  # type: ignore[list-item]
                    if m is None and o is None:
                        continue
                    pairs.append(
                        (
                            m.item_id if m else None,
                            o.item_id if o else None,
                            m.quantity if m else None,
                            o.quantity if o else None,
                        )
                    )
        for m in e.moves if cte != TRANSFORMATION else []:
            pairs.append((None, m.item_id, None, m.quantity))
        by_item = {m.item_id: m for m in e.moves}
        for input_id, output_id, input_qty, qty in pairs:
            concerned = [i for i in (input_id, output_id) if i is not None]
            if not any(scope.admits(i, items.get(i)) for i in concerned):
                continue
            row: dict[str, object] = dict(base)
            if input_id is not None:
                tlc, product, unit = lot(input_id)
                row |= {
                    "input_tlc": tlc,
                    "input_product": product,
                    "input_quantity": input_qty or "",
                    "input_unit": unit,
                }
            if output_id is not None:
                tlc, product, unit = lot(output_id)
                row |= {"tlc": tlc, "product": product, "quantity": qty, "unit": unit}
                row |= {"received_product": product, "received_quantity": qty, "received_unit": unit}
            main = output_id or input_id or ""
            move = by_item.get(main)
            row["tracegraph Item ID"] = " -> ".join(concerned)
            here = e.location_id or (move.to_location_id if move and cte == RECEIVING else None)
            here = here or (move.from_location_id if move else None)
            row["here"] = at(here)
            row["from"] = at(move.from_location_id if move else None)
            row["to"] = at(move.to_location_id if move else None) or at(e.location_id)
            row["next"] = partner or at(move.to_location_id if move else None)
            row["previous"] = partner or at(move.from_location_id if move else None)
            origin = origins.get(main)
            row["source"] = at(origin)
            row["source_reference"] = "" if origin else owners.get(main, "")
            tabs[cte].append(
                {
                    header: (
                        _part(row.get(key.split(".")[0]), key.split(".")[1]) if "." in key else _cell(row.get(key))
                    )
                    for header, key in _COLUMNS_BY_KEY[cte]
                }
            )
    return tabs


def _part(value: object, part: str) -> str:
    return str(value.get(part, "")) if isinstance(value, Mapping) else ""


def _cell(value: object) -> str | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return "" if value is None else str(value)
