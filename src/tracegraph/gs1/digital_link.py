"""GS1 Digital Link URIs of items, for their labels (GS1 Digital Link standard 1.x, URI syntax).

An item has GS1 keys when
- its identifier is a GS1 key already: an EPC URN (`urn:epc:id:sgtin:…`, `…:sscc:…`,
  `urn:epc:class:lgtin:…`, `…:grai:…`, …) or a GS1 Digital Link URI, as EPCIS captures give
  them; `identifiers.canonical` reads those;
- or its material's identifier is a GTIN (8, 12, 13 or 14 digits with a valid check digit, or a
  GTIN's Digital Link URI or EPC pattern) and it has a lot code: a lot, sub-lot or batch is
  `/01/{gtin}/10/{lot}`, a serial `/01/{gtin}/21/{serial}`;
- or it is a container whose identifier or code is an SSCC (18 digits, valid check digit):
  `/00/{sscc}`.

Everything else has no GS1 key; its label carries the server's own address for it. Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ..domain.models import ItemKind
from ._dl_normaliser import check_digit
from .identifiers import canonical

GS1_RESOLVER = "https://id.gs1.org"  # the canonical domain of GS1 Digital Link URIs

# Application identifiers that start a Digital Link path (primary keys) and the qualifiers and
# their short names (Digital Link 1.x, section 4.x; the short names are deprecated but read).
PRIMARY_KEYS = frozenset(
    {"00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010", "8017", "8018"}
)
SHORT_NAMES = {
    "gtin": "01",
    "sscc": "00",
    "gdti": "253",
    "gcn": "255",
    "ginc": "401",
    "gsin": "402",
    "gln": "414",
    "party": "417",
    "grai": "8003",
    "giai": "8004",
    "itip": "8006",
    "cpid": "8010",
    "gsrnp": "8017",
    "gsrn": "8018",
    "cpv": "22",
    "lot": "10",
    "ser": "21",
}
# GS1 AI encodable character set 82 (General Specifications 7.11): lots and serials.
_CSET82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")
_LOT_KINDS = (ItemKind.LOT, ItemKind.SUBLOT, ItemKind.BATCH)


@dataclass(frozen=True)
class DigitalLink:
    """A GS1 Digital Link path: its application identifiers and values, the primary key first
    (values as they are, not percent-encoded)."""

    elements: tuple[tuple[str, str], ...]

    @property
    def primary(self) -> tuple[str, str]:
        return self.elements[0]

    def value(self, ai: str) -> str | None:
        return next((v for a, v in self.elements if a == ai), None)

    @property
    def path(self) -> str:
        """`/01/09521234543213/10/ABC%2F1`: values percent-encoded (Digital Link 1.x, 7.x)."""
        return "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in self.elements)

    def uri(self, base: str = GS1_RESOLVER) -> str:
        """The URI on a resolver: GS1's (`https://id.gs1.org`, the default) or a company's."""
        return base.rstrip("/") + self.path

    @property
    def text(self) -> str:
        """The human-readable interpretation printed under a code: `(01) 09521234543213 (10) ABC`."""
        return " ".join(f"({ai}) {value}" for ai, value in self.elements)


def _valid_key(digits: str, length: int) -> bool:
    return len(digits) == length and digits.isdigit() and str(check_digit(digits[:-1])) == digits[-1]


def gtin_of(code: str | None) -> str | None:
    """The GTIN-14 a material identifier names, or None: a GTIN-8, -12, -13 or -14 with a
    valid check digit, or a GTIN's Digital Link URI or EPC pattern (`urn:epc:idpat:sgtin:…*`)."""
    if not code:
        return None
    if code.isdigit() and len(code) in (8, 12, 13, 14):
        gtin = code.zfill(14)
        return gtin if _valid_key(gtin, 14) else None
    found = re.fullmatch(r"https://id\.gs1\.org/01/(\d{14})", canonical(code))
    return found.group(1) if found else None


def gtin_spellings(gtin: str) -> list[str]:
    """The identifiers a material named by this GTIN-14 may have (GTIN-8, -12, -13, -14)."""
    out = [gtin]
    for length in (13, 12, 8):
        if gtin[: 14 - length] == "0" * (14 - length):
            out.append(gtin[14 - length :])
    return out


def sscc_of(code: str | None) -> str | None:
    """The SSCC an 18-digit code with a valid check digit is, or None."""
    return code if code and _valid_key(code, 18) else None


def parse(uri: str) -> DigitalLink | None:
    """The application identifiers of a GS1 key in any spelling (EPC URN, EPC class, GS1 Digital
    Link URI on any domain), or None when it is none."""
    key = canonical(uri)
    return parse_path(key[len(GS1_RESOLVER) :]) if key.startswith(GS1_RESOLVER + "/") else None


def parse_path(path: str) -> DigitalLink | None:
    """The Digital Link a URI path names (`/01/{gtin}/10/{lot}`, short names like `/gtin/…`
    read too), values percent-decoded; None when it is not one: no primary key first, an odd
    number of segments, an AI repeated, a GTIN or SSCC with a wrong check digit."""
    segments = path.strip("/").split("/")
    if len(segments) < 2 or len(segments) % 2:
        return None
    elements: list[tuple[str, str]] = []
    for i in range(0, len(segments), 2):
        ai = SHORT_NAMES.get(segments[i], segments[i])
        value = unquote(segments[i + 1])
        if not ai.isdigit() or not value or any(a == ai for a, _ in elements):
            return None
        elements.append((ai, value))
    ai, value = elements[0]
    if ai not in PRIMARY_KEYS:
        return None
    if ai == "01":
        gtin = gtin_of(value)
        if gtin is None:
            return None
        elements[0] = ("01", gtin)
    if ai == "00" and sscc_of(value) is None:
        return None
    return DigitalLink(tuple(elements))


def item_link(item_id: str, kind: ItemKind, material_id: str | None, lot_code: str | None) -> DigitalLink | None:
    """The GS1 Digital Link of an item (this module's docstring), or None: it has no GS1 key."""
    own = parse(item_id)
    if own is not None:
        return own
    if kind is ItemKind.CONTAINER:
        sscc = sscc_of(item_id) or sscc_of(lot_code)
        return DigitalLink((("00", sscc),)) if sscc else None
    gtin = gtin_of(material_id)
    if gtin is None or not lot_code or not _CSET82.match(lot_code):
        return None
    if kind is ItemKind.SERIAL:
        return DigitalLink((("01", gtin), ("21", lot_code)))
    if kind in _LOT_KINDS:
        return DigitalLink((("01", gtin), ("10", lot_code)))
    return None
