"""The audit log through GraphQL: every mutation and every trace, recall and completeness query
is appended (who, when, which key, the arguments); `auditLog` reads it (ADMIN keys: their
organization's; the admin key: all)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime

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
) -> list[str]:
    """The names of an operation's root fields, those in fragments (`{ ...F }`, `{ ... on Query
    { trace } }`) too: a trace asked for through a fragment is audited as well."""
    names: list[str] = []
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            names.append(sel.name.value)
        elif isinstance(sel, InlineFragmentNode):
            names += _root_fields(sel.selection_set, document, seen)
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
                names += _root_fields(fragment.selection_set, document, seen | {sel.name.value})
    return names


class AuditOperations(SchemaExtension):
    """Append an entry per audited root field of each operation, once it has run."""

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
            names = _root_fields(op.selection_set, ec.graphql_document)
            kind = "mutation" if op.operation is OperationType.MUTATION else "query"
            audited = [n for n in names if kind == "mutation" or n in AUDITED_QUERIES]
            if not audited:
                return
            for name in audited:
                await context.session.audit(f"{kind}:{name}", ec.variables or None)
        except Exception:  # noqa: BLE001 - an audit failure is logged, the answer is not lost
            log.exception("audit entry not written")
