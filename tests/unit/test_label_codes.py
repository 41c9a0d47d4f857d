"""Label URIs for each kind of GS1 key (and none), Digital Link paths read back, and the QR codes:
read back by a barcode reader (zxing-cpp), as a scanner would."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from tracegraph.config import Settings
from tracegraph.domain.models import ItemKind
from tracegraph.gs1.digital_link import gtin_of, gtin_spellings, item_link, parse_path, sscc_of
from tracegraph.http.label_pages import qr, qr_png, qr_svg
from tracegraph.services.labels import Links

GTIN = "09521234543213"  # GS1's example GTIN, check digit 3
SSCC = "106141411234567897"
LINKS = Links("https://id.gs1.org", "https://trace.example.com")


@pytest.mark.parametrize(
    ("item_id", "kind", "material", "code", "uri", "text"),
    [
        # a lot of a material named by its GTIN (13 digits are padded to 14)
        (
            "LOT-1",
            ItemKind.LOT,
            "9521234543213",
            "MS-7",
            f"https://id.gs1.org/01/{GTIN}/10/MS-7",
            f"(01) {GTIN} (10) MS-7",
        ),
        ("B-1", ItemKind.BATCH, GTIN, "B7", f"https://id.gs1.org/01/{GTIN}/10/B7", f"(01) {GTIN} (10) B7"),
        # a serial
        ("SN-1", ItemKind.SERIAL, GTIN, "X1", f"https://id.gs1.org/01/{GTIN}/21/X1", f"(01) {GTIN} (21) X1"),
        # a lot code with a reserved character is percent-encoded in the URI, not in the text
        ("LOT-2", ItemKind.LOT, GTIN, "A/B", f"https://id.gs1.org/01/{GTIN}/10/A%2FB", f"(01) {GTIN} (10) A/B"),
        # a logistic unit named by its SSCC (its id, or its code)
        (SSCC, ItemKind.CONTAINER, None, None, f"https://id.gs1.org/00/{SSCC}", f"(00) {SSCC}"),
        ("PAL-9", ItemKind.CONTAINER, None, SSCC, f"https://id.gs1.org/00/{SSCC}", f"(00) {SSCC}"),
        # items captured through EPCIS under an EPC or a Digital Link
        (
            "urn:epc:class:lgtin:4012345.011111.4444",
            ItemKind.LOT,
            None,
            None,
            "https://id.gs1.org/01/04012345111118/10/4444",
            "(01) 04012345111118 (10) 4444",
        ),
        (
            "urn:epc:id:sgtin:0614141.107346.2017",
            ItemKind.SERIAL,
            None,
            None,
            "https://id.gs1.org/01/10614141073464/21/2017",
            "(01) 10614141073464 (21) 2017",
        ),
        (
            "urn:epc:id:sscc:0614141.1234567890",
            ItemKind.CONTAINER,
            None,
            None,
            "https://id.gs1.org/00/106141412345678908",
            "(00) 106141412345678908",
        ),
        (
            "urn:epc:id:grai:0614141.12345.400",
            ItemKind.CONTAINER,
            None,
            None,
            "https://id.gs1.org/8003/00614141123452400",
            "(8003) 00614141123452400",
        ),
        (
            "https://example.com/01/09521234543213/10/ABC?x=1",
            ItemKind.LOT,
            None,
            None,
            f"https://id.gs1.org/01/{GTIN}/10/ABC",
            f"(01) {GTIN} (10) ABC",
        ),
    ],
)
def test_label_uri_of_items_with_gs1_keys(
    item_id: str, kind: ItemKind, material: str | None, code: str | None, uri: str, text: str
) -> None:
    link = item_link(item_id, kind, material, code)
    assert link is not None and link.uri() == uri and link.text == text
    assert LINKS.label_uri(item_id, kind, material, code) == uri
    # read back from its path, as the resolver does
    assert parse_path(link.path) == link


@pytest.mark.parametrize(
    ("item_id", "kind", "material", "code"),
    [
        ("LOT-FLOUR-0001", ItemKind.LOT, "FLOUR-T55", "MS240227-1"),  # the material is no GTIN
        ("LOT-3", ItemKind.LOT, "9521234543214", "MS-7"),  # a GTIN with a wrong check digit
        ("LOT-4", ItemKind.LOT, GTIN, None),  # no lot code
        ("LOT-5", ItemKind.LOT, GTIN, "X" * 21),  # longer than AI (10) allows
        ("LOT-6", ItemKind.LOT, GTIN, "ümlaut"),  # outside the GS1 character set 82
        ("STOCK-1", ItemKind.STOCK, GTIN, "S"),  # untracked stock
        ("TANK-1", ItemKind.CONTAINER, None, "106141411234567890"),  # an SSCC with a wrong check digit
    ],
)
def test_items_without_gs1_keys_get_the_project_uri(
    item_id: str, kind: ItemKind, material: str | None, code: str | None
) -> None:
    assert item_link(item_id, kind, material, code) is None
    assert LINKS.label_uri(item_id, kind, material, code) == f"https://trace.example.com/items/{item_id}"


def test_the_resolver_domain_and_project_uri_are_settings() -> None:
    own = Links("https://resolver.acme.example", "https://trace.acme.example")
    assert own.label_uri("L", ItemKind.LOT, GTIN, "7") == f"https://resolver.acme.example/01/{GTIN}/10/7"
    # an identifier with reserved characters is percent-encoded in the project URI
    assert own.label_uri("LOT/2", ItemKind.LOT) == "https://trace.acme.example/items/LOT%2F2"
    settings = Settings(digital_link_base="https://resolver.acme.example/", host="0.0.0.0", port=9000)
    assert settings.digital_link_base == "https://resolver.acme.example"
    assert settings.public_base == "http://0.0.0.0:9000"
    with pytest.raises(ValueError, match="TRACEGRAPH_DIGITAL_LINK_BASE"):
        Settings(digital_link_base="id.gs1.org")
    with pytest.raises(ValueError, match="TRACEGRAPH_PUBLIC_URL"):
        Settings(public_url="https://trace.example.com/?x=1")


def test_gs1_keys() -> None:
    assert gtin_of("9521234543213") == GTIN
    assert gtin_of("95212345432") is None  # 11 digits
    assert gtin_of(f"https://id.gs1.org/01/{GTIN}") == GTIN
    assert gtin_of("FLOUR") is None and gtin_of(None) is None
    assert gtin_spellings("00000095012346") == ["00000095012346", "0000095012346", "000095012346", "95012346"]
    assert sscc_of(SSCC) == SSCC and sscc_of(SSCC[:-1] + "0") is None


@pytest.mark.parametrize(
    ("path", "elements"),
    [
        (f"/01/{GTIN}/10/MS-7", (("01", GTIN), ("10", "MS-7"))),
        ("/gtin/9521234543213/lot/A%2FB", (("01", GTIN), ("10", "A/B"))),  # short names, a GTIN-13
        (f"/01/{GTIN}/21/X1/", (("01", GTIN), ("21", "X1"))),
        (f"/00/{SSCC}", (("00", SSCC),)),
    ],
)
def test_digital_link_paths(path: str, elements: tuple[tuple[str, str], ...]) -> None:
    link = parse_path(path)
    assert link is not None and link.elements == elements


@pytest.mark.parametrize(
    "path",
    ["/10/MS-7", "/01/9521234543214/10/A", f"/01/{GTIN}/10", f"/01/{GTIN}/10/A/10/B", "/00/123", "/graphql/x", "/"],
)
def test_not_digital_link_paths(path: str) -> None:
    assert parse_path(path) is None


@pytest.mark.parametrize(
    "uri",
    [
        f"https://id.gs1.org/01/{GTIN}/10/MS-7",
        f"https://id.gs1.org/00/{SSCC}",
        "https://trace.example.com/items/LOT-FLOUR-0001",
        "https://trace.example.com/items/urn%3Aepc%3Aid%3Asgtin%3A0614141.107346.2017" + "X" * 400,
    ],
)
def test_qr_codes_read_back_as_the_uri(uri: str) -> None:
    png = qr_png(uri, scale=4)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    code = qr(uri)
    assert code.designator.endswith("-M") and not code.is_micro  # a QR code, error correction M
    assert image.size == code.symbol_size(scale=4)  # quiet zone of 4 modules included
    [found] = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode and found.text == uri

    svg = ET.fromstring(qr_svg(uri, scale=4))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert (svg.get("width"), svg.get("height")) == (str(image.size[0]), str(image.size[1]))
    assert svg.find("{http://www.w3.org/2000/svg}title").text == uri  # type: ignore[union-attr]
    # the SVG draws the same modules: rasterised back, it reads the same
    [found] = zxingcpp.read_barcodes(_raster(qr_svg(uri, scale=1), image.size[0] // 4))
    assert found.text == uri


def _raster(svg: str, size: int) -> Image.Image:
    """segno's SVG path (`M x y.5 h n m dx dy …`, one row of dark modules a stroke) drawn as pixels."""
    import re

    image = Image.new("1", (size, size), 1)
    path = ET.fromstring(svg).find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    x = y = 0.0
    for op, a, b in re.findall(r"([MmHhVv])(-?[\d.]+)(?: ?(-?[\d.]+))?", path.get("d", "")):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        elif op == "h":
            for dx in range(int(float(a))):
                image.putpixel((int(x) + dx, int(y)), 0)
            x += float(a)
        else:
            raise AssertionError(f"unexpected SVG path command {op}")
    return image.resize((size * 4, size * 4), Image.NEAREST)
