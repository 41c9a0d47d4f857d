"""schema/schema.graphql is the SDL clients build against: it must match the code."""

from __future__ import annotations

from pathlib import Path

from graphql import Undefined

from tracegraph.api.schema import schema

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_the_exported_schema_matches_the_code() -> None:
    exported = SDL.read_text() if SDL.exists() else ""
    assert exported == schema.as_str() + "\n", (
        f"{SDL.relative_to(SDL.parents[1])} is out of date with the code: run `make schema` and commit it"
    )


def field(type_name: str, name: str) -> str:
    return str(schema._schema.get_type(type_name).fields[name].type)  # type: ignore[union-attr]


def args(type_name: str, name: str) -> dict[str, str]:
    """The arguments a client must pass; any others are optional."""
    f = schema._schema.get_type(type_name).fields[name]  # type: ignore[union-attr]
    return {
        a: str(arg.type) for a, arg in f.args.items() if str(arg.type).endswith("!") and arg.default_value is Undefined
    }


def test_the_contract_holds() -> None:
    """shared/CONTRACT.md, field by field."""
    assert set(schema._schema.get_type("TraceDirection").values) == {"BACKWARD", "FORWARD"}  # type: ignore[union-attr]
    assert field("Query", "trace") == "Trace!"
    assert args("Query", "trace") == {"id": "String!", "direction": "TraceDirection!"}
    assert field("Trace", "items") == "[TraceItem!]!"
    assert field("TraceItem", "id") == "String!"
    assert field("Mutation", "createOrganization") == "CreateOrganizationPayload!"
    assert args("Mutation", "createOrganization") == {"name": "String!"}
    assert field("CreateOrganizationPayload", "organization") == "Organization"
    assert field("CreateOrganizationPayload", "errors") == "[UserError!]!"
    assert (field("Organization", "id"), field("Organization", "name")) == ("ID!", "String!")
    assert [field("UserError", f) for f in ("field", "message", "code")] == ["String", "String!", "String!"]
    assert field("Subscription", "eventRecorded") == "RecordedEvent!"
    assert field("RecordedEvent", "id") == "String!"
    for name, f in schema._schema.mutation_type.fields.items():  # type: ignore[union-attr]
        assert str(f.type).endswith("Payload!"), name
        assert str(f.type.of_type.fields["errors"].type) == "[UserError!]!", name  # type: ignore[attr-defined]
