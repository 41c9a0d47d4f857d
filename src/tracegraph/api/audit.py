"""The audit log through GraphQL: every mutation and every trace, recall and completeness query
is appended (who, when, which key, the arguments); `auditLog` reads it (ADMIN keys: their
organization's; the admin key: all)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from ..domain import audit as DA
from ..domain.errors import DomainError
from .context import Context, Info
from .errors import ApiError
from .pagination import DEFAULT_FIRST, After, Connection, First, paginate

log = logging.getLogger("tracegraph.audit")

AUDITED_QUERIES = {"trace", "recall", "recalls", "recallNotices", "completeness", "auditLog"}


@strawberry.type(description="An entry of the audit log.")
class AuditEntry:
    id: str = strawberry.field(description="Its identifier; entries sort by it in time order.")
    at: datetime = strawberry.field(description="When.")
    key_id: strawberry.ID | None = strawberry.field(description="The key used; null: TRACEGRAPH_ADMIN_KEY.")
    organization_id: strawberry.ID | None = strawberry.field(description="The caller's organization.")
    action: str = strawberry.field(description="`mutation:<name>`, `query:<name>`, `export:<what>`, `epcis:<what>`.")
    detail: str = strawberry.field(description="The arguments, as JSON (cut at 600 characters).")

    @classmethod
    def from_model(cls, e: DA.AuditEntry) -> AuditEntry:
        return cls(
            id=e.id,
            at=e.at,
            key_id=strawberry.ID(e.key_id) if e.key_id is not None else None,
            organization_id=strawberry.ID(e.organization_id) if e.organization_id is not None else None,
            action=e.action,
            detail=e.detail,
        )


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description="The audit log, oldest first: of the caller's organization (ADMIN keys), or "
        "of every organization or one (the admin key)."
    )
    async def audit_log(
        self,
        info: Info,
        first: First = DEFAULT_FIRST,
        after: After = None,
        organization_id: strawberry.ID | None = None,
    ) -> Connection[AuditEntry]:
        session = info.context.session

        async def fetch(after_id: str | None, n: int) -> list[DA.AuditEntry]:
            try:
                return await session.audit_page(organization_id, after_id, n)
            except DomainError as e:
                raise ApiError(e.problems[0].message, code=e.problems[0].code) from e

        return await paginate("audit", first, after, fetch, lambda e: e.id, AuditEntry.from_model)


def _root_fields(
    selection_set: SelectionSetNode,
    document: DocumentNode,
    seen: frozenset[str] = frozenset(),
) -> list[FieldNode]:
    """An operation's root fields, those in fragments (`{ ...F }`, `{ ... on Query { trace } }`)
    too: a trace asked for through a fragment is audited as well."""
    fields: list[FieldNode] = []
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            fields.append(sel)
        elif isinstance(sel, InlineFragmentNode):
            fields += _root_fields(sel.selection_set, document, seen)
        elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
            fragment = next(
                (
                    d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode) and d.name.value == sel.name.value
                ),
                None,
            )
            if fragment is not None:
                fields += _root_fields(fragment.selection_set, document, seen | {sel.name.value})
    return fields


def _defined(value: Any) -> Any:
    """The value without what a variable left out made `Undefined` (an argument not given)."""
    if isinstance(value, dict):
        return {k: _defined(v) for k, v in value.items() if v is not Undefined}
    if isinstance(value, list):
        return [_defined(v) for v in value if v is not Undefined]
    return value


def arguments(field: FieldNode, variables: dict[str, Any] | None) -> dict[str, Any] | None:
    """A field's arguments as the document gives them: literals written inline and the values
    of the variables it names alike (`trace(id: "LOT-1")` and `trace(id: $id)` give the same).
    None when it has none; secrets are redacted when the entry is made (domain.audit.entry)."""
    args = {a.name.value: value_from_ast_untyped(a.value, variables or {}) for a in field.arguments or ()}
    return _defined(args) or None


class AuditOperations(SchemaExtension):
    """Append an entry per audited root field of each operation, once it has run, with that
    field's arguments (inline or from variables, secrets redacted) as its detail."""

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        ec = self.execution_context
        context = ec.context
        if not isinstance(context, Context) or ec.graphql_document is None:
            return
        try:
            op = next(
                (
                    d
                    for d in ec.graphql_document.definitions
                    if isinstance(d, OperationDefinitionNode)
                    and (ec.operation_name is None or (d.name and d.name.value == ec.operation_name))
                ),
                None,
            )
            if op is None or op.operation is OperationType.SUBSCRIPTION:
                return
            fields = _root_fields(op.selection_set, ec.graphql_document)
            variables = {  # those left out take the operation's defaults (`query($d: Direction = FORWARD)`)
                **{
                    v.variable.name.value: value_from_ast_untyped(v.default_value)
                    for v in op.variable_definitions or ()
                    if v.default_value is not None
                },
                **(ec.variables or {}),
            }
            kind = "mutation" if op.operation is OperationType.MUTATION else "query"
            for field in fields:
                name = field.name.value
                if kind == "mutation" or name in AUDITED_QUERIES:
                    await context.session.audit(f"{kind}:{name}", arguments(field, variables))
        except Exception:  # noqa: BLE001 - an audit failure is logged, the answer is not lost
            log.exception("audit entry not written")
