"""The GS1 example documents, read from ../shared/epcis/examples beside the repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "epcis" / "examples"


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.jsonld")) if EXAMPLES.is_dir() else []


def need_examples() -> None:
    if not EXAMPLES.is_dir():
        pytest.skip(f"the GS1 examples are not at {EXAMPLES} (clone shared/ beside the repository)")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
