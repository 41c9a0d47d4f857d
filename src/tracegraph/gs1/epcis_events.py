"""EPCIS 2.0 events onto the ledger's events, and back.

In: each EPCIS event becomes one `EventCommand` recorded as a fact. The event as captured is
kept whole in the command's `extensions` (`{"epcis": event, "context": prefixes}`), so every
field — extensions, sensor data, ILMD, certification info — is given back as it came. The
ledger fields are what the trace and the balances need:

| EPCIS | ledger |
| --- | --- |
| ObjectEvent ADD, bizStep commissioning (or none) | PRODUCE: outputs created (ILMD as lot master data) |
| ObjectEvent ADD, other bizStep | RECEIVE from the source location (else the supplier) |
| ObjectEvent OBSERVE shipping / receiving | SHIP to the destination / RECEIVE |
| ObjectEvent OBSERVE with a persistentDisposition set to recalled, damaged, expired… | RECLASSIFY: HOLD (FAIL for non_conformant; RELEASED when unset) |
| ObjectEvent OBSERVE, other | OBSERVE |
| ObjectEvent DELETE | SCRAP |
| AggregationEvent ADD, bizStep assembling | ASSEMBLE: children installed into the parent (the assembly) |
| AggregationEvent DELETE, bizStep disassembling (with children) | DISASSEMBLE: children taken out of the parent |
| AggregationEvent ADD / OBSERVE | PACK: child -> parent |
| AggregationEvent DELETE | UNPACK |
| TransformationEvent | PRODUCE: inputs -> outputs |
| TransactionEvent, AssociationEvent, other types | OBSERVE (the items touched; the parent as container) |
| errorDeclaration | CORRECTION reversing the declared event, when it is recorded here |
| `https://tracegraph.dev/epcis/action` (or a prefix of it: `tg:action`) | the batch action: `{"type": "SIEVE", "parameters": {"mesh": 63}}` |

Out: an event captured through EPCIS is given back as captured (plus eventID when it had
none; recordTime is when this server recorded it); an event recorded through GraphQL is mapped into the EPCIS event of
its kind (`to_epcis`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ..domain.actions import EventAction
from ..domain.events import EventCommand, EventRecord, EventType, Line, NewItem
from ..domain.ledger import CUSTOMER, SUPPLIER
from ..domain.models import Status
from ..domain.units import normalize_unit
from . import vocab
from .epcis_validate import parse_time
from .hashing import event_hash

EXT_KEY = "epcis"  # the event as captured, in EventCommand.extensions
CONTEXT_KEY = "context"
_COMMISSIONING = {"commissioning", "creating_class_instance"}
# A persistent disposition set on items, as the status it gives them (the rest stay as they are).
_STATUS_OF = {
    "non_conformant": Status.FAIL,
    "recalled": Status.HOLD,
    "damaged": Status.HOLD,
    "expired": Status.HOLD,
    "stolen": Status.HOLD,
    "non_sellable_other": Status.HOLD,
    "needs_replacement": Status.HOLD,
    "mismatch_instance": Status.HOLD,
    "mismatch_class": Status.HOLD,
    "mismatch_quantity": Status.HOLD,
    "conformant": Status.RELEASED,
}
_MAX_CHARACTERISTICS = 100

Resolve = Callable[[str], str]


def _same(x: str) -> str:
    return x


def event_id(event: dict[str, Any], context: Any) -> str:
    """The event's id: its eventID, else its CBV 2.0 event hash."""
    given = event.get("eventID")
    return given if isinstance(given, str) and given else event_hash(event, context)


def ledger_id(event: dict[str, Any], context: Any) -> str:
    """The id the ledger keeps it under. An error declaration repeats the declared event's
    eventID: it is kept beside it, as its own event."""
    eid = event_id(event, context)
    return f"{eid}#errorDeclaration" if isinstance(event.get("errorDeclaration"), dict) else eid


def extra_context(context: Any) -> list[dict[str, Any]]:
    """The document's own prefixes (the @context beyond the standard one), kept per event."""
    return [c for c in (context if isinstance(context, list) else [context]) if isinstance(c, dict)]


def item_ids(event: dict[str, Any]) -> list[str]:
    """Every item identifier an event names."""
    out: list[str] = []
    for key in ("epcList", "childEPCs", "inputEPCList", "outputEPCList"):
        out += [x for x in event.get(key) or [] if isinstance(x, str)]
    for key in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"):
        out += [q["epcClass"] for q in event.get(key) or [] if isinstance(q, dict) and "epcClass" in q]
    if isinstance(event.get("parentID"), str):
        out.append(event["parentID"])
    return out


def _lines(event: dict[str, Any], epcs: str, quantities: str, resolve: Resolve) -> list[Line]:
    lines = [Line(item_id=resolve(epc), quantity=1.0) for epc in event.get(epcs) or []]
    for q in event.get(quantities) or []:
        uom = q.get("uom")
        lines.append(
            Line(item_id=resolve(q["epcClass"]), quantity=q.get("quantity"), unit=normalize_unit(uom) if uom else None)
        )
    return lines


def _typed(entries: Any, key: str, wanted: str) -> str | None:
    for e in entries or []:
        if isinstance(e, dict) and vocab.short(e.get("type")) == wanted and isinstance(e.get(key), str):
            return e[key]
    return None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    t = parse_time(value)
    if t is not None:
        return t
    try:
        return datetime.fromisoformat(value[:10]).replace(tzinfo=UTC)
    except ValueError:
        return None


def _ilmd_items(event: dict[str, Any], lines: list[Line]) -> list[NewItem]:
    """Lot master data from ILMD: lot number, expiry, best-before and the other plain values."""
    ilmd = event.get("ilmd")
    if not isinstance(ilmd, dict) or not lines:
        return []
    lot_code = expires = None
    characteristics: dict[str, Any] = {}
    for key, value in ilmd.items():
        name = key.split(":", 1)[-1].rsplit("/", 1)[-1]
        if name == "lotNumber" and isinstance(value, str):
            lot_code = value[:200]
        elif name == "itemExpirationDate":
            expires = _date(value)
        if (
            isinstance(value, bool | int | float | str)
            and len(characteristics) < _MAX_CHARACTERISTICS
            and not (isinstance(value, str) and len(value) > 4000)
            and len(key) <= 100
        ):
            characteristics[key] = value
    return [
        NewItem(id=line.item_id, lot_code=lot_code, expires_at=expires, characteristics=characteristics, unit=line.unit)
        for line in lines
    ]


def _persistent_status(event: dict[str, Any]) -> Status | None:
    """The status a persistentDisposition gives the items: the first set value that maps to
    one; RELEASED when it only unsets such values."""
    pd = event.get("persistentDisposition")
    if not isinstance(pd, dict):
        return None
    for value in pd.get("set") or []:
        if (status := _STATUS_OF.get(vocab.short(value) or "")) is not None:
            return status
    if any(_STATUS_OF.get(vocab.short(v) or "") not in (None, Status.RELEASED) for v in pd.get("unset") or []):
        return Status.RELEASED
    return None


def _batch_action(event: dict[str, Any], context: Any) -> EventAction | None:
    """The batch action an event carries in the tracegraph namespace (as `to_epcis` writes it),
    by its full name or a prefix the document's context maps onto the namespace. One not of the
    form {type, parameters: {name: number, text or boolean}} is left in the event as captured."""
    keys = [f"{TG}action"] + [
        f"{prefix}:action" for c in extra_context(context) for prefix, iri in c.items() if iri == TG
    ]
    value = next((event[k] for k in keys if k in event), None)
    if not isinstance(value, dict):
        return None
    try:
        return EventAction.model_validate(value)
    except ValidationError:
        return None


def to_command(event: dict[str, Any], context: Any = None, resolve: Resolve = _same) -> EventCommand:
    """The ledger event an EPCIS event reports (see the module's table)."""
    etype = event.get("type")
    action = event.get("action")
    step = vocab.short(event.get("bizStep")) if isinstance(event.get("bizStep"), str) else None
    location = (event.get("bizLocation") or {}).get("id") or (event.get("readPoint") or {}).get("id")
    source = _typed(event.get("sourceList"), "source", "location")
    destination = _typed(event.get("destinationList"), "destination", "location")
    order = next(
        (
            bt["bizTransaction"]
            for bt in event.get("bizTransactionList") or []
            if isinstance(bt, dict) and isinstance(bt.get("bizTransaction"), str)
        ),
        None,
    )
    fields: dict[str, Any] = {
        "id": ledger_id(event, context),
        "event_time": parse_time(event.get("eventTime", "")),
        "location_id": location,
        "biz_step": step,
        "disposition": vocab.short(event["disposition"]) if isinstance(event.get("disposition"), str) else None,
        "order_id": order,
        "extensions": {EXT_KEY: event, CONTEXT_KEY: extra_context(context)},
        "action": _batch_action(event, context),
    }
    kind = EventType.OBSERVE
    if etype == "ObjectEvent":
        items = _lines(event, "epcList", "quantityList", resolve)
        if action == "ADD" and items:
            if step is None or step in _COMMISSIONING:
                kind = EventType.PRODUCE
            else:
                kind = EventType.RECEIVE
                fields["from_location_id"] = source or SUPPLIER
                fields["partner_id"] = _typed(event.get("sourceList"), "source", "owning_party")
            fields["outputs"] = items
            fields["new_items"] = _ilmd_items(event, items)
        elif action == "DELETE" and items:
            kind, fields["inputs"] = EventType.SCRAP, items
        elif action == "OBSERVE" and items and step == "shipping":
            kind, fields["inputs"] = EventType.SHIP, items
            fields["from_location_id"] = source
            fields["to_location_id"] = destination or CUSTOMER
            fields["partner_id"] = _typed(event.get("destinationList"), "destination", "owning_party")
        elif action == "OBSERVE" and items and step == "receiving":
            kind, fields["outputs"] = EventType.RECEIVE, items
            fields["from_location_id"] = source or SUPPLIER
        else:
            fields["inputs"] = items
            status = _persistent_status(event)
            if status is not None and items:
                kind, fields["status"] = EventType.RECLASSIFY, status
    elif etype == "AggregationEvent":
        children = _lines(event, "childEPCs", "childQuantityList", resolve)
        parent = resolve(event["parentID"]) if isinstance(event.get("parentID"), str) else None
        fields["container_id"] = parent
        if parent and children and action == "ADD" and step == "assembling":
            # Components installed into an assembly (the parent), as tracegraph exports ASSEMBLE.
            kind, fields["container_id"], fields["outputs"] = EventType.ASSEMBLE, None, [Line(item_id=parent)]
        elif parent and children and action == "DELETE" and step == "disassembling":
            kind, fields["container_id"] = EventType.DISASSEMBLE, None
            fields["inputs"], fields["outputs"] = [Line(item_id=parent)], children
            fields["to_location_id"] = destination
        elif parent and children and action in ("ADD", "OBSERVE"):
            kind = EventType.PACK
        elif parent and action == "DELETE":
            kind = EventType.UNPACK
        if kind is not EventType.DISASSEMBLE:
            fields["inputs"] = children
    elif etype == "TransformationEvent":
        inputs = _lines(event, "inputEPCList", "inputQuantityList", resolve)
        outputs = _lines(event, "outputEPCList", "outputQuantityList", resolve)
        if outputs:
            kind = EventType.PRODUCE
            fields["new_items"] = _ilmd_items(event, outputs)
        fields["inputs"], fields["outputs"] = inputs, outputs
    else:  # TransactionEvent, AssociationEvent, an extension event type
        fields["inputs"] = _lines(event, "epcList", "quantityList", resolve) + _lines(
            event, "childEPCs", "childQuantityList", resolve
        )
        if isinstance(event.get("parentID"), str):
            fields["container_id"] = resolve(event["parentID"])
    decl = event.get("errorDeclaration")
    if isinstance(decl, dict):
        kind = EventType.CORRECTION
        fields = {
            k: v
            for k, v in fields.items()
            if k in ("id", "event_time", "location_id", "biz_step", "disposition", "order_id", "extensions", "action")
        }
        fields["reverses"] = event_id(event, context)
        fields["reason"] = vocab.short(decl.get("reason")) if isinstance(decl.get("reason"), str) else None
        # event_time stays the declared event's: the query's time bounds are the event's.
    return EventCommand(type=kind, **fields)


def as_observation(cmd: EventCommand) -> EventCommand:
    """The same fact, recorded as a sighting of its items only: for a fact whose ledger form
    cannot be planned (a correction of an event never recorded here, a line with no quantity)."""
    items = [Line(item_id=line.item_id) for line in [*cmd.inputs, *cmd.outputs]]
    return EventCommand(
        type=EventType.OBSERVE,
        id=cmd.id,
        event_time=cmd.event_time,
        location_id=cmd.location_id,
        inputs=list({line.item_id: line for line in items}.values()),
        container_id=cmd.container_id,
        biz_step=cmd.biz_step,
        disposition=cmd.disposition,
        order_id=cmd.order_id,
        reason=cmd.reason,
        extensions=cmd.extensions,
        action=cmd.action,
    )


# -- out ---------------------------------------------------------------------------------------

_UOM = {
    "KG": "KGM",
    "G": "GRM",
    "MG": "MGM",
    "T": "TNE",
    "LB": "LBR",
    "OZ": "ONZ",
    "L": "LTR",
    "ML": "MLT",
    "M3": "MTQ",
    "GAL": "GLL",
    "M": "MTR",
    "CM": "CMT",
    "MM": "MMT",
    "M2": "MTK",
    "EA": "H87",
}
TG = "https://tracegraph.dev/epcis/"  # the namespace of the fields a GraphQL event adds


def _time(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def captured(record: EventRecord) -> dict[str, Any] | None:
    ext = record.command.extensions.get(EXT_KEY)
    return ext if isinstance(ext, dict) else None


def to_epcis(record: EventRecord) -> dict[str, Any]:
    """The EPCIS event of a recorded event: as captured, or mapped from the ledger's record."""
    event = captured(record)
    if event is not None:
        out = dict(event)
        out.pop("@context", None)
        if "eventID" not in out:
            out["eventID"] = record.id
        out["recordTime"] = _time(record.recorded_at)  # the server's, as the standard has it
        return out
    return _from_ledger(record)


def _quantities(lines: list[Line]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        q: dict[str, Any] = {"epcClass": line.item_id}
        if line.quantity is not None:
            q["quantity"] = line.quantity
            if line.unit:
                q["uom"] = _UOM.get(normalize_unit(line.unit), line.unit)
        out.append(q)
    return out


def _from_ledger(r: EventRecord) -> dict[str, Any]:
    cmd = r.command
    t = r.type
    e: dict[str, Any] = {
        "eventID": r.id,
        "eventTime": _time(r.event_time),
        "eventTimeZoneOffset": "+00:00",
        "recordTime": _time(r.recorded_at),
    }
    created = [Line(item_id=n.id) for n in cmd.new_items if n.id not in {x.item_id for x in cmd.outputs}]
    if t in (EventType.PRODUCE, EventType.ISSUE, EventType.SPLIT, EventType.MERGE):
        e = {
            "type": "TransformationEvent",
            **e,
            "inputQuantityList": _quantities(cmd.inputs),
            "outputQuantityList": _quantities([*cmd.outputs, *created]),
        }
        step = "commissioning" if not cmd.inputs else "transforming"
    elif t in (EventType.PACK, EventType.UNPACK):
        e = {
            "type": "AggregationEvent",
            **e,
            "action": "ADD" if t is EventType.PACK else "DELETE",
            "parentID": cmd.container_id,
            "childQuantityList": _quantities(cmd.inputs),
        }
        step = "packing" if t is EventType.PACK else "unpacking"
    elif t in (EventType.ASSEMBLE, EventType.DISASSEMBLE):
        # An assembly is the parent of its components: installing them is an AggregationEvent
        # ADD (bizStep assembling), taking them out a DELETE (disassembling); captured back,
        # each maps to the same event type (a plain ADD or DELETE stays a pack or unpack).
        assembling = t is EventType.ASSEMBLE
        parent = (cmd.outputs if assembling else cmd.inputs)[:1]
        e = {
            "type": "AggregationEvent",
            **e,
            "action": "ADD" if assembling else "DELETE",
            "parentID": parent[0].item_id if parent else None,
            "childQuantityList": _quantities(cmd.inputs if assembling else cmd.outputs),
        }
        step = "assembling" if assembling else "disassembling"
    else:
        lines = [*cmd.inputs, *cmd.outputs, *created]
        action = {EventType.RECEIVE: "ADD", EventType.RETURN: "ADD", EventType.SCRAP: "DELETE"}.get(t, "OBSERVE")
        e = {"type": "ObjectEvent", **e, "action": action, "quantityList": _quantities(lines)}
        step = {
            EventType.RECEIVE: "receiving",
            EventType.RETURN: "receiving",
            EventType.SHIP: "shipping",
            EventType.MOVE: "transporting",
            EventType.SCRAP: "destroying",
            EventType.ADJUST: "cycle_counting",
            EventType.RECLASSIFY: "inspecting",
        }.get(t, "inspecting")
    e["bizStep"] = r.biz_step or step
    if r.disposition:
        e["disposition"] = r.disposition
    if r.location_id:
        e["bizLocation"] = {"id": r.location_id}
    if cmd.from_location_id:
        e["sourceList"] = [{"type": "location", "source": cmd.from_location_id}]
    if cmd.to_location_id:
        e["destinationList"] = [{"type": "location", "destination": cmd.to_location_id}]
    if r.order_id or r.shipment_id:
        e["bizTransactionList"] = [{"type": "po", "bizTransaction": x} for x in (r.order_id,) if x] + [
            {"type": "desadv", "bizTransaction": x} for x in (r.shipment_id,) if x
        ]
    e[f"{TG}eventType"] = t.value
    if cmd.status:
        e[f"{TG}status"] = cmd.status
    if r.reverses:
        e[f"{TG}reverses"] = r.reverses
    if r.action is not None:
        e[f"{TG}action"] = r.action.model_dump(mode="json")
    return e
