"""The estimated cost of GraphQL operations (api/cost.py), and that what the dashboard and the
documentation (README.md, docs/*.md) send stays well under the default limit."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from graphql import parse, validate

from tracegraph.api.cost import DEFAULT_MAX_COST, LIST_ESTIMATE, TRACE_ESTIMATE, operation_cost
from tracegraph.api.schema import schema
from tracegraph.config import Settings

ROOT = Path(__file__).resolve().parents[2]
GS = schema._schema


def cost(query: str, variables: dict | None = None, operation_name: str | None = None) -> int:
    document = parse(query)
    assert validate(GS, document) == []
    return operation_cost(GS, document, operation_name, variables)


def test_fields_cost_one_and_introspection_nothing() -> None:
    assert cost("{ viewer { role admin } }") == 3
    assert cost("{ __typename viewer { __typename role } __schema { types { name } } }") == 2


def test_a_connection_multiplies_its_lists_by_its_page_size_not_its_page_info() -> None:
    assert cost("{ items(first: 7) { nodes { id status } pageInfo { hasNextPage } } }") == 1 + (1 + 7 * 2) + 2
    assert cost("{ items { edges { cursor node { id } } } }") == 1 + 1 + 50 * (1 + 2)  # the default page, 50
    assert cost("query($n: Int!) { items(first: $n) { nodes { id } } }", {"n": 3}) == 1 + 1 + 3
    assert cost("query($n: Int = 4) { items(first: $n) { nodes { id } } }") == 1 + 1 + 4
    # a page size over the maximum costs the maximum: the field itself refuses it, naming the range
    assert cost("{ items(first: 100000) { nodes { id } } }") == 1 + 1 + 1000


def test_nested_lists_multiply_and_a_trace_counts_its_estimate() -> None:
    assert cost('{ item(id: "X") { events { moves { itemId } } } }') == 1 + 1 + LIST_ESTIMATE * (1 + LIST_ESTIMATE)
    assert cost('{ trace(id: "X", direction: FORWARD) { items { id } count } }') == 1 + 1 + TRACE_ESTIMATE + 1
    assert cost('{ trace(id: "X", direction: FORWARD) { itemPage(first: 5) { nodes { id } } } }') == 1 + 1 + 1 + 5
    nested = "{ orders(first: 10) { nodes { events(first: 10) { nodes { items { id } } } } } }"
    assert cost(nested) == 1 + 1 + 10 * (1 + 1 + 10 * (1 + LIST_ESTIMATE))


def test_an_item_s_powder_walks_its_genealogy_and_counts_as_a_trace() -> None:
    assert cost('{ item(id: "X") { powder { reuseCount } } }') == 1 + TRACE_ESTIMATE + 1
    page = cost("{ items(first: 10) { nodes { powder { reuseCount } } } }")
    assert page == 1 + 1 + 10 * (TRACE_ESTIMATE + 1)


def test_fragments_count_where_spread_and_skipped_fields_do_not() -> None:
    plain = cost("{ items(first: 9) { nodes { id status } } }")
    assert (
        cost(
            "query { ...A } fragment A on Query { items(first: 9) { nodes { ...B } } } "
            "fragment B on Item { id ... on Item { status } }"
        )
        == plain
    )
    assert (
        cost("query($s: Boolean!) { viewer { role } items(first: 9) @skip(if: $s) { nodes { id } } }", {"s": True}) == 2
    )
    assert cost("{ viewer { role } items(first: 9) @include(if: false) { nodes { id } } }") == 2


def test_only_the_operation_that_runs_is_counted() -> None:
    two = "query A { viewer { role } } query B { items(first: 9) { nodes { id } } }"
    assert cost(two, operation_name="A") == 2 and cost(two, operation_name="B") == 11


def test_the_default_limit_is_the_setting_s() -> None:
    assert Settings().max_query_cost == DEFAULT_MAX_COST


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _readme_queries() -> list[str]:
    """Every GraphQL operation of a ```graphql block of the README and the docs."""
    out = []
    for document in DOCUMENTS:
        for block in re.findall(r"```graphql\n(.*?)```", document.read_text(), re.S):
            block = textwrap.dedent(block)  # a block in a list item is indented
            out += [q for q in re.split(r"\n(?=mutation|query|subscription|\{)", block) if q.strip()]
    return out


def test_the_documentation_is_where_the_queries_are_read_from() -> None:
    """The README and each docs/ page holding examples are read: a page moved or renamed
    must not leave its snippets unchecked."""
    names = {d.relative_to(ROOT).as_posix() for d in DOCUMENTS}
    assert {"README.md", "docs/guide.md"} <= names
    per_document = {d.relative_to(ROOT).as_posix(): len(re.findall(r"```graphql\n", d.read_text())) for d in DOCUMENTS}
    assert per_document["README.md"] >= 5 and per_document["docs/guide.md"] >= 15, per_document


def _dashboard_queries() -> list[str]:
    text = (ROOT / "src/tracegraph/static/dashboard.js").read_text()
    return [q for q in re.findall(r"`([^`]*)`", text) if re.match(r"\s*(query|subscription|\{)", q)]


@pytest.mark.parametrize("query", _readme_queries() + _dashboard_queries())
def test_the_dashboard_and_readme_queries_pass_the_default_limit_with_room(query: str) -> None:
    assert cost(query) * 5 < DEFAULT_MAX_COST, query
