"""The completeness report over GraphQL."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from ..domain import completeness as DC
from ..domain.errors import DomainError
from .context import Info
from .errors import ApiError, api_error
from .pagination import DEFAULT_FIRST, After, Connection, First, page_of_list


@strawberry.type(description="Something that weakens traceability of one item.")
class CompletenessIssue:
    item_id: str
    kind: str = strawberry.field(
        description="NO_ORIGIN: no recorded receipt or production; "
        "CONSUMED_BEFORE_PRODUCED: used before it was received or produced; OVER_CONSUMED: "
        "more went out than came in; NO_EVENTS: no recorded event."
    )
    message: str
    quantity: float | None = strawberry.field(description="For OVER_CONSUMED: how much more, in the item's unit.")


@strawberry.type(description="The share of complete items in a group.")
class CompletenessScore:
    key: str = strawberry.field(description="A material id, or a period (YYYY-MM of the items' first event).")
    items: int
    complete: int
    score: float = strawberry.field(description="complete / items, 0 to 1.")


@strawberry.type(description="What weakens traceability, and how complete the ledger is.")
class CompletenessReport:
    score: float = strawberry.field(description="The share of items with no issue, 0 to 1.")
    item_count: int
    complete_count: int
    by_material: list[CompletenessScore]
    by_period: list[CompletenessScore]
    issue_list: strawberry.Private[list[DC.Issue]]

    @strawberry.field(description="How many issues were found.")
    def issue_count(self) -> int:
        return len(self.issue_list)

    @strawberry.field(description="The issues, ordered by item, a page at a time.")
    def issues(
        self,
        first: First = DEFAULT_FIRST,
        after: After = None,
        kind: str | None = None,
    ) -> Connection[CompletenessIssue]:
        rows = [i for i in self.issue_list if kind is None or i.kind == kind]
        return page_of_list(
            "issue",
            rows,
            first,
            after,
            lambda i: CompletenessIssue(item_id=i.item_id, kind=i.kind, message=i.message, quantity=i.quantity),
        )


def _scores(scores: list[DC.Score]) -> list[CompletenessScore]:
    return [CompletenessScore(key=s.key, items=s.items, complete=s.complete, score=s.score) for s in scores]


@strawberry.type
class CompletenessQueries:
    @strawberry.field(
        description="What weakens traceability: lots with no recorded origin, consumption before "
        "production, more consumed than produced or received, items with no events; and a score per "
        "material and per month. Reads the whole ledger (or the items first seen in the window)."
    )
    async def completeness(
        self,
        info: Info,
        since: Annotated[
            datetime | None, strawberry.argument(description="Items first seen at or after this time.")
        ] = None,
        until: Annotated[datetime | None, strawberry.argument(description="Items first seen before this time.")] = None,
        material_id: strawberry.ID | None = None,
    ) -> CompletenessReport:
        if since is not None and until is not None and since >= until:
            raise ApiError("`since` must be before `until`", field="since")
        try:
            r = await info.context.session.completeness(since, until, material_id)
        except DomainError as e:
            raise api_error(e) from e
        return CompletenessReport(
            score=r.score,
            item_count=r.items,
            complete_count=r.complete,
            by_material=_scores(r.by_material),
            by_period=_scores(r.by_period),
            issue_list=r.issues,
        )
