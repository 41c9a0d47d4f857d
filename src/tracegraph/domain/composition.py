"""Composition lists (bills of materials) and the rule that compares a production or an
assembly with its list.

A composition list belongs to a product material: per `basis` units of the product (in its
base unit; 1 by default) it names components, each a material and a quantity (in `unit`, else
the component material's base unit), or a named slot ("FRONT", "right engine") that takes
exactly one serial of its material. A PRODUCE or ASSEMBLE naming a list is compared with it,
the list scaled by what the event makes (`output / basis`):

- MISSING: a component none of whose material was used, or a slot left empty;
- EXTRA: a material the list does not name, a slot it does not have, a slot given twice;
- WRONG_MATERIAL: a slot given a serial of another material (or the event makes another
  product than the list's);
- QUANTITY: a component's quantity outside the list's tolerance (`tolerance_percent` of the
  expected quantity either way, 2 % by default).

A serial of a slotted material used without naming its slot takes the first free slot of its
material, in the list's order. An ASSEMBLE builds an assembly over several events: it is
compared with what the assembly holds after it (its components before, and those it adds),
and is `partial`: too little of a component, or an empty slot, is not yet a mismatch; only a
PRODUCE (the whole build at once) reports them.

Mismatches refuse a command when the list says REFUSE; otherwise, and for every reported
fact (EPCIS), the event is recorded with a COMPOSITION_MISMATCH finding per mismatch. The
check is kept on the recorded event either way (`EventRecord.composition_check`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from pydantic import Field, model_validator

from .models import Identifier, Model, Name, Text, Unit

MAX_COMPONENTS = 500
DEFAULT_TOLERANCE_PERCENT = 2.0
EPSILON = 1e-9

Slot = Annotated[str, Field(min_length=1, max_length=100)]


class OnMismatch(str, Enum):
    REFUSE = "REFUSE"  # a command that does not match is refused
    FINDING = "FINDING"  # it is recorded, with a finding per mismatch


class Component(Model):
    """A component of a composition list: `quantity` of a material per `basis` units of the
    product, or (with `slot`) one serial of the material in a named slot."""

    material_id: Identifier
    quantity: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    unit: Unit | None = None  # None: the component material's base unit
    slot: Slot | None = None

    @model_validator(mode="after")
    def _one_per_slot(self) -> Component:
        if self.slot is not None and self.quantity != 1:
            raise ValueError(f"slot {self.slot} takes exactly one serial: its quantity must be 1")
        return self


class CompositionList(Model):
    """A product's bill of materials. Master data: an organization's own; `partner_id` shares it
    with one partner organization, which may then see and use it (not change it)."""

    id: Identifier
    material_id: Identifier  # the product
    name: Name | None = None
    description: Text | None = None
    basis: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0  # components are per this many product units
    components: list[Component] = Field(min_length=1, max_length=MAX_COMPONENTS)
    on_mismatch: OnMismatch = OnMismatch.REFUSE
    tolerance_percent: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = DEFAULT_TOLERANCE_PERCENT
    partner_id: Identifier | None = None
    organization_id: str | None = None

    @model_validator(mode="after")
    def _distinct(self) -> CompositionList:
        slots = [c.slot for c in self.components if c.slot is not None]
        twice = sorted({s for s in slots if slots.count(s) > 1})
        if twice:
            raise ValueError(f"slot {twice[0]} is named twice: each slot takes one component")
        plain = [c.material_id for c in self.components if c.slot is None]
        twice = sorted({m for m in plain if plain.count(m) > 1})
        if twice:
            raise ValueError(f"material {twice[0]} is listed twice: give its whole quantity in one component")
        return self

    @property
    def materials(self) -> set[str]:
        """The product's material and every component's."""
        return {self.material_id} | {c.material_id for c in self.components}

    @property
    def slots(self) -> dict[str, Component]:
        return {c.slot: c for c in self.components if c.slot is not None}


class MismatchKind(str, Enum):
    MISSING = "MISSING"
    EXTRA = "EXTRA"
    WRONG_MATERIAL = "WRONG_MATERIAL"
    QUANTITY = "QUANTITY"


class Mismatch(Model):
    """One way an event differs from its list. `line`: the index of the input line at fault
    (None: the list's component itself, e.g. missing); quantities in the material's base unit."""

    kind: MismatchKind
    message: str
    material_id: str | None = None
    slot: str | None = None
    item_id: str | None = None
    line: int | None = None
    expected: float | None = None
    actual: float | None = None


class CompositionCheck(Model):
    """An event compared with the composition list it named."""

    composition_id: str
    mismatches: list[Mismatch] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def of(self, kind: MismatchKind) -> list[Mismatch]:
        return [m for m in self.mismatches if m.kind is kind]


@dataclass(frozen=True)
class Used:
    """A component an event uses (or an assembly holds): an input line (`line`, its index) or
    one installed before (`line` None); the quantity in its material's base unit."""

    item_id: str
    material_id: str | None
    quantity: float
    slot: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Outcome:
    check: CompositionCheck
    slots: dict[int, str]  # input line -> the slot it was given (named or first free)


# A component's quantity in its material's base unit (None: the unit does not convert).
Factor = Callable[[Component], float | None]


def compare(
    composition: CompositionList,
    used: Sequence[Used],
    made: float,
    factor: Factor,
    *,
    partial: bool = False,
) -> Outcome:
    """Compare what an event uses (with what the assembly held before it, for an ASSEMBLE) with
    a list scaled to `made` units of the product (see the module's docstring)."""
    out: list[Mismatch] = []
    scale = made / composition.basis
    slots = composition.slots
    plain: dict[str, float] = {}
    for c in composition.components:
        if c.slot is None:
            f = factor(c)
            plain[c.material_id] = c.quantity * (f if f is not None else 1.0) * scale
    filled: dict[str, list[Used]] = {s: [] for s in slots}
    actual: dict[str, float] = {}
    given: dict[int, str] = {}
    # Slots named first, so a serial without a slot takes one that is really free.
    for u in sorted(used, key=lambda u: u.slot is None):
        if u.slot is not None:
            comp = slots.get(u.slot)
            if comp is None:
                out.append(
                    Mismatch(
                        kind=MismatchKind.EXTRA,
                        message=f"{u.item_id} is given slot {u.slot}, which list {composition.id} does not have",
                        material_id=u.material_id,
                        slot=u.slot,
                        item_id=u.item_id,
                        line=u.line,
                    )
                )
            elif u.material_id != comp.material_id:
                out.append(
                    Mismatch(
                        kind=MismatchKind.WRONG_MATERIAL,
                        message=f"slot {u.slot} of list {composition.id} takes material {comp.material_id}; "
                        f"{u.item_id} is of material {u.material_id or 'unknown'}",
                        material_id=u.material_id,
                        slot=u.slot,
                        item_id=u.item_id,
                        line=u.line,
                    )
                )
            else:
                filled[u.slot].append(u)
            continue
        if u.material_id is not None and u.material_id in plain:
            actual[u.material_id] = actual.get(u.material_id, 0.0) + u.quantity
            continue
        free = [s for s, c in slots.items() if c.material_id == u.material_id and not filled[s]]
        if u.material_id is not None and free:
            filled[free[0]].append(u)
            if u.line is not None:
                given[u.line] = free[0]
            continue
        taken = any(c.material_id == u.material_id for c in slots.values())
        out.append(
            Mismatch(
                kind=MismatchKind.EXTRA,
                message=(
                    f"{u.item_id}: every slot of material {u.material_id} in list {composition.id} is filled"
                    if taken
                    else f"{u.item_id} is of material {u.material_id or 'unknown'}, which list "
                    f"{composition.id} does not name"
                ),
                material_id=u.material_id,
                item_id=u.item_id,
                line=u.line,
            )
        )
    for u in used:
        if u.slot is not None and u.line is not None:
            given[u.line] = u.slot
    for slot, comp in slots.items():
        there = filled[slot]
        if len(there) > 1:
            for u in there[1:]:
                out.append(
                    Mismatch(
                        kind=MismatchKind.EXTRA,
                        message=f"slot {slot} takes one serial: {there[0].item_id} is in it, {u.item_id} too",
                        material_id=u.material_id,
                        slot=slot,
                        item_id=u.item_id,
                        line=u.line,
                    )
                )
        elif not there and not partial:
            out.append(
                Mismatch(
                    kind=MismatchKind.MISSING,
                    message=f"slot {slot} of list {composition.id} (material {comp.material_id}) is empty",
                    material_id=comp.material_id,
                    slot=slot,
                    expected=1.0,
                    actual=0.0,
                )
            )
    tolerance = composition.tolerance_percent / 100
    lines = {u.material_id: u.line for u in used if u.line is not None}
    for material_id, expected in plain.items():
        got = actual.get(material_id, 0.0)
        low, high = expected * (1 - tolerance), expected * (1 + tolerance)
        if got <= EPSILON and not partial:
            out.append(
                Mismatch(
                    kind=MismatchKind.MISSING,
                    message=f"component {material_id} of list {composition.id} is missing ({expected:g} expected)",
                    material_id=material_id,
                    expected=expected,
                    actual=0.0,
                )
            )
        elif got > high + EPSILON * max(1.0, high) or (got < low - EPSILON * max(1.0, low) and not partial):
            out.append(
                Mismatch(
                    kind=MismatchKind.QUANTITY,
                    message=f"component {material_id}: {got:g} used, list {composition.id} expects {expected:g} "
                    f"(± {composition.tolerance_percent:g} %)",
                    material_id=material_id,
                    line=lines.get(material_id),
                    expected=expected,
                    actual=got,
                )
            )
    return Outcome(CompositionCheck(composition_id=composition.id, mismatches=out), given)
