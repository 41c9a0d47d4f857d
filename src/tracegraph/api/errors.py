"""Errors: expected ones become `UserError`s in a payload, the rest are masked and logged.

A `UserError.field` names the offending input field in camelCase, relative to the mutation's
input (`outputs[0].quantity`, `newItems[1].lotCode`), as the domain's problems already do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import strawberry
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.exceptions import StrawberryInputCoercionError

from ..domain import errors as E
from ..domain.consistency import InvalidConsistencyToken
from ..domain.errors import DomainError, StoreUnavailable

_CODES = {"string_too_long": E.TOO_LONG, "too_long": E.TOO_LONG, "invalid_identifier": E.INVALID_IDENTIFIER}


@strawberry.type(description="An input a mutation refused, and why. Nothing of the mutation was written.")
class UserError:
    field: str | None = strawberry.field(
        description="The offending input field in camelCase, relative to the mutation's input "
        "(`outputs[0].quantity`); null when the input as a whole is at fault."
    )
    message: str = strawberry.field(description="What is wrong, for a person to read.")
    code: str = strawberry.field(
        description="A stable code: INVALID, TOO_LONG, NOT_FOUND, ALREADY_EXISTS, INVALID_QUANTITY, "
        "UNKNOWN_UNIT, INSUFFICIENT_STOCK, STATUS_FORBIDS, EXPIRED, SHELF_LIFE_TOO_SHORT, DUPLICATE_SERIAL, "
        "MATERIAL_NOT_ALLOWED, INVALID_CHARACTERISTIC, CHARACTERISTIC_REQUIRED, INVALID_IDENTIFIER, CONFLICT, "
        "BATCH_TOO_LARGE, FORBIDDEN, PARAMETER_REQUIRED, PARAMETER_TYPE, UNKNOWN_PARAMETER."
    )


class ApiError(Exception):
    """A bad query argument (a page size out of range, a malformed cursor): a GraphQL error
    the client may see, with `extensions.code` (unlike unexpected errors, never masked)."""

    def __init__(self, message: str, code: str = E.INVALID, field: str | None = None):
        super().__init__(message)
        self.extensions = {"code": code, **({"field": field} if field else {})}


def api_error(e: DomainError) -> ApiError:
    """A use case's refusal of a read, as a GraphQL error with its code (the first problem)."""
    p = e.problems[0]
    return ApiError(p.message, code=p.code, field=p.field)


def should_mask_error(error: GraphQLError) -> bool:
    """Mask what the resolvers raised unexpectedly; keep validation errors and `ApiError`s."""
    original = error.original_error
    return original is not None and not isinstance(
        original, (ApiError, GraphQLError, StoreUnavailable, InvalidConsistencyToken)
    )


log = logging.getLogger("tracegraph.graphql")


def client_mistake(error: GraphQLError) -> bool:
    """Whether an error is the client's: a document that does not parse or validate, a variable
    of the wrong type, or a refusal the resolvers raised on purpose (`ApiError`)."""
    original = error.original_error
    if original is None or isinstance(
        original, (ApiError, GraphQLError, InvalidConsistencyToken, StrawberryInputCoercionError)
    ):
        return True
    # A variable coerced before execution (no path): its scalar refused the value.
    return error.path is None and isinstance(original, (ValueError, TypeError))


def log_errors(errors: Sequence[GraphQLError]) -> None:
    """Client mistakes at INFO without a traceback; a store that does not answer at WARNING
    (the client is told to retry); anything else, a fault of the server, at ERROR with its
    traceback (the client sees only "Unexpected error.")."""
    for error in errors:
        where = f" at {'.'.join(str(p) for p in error.path)}" if error.path else ""
        if client_mistake(error):
            code = (error.extensions or {}).get("code") or getattr(error.original_error, "extensions", {}).get("code")
            log.info("refused%s: %s%s", where, error.message, f" ({code})" if code else "")
        elif isinstance(error.original_error, StoreUnavailable):
            log.warning("store unavailable%s: %s", where, error.message)
        else:
            log.error("unexpected error%s: %s", where, error.message, exc_info=error.original_error)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def field_path(loc: Sequence[int | str], source: Any) -> str | None:
    """The input field a pydantic error location names, in camelCase (`inputs[0].quantity`).

    `source` is the GraphQL input the validated data was built from; it is walked with the
    location so that a list turned into a mapping (`conversions: [{unit, factor}]`) is named
    by its index again, and so that the union member tags pydantic appends after a key of a
    JSON object (`characteristics.moisture.float`) are dropped.
    """
    path = ""
    node = source
    rest = list(loc)
    while rest:
        part = rest.pop(0)
        if isinstance(part, int):
            path += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
        elif isinstance(node, dict):  # a JSON object: the key at fault (or its value), then union member tags
            if rest[:1] != ["[key]"]:
                path += f".{part}"
            break
        elif isinstance(node, list) and node and hasattr(node[0], "value"):  # {name, value}s held as a mapping
            path += f".{part}"
            break
        elif isinstance(node, list):  # a list of {unit, factor} the model holds as a mapping
            index = next((n for n, x in enumerate(node) if getattr(x, "unit", None) == part), None)
            path += f"[{index}]" if index is not None else f".{part}"
            path += ".unit" if rest[:1] == ["[key]"] else ".factor"
            break
        else:
            path += f".{_camel(part)}"
            node = getattr(node, part, None)
    return path.lstrip(".") or None


def from_validation(exc: ValidationError, source: Any, prefix: str = "") -> list[UserError]:
    """One `UserError` per offending field: INVALID, or TOO_LONG for a length limit."""
    errors: dict[str | None, UserError] = {}
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        path = field_path(err["loc"], source)
        field = f"{prefix}{path}" if path else (prefix.rstrip(".") or None)
        code = _CODES.get(err["type"], E.INVALID)
        message = err["msg"].removeprefix("Value error, ")
        if field not in errors or (code == E.TOO_LONG and errors[field].code != E.TOO_LONG):
            errors[field] = UserError(field=field, message=message, code=code)
    return list(errors.values())


def from_domain(exc: DomainError, rename: dict[str, str] | None = None) -> list[UserError]:
    """The domain's problems as they are, a leading field segment renamed if asked
    (`events[3]` of a batch becomes `input[3]`, the name of the argument)."""
    out = []
    for p in exc.problems:
        field = p.field
        for old, new in (rename or {}).items():
            if field is not None and (field == old or field.startswith((f"{old}[", f"{old}."))):
                field = new + field[len(old) :]
        out.append(UserError(field=field, message=p.message, code=p.code))
    return out
