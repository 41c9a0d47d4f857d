"""Units of measure and conversion into an item's base unit.

Units are named by their common symbol (KG, L, EA) or their UN/ECE Recommendation 20 code
(KGM, LTR, H87), which is what EPCIS quantity lists carry. Units of one dimension convert
into each other; anything else (CASE, TRAY, PALLET) needs a conversion declared on the
material or on the lot.
"""

from __future__ import annotations

from collections.abc import Mapping

# unit -> (dimension, factor to the dimension's reference unit)
_UNITS: dict[str, tuple[str, float]] = {
    "KG": ("mass", 1.0),
    "G": ("mass", 0.001),
    "MG": ("mass", 1e-6),
    "T": ("mass", 1000.0),
    "LB": ("mass", 0.45359237),
    "OZ": ("mass", 0.028349523125),
    "L": ("volume", 1.0),
    "ML": ("volume", 0.001),
    "M3": ("volume", 1000.0),
    "GAL": ("volume", 3.785411784),
    "M": ("length", 1.0),
    "CM": ("length", 0.01),
    "MM": ("length", 0.001),
    "M2": ("area", 1.0),
    "EA": ("count", 1.0),
}

_ALIASES: dict[str, str] = {
    "KGM": "KG",
    "GRM": "G",
    "MGM": "MG",
    "TNE": "T",
    "LBR": "LB",
    "ONZ": "OZ",
    "LTR": "L",
    "MLT": "ML",
    "MTQ": "M3",
    "GLL": "GAL",
    "MTR": "M",
    "CMT": "CM",
    "MMT": "MM",
    "MTK": "M2",
    "H87": "EA",
    "C62": "EA",
    "PCE": "EA",
    "PCS": "EA",
    "UNIT": "EA",
    "EACH": "EA",
}

MAX_UNIT_LENGTH = 16


def normalize_unit(unit: str) -> str:
    """The canonical spelling of a unit: upper case, aliases resolved."""
    u = unit.strip().upper()
    return _ALIASES.get(u, u)


def is_standard(unit: str) -> bool:
    return normalize_unit(unit) in _UNITS


def conversion_factor(
    unit: str,
    base_unit: str,
    *overrides: Mapping[str, float],
) -> float | None:
    """How many base units one `unit` is, or None if no conversion is known.

    `overrides` are checked first, in order (a lot's own conversions, then its material's):
    each maps a unit to the number of base units in one of it.
    """
    u, base = normalize_unit(unit), normalize_unit(base_unit)
    if u == base:
        return 1.0
    for table in overrides:
        for name, factor in table.items():
            if normalize_unit(name) == u:
                return float(factor)
    if u in _UNITS and base in _UNITS and _UNITS[u][0] == _UNITS[base][0]:
        return _UNITS[u][1] / _UNITS[base][1]
    return None


def in_second_unit(quantity: float, unit: str, second_unit: str, *overrides: Mapping[str, float]) -> float | None:
    """`quantity` (in `unit`) in a material's second unit, by the first conversion `overrides`
    (a lot's own, then its material's) or the standard units know; None where none is known.

    A material tracked in two units (FlexProcess: "a resource can always be measured and tracked
    in two different units of measure (e.g. CASE and KG); each inventory lot can have different
    conversion rates") keeps every balance in both: its second quantity is derived this way,
    with the lot's own rate, unless the material is catch weight, when both are weighed."""
    factor = conversion_factor(second_unit, unit, *overrides)
    return quantity / factor if factor else None
