"""The export files' encodings: the FSMA 204 sortable spreadsheet as CSV or XLSX, and JSON."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..domain.fsma import COLUMNS, CTES, DEFINITIONS, KDE_COLUMNS, SECTIONS

Format = Literal["csv", "xlsx", "json"]
FORMATS: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def encode(fmt: Format, rows: list[dict[str, str | float]], meta: dict[str, Any]) -> bytes:
    """The rows (domain/fsma.py) as a file; `meta` (what the export is of) goes in the XLSX's
    About sheet and the JSON's top level."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode("utf-8")
    if fmt == "xlsx":
        return _xlsx(rows, meta)
    return json.dumps({**meta, "columns": COLUMNS, "rows": rows}, default=str, indent=1).encode("utf-8")


def _xlsx(rows: list[dict[str, str | float]], meta: dict[str, Any]) -> bytes:
    wb = Workbook(write_only=False)
    sheet = wb.active
    sheet.title = "FSMA 204"
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row.get(c, "") for c in COLUMNS])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
    sheet.freeze_panes = "A2"
    for n, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = min(60, max(12, len(column) + 2))
    about = wb.create_sheet("About")
    for key, value in {**meta, "exported at": datetime.now(UTC).isoformat()}.items():
        about.append([key, value if isinstance(value, str | int | float) else json.dumps(value, default=str)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# -- FDA's template layout (domain/fsma.py `template_rows`) ---------------------------------

TEMPLATE_FORMATS: dict[str, str] = {
    "xlsx": FORMATS["xlsx"],
    "zip": "application/zip",
    "csv": FORMATS["csv"],
}
_INTRODUCTION = [
    "FSMA 204 electronic sortable spreadsheet in the layout of FDA's template (June 2024): a tab per "
    "critical tracking event (CTE) with that CTE's key data elements (KDEs).",
    "Exported by tracegraph from its ledger: receipts and returns are Receiving, shipments Shipping, "
    "productions, issues, splits, merges and assemblies Transformation (a row per input lot and new lot). "
    "Harvesting, Cooling, Initial Packing and First Land-Based Receiving are filled only from captured "
    "facts whose bizStep names them (harvesting, cooling, initial_packing, first_land_based_receiving); "
    "otherwise their tabs hold the headers only.",
    "Corrected events and the corrections themselves are left out: the sheet shows what stands. "
    "Location descriptions carry the name tracegraph keeps; phone and address columns stay empty "
    "because its master data has no such fields.",
]


def cte_slug(cte: str) -> str:
    """A CTE's name as a file name and a parameter value: `first-land-based-receiving`."""
    return cte.lower().replace(" ", "-")


def template_csv(rows: list[dict[str, str | float]], cte: str) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=KDE_COLUMNS[cte])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def encode_template(fmt: str, tabs: dict[str, list[dict[str, str | float]]], meta: dict[str, Any]) -> bytes:
    """FDA's template as an XLSX workbook (Introduction, Definitions, then a tab per CTE) or a zip
    of one CSV per CTE (`shipping.csv`, …) with the introduction as README.txt."""
    if fmt == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("README.txt", "\n\n".join(_INTRODUCTION + [_scope_text(meta)]) + "\n")
            for cte in CTES:
                z.writestr(f"{cte_slug(cte)}.csv", template_csv(tabs.get(cte, []), cte))
        return buffer.getvalue()
    wb = Workbook()
    intro = wb.active
    intro.title = "Introduction"
    intro.append(["FSMA 204 Sortable Spreadsheet"])
    intro["A1"].font = Font(bold=True, size=14)
    for line in _INTRODUCTION:
        intro.append([line])
    intro.append([])
    intro.append(["Request", "Value"])
    for key, value in {**meta, "exported at": datetime.now(UTC).isoformat()}.items():
        intro.append([key, value if isinstance(value, str | int | float) else json.dumps(value, default=str)])
    intro.append([])
    intro.append(["Tab", "Regulation", "Rows"])
    for cte in CTES:
        intro.append([cte, SECTIONS[cte], len(tabs.get(cte, []))])
    intro.column_dimensions["A"].width = 100
    intro.column_dimensions["B"].width = 40
    definitions = wb.create_sheet("Definitions")
    definitions.append(["Term", "Definition"])
    for term, text in DEFINITIONS:
        definitions.append([term, text])
    definitions.column_dimensions["A"].width = 45
    definitions.column_dimensions["B"].width = 120
    for cte in CTES:
        sheet = wb.create_sheet(cte)
        columns = KDE_COLUMNS[cte]
        rows = tabs.get(cte, [])
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row.get(c, "") for c in columns])
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
        sheet.freeze_panes = "A2"
        for n, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(n)].width = min(40, max(12, len(column) + 2))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _scope_text(meta: dict[str, Any]) -> str:
    return "Request:\n" + "\n".join(f"  {k}: {json.dumps(v, default=str)}" for k, v in meta.items())
