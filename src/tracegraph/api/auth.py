"""Organizations, roles and API keys through GraphQL, and the rights each mutation needs."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

import strawberry
from pydantic import ValidationError
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from ..domain import auth as DA
from ..domain.auth import FORBIDDEN
from ..domain.errors import DomainError
from ..domain.models import Organization as DOrganization
from ..domain.rights import Operation, allowed, refusal
from .context import Info
from .errors import ApiError, UserError, from_domain, from_validation
from .master import Organization
from .payloads import CreateOrganizationPayload

# The domain enums are registered with Strawberry and used as the types (as api/enums.py does).
strawberry.enum(
    DA.Role,
    description="What a key may do. ADMIN: everything in its organization; "
    "QUALITY: recalls, holds, exports and reads; OPERATOR: records events and master data, "
    "and reads; PARTNER: records its own events and reads what is shared with it; "
    "VIEWER: reads.",
)


@strawberry.type(description="An API key, without the key itself (shown once, when created).")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="The key's identifier (for revokeApiKey).")
    organization_id: strawberry.ID | None = strawberry.field(
        description="Its organization; null for the server's admin key."
    )
    role: DA.Role = strawberry.field(description="Its role.")
    name: str | None = strawberry.field(description="A name its creator gave it.")
    created_at: datetime = strawberry.field(description="When it was created.")
    expires_at: datetime | None = strawberry.field(description="When it stops working; null: never.")
    revoked: bool = strawberry.field(description="Whether it was revoked.")

    @classmethod
    def from_model(cls, k: DA.ApiKey) -> ApiKey:
        return cls(
            id=strawberry.ID(k.id),
            organization_id=strawberry.ID(k.organization_id) if k.organization_id is not None else None,
            role=k.role,
            name=k.name,
            created_at=k.created_at,
            expires_at=k.expires_at,
            revoked=k.revoked,
        )


@strawberry.type(description="The caller, as its key names it.")
class Viewer:
    organization_id: strawberry.ID | None = strawberry.field(
        description="The caller's organization; null for the server's admin key."
    )
    role: DA.Role = strawberry.field(description="The caller's role.")
    admin: bool = strawberry.field(description="True for the server's admin key: every right everywhere.")


@strawberry.type(description="The result of createApiKey.")
class CreateApiKeyPayload:
    key: str | None = strawberry.field(
        description="The key: shown this once, only its hash is kept. Send it as `Authorization: Bearer <key>`."
    )
    api_key: ApiKey | None = strawberry.field(default=None, description="The key's record.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was created; empty on success."
    )


@strawberry.type(description="The result of revokeApiKey.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(description="The key revoked.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was revoked; empty on success."
    )


@strawberry.type(description="The result of renameOrganization.")
class RenameOrganizationPayload:
    organization: Organization | None = strawberry.field(description="The organization renamed.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was renamed; empty on success."
    )


strawberry.enum(
    DA.ShareScope,
    description="What a share covers: the item alone, or with "
    "everything upstream (it came from) or downstream (made from it).",
)


@strawberry.type(description="An item shared with an organization.")
class ItemShare:
    item_id: str = strawberry.field(description="The item shared.")
    organization_id: strawberry.ID = strawberry.field(description="The organization it is shared with.")
    scope: DA.ShareScope = strawberry.field(description="What the share covers.")


@strawberry.type(description="The result of shareItem.")
class ShareItemPayload:
    share: ItemShare | None = strawberry.field(description="The share.")
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why nothing was shared; empty on success."
    )


@strawberry.type
class AuthQueries:
    @strawberry.field(description="The caller: its organization and role.")
    def viewer(self, info: Info) -> Viewer:
        p = info.context.caller
        return Viewer(
            organization_id=strawberry.ID(p.organization_id) if p.organization_id is not None else None,
            role=p.role,
            admin=p.is_admin,
        )

    @strawberry.field(
        description="The keys of an organization, oldest first, never the keys themselves. "
        "For an ADMIN key of that organization, or the server's admin key."
    )
    async def api_keys(self, info: Info, organization_id: strawberry.ID) -> list[ApiKey]:
        try:
            keys = await info.context.session.keys(organization_id)
        except DomainError as e:
            raise ApiError(e.problems[0].message, code=e.problems[0].code, field="organizationId") from e
        return [ApiKey.from_model(k) for k in keys]


@strawberry.type
class AuthMutations:
    @strawberry.mutation(
        description="Create an organization; its identifier is generated from its name. For the server's admin key."
    )
    async def create_organization(self, info: Info, name: str) -> CreateOrganizationPayload:
        try:
            org = DOrganization(id=DA.new_organization_id(name), name=name)
        except ValidationError as e:
            return CreateOrganizationPayload(organization=None, errors=from_validation(e, None))
        try:
            await info.context.session.create_organization(org)
        except DomainError as e:
            return CreateOrganizationPayload(organization=None, errors=from_domain(e))
        return CreateOrganizationPayload(organization=Organization.from_model(org), errors=[])

    @strawberry.mutation(description="Rename an organization. For its ADMIN keys and the server's admin key.")
    async def rename_organization(self, info: Info, id: strawberry.ID, name: str) -> RenameOrganizationPayload:
        if not 1 <= len(name) <= 300:
            return RenameOrganizationPayload(
                organization=None,
                errors=[UserError(field="name", message="a name is 1 to 300 characters", code="INVALID")],
            )
        try:
            org = await info.context.session.rename_organization(id, name)
        except DomainError as e:
            return RenameOrganizationPayload(organization=None, errors=from_domain(e))
        return RenameOrganizationPayload(organization=Organization.from_model(org))

    @strawberry.mutation(
        description="Create an API key of an organization with a role. The key is in the "
        "payload this once; only its hash is kept. For that organization's ADMIN keys "
        "and the server's admin key."
    )
    async def create_api_key(
        self,
        info: Info,
        organization_id: strawberry.ID,
        role: DA.Role,
        name: Annotated[str | None, strawberry.argument(description="A name to tell keys apart.")] = None,
        expires_at: Annotated[
            datetime | None, strawberry.argument(description="When the key stops working; never when left out.")
        ] = None,
    ) -> CreateApiKeyPayload:
        try:
            key, plain = await info.context.session.create_key(organization_id, DA.Role(role), name, expires_at)
        except DomainError as e:
            return CreateApiKeyPayload(key=None, errors=from_domain(e))
        return CreateApiKeyPayload(key=plain, api_key=ApiKey.from_model(key))

    @strawberry.mutation(
        description="Share an item your organization owns with another organization: the "
        "item alone (ITEM), or with everything upstream or downstream of it. For ADMIN and "
        "QUALITY keys."
    )
    async def share_item(
        self,
        info: Info,
        item_id: str,
        with_organization_id: strawberry.ID,
        scope: DA.ShareScope = DA.ShareScope.ITEM,
    ) -> ShareItemPayload:
        try:
            share = await info.context.session.share_item(item_id, with_organization_id, DA.ShareScope(scope))
        except DomainError as e:
            return ShareItemPayload(share=None, errors=from_domain(e))
        return ShareItemPayload(
            share=ItemShare(
                item_id=share.item_id, organization_id=strawberry.ID(share.organization_id), scope=share.scope
            )
        )

    @strawberry.mutation(
        description="Revoke an API key: it is refused from the next request on, and "
        "its open WebSockets are closed (4403)."
    )
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> RevokeApiKeyPayload:
        try:
            key = await info.context.session.revoke_key(id)
        except DomainError as e:
            return RevokeApiKeyPayload(api_key=None, errors=from_domain(e))
        return RevokeApiKeyPayload(api_key=ApiKey.from_model(key))


# -- the operation of each mutation (domain/rights.py: the right it needs) -----------------------

# The services check the same right again: this refuses before any input is parsed.
MUTATION_OPERATIONS: dict[str, Operation] = {
    "create_organization": Operation.CREATE_ORGANIZATION,
    "rename_organization": Operation.KEYS,
    "create_api_key": Operation.KEYS,
    "revoke_api_key": Operation.KEYS,
    "create_material": Operation.MASTER_DATA,
    "create_location": Operation.MASTER_DATA,
    "create_order": Operation.MASTER_DATA,
    "create_classification": Operation.MASTER_DATA,
    "update_classification": Operation.MASTER_DATA,
    "create_composition_list": Operation.MASTER_DATA,
    "replace_composition_list": Operation.MASTER_DATA,
    "create_action_type": Operation.MASTER_DATA,
    "update_action_type": Operation.MASTER_DATA,
    "set_allowed_materials": Operation.MASTER_DATA,
    "define_characteristics": Operation.MASTER_DATA,
    "reclassify": Operation.RECLASSIFY,
    "open_recall": Operation.RECALL,
    "hold_recall": Operation.RECALL,
    "set_recall_status": Operation.RECALL,
    "add_recall_note": Operation.RECALL,
    "acknowledge_recall_notice": Operation.RECALL,
    "share_item": Operation.SHARE,
    **dict.fromkeys(
        [
            "receive",
            "issue",
            "produce",
            "split",
            "merge",
            "pack",
            "unpack",
            "clean_container",
            "move",
            "ship",
            "return_items",
            "adjust",
            "scrap",
            "set_characteristics",
            "correct",
            "assemble",
            "disassemble",
            "record_events",
        ],
        Operation.RECORD,
    ),
}
# Checked by the service itself against the organization named (an ADMIN key of that organization).
_CHECKED_BY_SERVICE = {"create_organization", "rename_organization", "create_api_key", "revoke_api_key"}


def _refused(payload: Any, message: str) -> Any:
    """A payload of the mutation's type holding only a FORBIDDEN error."""
    definition = payload.__strawberry_definition__
    values: dict[str, Any] = {}
    for f in dataclasses.fields(payload):
        if f.name == "errors":
            values[f.name] = [UserError(field=None, message=message, code=FORBIDDEN)]
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            values[f.name] = None
    del definition
    return payload(**values)


class RequireRight(FieldExtension):
    """Refuse a mutation the caller's role has no right to: a FORBIDDEN UserError, nothing run."""

    def __init__(self, operation: Operation, payload: Any):
        self.operation = operation
        self.payload = payload

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:  # pragma: no cover - async
        raise NotImplementedError

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        caller = info.context.caller
        if not allowed(caller, self.operation):
            return _refused(self.payload, refusal(caller, self.operation))
        return await next_(source, info, **kwargs)


def guard_mutations(mutation_type: type) -> None:
    """Put `RequireRight` on every mutation of the type; a mutation missing from
    MUTATION_OPERATIONS is for the server's admin key only."""
    fields: list[StrawberryField] = mutation_type.__strawberry_definition__.fields  # type: ignore[attr-defined]
    for f in fields:
        if f.python_name in _CHECKED_BY_SERVICE:
            continue
        operation = MUTATION_OPERATIONS.get(f.python_name, Operation.CREATE_ORGANIZATION)
        if not any(isinstance(x, RequireRight) for x in f.extensions):
            f.extensions.append(RequireRight(operation, f.type))
