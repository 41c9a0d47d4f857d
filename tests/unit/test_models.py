"""Identifiers and master-data validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tracegraph.domain.events import EventCommand, Line, NewItem
from tracegraph.domain.models import MAX_ID_LENGTH, Location, Material, Organization, Status, may_issue, may_ship

VALID_IDS = [
    "LOT-FLOUR-0001",
    "urn:epc:id:sgtin:0614141.107346.2017",
    "urn:epc:class:lgtin:4012345.011111.4444",
    "urn:epc:id:sscc:0614141.1234567890",
    "https://id.gs1.org/01/09520123456788/10/ABC123?17=261231",
    "A",
    "x" * MAX_ID_LENGTH,
]


@pytest.mark.parametrize("value", VALID_IDS)
def test_valid_identifiers(value: str) -> None:
    assert Line(item_id=value).item_id == value
    assert Organization(id=value, name="n").id == value


@pytest.mark.parametrize(
    ("value", "why", "code"),
    [
        ("", "must not be empty", "invalid_identifier"),
        ("LOT 1", "without spaces", "invalid_identifier"),
        (" LOT1", "without spaces", "invalid_identifier"),
        ("LOT1\t", "without spaces", "invalid_identifier"),
        ("LOT\n1", "without spaces", "invalid_identifier"),
        ("lötcode", "printable ASCII", "invalid_identifier"),
        ("x" * (MAX_ID_LENGTH + 1), "at most", "string_too_long"),
    ],
)
def test_invalid_identifiers_are_refused_with_a_reason(value: str, why: str, code: str) -> None:
    with pytest.raises(ValidationError) as info:
        Line(item_id=value)
    [error] = info.value.errors()
    assert why in error["msg"] and error["type"] == code and error["loc"] == ("item_id",)
    with pytest.raises(ValidationError):
        NewItem(id=value)
    with pytest.raises(ValidationError):
        Location(id=value, name="n")


def test_optional_identifier_fields_are_validated_too() -> None:
    with pytest.raises(ValidationError):
        EventCommand(type="MOVE", to_location_id="SHELF 1")
    with pytest.raises(ValidationError):
        EventCommand(type="SHIP", shipment_id="")
    with pytest.raises(ValidationError):
        Location(id="A", name="a", parent_id="has space")


@pytest.mark.parametrize("quantity", [float("nan"), float("inf"), float("-inf")])
def test_quantities_must_be_finite(quantity: float) -> None:
    with pytest.raises(ValidationError):
        Line(item_id="A", quantity=quantity)


def test_names_and_models_are_bounded_and_strict() -> None:
    with pytest.raises(ValidationError):
        Organization(id="O", name="")
    with pytest.raises(ValidationError):
        Organization(id="O", name="n" * 301)
    with pytest.raises(ValidationError):
        Material(id="M", name="m", shelf_life_days=-1)
    with pytest.raises(ValidationError):
        Material(id="M", name="m", colour="red")  # type: ignore[call-arg]
    m = Material(id="M", name="m")
    with pytest.raises(ValidationError):
        m.name = "other"  # type: ignore[misc]


def test_status_rules() -> None:
    assert may_issue(Status.RELEASED) and may_ship(Status.RELEASED)
    assert may_issue(Status.QC) and not may_ship(Status.QC)
    assert may_issue(Status.REWORK) and not may_ship(Status.REWORK)
    for held in (Status.HOLD, Status.FAIL):
        assert not may_issue(held) and not may_ship(held)
