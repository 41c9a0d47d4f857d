"""Cypher catalog: the queries of each store, loaded by name from the package's .cypher files.

A file holds one statement, named after the file, or several blocks each opened by a line
`// name: <block>`. Names are unique per store.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_MARKER = re.compile(r"^//\s*name:\s*(\S+)\s*$", re.MULTILINE)


def parse(text: str, default_name: str) -> dict[str, str]:
    parts = _MARKER.split(text)
    if len(parts) == 1:
        return {default_name: text.strip()}
    blocks = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in blocks:
            raise ValueError(f"block {name} appears twice")
        blocks[name] = body.strip()
    return blocks


@cache
def catalog(store: str) -> dict[str, str]:
    queries: dict[str, str] = {}
    folder = resources.files("tracegraph") / "cypher" / store
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".cypher"):
            continue
        for name, query in parse(entry.read_text(encoding="utf-8"), entry.name[: -len(".cypher")]).items():
            if name in queries:
                raise ValueError(f"query {name} of {store} is defined twice")
            queries[name] = query
    return queries


def query(store: str, name: str) -> str:
    return catalog(store)[name]
