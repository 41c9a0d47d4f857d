"""Classifications over GraphQL: the master data an item's status names, with what stock in
each may do, and how a status shows to clients that know only the five built-in ones."""

from __future__ import annotations

import strawberry
from pydantic import ValidationError

from ..domain import models as D
from ..domain.errors import DomainError
from ..domain.models import DEFAULT_CLASSIFICATIONS, Status, builtin_status, classification_of
from . import enums as _enums  # noqa: F401 - registers the domain enums
from .context import Info
from .errors import UserError, from_domain, from_validation
from .inputs import as_data
from .pagination import DEFAULT_FIRST, After, Connection, First, paginate
from .refs import load_one, optional_id


@strawberry.type(
    description="An inventory classification (an item's status) and what stock in it may do. "
    "QC, RELEASED, HOLD, FAIL and REWORK exist in every store; an organization defines its own."
)
class Classification:
    id: strawberry.ID = strawberry.field(description="Its code, the value of an item's `classificationId`.")
    name: str = strawberry.field(description="Its name.")
    description: str | None = strawberry.field(description="What it means.")
    may_issue: bool = strawberry.field(
        description="Stock in it may be issued or consumed (issue, the inputs of produce and merge)."
    )
    may_ship: bool = strawberry.field(description="Stock in it may be shipped.")
    may_pack: bool = strawberry.field(description="Stock in it may be packed into a container.")
    may_move: bool = strawberry.field(description="Stock in it may be moved between locations.")
    may_split: bool = strawberry.field(description="Stock in it may be split into sub-lots or units.")
    partner_id: strawberry.ID | None = strawberry.field(
        description="The partner organization it is shared with, which may see and use it."
    )
    built_in: bool = strawberry.field(description="One of the five every store holds, owned by no organization.")
    status: Status = strawberry.field(
        description="How an item in it shows in `status` fields: itself for a built-in; else the "
        "built-in allowing no more than it does (RELEASED: issue and ship; QC: issue only; HOLD)."
    )

    @classmethod
    def from_model(cls, m: D.Classification) -> Classification:
        return cls(
            id=strawberry.ID(m.id),
            name=m.name,
            description=m.description,
            may_issue=m.may_issue,
            may_ship=m.may_ship,
            may_pack=m.may_pack,
            may_move=m.may_move,
            may_split=m.may_split,
            partner_id=optional_id(m.partner_id),
            built_in=m.id in DEFAULT_CLASSIFICATIONS and m.organization_id is None,
            status=builtin_status(m),
        )


async def shown_status(info: Info, classification_id: str) -> Status:
    """The built-in status an item's classification shows as (see `Classification.status`): a
    classification the caller may not see shows as the one forbidding most (HOLD)."""
    if classification_id in Status.__members__:
        return Status(classification_id)
    found = await info.context.loaders.classifications.load(classification_id)
    return builtin_status(found if found is not None else classification_of(classification_id))


async def load_classification(info: Info, classification_id: str) -> Classification | None:
    return await load_one(info.context.loaders.classifications, classification_id, Classification.from_model)


# -- inputs and payloads ----------------------------------------------------------------------


@strawberry.input(description="A new classification. Every flag is true unless set false.")
class CreateClassificationInput:
    id: strawberry.ID = strawberry.field(description="Its code: printable ASCII, no spaces (e.g. QUARANTINE).")
    name: str = strawberry.field(description="Its name.")
    description: str | None = strawberry.field(default=None, description="What it means.")
    may_issue: bool = strawberry.field(default=True, description="Stock in it may be issued or consumed.")
    may_ship: bool = strawberry.field(default=True, description="Stock in it may be shipped.")
    may_pack: bool = strawberry.field(default=True, description="Stock in it may be packed.")
    may_move: bool = strawberry.field(default=True, description="Stock in it may be moved.")
    may_split: bool = strawberry.field(default=True, description="Stock in it may be split.")
    partner_id: strawberry.ID | None = strawberry.field(
        default=None, description="A partner organization to share it with (it may then see and use it)."
    )


@strawberry.input(description="New values for a classification; fields left out (or null) are kept.")
class UpdateClassificationInput:
    id: strawberry.ID = strawberry.field(description="The classification to change.")
    name: str | None = strawberry.field(default=None, description="Its new name.")
    description: str | None = strawberry.field(default=None, description="Its new description.")
    may_issue: bool | None = strawberry.field(default=None, description="Whether it may be issued or consumed.")
    may_ship: bool | None = strawberry.field(default=None, description="Whether it may be shipped.")
    may_pack: bool | None = strawberry.field(default=None, description="Whether it may be packed.")
    may_move: bool | None = strawberry.field(default=None, description="Whether it may be moved.")
    may_split: bool | None = strawberry.field(default=None, description="Whether it may be split.")
    partner_id: strawberry.ID | None = strawberry.field(default=None, description="A partner to share it with.")


@strawberry.type(description="The result of createClassification.")
class CreateClassificationPayload:
    classification: Classification | None = strawberry.field(description="The classification created.")
    errors: list[UserError] = strawberry.field(description="Why nothing was created; empty on success.")


@strawberry.type(description="The result of updateClassification.")
class UpdateClassificationPayload:
    classification: Classification | None = strawberry.field(description="The classification as changed.")
    errors: list[UserError] = strawberry.field(description="Why nothing was changed; empty on success.")


def _data(source: object, *, keep_id: bool) -> dict[str, object]:
    data: dict[str, object] = as_data(source)
    if not keep_id:
        data.pop("id", None)
    return data


@strawberry.type
class ClassificationMutations:
    @strawberry.mutation(
        description="Create a classification of your organization (the server's admin key: of none, "
        "visible to all). Needs the MASTER_DATA right."
    )
    async def create_classification(self, info: Info, input: CreateClassificationInput) -> CreateClassificationPayload:
        try:
            model = D.Classification.model_validate(_data(input, keep_id=True))
        except ValidationError as e:
            return CreateClassificationPayload(classification=None, errors=from_validation(e, input))
        try:
            made = await info.context.session.create_classification(model)
        except DomainError as e:
            return CreateClassificationPayload(classification=None, errors=from_domain(e))
        return CreateClassificationPayload(classification=Classification.from_model(made), errors=[])

    @strawberry.mutation(
        description="Change a classification your organization owns (the server's admin key: any, the "
        "built-ins included). Needs the MASTER_DATA right; items keep their classification, and the "
        "new flags apply to what is recorded from now on."
    )
    async def update_classification(self, info: Info, input: UpdateClassificationInput) -> UpdateClassificationPayload:
        try:
            changes = D.ClassificationChanges.model_validate(_data(input, keep_id=False))
        except ValidationError as e:
            return UpdateClassificationPayload(classification=None, errors=from_validation(e, input))
        try:
            changed = await info.context.session.update_classification(str(input.id), changes.given())
        except DomainError as e:
            return UpdateClassificationPayload(classification=None, errors=from_domain(e))
        return UpdateClassificationPayload(classification=Classification.from_model(changed), errors=[])


@strawberry.type
class ClassificationQueries:
    @strawberry.field(description="A classification by its code (one you may see).")
    async def classification(self, info: Info, id: strawberry.ID) -> Classification | None:
        return await load_classification(info, str(id))

    @strawberry.field(
        description="Classifications ordered by code: the built-ins, your organization's own and those shared with it."
    )
    async def classifications(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
    ) -> Connection[Classification]:
        session = info.context.session
        return await paginate(
            "classification",
            first,
            after,
            lambda after_id, n: session.master_page("Classification", after_id, n),
            lambda m: m.id,
            Classification.from_model,
        )
