"""Every Neo4j query parses with Neo4j's own Cypher parser (tools/lint-cypher.mjs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / "tools" / "lint-cypher.mjs"
PARSER = ROOT / "node_modules" / "@neo4j-cypher" / "language-support"


def lint(*paths: str | Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found: the Neo4j Cypher lint needs Node.js")
    if not PARSER.is_dir():
        pytest.skip(f"{PARSER.relative_to(ROOT)} missing: run `npm ci` (make test does)")
    return subprocess.run(
        [node, str(LINT), *map(str, paths)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_neo4j_queries_parse() -> None:
    result = lint("src/tracegraph/cypher/neo4j")
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_reports_a_broken_block(tmp_path: Path) -> None:
    path = tmp_path / "queries.cypher"
    path.write_text(
        "// name: good\n"
        "MATCH (a:Item {id: $id})-[:FLOWS_TO]->(b) RETURN DISTINCT b.id AS id\n"
        "// name: broken\n"
        "MATCH (a:Item {id: $id})-[:FLOWS_TO]->(b RETURN b.id\n"
    )
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{path}:broken:4:" in result.stdout
    assert ":good:" not in result.stdout
