"""The cost of a GraphQL operation, estimated before it runs; over TRACEGRAPH_MAX_QUERY_COST it
is refused with a GraphQL error (`extensions.code` QUERY_TOO_COSTLY) and nothing is executed.

The estimate, on the operation to run with its variables:

- every field costs 1 (`__typename` and introspection fields cost nothing: introspection has its
  own switch, TRACEGRAPH_INTROSPECTION);
- a field with a page size (`first`) multiplies: on a list, its whole selection; on a connection,
  the lists in its selection (`edges`, `nodes`), not `pageInfo`. The page size is the argument
  as sent (a literal or a variable), else its default (50); at most MAX_FIRST (a larger one is
  refused by the field itself);
- any other list counts LIST_ESTIMATE elements (an item's balances, an event's moves, a
  payload's errors), except the lists of a trace (`items`, `edges`, `links`, `deliveries`,
  `customers`), which count TRACE_ESTIMATE: a trace's size is only known once it has run, and
  `itemPage(first)` pages it at a known cost;
- a field that walks a genealogy (`Item.powder`) costs TRACE_ESTIMATE, as a trace's lists do;
- nested lists multiply; fragments count where they are spread; `@skip`/`@include` are honoured.

Not a validation rule on purpose: the cost depends on the variables, and validation results are
cached per document (schema.py). graphql-complexity (PyPI) was considered: it multiplies only
list-typed fields, so connections would cost as much as one node, and it ignores variables.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    value_from_ast,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from .context import Context
from .pagination import MAX_FIRST

log = logging.getLogger("tracegraph.cost")

DEFAULT_MAX_COST = 50_000  # the default of TRACEGRAPH_MAX_QUERY_COST
LIST_ESTIMATE = 10
TRACE_ESTIMATE = 100
TRACE_LISTS = {"items", "edges", "links", "deliveries", "customers"}
WALKS = {("Item", "powder")}  # fields that walk a genealogy, each TRACE_ESTIMATE
PAGE_ARGUMENTS = ("first",)
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"


class _Estimate:
    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode], variables: dict[str, Any]
    ):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def included(self, node: FieldNode | InlineFragmentNode | FragmentSpreadNode) -> bool:
        """False when `@skip(if: true)` or `@include(if: false)` leaves it out."""
        for directive in node.directives or ():
            name = directive.name.value
            if name not in (GraphQLSkipDirective.name, GraphQLIncludeDirective.name):
                continue
            arg = next((a for a in directive.arguments or () if a.name.value == "if"), None)
            if arg is None:
                continue
            value = (
                self.variables.get(arg.value.name.value)
                if isinstance(arg.value, VariableNode)
                else value_from_ast_untyped(arg.value)
            )
            if value is (name == GraphQLSkipDirective.name):
                return False
        return True

    def fields(
        self,
        selection_set: SelectionSetNode | None,
        seen: frozenset[str] = frozenset(),
    ) -> Iterator[tuple[FieldNode, GraphQLNamedType | None]]:
        """The fields of a selection set, fragments spread, each with the type condition it sits under."""
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                if self.included(sel):
                    yield sel, None
            elif isinstance(sel, InlineFragmentNode):
                if self.included(sel):
                    cond = self.schema.get_type(sel.type_condition.name.value) if sel.type_condition else None
                    yield from ((f, t or cond) for f, t in self.fields(sel.selection_set, seen))
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen and self.included(sel):
                    cond = self.schema.get_type(fragment.type_condition.name.value)
                    yield from ((f, t or cond) for f, t in self.fields(fragment.selection_set, seen | {name}))

    def selection(
        self, parent: GraphQLNamedType | None, selection_set: SelectionSetNode | None, page: int | None = None
    ) -> int:
        """The cost of a selection set on `parent`; `page`: the page size of the connection it selects on."""
        total = 0
        for node, condition in self.fields(selection_set):
            total += self.field(condition or parent, node, page)
        return total

    def page_size(self, node: FieldNode, arg_defs: Mapping[str, Any]) -> int | None:
        for name in PAGE_ARGUMENTS:
            if name not in arg_defs:
                continue
            value: Any = None
            arg = next((a for a in node.arguments or () if a.name.value == name), None)
            if arg is not None:
                if isinstance(arg.value, VariableNode):
                    value = self.variables.get(arg.value.name.value)
                else:
                    value = value_from_ast(arg.value, arg_defs[name].type, self.variables)
            if value is None:
                value = arg_defs[name].default_value
            return max(1, min(value, MAX_FIRST)) if isinstance(value, int) else MAX_FIRST
        return None

    def field(self, parent: GraphQLNamedType | None, node: FieldNode, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):  # validation refuses it; nothing to add
            return 1
        definition = parent.fields.get(name)
        if definition is None:  # validation refuses it; nothing to add
            return 1
        field_type = get_nullable_type(definition.type)
        named = get_named_type(field_type)
        size = self.page_size(node, definition.args)
        if isinstance(field_type, GraphQLList):
            if size is None:
                size = (
                    page
                    if page is not None
                    else (TRACE_ESTIMATE if parent.name == "Trace" and name in TRACE_LISTS else LIST_ESTIMATE)
                )
            return 1 + size * self.selection(named, node.selection_set)
        if size is not None:  # a connection: its lists are pages of `size`
            return 1 + self.selection(named, node.selection_set, page=size)
        walk = TRACE_ESTIMATE if (parent.name, name) in WALKS else 1
        return walk + self.selection(named, node.selection_set)


def operation_cost(
    schema: GraphQLSchema, document: Any, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    """The estimated cost of the operation of `document` that would run (0 if there is none)."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    op = next((o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)), None)
    if op is None or (operation_name is None and len(ops) != 1):
        return 0
    values = dict(variables or {})
    for definition in op.variable_definitions or ():  # defaults of variables not sent
        var = definition.variable.name.value
        if var not in values and definition.default_value is not None:
            values[var] = value_from_ast_untyped(definition.default_value)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.get_root_type(op.operation)
    return _Estimate(schema, fragments, values).selection(root, op.selection_set)


def too_costly(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"query too costly: estimated cost {cost} exceeds the limit of {limit} (TRACEGRAPH_MAX_QUERY_COST); "
        "ask for smaller pages (`first`), fewer nested lists or fewer fields",
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "maxCost": limit},
    )


class QueryCostLimiter(SchemaExtension):
    """Refuse an operation whose estimated cost exceeds the limit, before it executes. The limit
    is the request's `settings.max_query_cost` (0: no limit), DEFAULT_MAX_COST without a Context.

    Runs in the validation step after ValidationCache (schema.py), so a document that is not
    valid gets its validation errors, not a cost."""

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        context = ec.context
        limit = context.settings.max_query_cost if isinstance(context, Context) else DEFAULT_MAX_COST
        if limit and ec.graphql_document is not None and not ec.pre_execution_errors:
            if ec.pre_execution_errors is None and ec.validation_rules:  # not validated yet: do it first
                from strawberry.schema.schema import validate_document

                ec.pre_execution_errors = validate_document(ec.schema._schema, ec.graphql_document, ec.validation_rules)
            if not ec.pre_execution_errors:
                try:
                    cost = operation_cost(ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables)
                except Exception:  # noqa: BLE001 - a bug here must not turn valid requests into 500s
                    log.exception("query cost not estimated")
                    cost = 0
                if cost > limit:
                    ec.pre_execution_errors = [too_costly(cost, limit)]
        yield
