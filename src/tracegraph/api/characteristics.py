"""Characteristic definitions over GraphQL: what a material's items' characteristics hold, the
input that defines them, an item's characteristics judged against them, and the items search."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from pydantic import ValidationError
from strawberry.scalars import JSON

from ..domain import characteristics as DC
from ..domain import models as D
from ..domain.models import CharacteristicType
from ..domain.query import CharacteristicFilter
from . import enums as _enums  # noqa: F401 - registers the domain enums
from .errors import ApiError, UserError, from_validation
from .inputs import as_data


@strawberry.type(
    description="What a characteristic of a material's items holds: its type, unit, allowed values and "
    "specification limits (inclusive), whether every new item must carry it, and the classification an item "
    "moves to when a result falls outside the limits."
)
class CharacteristicDefinition:
    name: str = strawberry.field(description="The characteristic's name, its key in `Item.characteristics`.")
    type: CharacteristicType = strawberry.field(description="NUMBER, TEXT, BOOLEAN or DATE (an ISO 8601 date).")
    unit: str | None = strawberry.field(description="A NUMBER's unit of measure.")
    description: str | None = strawberry.field(description="What it is, how it is measured.")
    values: list[JSON] | None = strawberry.field(
        description="The value table: the only values allowed (numbers for a NUMBER, text for TEXT); null: any."
    )
    min: float | None = strawberry.field(description="A NUMBER's lower specification limit (inclusive).")
    max: float | None = strawberry.field(description="A NUMBER's upper specification limit (inclusive).")
    min_date: date | None = strawberry.field(description="A DATE's earliest value in specification (inclusive).")
    max_date: date | None = strawberry.field(description="A DATE's latest value in specification (inclusive).")
    required: bool = strawberry.field(description="Every new lot, serial or batch of the material must carry it.")
    out_of_spec_classification_id: str | None = strawberry.field(
        description="The classification a result outside the limits moves the item to, in the same event; "
        "null: an out-of-spec result is recorded and nothing moves."
    )

    @classmethod
    def from_model(cls, d: D.CharacteristicDefinition) -> CharacteristicDefinition:
        return cls(
            name=d.name,
            type=d.type,
            unit=d.unit,
            description=d.description,
            values=[JSON(v) for v in d.values] if d.values is not None else None,
            min=d.min,
            max=d.max,
            min_date=d.min_date,
            max_date=d.max_date,
            required=d.required,
            out_of_spec_classification_id=d.out_of_spec_status,
        )


def definition_list(m: D.Material) -> list[CharacteristicDefinition]:
    return [CharacteristicDefinition.from_model(d) for d in m.characteristic_definitions]


@strawberry.type(description="A characteristic of an item, judged against its material's definition.")
class CharacteristicResult:
    name: str = strawberry.field(description="The characteristic's name.")
    value: JSON = strawberry.field(description="Its value: a number, text or boolean (a DATE as ISO 8601 text).")
    unit: str | None = strawberry.field(description="The definition's unit, for a NUMBER.")
    in_spec: bool | None = strawberry.field(
        description="Within the definition's specification limits (inclusive); null when the material does "
        "not define it or the definition has no limits."
    )
    definition: CharacteristicDefinition | None = strawberry.field(
        description="Its material's definition; null when there is none (a value recorded before, or by a fact)."
    )


def result_list(material: D.Material | None, values: dict[str, Any]) -> list[CharacteristicResult]:
    return [
        CharacteristicResult(
            name=r.name,
            value=JSON(r.value),
            unit=r.definition.unit if r.definition is not None else None,
            in_spec=r.in_spec,
            definition=CharacteristicDefinition.from_model(r.definition) if r.definition is not None else None,
        )
        for r in DC.results(material, values)
    ]


@strawberry.input(description="A characteristic definition; see `CharacteristicDefinition`.")
class CharacteristicDefinitionInput:
    name: str = strawberry.field(description="The characteristic's name, e.g. moisture.")
    type: CharacteristicType = strawberry.field(description="NUMBER, TEXT, BOOLEAN or DATE.")
    unit: str | None = strawberry.field(default=None, description="A NUMBER's unit, e.g. PCT.")
    description: str | None = strawberry.field(default=None, description="What it is, how it is measured.")
    values: list[JSON] | None = strawberry.field(
        default=None, description="A value table for a NUMBER or TEXT: the only values allowed."
    )
    min: float | None = strawberry.field(default=None, description="A NUMBER's lower limit (inclusive).")
    max: float | None = strawberry.field(default=None, description="A NUMBER's upper limit (inclusive).")
    min_date: date | None = strawberry.field(default=None, description="A DATE's earliest value in specification.")
    max_date: date | None = strawberry.field(default=None, description="A DATE's latest value in specification.")
    required: bool = strawberry.field(default=False, description="Every new lot, serial or batch must carry it.")
    out_of_spec_classification_id: str | None = strawberry.field(
        default=None,
        description="A classification (e.g. HOLD, FAIL or your own) a result outside the limits moves the item to.",
    )


@strawberry.input(description="The characteristic definitions of a material, replacing those it had.")
class DefineCharacteristicsInput:
    material_id: strawberry.ID = strawberry.field(description="The material (your organization's).")
    definitions: list[CharacteristicDefinitionInput] = strawberry.field(
        description="Its definitions, in the order results are shown; empty: none (any value accepted)."
    )


def parse_definitions(
    source: DefineCharacteristicsInput,
) -> tuple[list[D.CharacteristicDefinition], list[UserError]]:
    """The definitions as domain models, or the errors of those that are malformed."""
    out: list[D.CharacteristicDefinition] = []
    errors: list[UserError] = []
    for n, d in enumerate(source.definitions):
        data = as_data(d)
        if "out_of_spec_classification_id" in data:
            data["out_of_spec_status"] = data.pop("out_of_spec_classification_id")
        try:
            out.append(D.CharacteristicDefinition.model_validate(data))
        except ValidationError as e:
            for err in from_validation(e, d, prefix=f"definitions[{n}]."):
                if err.field is not None and err.field.endswith("outOfSpecStatus"):
                    err.field = err.field.replace("outOfSpecStatus", "outOfSpecClassificationId")
                errors.append(err)
    return out, errors


@strawberry.input(
    description="Items whose characteristic `name` equals a value, or lies within a range (inclusive): "
    "`min`/`max` for numbers, `minDate`/`maxDate` for dates. Searched within one material (`materialId`)."
)
class CharacteristicSearch:
    name: str = strawberry.field(description="The characteristic.")
    equals: JSON | None = strawberry.field(default=None, description="The value sought: a number, text or boolean.")
    min: float | None = strawberry.field(default=None, description="Numbers at or above this.")
    max: float | None = strawberry.field(default=None, description="Numbers at or below this.")
    min_date: date | None = strawberry.field(default=None, description="Dates on or after this.")
    max_date: date | None = strawberry.field(default=None, description="Dates on or before this.")

    def to_filter(self) -> CharacteristicFilter:
        if self.equals is not None and not isinstance(self.equals, bool | int | float | str):
            raise ApiError("`equals` is a number, text or boolean", field="characteristic.equals")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ApiError("`min` is above `max`", field="characteristic.min")
        if self.min_date is not None and self.max_date is not None and self.min_date > self.max_date:
            raise ApiError("`minDate` is after `maxDate`", field="characteristic.minDate")
        return CharacteristicFilter(
            name=self.name,
            equals=self.equals,
            min=self.min,
            max=self.max,
            min_date=self.min_date,
            max_date=self.max_date,
        )
