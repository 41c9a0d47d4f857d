"""Units of measure: normalisation, UN/ECE aliases, conversion into an item's base unit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tracegraph.domain.models import Material
from tracegraph.domain.units import conversion_factor, is_standard, normalize_unit


@pytest.mark.parametrize(
    ("alias", "unit"),
    [
        ("KGM", "KG"),
        ("GRM", "G"),
        ("TNE", "T"),
        ("LBR", "LB"),
        ("LTR", "L"),
        ("MLT", "ML"),
        ("MTQ", "M3"),
        ("MTR", "M"),
        ("MTK", "M2"),
        ("H87", "EA"),
        ("C62", "EA"),
        ("PCE", "EA"),
        ("kgm", "KG"),
        (" h87 ", "EA"),
        ("each", "EA"),
        ("kg", "KG"),
    ],
)
def test_uncefact_codes_and_spellings_normalise(alias: str, unit: str) -> None:
    assert normalize_unit(alias) == unit
    assert is_standard(alias)


def test_unknown_units_are_kept_upper_case_and_not_standard() -> None:
    assert normalize_unit("case") == "CASE"
    assert not is_standard("CASE")


@pytest.mark.parametrize(
    ("unit", "base", "factor"),
    [
        ("KG", "KG", 1.0),
        ("G", "KG", 0.001),
        ("KG", "G", 1000.0),
        ("T", "KG", 1000.0),
        ("LB", "KG", 0.45359237),
        ("GRM", "KGM", 0.001),
        ("ML", "L", 0.001),
        ("GAL", "L", 3.785411784),
        ("MM", "M", 0.001),
        ("H87", "EA", 1.0),
        ("PCE", "C62", 1.0),
    ],
)
def test_standard_conversions_within_a_dimension(unit: str, base: str, factor: float) -> None:
    assert conversion_factor(unit, base) == pytest.approx(factor)


@pytest.mark.parametrize(
    ("unit", "base"), [("KG", "L"), ("EA", "KG"), ("M", "M2"), ("CASE", "KG"), ("KG", "CASE"), ("FOO", "BAR")]
)
def test_no_conversion_across_dimensions_or_for_unknown_units(unit: str, base: str) -> None:
    assert conversion_factor(unit, base) is None


def test_material_conversion_for_a_packaging_unit() -> None:
    assert conversion_factor("CASE", "KG", {"CASE": 12}) == 12.0
    assert conversion_factor("case", "KGM", {"CASE": 12}) == 12.0  # both sides normalised
    assert conversion_factor("BAG", "KG", {}, {"bag": 25}) == 25.0  # table keys normalised too


def test_lot_override_wins_over_the_material_conversion() -> None:
    lot, material = {"SACK": 25.0}, {"SACK": 50.0}
    assert conversion_factor("SACK", "KG", lot, material) == 25.0
    assert conversion_factor("SACK", "KG", {}, material) == 50.0
    assert conversion_factor("SACK", "KG", {"BAG": 10}, material) == 50.0  # falls through to the material


def test_declared_conversion_overrides_a_standard_one() -> None:
    # A material may say its "LB" is something else; the declared table is checked first.
    assert conversion_factor("LB", "KG", {"LB": 0.5}) == 0.5


def test_unit_fields_are_normalised_and_validated() -> None:
    assert Material(id="M", name="m", base_unit="kgm").base_unit == "KG"
    assert Material(id="M", name="m", conversions={"case": 12}).conversions == {"CASE": 12}
    for bad in ["", "K G", "KG/", "X" * 17]:
        with pytest.raises(ValidationError):
            Material(id="M", name="m", base_unit=bad)
    with pytest.raises(ValidationError):
        Material(id="M", name="m", conversions={"CASE": 0})
