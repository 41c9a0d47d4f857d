"""The export files' encodings: the FSMA 204 sortable spreadsheet as CSV or XLSX, and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from ..domain.fsma import COLUMNS

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
