"""Labels: the URI a label's QR code carries for an item, the data a label prints, and the item a
scanned URI names, each as the caller may see it (a Session's `labels`).

The URI is the item's GS1 Digital Link URI on the configured resolver when it has GS1 keys
(gs1/digital_link.py), else the project URI `{public_url}/items/{id}`, which this server answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from ..domain import errors as E
from ..domain.errors import DomainError, Problem
from ..domain.events import EventRecord, EventType
from ..domain.models import Balance, Item, ItemKind
from ..domain.query import BalanceFilter, ItemFilter
from ..gs1.digital_link import GS1_RESOLVER, DigitalLink, gtin_spellings, item_link
from ..store.port import ReadKind
from .ledger import Ledger


class Reads(Protocol):
    """What labels read, as one caller may see it: a Session (services/session.py)."""

    async def items(self, ids: Sequence[str]) -> dict[str, Item]: ...

    async def master(self, kind: ReadKind, ids: Sequence[str]) -> dict[str, Any]: ...

    async def balances(
        self, filt: BalanceFilter, after: str | None = None, first: int | None = None
    ) -> list[Balance]: ...

    async def events_by_id(self, ids: Sequence[str]) -> dict[str, EventRecord]: ...

    async def item_page(self, after: str | None, first: int, filt: ItemFilter | None = None) -> list[Item]: ...


GS1_VOC = "https://gs1.org/voc/"
MAX_RECEIPT_LABELS = 1000  # one receipt's labels at most (an event holds at most 1,000 lines)


@dataclass(frozen=True)
class Links:
    """Where labels point: the resolver of GS1 Digital Link URIs and this server's address."""

    digital_link_base: str = GS1_RESOLVER
    public_url: str = "http://127.0.0.1:8000"

    def item_page(self, item_id: str) -> str:
        """The project URI of an item: its page on this server."""
        return f"{self.public_url}/items/{quote(item_id, safe='')}"

    def label_uri(
        self, item_id: str, kind: ItemKind, material_id: str | None = None, lot_code: str | None = None
    ) -> str:
        link = item_link(item_id, kind, material_id, lot_code)
        return link.uri(self.digital_link_base) if link else self.item_page(item_id)


@dataclass(frozen=True)
class Label:
    """What one label prints of an item the caller may see."""

    item: Item
    uri: str  # what the QR code carries
    link: DigitalLink | None  # its GS1 keys; None: a project URI
    material_name: str | None
    quantity: float  # on hand now (an item's label) or received (a receipt's), in `unit`
    unit: str
    page: str  # the item's page on this server
    locations: dict[str, float] = field(default_factory=dict)  # on hand by location

    @property
    def expires_at(self) -> datetime | None:
        return self.item.expires_at


def not_found(what: str, given: str, field: str = "id") -> DomainError:
    return DomainError(Problem(field, f"unknown {what} {given[:200]}", E.NOT_FOUND))


class Labels:
    """The label use cases of one caller; every read goes through its session (rights, visibility)."""

    def __init__(self, session: Reads, ledger: Ledger, links: Links):
        self._session = session
        self._ledger = ledger
        self.links = links

    def uri(self, item: Item) -> str:
        return self.links.label_uri(item.id, item.kind, item.material_id, item.lot_code)

    def uri_of(self, item_id: str, kind: ItemKind, material_id: str | None, lot_code: str | None) -> str:
        """The label URI of an item the caller was given (its parts, as a door holds them)."""
        return self.links.label_uri(item_id, kind, material_id, lot_code)

    async def _visible(self, ids: list[str]) -> dict[str, Item]:
        """The items these identifiers name (any spelling of a GS1 key), as the caller may see them."""
        found = await self._ledger.resolve_items(ids)
        shown = await self._session.items(sorted({i.id for i in found.values()}))
        return {given: shown[i.id] for given, i in found.items() if i.id in shown}

    async def item(self, item_id: str) -> Item:
        """The item an identifier names; NOT_FOUND when unknown or not visible (the same answer)."""
        found = (await self._visible([item_id])).get(item_id)
        if found is None:
            raise not_found("item", item_id)
        return found

    async def _labels(self, items: list[Item], received: dict[str, float] | None = None) -> list[Label]:
        materials = await self._session.master("Material", sorted({i.material_id for i in items if i.material_id}))
        balances = await self._session.balances(BalanceFilter(item_ids=[i.id for i in items], include_virtual=False))
        on_hand: dict[str, dict[str, float]] = {}
        for b in balances:
            on_hand.setdefault(b.item_id, {})[b.location_id] = b.quantity
        out = []
        for item in items:
            material = materials.get(item.material_id) if item.material_id else None
            where = on_hand.get(item.id, {})
            out.append(
                Label(
                    item=item,
                    uri=self.uri(item),
                    link=item_link(item.id, item.kind, item.material_id, item.lot_code),
                    material_name=material.name if material is not None else None,
                    quantity=received[item.id] if received is not None else sum(where.values()),
                    unit=item.unit,
                    page=self.links.item_page(item.id),
                    locations=where,
                )
            )
        return out

    async def label(self, item_id: str) -> Label:
        """The label of an item: its quantity on hand now."""
        return (await self._labels([await self.item(item_id)]))[0]

    async def receipt(self, event_id: str) -> tuple[EventRecord, list[Label]]:
        """The labels of what a receipt brought in, one per item (the quantity it received), those
        the caller may see. NOT_FOUND: an unknown or invisible event; INVALID: not a receipt."""
        event = (await self._session.events_by_id([event_id])).get(event_id)
        if event is None:
            raise not_found("event", event_id)
        if event.type is not EventType.RECEIVE:
            raise DomainError(
                Problem("id", f"event {event_id[:200]} is a {event.type.value.lower()}, not a receipt", E.INVALID)
            )
        received: dict[str, float] = {}
        for m in event.moves:
            received[m.item_id] = received.get(m.item_id, 0.0) + m.quantity
        for i in event.item_ids:
            received.setdefault(i, 0.0)
        ids = list(received)[:MAX_RECEIPT_LABELS]
        shown = await self._session.items(ids)  # the event as the caller may see it names only those
        return event, await self._labels([shown[i] for i in ids if i in shown], received)

    async def resolve(self, link: DigitalLink) -> Item:
        """The item a scanned GS1 Digital Link names (the caller may see it), else NOT_FOUND:
        one captured under that key (any spelling), else for a GTIN with a lot or serial the
        lot, sub-lot, batch or serial of a material named by that GTIN with that code (a lot
        before its sub-lots and batches), else for an SSCC the container of that code."""
        shown = (await self._visible([link.uri(GS1_RESOLVER)])).get(link.uri(GS1_RESOLVER))
        if shown is not None:
            return shown
        ai, value = link.primary
        candidates: list[Item] = []
        if ai == "01" and (code := link.value("21") or link.value("10")):
            serial = link.value("21") is not None
            for material in gtin_spellings(value):
                filt = ItemFilter(material_id=material, lot_code=code, kind="SERIAL" if serial else None)
                candidates += await self._session.item_page(None, 50, filt)
            if not serial:
                order = {ItemKind.LOT: 0, ItemKind.SUBLOT: 1, ItemKind.BATCH: 2}
                candidates = sorted((i for i in candidates if i.kind in order), key=lambda i: (order[i.kind], i.id))
        elif ai == "00":
            direct = await self._visible([value])
            if value in direct:
                return direct[value]
            candidates = await self._session.item_page(None, 50, ItemFilter(kind="CONTAINER", lot_code=value))
        if not candidates:
            raise not_found("item", link.uri(self.links.digital_link_base))
        return candidates[0]

    def linkset(self, label: Label, anchor: str) -> dict[str, Any]:
        """The item's links as a GS1 Digital Link resolver answers them: an RFC 9264 JSON linkset
        whose anchor is the scanned URI, with GS1 Web Vocabulary link types."""
        item, page = label.item, label.page
        title = " ".join(x for x in (label.material_name, item.kind.value.lower(), item.lot_code or item.id) if x)
        # EPCIS names instances (serials, containers) in EPC lists, lots and stock by class.
        instance = item.kind in (ItemKind.SERIAL, ItemKind.CONTAINER)
        match = "MATCH_anyEPC" if instance else "MATCH_anyEPCClass"
        return {
            "linkset": [
                {
                    "anchor": anchor,
                    "itemDescription": title,
                    GS1_VOC + "defaultLink": [{"href": page, "title": title, "type": "text/html"}],
                    GS1_VOC + "pip": [{"href": page, "title": title, "type": "text/html"}],
                    GS1_VOC + "epcis": [
                        {
                            "href": f"{self.links.public_url}/epcis/events?{match}={quote(item.id, safe='')}",
                            "title": "its EPCIS events",
                            "type": "application/ld+json",
                        }
                    ],
                }
            ]
        }
