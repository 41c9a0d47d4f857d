"""One key for every spelling of a GS1 identifier: its EPC URN and its GS1 Digital Link URI."""

from __future__ import annotations

from functools import lru_cache

from ._dl_normaliser import normaliser


@lru_cache(maxsize=65536)
def canonical(identifier: str) -> str:
    """The canonical GS1 Digital Link URI of a GS1 key (URN or Digital Link); any other
    identifier is its own key."""
    try:
        return normaliser(identifier) or identifier
    except Exception:  # noqa: BLE001 - a URI the normaliser cannot read is its own key
        return identifier
