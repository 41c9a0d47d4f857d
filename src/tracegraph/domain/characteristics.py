"""Characteristic definitions per material: the rules a value must follow, and whether a result
is within its specification limits.

A value breaks a rule when its type is wrong, it is not in the definition's value table, or its
name is not defined where the material defines characteristics; a new item of the material
must carry every required one. A command breaking a rule is refused; a fact is kept with a
finding (domain/ledger.py). A value outside the specification limits (inclusive) is a valid
result, not a broken rule: it is kept, and moves the item to the definition's out-of-spec
classification when it names one. Materials without definitions accept any value.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime

from . import errors as E
from .models import Characteristic, CharacteristicDefinition, CharacteristicType, Material
from .query import CharacteristicFilter


@dataclass(frozen=True)
class Breach:
    """A rule a value (or a missing one) breaks: the characteristic's name, what is wrong, and
    the error code a command is refused with."""

    name: str
    message: str
    code: str


@dataclass(frozen=True)
class Result:
    """A characteristic of an item judged against its material's definition (None: undefined)."""

    name: str
    value: Characteristic
    definition: CharacteristicDefinition | None
    in_spec: bool | None  # None: no definition, or no limits to judge by


def definitions_of(material: Material | None) -> dict[str, CharacteristicDefinition]:
    if material is None or not material.characteristic_definitions:
        return {}
    return {d.name: d for d in material.characteristic_definitions}


def as_date(value: Characteristic) -> date | None:
    """A DATE characteristic's value as a date: an ISO 8601 date, or a date and time (its date)."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None


def _is_number(value: Characteristic) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _shown(value: Characteristic) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value[:60]) if isinstance(value, str) else str(value)


def type_problem(d: CharacteristicDefinition, value: Characteristic) -> str | None:
    """Why a value does not fit its definition's type or value table; None if it does."""
    if d.type is CharacteristicType.NUMBER and not _is_number(value):
        return f"{d.name} is a NUMBER{f' in {d.unit}' if d.unit else ''}: {_shown(value)} is not a number"
    if d.type is CharacteristicType.TEXT and not isinstance(value, str):
        return f"{d.name} is TEXT: {_shown(value)} is not text"
    if d.type is CharacteristicType.BOOLEAN and not isinstance(value, bool):
        return f"{d.name} is a BOOLEAN: {_shown(value)} is neither true nor false"
    if d.type is CharacteristicType.DATE and as_date(value) is None:
        return f"{d.name} is a DATE: {_shown(value)} is not an ISO 8601 date (YYYY-MM-DD)"
    if d.values is not None:
        if d.type is CharacteristicType.NUMBER:
            allowed = any(
                _is_number(v) and abs(float(v) - float(value)) <= 1e-9 * max(1.0, abs(float(v))) for v in d.values
            )
        else:
            allowed = value in d.values
        if not allowed:
            table = ", ".join(_shown(v) for v in d.values[:20]) + (", ..." if len(d.values) > 20 else "")
            return f"{d.name} must be one of its value table ({table}): {_shown(value)} is not"
    return None


def breaches(material: Material | None, values: dict[str, Characteristic], *, new_item: bool) -> list[Breach]:
    """Every rule `values` break for an item of `material`: names the material does not define,
    values of the wrong type or missing from the value table, and (for a new item) required
    characteristics left out. None for a material without definitions."""
    defs = definitions_of(material)
    if not defs:
        return []
    assert material is not None
    found: list[Breach] = []
    for name, value in values.items():
        d = defs.get(name)
        if d is None:
            known = ", ".join(sorted(defs))
            found.append(
                Breach(
                    name,
                    f"material {material.id} defines no characteristic {name} (it defines: {known})",
                    E.INVALID_CHARACTERISTIC,
                )
            )
            continue
        why = type_problem(d, value)
        if why is not None:
            found.append(Breach(name, why, E.INVALID_CHARACTERISTIC))
    if new_item:
        for d in material.characteristic_definitions:
            if d.required and d.name not in values:
                found.append(
                    Breach(
                        d.name,
                        f"material {material.id} requires characteristic {d.name} on every new item",
                        E.CHARACTERISTIC_REQUIRED,
                    )
                )
    return found


def in_spec(d: CharacteristicDefinition, value: Characteristic) -> bool | None:
    """Whether a value is within its definition's specification limits (inclusive); None when
    there are no limits, or the value is not of the definition's type (nothing to judge)."""
    if d.type is CharacteristicType.NUMBER:
        if (d.min is None and d.max is None) or not _is_number(value):
            return None
        x = float(value)
        return (d.min is None or x >= d.min) and (d.max is None or x <= d.max)
    if d.type is CharacteristicType.DATE:
        day = as_date(value)
        if (d.min_date is None and d.max_date is None) or day is None:
            return None
        return (d.min_date is None or day >= d.min_date) and (d.max_date is None or day <= d.max_date)
    return None


def out_of_spec(material: Material | None, values: dict[str, Characteristic]) -> list[CharacteristicDefinition]:
    """The definitions (in the material's order) whose limits the given values fall outside."""
    defs = definitions_of(material)
    return [defs[n] for n in values if n in defs and in_spec(defs[n], values[n]) is False]


def reclassification(material: Material | None, values: dict[str, Characteristic]) -> tuple[str, str] | None:
    """The classification out-of-spec values move an item to, with the characteristic that
    does it: the first definition (in the material's order) both outside its limits and naming
    one; None if no such result."""
    failing = {d.name for d in out_of_spec(material, values)}
    for d in material.characteristic_definitions if material is not None else ():
        if d.name in failing and d.out_of_spec_status:
            return d.out_of_spec_status, d.name
    return None


def results(material: Material | None, values: dict[str, Characteristic]) -> list[Result]:
    """An item's characteristics judged against its material's definitions: those defined first
    (in the material's order), then the others by name."""
    defs = definitions_of(material)
    out = [Result(d.name, values[d.name], d, in_spec(d, values[d.name])) for d in defs.values() if d.name in values]
    out += [Result(n, values[n], None, None) for n in sorted(values) if n not in defs]
    return out


def definition_problems(defs: list[CharacteristicDefinition]) -> list[tuple[str, str]]:
    """What is wrong with a list of definitions, as (field, message): a name given twice, a unit
    or value table on a type that has none, limits of the wrong kind or min above max, a value
    table of the wrong type. Classifications are checked by the service (they are stored)."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for n, d in enumerate(defs):
        f = f"definitions[{n}]"
        if d.name in seen:
            out.append((f"{f}.name", f"characteristic {d.name} is defined twice"))
        seen.add(d.name)
        if d.name != d.name.strip() or not d.name.strip():
            out.append((f"{f}.name", "a name may not start or end with spaces"))
        number, date_ = d.type is CharacteristicType.NUMBER, d.type is CharacteristicType.DATE
        if d.unit is not None and not number:
            out.append((f"{f}.unit", f"only a NUMBER has a unit, {d.name} is {d.type.value}"))
        if d.values is not None:
            if d.type not in (CharacteristicType.NUMBER, CharacteristicType.TEXT):
                out.append((f"{f}.values", f"only a NUMBER or TEXT has a value table, {d.name} is {d.type.value}"))
            elif not d.values:
                out.append((f"{f}.values", "a value table needs at least one value"))
            else:
                for k, v in enumerate(d.values):
                    if number and not _is_number(v):
                        out.append((f"{f}.values[{k}]", f"{_shown(v)} is not a number"))
                    if d.type is CharacteristicType.TEXT and not isinstance(v, str):
                        out.append((f"{f}.values[{k}]", f"{_shown(v)} is not text"))
        if (d.min is not None or d.max is not None) and not number:
            out.append((f"{f}.min", f"only a NUMBER has min and max, {d.name} is {d.type.value}"))
        if (d.min_date is not None or d.max_date is not None) and not date_:
            out.append((f"{f}.minDate", f"only a DATE has minDate and maxDate, {d.name} is {d.type.value}"))
        if d.min is not None and d.max is not None and d.min > d.max:
            out.append((f"{f}.min", f"min {d.min:g} is above max {d.max:g}"))
        if d.min_date is not None and d.max_date is not None and d.min_date > d.max_date:
            out.append((f"{f}.minDate", f"minDate {d.min_date} is after maxDate {d.max_date}"))
        if d.out_of_spec_status is not None and not (
            d.min is not None or d.max is not None or d.min_date is not None or d.max_date is not None
        ):
            out.append((f"{f}.outOfSpecStatus", f"{d.name} has no specification limits to be out of"))
    return out


def matches(values: dict[str, Characteristic], f: CharacteristicFilter) -> bool:
    """Whether an item's characteristics pass a search: the named value is there, equals the
    value sought (numbers as numbers), and lies within the range (numbers, or dates)."""
    if f.name not in values:
        return False
    value = values[f.name]
    if f.equals is not None:
        if _is_number(f.equals):
            if not _is_number(value) or float(value) != float(f.equals):
                return False
        elif value != f.equals or isinstance(value, bool) != isinstance(f.equals, bool):
            return False
    if f.min is not None or f.max is not None:
        if not _is_number(value):
            return False
        x = float(value)
        if (f.min is not None and x < f.min) or (f.max is not None and x > f.max):
            return False
    if f.min_date is not None or f.max_date is not None:
        day = as_date(value)
        if (
            day is None
            or (f.min_date is not None and day < f.min_date)
            or (f.max_date is not None and day > f.max_date)
        ):
            return False
    return True


def search_needles(f: CharacteristicFilter | None) -> tuple[str, str]:
    """Substrings of an item's characteristics as the stores keep them (compact JSON, keys
    sorted) that every match contains: the name as a key, and the key with the value sought
    (followed by `,` or `}`); empty when there is nothing to look for. A store narrows its
    candidates by them before `matches` judges each (a superset, never fewer)."""
    if f is None:
        return "", ""
    key = json.dumps(f.name, ensure_ascii=False) + ":"
    if f.equals is None:
        return key, ""
    equals = float(f.equals) if _is_number(f.equals) else f.equals
    return key, key + json.dumps(equals, ensure_ascii=False)
