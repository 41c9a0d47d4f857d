"""Composition lists over GraphQL: the bills of materials a production or an assembly is
compared with (domain/composition.py), and the events that build serial assemblies up over
time (assemble, disassemble)."""

from __future__ import annotations

from typing import Any

import strawberry
from pydantic import ValidationError

from ..domain import composition as D
from ..domain.composition import OnMismatch
from ..domain.errors import DomainError
from .context import Info
from .errors import UserError, from_domain, from_validation
from .inputs import as_data
from .master import CompositionList
from .pagination import DEFAULT_FIRST, After, Connection, First, paginate


@strawberry.input(description="A component of a composition list.")
class ComponentInput:
    material_id: strawberry.ID = strawberry.field(description="Its material.")
    quantity: float = strawberry.field(
        default=1.0, description="How much per `basis` units of the product; greater than zero (1 for a slot)."
    )
    unit: str | None = strawberry.field(
        default=None, description="The unit of `quantity`; left out: the material's base unit."
    )
    slot: str | None = strawberry.field(
        default=None, description="A named slot (FRONT, right engine) taking exactly one serial of the material."
    )


@strawberry.input(description="A composition list, whole: create one, or replace one you own.")
class CompositionListInput:
    id: strawberry.ID = strawberry.field(description="Its identifier: printable ASCII, no spaces.")
    material_id: strawberry.ID = strawberry.field(description="The product it makes.")
    components: list[ComponentInput] = strawberry.field(description="Its components: at least one.")
    name: str | None = strawberry.field(default=None, description="Its name.")
    description: str | None = strawberry.field(default=None, description="What it is for.")
    basis: float = strawberry.field(
        default=1.0, description="Components are given per this many base units of the product (1 by default)."
    )
    on_mismatch: OnMismatch = strawberry.field(
        default=OnMismatch.REFUSE, description="What a mismatch does: REFUSE the command (default) or FINDING."
    )
    tolerance_percent: float = strawberry.field(
        default=2.0, description="How far a component's quantity may be off, in % either way (2 by default)."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="A partner organization to share it with (it may then see and use it)."
    )


@strawberry.type(description="The result of createCompositionList.")
class CreateCompositionListPayload:
    composition_list: CompositionList | None = strawberry.field(description="The list created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of replaceCompositionList.")
class ReplaceCompositionListPayload:
    composition_list: CompositionList | None = strawberry.field(description="The list as replaced.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed; empty on success.")


async def _save(info: Info, input: CompositionListInput, *, replace: bool) -> tuple[Any, list[UserError]]:
    try:
        model = D.CompositionList.model_validate(as_data(input))
    except ValidationError as e:
        return None, from_validation(e, input)
    session = info.context.session
    try:
        saved = await (session.replace_composition_list(model) if replace else session.create_composition_list(model))
    except DomainError as e:
        return None, from_domain(e)
    return CompositionList.from_model(saved), []


@strawberry.type
class CompositionMutations:
    @strawberry.mutation(
        description="Create a composition list (bill of materials) of your organization. Its product and "
        "components must be materials you may see (else NOT_FOUND). Needs the MASTER_DATA right."
    )
    async def create_composition_list(self, info: Info, input: CompositionListInput) -> CreateCompositionListPayload:
        made, errors = await _save(info, input, replace=False)
        return CreateCompositionListPayload(composition_list=made, errors=errors)

    @strawberry.mutation(
        description="Replace a composition list your organization owns, whole (a partner's: FORBIDDEN; one you "
        "may not see: NOT_FOUND). Events recorded against it keep the check they had. Needs MASTER_DATA."
    )
    async def replace_composition_list(self, info: Info, input: CompositionListInput) -> ReplaceCompositionListPayload:
        changed, errors = await _save(info, input, replace=True)
        return ReplaceCompositionListPayload(composition_list=changed, errors=errors)


@strawberry.type
class CompositionQueries:
    @strawberry.field(description="A composition list by id (one you may see).")
    async def composition_list(self, info: Info, id: strawberry.ID) -> CompositionList | None:
        found = await info.context.session.master("CompositionList", [str(id)])
        return CompositionList.from_model(found[str(id)]) if str(id) in found else None

    @strawberry.field(description="Composition lists by id: your organization's and those shared with it.")
    async def composition_lists(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[CompositionList]:
        session = info.context.session
        return await paginate(
            "compositionList",
            first,
            after,
            lambda after_id, n: session.master_page("CompositionList", after_id, n),
            lambda m: m.id,
            CompositionList.from_model,
        )
