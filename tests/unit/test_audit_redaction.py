"""Secrets in an audit entry's detail are redacted by their names, at any depth, whether the
arguments came inline or as variables."""

from __future__ import annotations

import json

from graphql import FieldNode, OperationDefinitionNode, parse

from tracegraph.api.audit import arguments
from tracegraph.domain.audit import REDACTED, entry, is_secret


def test_secret_names() -> None:
    secret = ["password", "apiKey", "api_key", "key", "token", "accessToken", "clientSecret", "privateKey", "x-token"]
    plain = ["keyId", "keys", "tokenCount", "id", "lotCode", "organizationId", "monkey", "passwordHint"]
    assert [n for n in secret if not is_secret(n)] == []
    assert [n for n in plain if is_secret(n)] == []


def test_secrets_are_redacted_at_any_depth() -> None:
    detail = {
        "id": "LOT-1",
        "apiKey": "tg_live_123",
        "input": {"name": "Acme", "webhook": {"url": "https://x", "secret": "s3cret"}, "list": [{"password": "pw"}]},
    }
    e = entry("k1", "org", "mutation:configure", detail)
    assert "tg_live_123" not in e.detail and "s3cret" not in e.detail and "pw" not in e.detail
    assert json.loads(e.detail) == {
        "id": "LOT-1",
        "apiKey": REDACTED,
        "input": {
            "name": "Acme",
            "webhook": {"url": "https://x", "secret": REDACTED},
            "list": [{"password": REDACTED}],
        },
    }


def test_inline_and_variable_arguments_alike() -> None:
    doc = parse(
        'mutation($p: String, $o: ID) { login(user: "ann", password: "inline-pw", org: $o, token: $p,'
        ' opts: {keep: true, depth: 2, ids: ["a", $o]}) { ok } }'
    )
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    field = op.selection_set.selections[0]
    assert isinstance(field, FieldNode)
    args = arguments(field, {"p": "var-token", "o": "ORG-1"})
    assert args == {
        "user": "ann",
        "password": "inline-pw",
        "org": "ORG-1",
        "token": "var-token",
        "opts": {"keep": True, "depth": 2, "ids": ["a", "ORG-1"]},
    }
    detail = json.loads(entry(None, None, "mutation:login", args).detail)
    assert detail["password"] == detail["token"] == REDACTED and detail["user"] == "ann"
    assert arguments(field, {}) == {
        "user": "ann",
        "password": "inline-pw",
        "opts": {"keep": True, "depth": 2, "ids": ["a"]},
    }
    no_args = parse("{ recalls { id } }").definitions[0]
    assert isinstance(no_args, OperationDefinitionNode) and isinstance(no_args.selection_set.selections[0], FieldNode)
    assert arguments(no_args.selection_set.selections[0], None) is None
