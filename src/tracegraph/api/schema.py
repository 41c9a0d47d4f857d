"""The GraphQL schema: `schema`, exported to schema/schema.graphql by `tracegraph export-schema`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial

import dateutil.parser
import strawberry
from graphql import GraphQLError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.scalar import ScalarDefinition

from ..domain.consistency import InvalidConsistencyToken
from ..domain.errors import RETRY_AFTER_SECONDS, StoreUnavailable
from .audit import AuditOperations
from .auth import guard_mutations
from .context import Context
from .cost import QueryCostLimiter
from .errors import log_errors, should_mask_error
from .mutations import Mutation
from .queries import Query
from .subscriptions import Subscription

MAX_DEPTH = 15
MAX_ALIASES = 50
MAX_TOKENS = 10_000  # a cap on a document's size, and so on its cost, before it is even parsed


_LIMITS = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


class LoadersPerOperation(SchemaExtension):
    """Fresh DataLoaders for every operation: a WebSocket connection keeps one context for all
    of its operations, and a cache must not outlive the operation that filled it."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            context.fresh_loaders()
        yield


class UnavailableIs503(SchemaExtension):
    """An operation the store could not serve (StoreUnavailable: its error says UNAVAILABLE)
    answers HTTP 503 with `Retry-After`, so clients and load balancers back off and retry; one
    whose consistency token the store refused answers 400 (http/consistency.py)."""

    def on_operation(self) -> Iterator[None]:
        yield
        ec = self.execution_context
        result = ec.result
        response = getattr(ec.context, "response", None)
        errors = getattr(result, "errors", None) or []
        if errors and any(isinstance(e.original_error, StoreUnavailable) for e in errors):
            if response is not None and hasattr(response, "status_code") and hasattr(response, "headers"):
                response.status_code = 503
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        if any(isinstance(e.original_error, InvalidConsistencyToken) for e in errors):
            if response is not None and hasattr(response, "status_code"):
                response.status_code = 400  # a consistency token the store refused


def _utc_datetime(value: object) -> datetime:
    """A DateTime argument or input field: ISO 8601; without an offset, read as UTC (as every
    store keeps times), so it compares with the ledger's times instead of failing."""
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(f'Value cannot represent a DateTime: "{value}". Expected a string.')
    try:
        parsed = dateutil.parser.isoparse(value)
    except (ValueError, OverflowError) as e:
        raise StrawberryInputCoercionError(f'Value cannot represent a DateTime: "{value}". {e}') from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


UTC_DATETIME = ScalarDefinition(
    name="DateTime",
    description="Date with time (ISO 8601); one without an offset is read as UTC",
    specified_by_url=None,
    serialize=lambda value: value.isoformat(),
    parse_value=_utc_datetime,
    parse_literal=None,
    origin=datetime,
)


class TracegraphSchema(strawberry.Schema):
    """The schema, logging each error at the level it deserves (api/errors.py `log_errors`):
    strawberry logs every error, a client's mistake too, at ERROR with a traceback."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        log_errors(errors)


guard_mutations(Mutation)


def make_schema(introspection: bool = True) -> strawberry.Schema:
    """The schema; without introspection (TRACEGRAPH_INTROSPECTION=0, for production) a query
    of `__schema` or `__type` is refused with a GraphQL error."""
    return TracegraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map={datetime: UTC_DATETIME}),
        extensions=[*_EXTENSIONS, *([] if introspection else [DisableIntrospection])],
    )


_EXTENSIONS: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
    partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
    # Clients send a handful of distinct documents: parse and validate each once.
    partial(ParserCache, maxsize=256),
    partial(ValidationCache, maxsize=256),
    # The limits' rules are built once, so validation results stay cacheable.
    lambda: AddValidationRules(_LIMITS),
    # After validation (ValidationCache): the cost of the operation with its variables.
    QueryCostLimiter,
    LoadersPerOperation,
    AuditOperations,
    UnavailableIs503,
    partial(MaskErrors, should_mask_error=should_mask_error),
]

schema = make_schema()
