"""The HTML of labels and item pages, rendered here on the server: QR codes as inline SVG made by
segno, print CSS, nothing loaded from another host. Every value from the ledger is escaped."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from html import escape
from urllib.parse import quote

import segno

from ..domain.models import ItemKind
from ..gs1.digital_link import PRIMARY_KEYS, SHORT_NAMES
from ..services.labels import Label

ERROR = "m"  # QR error correction level M (15 %): what GS1 recommends for Digital Link on items


def is_page(path: str) -> bool:
    """Whether a path is a page a browser opens (a label sheet, an item, a Digital Link), which
    authn.py lets through without a key for the shell page."""
    if path.startswith("/labels/"):
        return not path.endswith((".svg", ".png"))
    if path.startswith("/items/"):
        return True
    first = path.strip("/").split("/", 1)[0]
    return first in PRIMARY_KEYS or first in SHORT_NAMES


def qr(uri: str) -> segno.QRCode:
    """The QR code of a label URI (raises segno.DataOverflowError past what a QR code holds)."""
    return segno.make(uri, error=ERROR, micro=False, boost_error=False)


def qr_svg(uri: str, scale: int = 4, inline: bool = False) -> str:
    code = qr(uri)
    if inline:
        return str(code.svg_inline(scale=scale, border=4, omitsize=True, title=uri))
    out = io.BytesIO()
    code.save(out, kind="svg", scale=scale, border=4, title=uri, xmldecl=True)
    return out.getvalue().decode("utf-8")


def qr_png(uri: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    qr(uri).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


_CSS = """
@page { margin: 8mm; }
* { box-sizing: border-box; }
body { font: 13px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; margin: 16px; }
.bar { display: flex; gap: 12px; align-items: center; margin-bottom: 12px; }
.bar button { font: inherit; padding: 4px 14px; }
.sheet { display: flex; flex-wrap: wrap; gap: 4mm; }
.label { width: 100mm; height: 50mm; border: 0.3mm solid #000; padding: 2.5mm; display: grid;
  grid-template-columns: 34mm 1fr; grid-template-rows: 1fr auto; column-gap: 3mm;
  break-inside: avoid; page-break-inside: avoid; overflow: hidden; background: #fff; }
.label .qr svg { width: 34mm; height: 34mm; display: block; }
.label .text { overflow: hidden; }
.label .material { font-weight: 700; font-size: 14px; margin: 0 0 1mm; }
.label .id { font-family: ui-monospace, monospace; font-size: 11px; margin: 0 0 1.5mm; word-break: break-all; }
.label dl { display: grid; grid-template-columns: auto 1fr; gap: 0.5mm 2mm; margin: 0; font-size: 12px; }
.label dt { color: #444; } .label dd { margin: 0; font-weight: 600; word-break: break-all; }
.label .hri { grid-column: 1 / -1; font-family: ui-monospace, monospace; font-size: 10px; margin: 1mm 0 0;
  word-break: break-all; }
.item table { border-collapse: collapse; margin: 8px 0 16px; }
.item th { text-align: left; color: #444; font-weight: 400; padding: 2px 16px 2px 0; vertical-align: top; }
.item td { padding: 2px 0; word-break: break-all; }
.item .qr svg { width: 160px; height: 160px; }
.empty { color: #666; }
@media print { .bar, .noprint { display: none; } body { margin: 0; } }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _when(at: datetime | None) -> str:
    return at.date().isoformat() if at is not None else ""


def _quantity(label: Label) -> str:
    return f"{label.quantity:g} {label.unit}"


def _code_name(label: Label) -> str:
    if label.item.kind is ItemKind.SERIAL:
        return "Serial"
    if label.item.kind is ItemKind.CONTAINER:
        return "Code"
    return "Lot"


def label_html(label: Label) -> str:
    item = label.item
    rows = []
    if item.lot_code:
        rows.append((_code_name(label), item.lot_code))
    rows.append(("Qty", _quantity(label)))
    if item.expires_at is not None:
        rows.append(("Expires", _when(item.expires_at)))
    facts = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    hri = label.link.text if label.link is not None else label.uri
    material = label.material_name or item.material_id or item.kind.value.title()
    return (
        f'<article class="label" data-item="{escape(item.id)}">'
        f'<div class="qr">{qr_svg(label.uri, inline=True)}</div>'
        f'<div class="text"><p class="material">{escape(material)}</p>'
        f'<p class="id">{escape(item.id)}</p><dl>{facts}</dl></div>'
        f'<p class="hri">{escape(hri)}</p></article>'
    )


def sheet(title: str, labels: Sequence[Label], note: str = "") -> str:
    """A printable sheet of labels (100 × 50 mm each), a print button for the browser."""
    body = "".join(label_html(x) for x in labels) or '<p class="empty">no label to print</p>'
    count = f"{len(labels)} label{'s' if len(labels) != 1 else ''}"
    return _page(
        title,
        f'<div class="bar"><strong>{escape(title)}</strong><span>{count}{escape(note)}</span>'
        f'<button type="button" data-print>Print</button></div>\n<main class="sheet">{body}</main>',
    )


def item_page(label: Label) -> str:
    """The page a scanned label opens: what the item is, how much is where, its label."""
    item = label.item
    rows: list[tuple[str, str]] = [
        ("Material", " — ".join(x for x in (label.material_name, item.material_id) if x)),
        ("Kind", item.kind.value.lower()),
        (_code_name(label), item.lot_code or ""),
        ("Status", item.status),
        ("On hand", _quantity(label)),
        *((f"  at {loc}", f"{q:g} {label.unit}") for loc, q in sorted(label.locations.items())),
        ("Made", _when(item.manufactured_at)),
        ("Expires", _when(item.expires_at)),
        ("Label URI", label.uri),
        ("GS1", label.link.text if label.link is not None else "no GS1 key"),
    ]
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows if v)
    ref = quote(item.id, safe="")
    return _page(
        f"{label.material_name or 'Item'} {item.id}",
        f'<main class="item"><h1>{escape(label.material_name or "Item")} <code>{escape(item.id)}</code></h1>'
        f'<table>{table}</table><div class="qr">{qr_svg(label.uri, inline=True)}</div>'
        f'<p class="noprint"><a href="/labels/{escape(ref)}">Print its label</a> · '
        f'<a href="/items/{escape(ref)}?linkType=all">Links (JSON linkset)</a></p></main>',
    )


def error_page(status: int, message: str) -> str:
    return _page(f"{status}", f"<main><h1>{status}</h1><p>{escape(message)}</p></main>")


# Served at a page's own address to a browser that sent no key: it holds no data. static/page.js
# takes the key as the dashboard does (`?key=`, localStorage, or asked once), asks the same address
# again with it, and shows the page the server rendered.
SHELL = _page(
    "tracegraph",
    '<p id="status">Loading… (this page needs JavaScript to send your API key)</p>'
    '<script src="/static/page.js"></script>',
)
